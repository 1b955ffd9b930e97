"""Rendering a scenario step into subject, HTML and plain text: Boomerang's default wording or
the merchant's override, always in Jinja2's immutable sandbox with a budget (merchant
templates are untrusted code; see sandbox.py), HTML autoescaped so a shopper's name can never
inject markup. Templates are validated when the merchant saves them against sample data; one
that still fails on a real shopper's data (a value the sample had and this shopper lacks) is
replaced, for that message, by Boomerang's default wording, and the failure is kept on the
template for the editor.

The same limits hold for saving, previewing, test sends and the worker's sends: a template's
size (MAX_*_CHARS), a message's render time (sandbox.TIME_BUDGET_SECONDS) and output
(sandbox.MAX_OUTPUT_CHARS). Async callers render in a small thread pool, never on the event
loop, so a costly template delays no other request; compiled templates are cached up to a
number of bytes of source, not a number of entries."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from jinja2 import (
    StrictUndefined,
    Template,
    TemplateError,
    TemplateSyntaxError,
    Undefined,
    meta,
    pass_context,
)
from jinja2.runtime import Context
from markupsafe import Markup
from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.i18n import Text
from app.messaging.defaults import TemplateSource, default_source, known_template
from app.messaging.errors import FieldTooLong, NoSimpleForm, TemplateInvalid, UnknownTemplate
from app.messaging.i18n import SUPPORTED, Locale, format_date, t
from app.messaging.money import format_money
from app.messaging.pacing import shop_zone
from app.messaging.sandbox import BUDGET, BudgetedSandbox, RenderLimit, new_budget
from app.messaging.structured import (
    EmailFields,
    StructuredDefault,
    compile_template,
    email_book_of,
    oversized_field,
)
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
    day = _calendar_day(value, context.get("timezone"))
    if day is None:
        return str(value)
    return format_date(day, _loc(context))


def _calendar_day(value: object, zone_name: object) -> date | None:
    """The day `value` falls on in the shop's time zone: a code ending at 23:30 UTC ends on
    the next day in Paris. A bare date, or a date-time without offset, is taken as is."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        return value
    else:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            return None
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(shop_zone(zone_name if isinstance(zone_name, str) else None)).date()


def _loc(context: Context) -> Locale:
    return "fr" if context.get("locale") == "fr" else "en"


