"""Admin API for the template editor: read, save (validated) as structured fields (the simple
form) or as a Jinja template (advanced), reset to default, preview and test-send. Previews
show the shop's own code prefix in the sample code, and a real customer's data when one is
picked."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import ServiceUnavailable
from app.i18n import Locale as UiLocale
from app.i18n import Text, request_locale
from app.messaging import templates
from app.messaging.defaults import TemplateSource
from app.messaging.errors import UnsupportedLocale
from app.messaging.i18n import SUPPORTED, Locale, normalize_locale
from app.messaging.preview import Preview, preview, test_email
from app.messaging.transport import (
    PermanentSendError,
    RelayUnavailable,
    TransientSendError,
    transport_from_settings,
)
from app.platform.resources import Resources
from app.scenarios.settings_store import effective_settings
from app.setup_guide.progress import Step, record
from app.web.approvals import FieldsIn, FieldsOut
from app.web.auth import CurrentShop
from app.web.deps import ResourcesDep
from app.web.messaging_deps import MessagingConfigDep
from app.web.rate_limits import limit_previews, limit_test_sends

router = APIRouter(prefix="/api/templates", tags=["templates"])


class TemplateIn(BaseModel):
    """The part sizes are checked by the templates (templates.check_size), for saving,
    previews and sends alike, with an error naming the limit; the body's own cap is in
    app/web/body_limits.py."""

    model_config = ConfigDict(strict=True)

    subject: str = Field(min_length=1)
    html: str = Field(min_length=1)
    text: str = Field(min_length=1)


class PreviewIn(BaseModel):
    """A preview of the stored template, or of the form's unsaved state: `fields` (the simple
    form), or any of subject, html and text (advanced)."""

    model_config = ConfigDict(strict=True)

    customer_id: int | None = None
    subject: str | None = None
    html: str | None = None
    text: str | None = None
    fields: FieldsIn | None = None


class RenderedOut(BaseModel):
    subject: str
    html: str
    text: str


class SampleOut(BaseModel):
    variable: str
    note: str


class PreviewOut(RenderedOut):
    # Variables shown with a sample value rather than the customer's own: label them.
    samples: list[SampleOut]


class SendErrorOut(BaseModel):
    """This version failed on a real shopper's data; the default wording went instead."""

    detail: str
    at: datetime


class TemplateOut(BaseModel):
    scenario: str
    step: int
    locale: str
    subject: str
    html: str
    text: str
    customized: bool
    # default, structured (the merchant's fields) or advanced (the merchant's own template).
    mode: str
    # The simple form's fields (None: the template was written by hand, or the step has no
    # simple form), and Boomerang's defaults for "reset to default".
    fields: FieldsOut | None
    default_fields: FieldsOut | None
    send_error: SendErrorOut | None = None


class TestSentOut(BaseModel):
    status: str
    to: str
    detail: str


def _locale(value: str) -> Locale:
    locale = normalize_locale(value)
    if locale is None or locale != value:
        choices = ", ".join(SUPPORTED)
        raise UnsupportedLocale(
            Text(
                en=f"The template locale must be one of {choices}: use one of them in the URL.",
                fr=f"La langue du modèle doit être l'une de {choices} : "
                "utilisez-en une dans l'URL.",
            )
        )
    return locale


def _preview_out(result: Preview, ui: UiLocale) -> PreviewOut:
    rendered = result.rendered
    return PreviewOut(
        subject=rendered.subject,
        html=rendered.html,
        text=rendered.text,
        samples=[SampleOut(variable=s.variable, note=s.note.in_locale(ui)) for s in result.samples],
    )


@router.get("/{scenario}/{step}/{locale}")
async def get_template(
    scenario: str,
    step: int,
    locale: str,
    request: Request,
    shop: CurrentShop,
    resources: ResourcesDep,
) -> TemplateOut:
    loc = _locale(locale)
    async with resources.sessions.begin() as session:
        state = await templates.template_state(session, shop.id, scenario, step, loc)
    source, override = state.source, state.override
    send_error = None
    if override is not None and override.send_error_at is not None:
        ui = request_locale(request)
        detail = Text(en=override.send_error_en or "", fr=override.send_error_fr or "")
        send_error = SendErrorOut(detail=detail.in_locale(ui), at=override.send_error_at)
    return TemplateOut(
        scenario=scenario,
        step=step,
        locale=loc,
        subject=source.subject,
        html=source.html,
        text=source.text,
        customized=override is not None,
        mode=state.mode,
        fields=FieldsOut.of(state.fields) if state.fields is not None else None,
        default_fields=(
            FieldsOut.of(state.default_fields) if state.default_fields is not None else None
        ),
        send_error=send_error,
    )


