"""The FastAPI application: built by create_app, resources opened in its lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

# Registered in every process that serves them: the loyalty program's listeners (commerce
# facts, compliance sections) and the scenarios' hooks into shared machinery (human clicks
# start attribution windows, the outbox's pre-send re-check).
import app.loyalty.listeners
import app.scenarios.listeners  # noqa: F401
from app.errors import BoomerangError
from app.i18n import request_locale
from app.logs import configure_logging
from app.platform.resources import build_resources
from app.settings import Settings, load_settings
from app.shopify.webhook_verification import WebhookVerifier
from app.web import (
    approvals,
    auth,
    compliance,
    customers,
    email_events,
    embedded,
    health,
    install,
    message_templates,
    messages,
    messaging_settings,
    scenarios,
    tracking,
    unsubscribe,
    webhook_events,
)
from app.web.frontend_assets import ASSETS_PATH, ImmutableAssets
from webhooks import receiver


def create_app(
    settings: Settings, *, http_transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        resources = await build_resources(settings, http_transport=http_transport)
        app.state.resources = resources
        try:
            yield
        finally:
            await resources.close()

    app = FastAPI(title="Boomerang", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.webhook_verifier = WebhookVerifier(
        settings.shopify_api_secret, settings.shopify_api_secret_previous
    )

    @app.exception_handler(BoomerangError)
    async def render_error(request: Request, exc: BoomerangError) -> JSONResponse:
        locale = request_locale(request)
        return JSONResponse(
            {
                "error": type(exc).__name__,
                "detail": exc.detail_in(locale),
                **exc.body_fields(locale),
            },
            status_code=exc.status_code,
            headers=exc.headers,
        )

    # POST /webhooks, the hot path, answered ahead of the router (see webhooks/receiver.py).
    app.add_middleware(receiver.WebhookReceiver)
    app.include_router(health.router)
    app.include_router(auth.router)
    app.include_router(install.router)
    app.include_router(compliance.router)
    app.include_router(embedded.router)
    app.include_router(scenarios.router)
    app.include_router(message_templates.router)
    app.include_router(approvals.router)
    app.include_router(messaging_settings.router)
    app.include_router(tracking.router)
    app.include_router(unsubscribe.router)
    app.include_router(email_events.router)
    app.include_router(webhook_events.router)
    app.include_router(messages.router)
    app.include_router(customers.router)
    app.mount(ASSETS_PATH, ImmutableAssets(settings.frontend_dir), name="assets")
    return app


def create_app_from_env() -> FastAPI:
    """uvicorn's factory: the CLI has already resolved embedded services into the environment."""
    settings = load_settings()
    configure_logging(settings.log_level)
    return create_app(settings)