def _environment(*, autoescape: bool, strict: bool) -> BudgetedSandbox:
    env = BudgetedSandbox(
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
.button{display:inline-block;background:{{ accent }};color:#fff !important;padding:12px 20px;
border-radius:6px;text-decoration:none}
.logo{max-height:56px;max-width:220px;margin-bottom:8px}
.footer{color:#6b7280;font-size:12px;text-align:center;padding:16px}
@media (max-width:480px){.wrap{padding:8px}.card{padding:16px}}
</style></head>
<body><div class="wrap"><div class="card">
{% if logo_url %}<img class="logo" src="{{ logo_url }}" alt="{{ shop_name }}">
{% else %}<h2 style="margin-top:0;color:{{ accent }}">{{ shop_name }}</h2>{% endif %}
{{ body }}
</div>
<div class="footer"><p>{{ footer_why }}</p>
{% if shop_address %}<p>{{ shop_name }} · {{ shop_address }}</p>{% endif %}
{% if unsubscribe_url %}<p><a href="{{ unsubscribe_url }}">{{ footer_unsubscribe }}</a></p>
{% endif %}</div></div></body></html>"""
)


# The sample values a shopper would read in each language (a preview in French shows a
# French product, variant, tier and street); the rest (codes, links, figures) reads the same.
_WORDED_SAMPLES: dict[Locale, dict[str, str]] = {
    "en": {
        "shop_name": "Sample Shop",
        "product": "Linen shirt",
        "variant": "M / Blue",
        "tier": "Gold",
        "percent": "10%",
        "shop_address": "1 Sample Street, 75001 Paris, France",
    },
    "fr": {
        "shop_name": "Boutique exemple",
        "product": "Chemise en lin",
        "variant": "M / Bleu",
        "tier": "Or",
        "percent": "10 %",
        "shop_address": "1 rue de l'Exemple, 75001 Paris, France",
    },
}


def sample_context(locale: Locale) -> dict[str, Any]:
    """Plausible values for every variable, in the template's language, to validate and
    preview a template."""
    words = _WORDED_SAMPLES["fr" if locale == "fr" else "en"]
    return {
        "first_name": "Camille",
        "last_name": "Martin",
        "shop_name": words["shop_name"],
        "shop_url": "https://example.myshopify.com",
        "locale": locale,
        "currency": "EUR",
        "timezone": "UTC",
        "items": [
            {
                "title": words["product"],
                "variant_title": words["variant"],
                "quantity": 1,
                "price": "59.00",
                "image_url": "https://cdn.example.com/shirt.jpg",
            }
        ],
        "cart_total": "59.00",
        "products": [
            {
                "title": words["product"],
                "url": "https://example.myshopify.com/products/linen-shirt",
                "image_url": "https://cdn.example.com/shirt.jpg",
                "price": "59.00",
                "price_varies": True,
            }
        ],
        "last_order_at": "2026-08-01",
        "checkout_url": "https://example.myshopify.com/checkouts/sample/recover",
        "discount_code": "BACK-10-SAMPLE",
        "discount_expires_at": "2026-12-31",
        "points_balance": 1200,
        "points_earned": 150,
        "points_spendable": 1200,
        "orders": 2,
        "tier": words["tier"],
        "tier_multiplier": "1.5",
        "reward_cost": 1000,
        "points_expiring": 1200,
        "expires_at": "2026-12-31",
        "referral_url": "https://example.myshopify.com/r/SAMPLE",
        "referral_code": "REF-SAMPLE",
        "friend_offer": words["percent"],
        "reward": words["percent"],
        "review_url": "https://example.myshopify.com/reviews/sample",
        "product_title": words["product"],
        "unsubscribe_url": "https://app.example.com/u/sample",
        "shop_address": words["shop_address"],
        "logo_url": None,
        "brand_color": None,
    }


# The largest template the editor, the preview and the sender accept, per part (characters).
MAX_SUBJECT_CHARS = 500
MAX_HTML_CHARS = 200_000
MAX_TEXT_CHARS = 100_000
_MAX_CHARS = {"subject": MAX_SUBJECT_CHARS, "html": MAX_HTML_CHARS, "text": MAX_TEXT_CHARS}


def check_size(source: TemplateSource) -> None:
    """TemplateInvalid naming the limit when a part is larger than the editor accepts."""
    for part, text in (("subject", source.subject), ("html", source.html), ("text", source.text)):
        limit = _MAX_CHARS[part]
        if len(text) > limit:
            detail = {
                locale: t(
                    "template.too_large",
                    locale,
                    part=t(f"template.part.{part}", locale),
                    size=f"{len(text):,}".replace(",", " " if locale == "fr" else ","),
                    limit=f"{limit:,}".replace(",", " " if locale == "fr" else ","),
                )
                for locale in SUPPORTED
            }
            raise TemplateInvalid(Text(en=detail["en"], fr=detail["fr"]), part=part, line=None)


class _CompiledTemplates:
    """Compiling is most of a render's cost and a template's source rarely changes: keep the
    compiled form of the most recently used sources, up to `max_bytes` of source in all (a
    compiled template takes a few times its source). Keyed by a digest, so the key does not
    hold the source twice. Shared by the render threads."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._entries: OrderedDict[tuple[bytes, bool, bool], tuple[Template, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, source: str, *, html: bool, strict: bool) -> Template:
        encoded = source.encode()
        key = (hashlib.sha256(encoded).digest(), html, strict)
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found[0]
        env = (_HTML_STRICT if strict else _HTML) if html else (_PLAIN_STRICT if strict else _PLAIN)
        template = env.from_string(source)
        cost = len(encoded)
        if cost > self.max_bytes // 4:
            return template  # too large to be worth keeping out others
        with self._lock:
            if key not in self._entries:
                self._entries[key] = (template, cost)
                self.size += cost
            while self.size > self.max_bytes:
                _, (_, dropped) = self._entries.popitem(last=False)
                self.size -= dropped
        return template

    def __len__(self) -> int:
        return len(self._entries)


# 8 MiB of source: every default template and a few hundred merchant ones.
COMPILED = _CompiledTemplates(max_bytes=8 * 1024 * 1024)


def _render_part(
    source: str, context: dict[str, Any], *, html: bool, strict: bool, part: str
) -> str:
    budget = BUDGET.get()
    try:
        template = COMPILED.get(source, html=html, strict=strict)
        chunks = []
        for chunk in template.generate(context):
            if budget is not None:
                budget.output(len(chunk))
            chunks.append(chunk)
        return "".join(chunks)
    except RenderLimit as exc:
        raise _over_limit(part, exc) from None
    except TemplateSyntaxError as exc:
        raise _invalid(part, exc.lineno, exc.message or str(exc)) from None
    except TemplateError as exc:
        # Undefined variables, sandbox violations: the line is not always known.
        raise _invalid(part, _line_of(exc), exc.message or str(exc)) from None
    except Exception as exc:
        # The template's own arithmetic or calls on this data (a division by a zero balance,
        # a method of a missing value, a macro calling itself forever): the merchant's
        # error, not ours.
        raise _invalid(part, _line_of(exc), f"{type(exc).__name__}: {exc}") from None


def _over_limit(part: str, exc: RenderLimit) -> TemplateInvalid:
    detail = {
        locale: t(
            "template.over_limit",
            locale,
            part=t(f"template.part.{part}", locale),
            limit=exc.text.in_locale(locale),
        )
        for locale in SUPPORTED
    }
    return TemplateInvalid(Text(en=detail["en"], fr=detail["fr"]), part=part, line=None)


def _line_of(exc: BaseException) -> int | None:
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _invalid(part: str, line: int | None, error: str) -> TemplateInvalid:
    detail = {
        locale: t(
            "template.invalid",
            locale,
            part=t(f"template.part.{part}", locale),
            line=line if line is not None else "?",
            error=error.rstrip(". "),
        )
        for locale in SUPPORTED
    }
    return TemplateInvalid(Text(en=detail["en"], fr=detail["fr"]), part=part, line=line)


def render(source: TemplateSource, context: dict[str, Any], locale: Locale) -> Rendered:
    """Render for sending or preview, within the size, time and output limits; the HTML body
    is wrapped in Boomerang's layout, whose footer (with the unsubscribe link) the merchant
    cannot remove. Blocking: async code calls render_off_loop."""
    check_size(source)
    token = BUDGET.set(new_budget())
    try:
        return _render(source, context, locale)
    finally:
        BUDGET.reset(token)


def _render(source: TemplateSource, context: dict[str, Any], locale: Locale) -> Rendered:
    ctx = {**context, "locale": locale}
    subject = _render_part(source.subject, ctx, html=False, strict=False, part="subject")
    subject = " ".join(subject.split())
    body = _render_part(source.html, ctx, html=True, strict=False, part="html")
    text = _render_part(source.text, ctx, html=False, strict=False, part="text")
    shop = ctx.get("shop_name") or ""
    color = ctx.get("brand_color")
    html = _LAYOUT.render(
        {
            **ctx,
            "subject": subject,
            "body": _markup(body),
            # Only a checked colour reaches the stylesheet (autoescape does not guard CSS).
            "accent": color if isinstance(color, str) and BRAND_COLOR.match(color) else _INK,
            "logo_url": _https_or_none(ctx.get("logo_url")),
            "footer_why": t("footer.why", locale, shop=shop),
            "footer_unsubscribe": t("footer.unsubscribe", locale),
        }
    )
    address = ctx.get("shop_address")
    if ctx.get("unsubscribe_url") or address:
        text = f"{text.rstrip()}\n\n--\n{t('footer.why', locale, shop=shop)}\n"
        if address:
            text += f"{shop} · {address}\n"
        if ctx.get("unsubscribe_url"):
            text += f"{t('footer.unsubscribe', locale)}: {ctx['unsubscribe_url']}\n"
    return Rendered(subject=subject, html=html, text=text)


# The layout's ink when the shop chose no brand colour.
_INK = "#111827"
BRAND_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


def _https_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value.startswith("https://") else None


def _markup(body: str) -> Markup:
    # The body was rendered with autoescape on: its variables are already escaped.
    return Markup(body)  # noqa: S704


def validate(source: TemplateSource, locale: Locale) -> Rendered:
    """Compile and render against sample data, strictly; raise TemplateInvalid with the part
    and line (its message in English and French). Returns the sample rendering, which the
    editor can show."""
    check_size(source)
    ctx = {**sample_context(locale), "locale": locale}
    token = BUDGET.set(new_budget())
    try:
        for part, text, html in (
            ("subject", source.subject, False),
            ("html", source.html, True),
            ("text", source.text, False),
        ):
            _render_part(text, ctx, html=html, strict=True, part=part)
    finally:
        BUDGET.reset(token)
    return render(source, ctx, locale)


# Renders run here, off the event loop: a template at its time budget holds one of these
# threads for about a second while the loop goes on answering (webhooks first of all).
_RENDER_THREADS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="template-render")
_T = TypeVar("_T")


async def _off_loop(function: Callable[..., _T], *args: Any) -> _T:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_RENDER_THREADS, functools.partial(function, *args))


