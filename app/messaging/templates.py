"""Rendering a scenario step into subject, HTML and plain text: Boomerang's default wording or
the merchant's override, always in a Jinja2 SandboxedEnvironment (merchant templates are
untrusted code), HTML autoescaped so a shopper's name can never inject markup. Templates are
validated when the merchant saves them, so a broken one never reaches send time."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from jinja2 import (
    StrictUndefined,
    Template,
    TemplateError,
    TemplateSyntaxError,
    Undefined,
    pass_context,
)
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.messaging.defaults import TemplateSource, default_source, known_template
from app.messaging.errors import TemplateInvalid, UnknownTemplate
from app.messaging.i18n import Locale, format_date, t
from app.messaging.money import format_money
from app.models import MessageTemplate


@dataclass(frozen=True)
class Rendered:
    subject: str
    html: str
    text: str


@pass_context
def _money(context: Context, amount: Any) -> str:
    if amount is None or isinstance(amount, Undefined):
        return ""
    try:
        return format_money(Decimal(str(amount)), context.get("currency") or "USD", _loc(context))
    except InvalidOperation:
        return str(amount)


@pass_context
def _date(context: Context, value: Any) -> str:
    if not value or isinstance(value, Undefined):
        return ""
    try:
        day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value)
    return format_date(day, _loc(context))


def _loc(context: Context) -> Locale:
    return "fr" if context.get("locale") == "fr" else "en"


def _environment(*, autoescape: bool, strict: bool) -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        autoescape=autoescape,
        undefined=StrictUndefined if strict else Undefined,
        trim_blocks=False,
        keep_trailing_newline=False,
    )
    env.filters["money"] = _money
    env.filters["date"] = _date
    return env


# Send-time environments forgive a missing optional value (it renders empty); the save-time
# ones are strict, so a misspelt variable is caught while the merchant is still editing.
_HTML = _environment(autoescape=True, strict=False)
_PLAIN = _environment(autoescape=False, strict=False)
_HTML_STRICT = _environment(autoescape=True, strict=True)
_PLAIN_STRICT = _environment(autoescape=False, strict=True)

_LAYOUT = _HTML.from_string(
    """<!DOCTYPE html>
