"""The FastAPI application: built by create_app, resources opened in its lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError

from app.db.bad_values import is_bad_value
from app.errors import BoomerangError, UnstorableValue
from app.i18n import Text, request_locale
from app.logs import configure_logging
from app.platform.resources import build_resources
from app.settings import Settings, load_settings
from app.shopify.webhook_verification import WebhookVerifier
from app.web import (
    approvals,
    auth,
    compliance,
    customer_account,
    customers,
    email_events,
    embedded,
    health,
    install,
    kpis,
    loyalty,
    loyalty_proxy,
    message_templates,
    messages,
    messaging_settings,
    referral_proxy,
    referrals,
    review_form,
    reviews,
    scenarios,
    sender,
    setup_guide,
    tracking,
    unsubscribe,
    webhook_events,
)
from app.web.body_limits import BodyLimits, BodyRefused
from app.web.errors import error_response
from app.web.frontend_assets import ASSETS_PATH, ImmutableAssets
from app.web.rate_limits import RateLimiter
from app.web.request_ids import RequestIds
from app.web.settings_errors import invalid_request_response
from webhooks import receiver

log = structlog.get_logger(__name__)


def create_app(
    settings: Settings, *, http_transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        resources = await build_resources(settings, http_transport=http_transport)
        app.state.resources = resources
        app.state.rate_limiter = RateLimiter(settings, resources.redis)
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
        return error_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def render_invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        return invalid_request_response(exc.errors(), request_locale(request))

    @app.exception_handler(BodyRefused)
    async def render_body_refused(request: Request, exc: BodyRefused) -> JSONResponse:
        return error_response(request, exc.error)

    @app.exception_handler(DBAPIError)
    async def render_bad_value(request: Request, exc: DBAPIError) -> JSONResponse:
        if not is_bad_value(exc):
            raise exc  # a real database failure: the 500 it is
        cause = exc.orig.__cause__ if exc.orig is not None else None
        log.warning(
            "request refused: a value the database cannot hold",
            path=request.url.path,
            error=type(cause or exc.orig).__name__,
        )
        return await render_error(
            request,
            UnstorableValue(
                Text(
                    en="A value in the request cannot be stored (a NUL character, or a number "
                    "out of range).",
                    fr="Une valeur de la requête ne peut pas être enregistrée (un caractère NUL, "
                    "ou un nombre hors limites).",
                )
            ),
        )

    # POST /webhooks, the hot path, answered ahead of the router (see webhooks/receiver.py).
    app.add_middleware(receiver.WebhookReceiver)
    # Outermost but for the request ids: no body is read past its route's cap or its time
    # budget, by anyone.
    app.add_middleware(
        BodyLimits,
        read_timeout_seconds=settings.body_read_timeout_seconds,
        self_capped=frozenset({receiver.PATH}),
        # The shopper sending the review form gets a page in their language, not JSON.
        refusal_pages=((review_form.FORM_PREFIX, review_form.refusal_page),),
    )
    # Outermost of all: every log line of a request, the webhook route's included, carries its id.
    app.add_middleware(RequestIds)
    app.include_router(health.router)
    app.include_router(auth.router)
    app.include_router(install.router)
    app.include_router(compliance.router)
    app.include_router(embedded.router)
    app.include_router(scenarios.router)
    app.include_router(kpis.router)
    app.include_router(message_templates.router)
    app.include_router(approvals.router)
    app.include_router(messaging_settings.router)
    app.include_router(sender.router)
    app.include_router(setup_guide.router)
    app.include_router(tracking.router)
    app.include_router(unsubscribe.router)
    app.include_router(review_form.router)
    app.include_router(reviews.router)
    app.include_router(email_events.router)
    app.include_router(webhook_events.router)
    app.include_router(messages.router)
    app.include_router(customers.router)
    app.include_router(loyalty_proxy.router)
    app.include_router(referral_proxy.router)
    app.include_router(customer_account.router)
    app.include_router(loyalty.router)
    app.include_router(referrals.public)
    app.include_router(referrals.router)
    app.mount(ASSETS_PATH, ImmutableAssets(settings.frontend_dir), name="assets")
    return app


def create_app_from_env() -> FastAPI:
    """uvicorn's factory: the CLI has already resolved embedded services into the environment."""
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    return create_app(settings)