async def render_off_loop(
    source: TemplateSource, context: dict[str, Any], locale: Locale
) -> Rendered:
    return await _off_loop(render, source, context, locale)


async def validate_off_loop(source: TemplateSource, locale: Locale) -> Rendered:
    return await _off_loop(validate, source, locale)


def _preview(
    source: TemplateSource, context: dict[str, Any], locale: Locale
) -> tuple[Rendered, frozenset[str]]:
    validate(source, locale)
    return render(source, context, locale), variables_used(source)


async def preview_off_loop(
    source: TemplateSource, context: dict[str, Any], locale: Locale
) -> tuple[Rendered, frozenset[str]]:
    """Validated against sample data, then rendered on `context`; and the variables it
    reads."""
    return await _off_loop(_preview, source, context, locale)


def variables_used(source: TemplateSource) -> frozenset[str]:
    """The context variables a template reads (for labelling sample values in a preview)."""
    found: set[str] = set()
    for text, html in ((source.subject, False), (source.html, True), (source.text, False)):
        env = _HTML if html else _PLAIN
        try:
            found |= meta.find_undeclared_variables(env.parse(text))
        except TemplateSyntaxError:
            continue  # validate() reports it
    return frozenset(found)


def _unknown_template(scenario: str, step: int) -> UnknownTemplate:
    return UnknownTemplate(
        Text(
            en=f"There is no template for scenario {scenario!r} step {step}: "
            "check the scenario name and step number.",
            fr=f"Il n'existe pas de modèle pour le scénario {scenario!r} à l'étape {step} : "
            "vérifiez le nom du scénario et le numéro de l'étape.",
        )
    )