# Saving renders the template against sample data, like a preview: the same limit.
@router.put("/{scenario}/{step}/{locale}", dependencies=[Depends(limit_previews)])
async def save_template(
    scenario: str,
    step: int,
    locale: str,
    body: TemplateIn,
    shop: CurrentShop,
    resources: ResourcesDep,
) -> RenderedOut:
    loc = _locale(locale)
    async with resources.sessions.begin() as session:
        sample = await templates.save_override(
            session,
            shop.id,
            scenario,
            step,
            loc,
            TemplateSource(body.subject, body.html, body.text),
        )
    return RenderedOut(subject=sample.subject, html=sample.html, text=sample.text)


# Saving structured fields renders the compiled template against sample data: the same limit.
@router.put("/{scenario}/{step}/{locale}/fields", dependencies=[Depends(limit_previews)])
async def save_fields(
    scenario: str,
    step: int,
    locale: str,
    body: FieldsIn,
    shop: CurrentShop,
    resources: ResourcesDep,
) -> RenderedOut:
    """Save the simple form: the fields are stored and compiled into the step's template."""
    loc = _locale(locale)
    async with resources.sessions.begin() as session:
        sample = await templates.save_structured(
            session, shop.id, scenario, step, loc, body.fields()
        )
    return RenderedOut(subject=sample.subject, html=sample.html, text=sample.text)


@router.delete("/{scenario}/{step}/{locale}")
async def reset_template(
    scenario: str,
    step: int,
    locale: str,
    request: Request,
    shop: CurrentShop,
    resources: ResourcesDep,
) -> TemplateOut:
    """Reset to Boomerang's default wording; answers with the template as it now stands."""
    loc = _locale(locale)
    async with resources.sessions.begin() as session:
        await templates.reset_override(session, shop.id, scenario, step, loc)
    return await get_template(scenario, step, locale, request, shop, resources)


async def _code_prefix(
    session: AsyncSession, resources: Resources, shop_id: int, scenario: str
) -> str | None:
    """The prefix the scenario's codes are made with in this shop (None: it makes none)."""
    declared = resources.platform.catalog.find(scenario)
    if declared is None:
        return None
    settings = await effective_settings(session, shop_id, scenario, declared.settings_model)
    prefix = settings.get("code_prefix")
    return prefix if isinstance(prefix, str) and prefix else None


async def _render_preview(
    scenario: str,
    step: int,
    loc: Locale,
    body: PreviewIn,
    shop: CurrentShop,
    resources: ResourcesDep,
) -> Preview:
    async with resources.sessions.begin() as session:
        if body.fields is not None:
            source = templates.compile_structured(
                session, scenario, step, loc, body.fields.fields()
            )
        else:
            stored = await templates.load_source(session, shop.id, scenario, step, loc)
            source = TemplateSource(
                body.subject if body.subject is not None else stored.subject,
                body.html if body.html is not None else stored.html,
                body.text if body.text is not None else stored.text,
            )
        prefix = await _code_prefix(session, resources, shop.id, scenario)
        return await preview(
            session, shop, source, loc, customer_id=body.customer_id, code_prefix=prefix
        )


@router.post("/{scenario}/{step}/{locale}/preview", dependencies=[Depends(limit_previews)])
async def preview_template(
    scenario: str,
    step: int,
    locale: str,
    body: PreviewIn,
    request: Request,
    shop: CurrentShop,
    resources: ResourcesDep,
) -> PreviewOut:
    ui = request_locale(request)
    result = await _render_preview(scenario, step, _locale(locale), body, shop, resources)
    if body.customer_id is not None:
        # On one of the shop's real customers: the setup guide's second step.
        async with resources.sessions.begin() as session:
            await record(session, shop.id, Step.PREVIEW, datetime.now(UTC))
    return _preview_out(result, ui)


@router.post("/{scenario}/{step}/{locale}/test-send", dependencies=[Depends(limit_test_sends)])
async def test_send_template(
    scenario: str,
    step: int,
    locale: str,
    body: PreviewIn,
    request: Request,
    shop: CurrentShop,
    resources: ResourcesDep,
    config: MessagingConfigDep,
) -> TestSentOut:
    ui = request_locale(request)
    loc = _locale(locale)
    result = await _render_preview(scenario, step, loc, body, shop, resources)
    email = test_email(shop, result.rendered, config, loc)
    try:
        await transport_from_settings(resources.settings).send(email)
    except (TransientSendError, PermanentSendError, RelayUnavailable) as exc:
        raise ServiceUnavailable(
            Text(
                en=f"The mail server did not accept the test email ({exc}): send the test "
                "again in a few minutes; if it keeps failing, the SMTP_URL setting needs "
                "checking.",
                fr=f"Le serveur de messagerie a refusé l'e-mail de test ({exc}) : renvoyez le "
                "test dans quelques minutes ; si l'échec se répète, le réglage SMTP_URL est "
                "à vérifier.",
            )
        ) from None
    async with resources.sessions.begin() as session:
        await record(session, shop.id, Step.TEST, datetime.now(UTC))
    to = email["To"]
    sent = Text(en=f"Test email sent to {to}.", fr=f"E-mail de test envoyé à {to}.")
    return TestSentOut(status="sent", to=to, detail=sent.in_locale(ui))


__all__ = ["router"]