<html lang="{{ locale }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ subject }}</title>
<style>
body{margin:0;padding:0;background:#f4f4f5;font-family:-apple-system,Segoe UI,Roboto,
Helvetica,Arial,sans-serif;color:#1f2937}
.wrap{max-width:600px;margin:0 auto;padding:24px}
.card{background:#fff;border-radius:8px;padding:24px}
.muted{color:#6b7280;font-size:14px}
.button{display:inline-block;background:#111827;color:#fff !important;padding:12px 20px;
border-radius:6px;text-decoration:none}
.footer{color:#6b7280;font-size:12px;text-align:center;padding:16px}
@media (max-width:480px){.wrap{padding:8px}.card{padding:16px}}
</style></head>
<body><div class="wrap"><div class="card">
<h2 style="margin-top:0">{{ shop_name }}</h2>
{{ body }}
</div>
<div class="footer"><p>{{ footer_why }}</p>
{% if unsubscribe_url %}<p><a href="{{ unsubscribe_url }}">{{ footer_unsubscribe }}</a></p>
{% endif %}</div></div></body></html>"""
)


def sample_context(locale: Locale) -> dict[str, Any]:
    """Plausible values for every variable, to validate and preview a template."""
    return {
        "first_name": "Camille",
        "last_name": "Martin",
        "shop_name": "Sample Shop",
        "shop_url": "https://example.myshopify.com",
        "locale": locale,
        "currency": "EUR",
        "items": [
            {
                "title": "Linen shirt",
                "variant_title": "M / Blue",
                "quantity": 1,
                "price": "59.00",
                "image_url": "https://cdn.example.com/shirt.jpg",
            }
        ],
        "cart_total": "59.00",
        "checkout_url": "https://example.myshopify.com/checkouts/sample/recover",
        "discount_code": "BACK-10-SAMPLE",
        "discount_expires_at": "2026-12-31",
        "points_balance": 1200,
        "points_earned": 150,
        "tier": "Gold",
        "referral_url": "https://example.myshopify.com/r/SAMPLE",
        "reward": "10 %",
        "review_url": "https://example.myshopify.com/reviews/sample",
        "unsubscribe_url": "https://app.example.com/u/sample",
    }


@functools.lru_cache(maxsize=1024)
def _compiled(source: str, *, html: bool, strict: bool) -> Template:
    """Compiling is most of a render's cost and a template's source rarely changes: keep the
    compiled form of the latest sources (a merchant's edit is a new source, a new entry)."""
    env = (_HTML_STRICT if strict else _HTML) if html else (_PLAIN_STRICT if strict else _PLAIN)
    return env.from_string(source)


def _render_part(
    source: str, context: dict[str, Any], *, html: bool, strict: bool, part: str, locale: Locale
) -> str:
    try:
        return _compiled(source, html=html, strict=strict).render(context)
    except TemplateSyntaxError as exc:
        raise _invalid(part, exc.lineno, exc.message or str(exc), locale) from None
    except TemplateError as exc:
        # Undefined variables, sandbox violations: the line is not always known.
        raise _invalid(part, _line_of(exc), exc.message or str(exc), locale) from None


def _line_of(exc: BaseException) -> int | None:
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _invalid(part: str, line: int | None, error: str, locale: Locale) -> TemplateInvalid:
    detail = t(
        "template.invalid",
        locale,
        part=t(f"template.part.{part}", locale),
        line=line if line is not None else "?",
        error=error,
    )
    return TemplateInvalid(detail, part=part, line=line)


def render(source: TemplateSource, context: dict[str, Any], locale: Locale) -> Rendered:
    """Render for sending or preview; the HTML body is wrapped in Boomerang's layout, whose
    footer (with the unsubscribe link) the merchant cannot remove."""
    ctx = {**context, "locale": locale}
    subject = _render_part(
        source.subject, ctx, html=False, strict=False, part="subject", locale=locale
    )
    subject = " ".join(subject.split())
    body = _render_part(source.html, ctx, html=True, strict=False, part="html", locale=locale)
    text = _render_part(source.text, ctx, html=False, strict=False, part="text", locale=locale)
    shop = ctx.get("shop_name") or ""
    html = _LAYOUT.render(
        {
            **ctx,
            "subject": subject,
            "body": _markup(body),
            "footer_why": t("footer.why", locale, shop=shop),
            "footer_unsubscribe": t("footer.unsubscribe", locale),
        }
    )
    if ctx.get("unsubscribe_url"):
        text = (
            f"{text.rstrip()}\n\n--\n{t('footer.why', locale, shop=shop)}\n"
            f"{t('footer.unsubscribe', locale)}: {ctx['unsubscribe_url']}\n"
        )
    return Rendered(subject=subject, html=html, text=text)


def _markup(body: str) -> Markup:
    # The body was rendered with autoescape on: its variables are already escaped.
    return Markup(body)  # noqa: S704


def validate(source: TemplateSource, locale: Locale, *, ui_locale: Locale = "en") -> Rendered:
    """Compile and render against sample data, strictly; raise TemplateInvalid with the part
    and line. Returns the sample rendering, which the editor can show."""
    ctx = {**sample_context(locale), "locale": locale}
    for part, text, html in (
        ("subject", source.subject, False),
        ("html", source.html, True),
        ("text", source.text, False),
    ):
        _render_part(text, ctx, html=html, strict=True, part=part, locale=ui_locale)
    return render(source, ctx, locale)


async def load_source(
    session: AsyncSession, shop_id: int, scenario: str, step: int, locale: Locale
) -> TemplateSource:
    """The merchant's override for this locale if any, else Boomerang's default."""
    if not known_template(scenario, step):
        raise UnknownTemplate(
            f"there is no template for scenario {scenario!r} step {step}: "
            "check the scenario name and step number"
        )
    override = await session.scalar(
        select(MessageTemplate).where(
            MessageTemplate.shop_id == shop_id,
            MessageTemplate.scenario == scenario,
            MessageTemplate.step == step,
            MessageTemplate.locale == locale,
        )
    )
    if override is not None:
        return TemplateSource(override.subject, override.html, override.text_body)
    source = default_source(scenario, step, locale)
    if source is None:  # pragma: no cover - known_template checked it
        raise UnknownTemplate(f"there is no template for scenario {scenario!r} step {step}")
    return source


async def save_override(
    session: AsyncSession,
    shop_id: int,
    scenario: str,
    step: int,
    locale: Locale,
    source: TemplateSource,
    *,
    ui_locale: Locale = "en",
) -> Rendered:
    """Validate, then upsert the merchant's override. Invalid templates are never stored."""
    if not known_template(scenario, step):
        raise UnknownTemplate(
            f"there is no template for scenario {scenario!r} step {step}: "
            "check the scenario name and step number"
        )
    sample = validate(source, locale, ui_locale=ui_locale)
    statement = insert(MessageTemplate).values(
        shop_id=shop_id,
        scenario=scenario,
        step=step,
        locale=locale,
        subject=source.subject,
        html=source.html,
        text_body=source.text,
    )
    await session.execute(
        statement.on_conflict_do_update(
            constraint="uq_message_templates_shop_id_scenario_step_locale",
            set_={
                "subject": statement.excluded.subject,
                "html": statement.excluded.html,
                "text_body": statement.excluded.text_body,
                "updated_at": statement.excluded.updated_at,
            },
        )
    )
    return sample