def _default(session: AsyncSession, scenario: str, step: int, locale: Locale) -> TemplateSource:
    source = default_source(session, scenario, step, locale)
    if source is None:
        raise _unknown_template(scenario, step)
    return source


async def _override(
    session: AsyncSession, shop_id: int, scenario: str, step: int, locale: Locale
) -> MessageTemplate | None:
    return await session.scalar(
        select(MessageTemplate).where(
            MessageTemplate.shop_id == shop_id,
            MessageTemplate.scenario == scenario,
            MessageTemplate.step == step,
            MessageTemplate.locale == locale,
        )
    )


async def load_source(
    session: AsyncSession, shop_id: int, scenario: str, step: int, locale: Locale
) -> TemplateSource:
    """The merchant's override for this locale if any, else Boomerang's default."""
    source, _ = await load_source_and_override(session, shop_id, scenario, step, locale)
    return source


async def load_source_and_override(
    session: AsyncSession, shop_id: int, scenario: str, step: int, locale: Locale
) -> tuple[TemplateSource, MessageTemplate | None]:
    """The template's source, and the merchant's override row it came from (None: default)."""
    if not known_template(session, scenario, step):
        raise _unknown_template(scenario, step)
    override = await _override(session, shop_id, scenario, step, locale)
    if override is not None:
        return TemplateSource(override.subject, override.html, override.text_body), override
    return _default(session, scenario, step, locale), None


@dataclass(frozen=True)
class SendRendering:
    rendered: Rendered
    # Why the merchant's template was not used for this message (the default was), or None.
    fallback: TemplateInvalid | None = None


