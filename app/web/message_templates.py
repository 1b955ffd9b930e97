"""Admin API for the template editor: read, save (validated), preview and test-send."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from app.errors import ServiceUnavailable
from app.i18n import request_locale
from app.messaging import templates
from app.messaging.defaults import TemplateSource, default_source
from app.messaging.errors import TemplateInvalid, UnsupportedLocale
from app.messaging.i18n import SUPPORTED, Locale, normalize_locale
from app.messaging.preview import preview, test_email
from app.messaging.transport import PermanentSendError, TransientSendError, transport_from_settings
from app.models import MessageTemplate
from app.web.auth import CurrentShop
from app.web.deps import ResourcesDep
from app.web.messaging_deps import MessagingConfigDep

router = APIRouter(prefix="/api/templates", tags=["templates"])


class TemplateIn(BaseModel):
    model_config = ConfigDict(strict=True)

    subject: str = Field(min_length=1, max_length=500)
    html: str = Field(min_length=1, max_length=200_000)
    text: str = Field(min_length=1, max_length=100_000)


class PreviewIn(BaseModel):
    model_config = ConfigDict(strict=True)

    customer_id: int | None = None
    subject: str | None = None
    html: str | None = None
    text: str | None = None


class RenderedOut(BaseModel):
    subject: str
    html: str
    text: str


class TemplateOut(BaseModel):
    scenario: str
    step: int
    locale: str
    subject: str
    html: str
    text: str
    customized: bool


def _locale(value: str) -> Locale:
    locale = normalize_locale(value)
    if locale is None or locale != value:
        raise UnsupportedLocale(f"locale must be one of {', '.join(SUPPORTED)}")
    return locale


def _ui_locale(request: Request, shop_locale: str | None) -> Locale:
    """The merchant's language for errors: what the request asks for (the admin UI sends
    Accept-Language), else the shop's."""
    if request.query_params.get("locale") or request.headers.get("accept-language"):
        return request_locale(request)
    return normalize_locale(shop_locale) or "en"


def _invalid(exc: TemplateInvalid) -> JSONResponse:
    return JSONResponse(
        {"error": "TemplateInvalid", "detail": exc.detail, "part": exc.part, "line": exc.line},
        status_code=400,
    )


@router.get("/{scenario}/{step}/{locale}")
async def get_template(
    scenario: str, step: int, locale: str, shop: CurrentShop, resources: ResourcesDep
) -> TemplateOut:
    loc = _locale(locale)
    async with resources.sessions.begin() as session:
        source = await templates.load_source(session, shop.id, scenario, step, loc)
        customized = (
            await session.scalar(
                select(MessageTemplate.id).where(
                    MessageTemplate.shop_id == shop.id,
                    MessageTemplate.scenario == scenario,
                    MessageTemplate.step == step,
                    MessageTemplate.locale == loc,
                )
            )
            is not None
        )
    return TemplateOut(
        scenario=scenario,
        step=step,
        locale=loc,
        subject=source.subject,
        html=source.html,
        text=source.text,
        customized=customized,
    )


@router.put("/{scenario}/{step}/{locale}", response_model=None)
async def save_template(
    scenario: str,
    step: int,
    locale: str,
    body: TemplateIn,
    request: Request,
    shop: CurrentShop,
    resources: ResourcesDep,
) -> RenderedOut | JSONResponse:
    loc = _locale(locale)
    try:
        async with resources.sessions.begin() as session:
            sample = await templates.save_override(
                session,
                shop.id,
                scenario,
                step,
                loc,
                TemplateSource(body.subject, body.html, body.text),
                ui_locale=_ui_locale(request, shop.locale),
            )
    except TemplateInvalid as exc:
        return _invalid(exc)
    return RenderedOut(subject=sample.subject, html=sample.html, text=sample.text)


async def _render_preview(
    scenario: str,
    step: int,
    loc: Locale,
    body: PreviewIn,
    ui_locale: Locale,
    shop: CurrentShop,
    resources: ResourcesDep,
) -> templates.Rendered:
    async with resources.sessions.begin() as session:
        stored = await templates.load_source(session, shop.id, scenario, step, loc)
        source = TemplateSource(
            body.subject if body.subject is not None else stored.subject,
            body.html if body.html is not None else stored.html,
            body.text if body.text is not None else stored.text,
        )
        return await preview(
            session,
            shop,
            source,
            loc,
            customer_id=body.customer_id,
            ui_locale=ui_locale,
        )


@router.post("/{scenario}/{step}/{locale}/preview", response_model=None)
async def preview_template(
    scenario: str,
    step: int,
    locale: str,
    body: PreviewIn,
    request: Request,
    shop: CurrentShop,
    resources: ResourcesDep,
) -> RenderedOut | JSONResponse:
    ui_locale = _ui_locale(request, shop.locale)
    try:
        rendered = await _render_preview(
            scenario, step, _locale(locale), body, ui_locale, shop, resources
        )
    except TemplateInvalid as exc:
        return _invalid(exc)
    return RenderedOut(subject=rendered.subject, html=rendered.html, text=rendered.text)


@router.post("/{scenario}/{step}/{locale}/test-send", response_model=None)
async def test_send_template(
    scenario: str,
    step: int,
    locale: str,
    body: PreviewIn,
    request: Request,
    shop: CurrentShop,
    resources: ResourcesDep,
    config: MessagingConfigDep,
) -> dict[str, str] | JSONResponse:
    ui_locale = _ui_locale(request, shop.locale)
    try:
        rendered = await _render_preview(
            scenario, step, _locale(locale), body, ui_locale, shop, resources
        )
    except TemplateInvalid as exc:
        return _invalid(exc)
    email = test_email(shop, rendered, config)
    try:
        await transport_from_settings(resources.settings).send(email)
    except (TransientSendError, PermanentSendError) as exc:
        raise ServiceUnavailable(
            f"the mail server did not accept the test email ({exc}); check SMTP_URL and retry"
        ) from None
    return {"status": "sent", "to": "shop email"}


__all__ = ["default_source", "router"]