async def render_for_send(
    session: AsyncSession,
    shop_id: int,
    scenario: str,
    step: int,
    locale: Locale,
    context: dict[str, Any],
) -> SendRendering:
    """Render the message a shopper will get. A merchant template that fails on this
    shopper's data gives way to the default wording for the step and locale (a message
    retried forever helps no one) and the failure is recorded on the template, where the
    editor shows it until the merchant saves a new version."""
    if not known_template(session, scenario, step):
        raise _unknown_template(scenario, step)
    override = await _override(session, shop_id, scenario, step, locale)
    if override is None:
        default = _default(session, scenario, step, locale)
        return SendRendering(await render_off_loop(default, context, locale))
    source = TemplateSource(override.subject, override.html, override.text_body)
    try:
        return SendRendering(await render_off_loop(source, context, locale))
    except TemplateInvalid as exc:
        await _record_send_error(session, override.id, exc)
        default = _default(session, scenario, step, locale)
        return SendRendering(await render_off_loop(default, context, locale), exc)


async def _record_send_error(session: AsyncSession, template_id: int, exc: TemplateInvalid) -> None:
    # Many messages may fail on one template at once: whoever holds the row is recording
    # the same kind of failure, so the others skip it rather than queue behind the lock.
    target = (
        select(MessageTemplate.id)
        .where(MessageTemplate.id == template_id)
        .with_for_update(skip_locked=True)
    )
    await session.execute(
        update(MessageTemplate)
        .where(MessageTemplate.id.in_(target.scalar_subquery()))
        .values(
            send_error_en=exc.text.en[:2000],
            send_error_fr=exc.text.fr[:2000],
            send_error_at=func.now(),
        )
        .execution_options(synchronize_session=False)
    )


async def save_override(
    session: AsyncSession,
    shop_id: int,
    scenario: str,
    step: int,
    locale: Locale,
    source: TemplateSource,
) -> Rendered:
    """Validate, then upsert the merchant's override. Invalid templates are never stored; a
    new version clears the send-time failure recorded on the previous one."""
    if not known_template(session, scenario, step):
        raise _unknown_template(scenario, step)
    sample = await validate_off_loop(source, locale)
    await _upsert(session, shop_id, scenario, step, locale, source, fields=None)
    return sample


async def _upsert(
    session: AsyncSession,
    shop_id: int,
    scenario: str,
    step: int,
    locale: Locale,
    source: TemplateSource,
    *,
    fields: EmailFields | None,
) -> None:
    statement = insert(MessageTemplate).values(
        shop_id=shop_id,
        scenario=scenario,
        step=step,
        locale=locale,
        subject=source.subject,
        html=source.html,
        text_body=source.text,
        fields=fields.as_json() if fields is not None else None,
    )
    await session.execute(
        statement.on_conflict_do_update(
            constraint="uq_message_templates_shop_id_scenario_step_locale",
            set_={
                "subject": statement.excluded.subject,
                "html": statement.excluded.html,
                "text_body": statement.excluded.text_body,
                "fields": statement.excluded.fields,
                "updated_at": statement.excluded.updated_at,
                "send_error_en": None,
                "send_error_fr": None,
                "send_error_at": None,
            },
        )
    )


def structured_default(
    session: AsyncSession, scenario: str, step: int, locale: Locale
) -> StructuredDefault:
    """The step's default fields and frame; NoSimpleForm when the step has none."""
    found = email_book_of(session).default(scenario, step, locale)
    if found is None:
        raise NoSimpleForm(
            Text(
                en="This email has no simple form yet: edit its template under Advanced.",
                fr="Cet e-mail n'a pas encore de formulaire simple : modifiez son modèle dans "
                "la partie Avancé.",
            )
        )
    return found


def check_fields(fields: EmailFields) -> None:
    """FieldTooLong naming the field when one is longer than the form accepts."""
    found = oversized_field(fields)
    if found is None:
        return
    name, limit = found
    en = {
        "subject": "subject",
        "preheader": "preheader",
        "heading": "heading",
        "body": "text",
        "button_label": "button label",
    }
    fr = {
        "subject": "objet",
        "preheader": "texte d'aperçu",
        "heading": "titre",
        "body": "texte",
        "button_label": "libellé du bouton",
    }
    raise FieldTooLong(
        Text(
            en=f"The {en[name]} is longer than {limit:,} characters: shorten it, then save.",
            fr=f"Le champ {fr[name]} dépasse {limit:_} caractères : raccourcissez-le, puis "
            "enregistrez.".replace("_", "\u202f"),
        )
    )


def compile_structured(
    session: AsyncSession, scenario: str, step: int, locale: Locale, fields: EmailFields
) -> TemplateSource:
    """The template the fields compile into, in the step's frame."""
    if not known_template(session, scenario, step):
        raise _unknown_template(scenario, step)
    check_fields(fields)
    default = structured_default(session, scenario, step, locale)
    return compile_template(fields, default.frame, locale)


async def save_structured(
    session: AsyncSession,
    shop_id: int,
    scenario: str,
    step: int,
    locale: Locale,
    fields: EmailFields,
) -> Rendered:
    """Compile the fields, validate the template like any other, then store both: the fields
    for the form, the template for sending."""
    source = compile_structured(session, scenario, step, locale, fields)
    sample = await validate_off_loop(source, locale)
    await _upsert(session, shop_id, scenario, step, locale, source, fields=fields)
    return sample


async def reset_override(
    session: AsyncSession, shop_id: int, scenario: str, step: int, locale: Locale
) -> None:
    """Back to Boomerang's default wording: the merchant's version is dropped."""
    if not known_template(session, scenario, step):
        raise _unknown_template(scenario, step)
    await session.execute(
        delete(MessageTemplate).where(
            MessageTemplate.shop_id == shop_id,
            MessageTemplate.scenario == scenario,
            MessageTemplate.step == step,
            MessageTemplate.locale == locale,
        )
    )


def _render_fields(fields: EmailFields, context: dict[str, Any], locale: Locale) -> EmailFields:
    ctx = {**context, "locale": locale}
    token = BUDGET.set(new_budget())
    try:
        words = {
            name: _render_part(getattr(fields, name), ctx, html=False, strict=False, part=part)
            for name, part in (
                ("subject", "subject"),
                ("preheader", "html"),
                ("heading", "html"),
                ("body", "html"),
                ("button_label", "html"),
            )
        }
    finally:
        BUDGET.reset(token)
    return EmailFields(
        subject=" ".join(words["subject"].split()),
        preheader=words["preheader"].strip(),
        heading=words["heading"].strip(),
        body=words["body"].strip(),
        button_label=words["button_label"].strip(),
        show_code=fields.show_code,
    )


async def render_fields_off_loop(
    fields: EmailFields, context: dict[str, Any], locale: Locale
) -> EmailFields:
    """The fields' template text rendered on one shopper's data, as plain words (what the
    approval queue's form shows for a held message)."""
    return await _off_loop(_render_fields, fields, context, locale)


class Mode:
    """How a step's template stands for the shop."""

    DEFAULT = "default"  # Boomerang's wording, no override
    STRUCTURED = "structured"  # the merchant's fields, compiled
    ADVANCED = "advanced"  # the merchant's own Jinja template


@dataclass(frozen=True)
class TemplateState:
    source: TemplateSource
    override: MessageTemplate | None
    mode: str
    # The fields the simple form shows (None: advanced, or the step has no simple form).
    fields: EmailFields | None
    # Boomerang's default fields, for "reset to default" (None: no simple form).
    default_fields: EmailFields | None


async def template_state(
    session: AsyncSession, shop_id: int, scenario: str, step: int, locale: Locale
) -> TemplateState:
    source, override = await load_source_and_override(session, shop_id, scenario, step, locale)
    default = email_book_of(session).default(scenario, step, locale)
    default_fields = default.fields if default is not None else None
    if override is None:
        return TemplateState(source, None, Mode.DEFAULT, default_fields, default_fields)
    if override.fields is not None and default is not None:
        fields = EmailFields.from_json(override.fields)
        return TemplateState(source, override, Mode.STRUCTURED, fields, default_fields)
    return TemplateState(source, override, Mode.ADVANCED, None, default_fields)


async def template_fields(
    session: AsyncSession, shop_id: int, scenario: str, step: int, locale: Locale
) -> EmailFields:
    """The fields the step's template is made of for the shop; NoSimpleForm when it has none
    (written by hand, or a step without a simple form)."""
    state = await template_state(session, shop_id, scenario, step, locale)
    if state.fields is None:
        raise NoSimpleForm(
            Text(
                en="This email's template was written by hand: edit it under Advanced, or "
                "reset the template to Boomerang's default to use the simple form.",
                fr="Le modèle de cet e-mail a été écrit à la main : modifiez-le dans la partie "
                "Avancé, ou rétablissez le modèle par défaut de Boomerang pour utiliser le "
                "formulaire simple.",
            )
        )
    return state.fields
