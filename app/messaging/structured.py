"""Structured emails: the fields a merchant edits without writing Jinja or HTML (subject,
preheader, heading, body, button label, whether the discount code shows), compiled into the
Jinja template the renderer runs. Compiling is deterministic: the same fields and frame give
the same template, byte for byte, so a stored structured template can always be rebuilt.

Two ways to compile the same fields:
- `compile_template`: the fields are template text (a template saved for every shopper), so
  `{{ first_name }}` is a variable; the literal text around it is HTML-escaped, so a "<" a
  merchant types shows as "<" rather than opening a tag;
- `compile_literal`: the fields are the final words of one message (the approval queue's
  edit), so nothing in them is a variable: each piece becomes a Jinja string literal, which the
  HTML renderer autoescapes like any value.

The `Frame` is what the step's email carries whatever the merchant writes: where the button
leads and the scenario's own block (the cart's items).

The merchant's fields are plain text with the documented placeholders (`{{ first_name }}`,
`{{ shop_name }}`…), never Jinja logic, Boomerang's defaults included. What makes them read
well for every shopper is added as they compile (`fields_as_template`): a first name the shopper
has not given leaves no gap ("Hi {{ first_name }}," reads "Hi," and "{{ first_name }}, you
left…" reads "You left…"), and Boomerang's subject for a step that offers a code has its
wording for an email without one, while the merchant keeps it. A field with its own `{% %}`
logic (written before these rules) is compiled as written."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from markupsafe import escape
from sqlalchemy.ext.asyncio import AsyncSession

from app.messaging.defaults import (
    DISCOUNT_EN,
    DISCOUNT_EN_TEXT,
    DISCOUNT_FR,
    DISCOUNT_FR_TEXT,
    TemplateSource,
    button,
)
from app.messaging.i18n import Locale

# The largest field the form accepts, in characters (the compiled template then stays well
# within templates.MAX_*_CHARS).
MAX_FIELD_CHARS: Mapping[str, int] = {
    "subject": 500,
    "preheader": 300,
    "heading": 300,
    "body": 20_000,
    "button_label": 120,
}


@dataclass(frozen=True)
class EmailFields:
    subject: str
    preheader: str
    heading: str
    body: str
    button_label: str
    show_code: bool

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> EmailFields:
        return cls(
            subject=str(data.get("subject", "")),
            preheader=str(data.get("preheader", "")),
            heading=str(data.get("heading", "")),
            body=str(data.get("body", "")),
            button_label=str(data.get("button_label", "")),
            show_code=bool(data.get("show_code", False)),
        )


@dataclass(frozen=True)
class CodeSubject:
    """Boomerang's subject for a step that offers a code (`with_code`, what the form shows),
    and its wording for an email of that step that carries none."""

    with_code: str
    without_code: str


@dataclass(frozen=True)
class Frame:
    # The context variable the button links to (checkout_url, review_url, shop_url…).
    link: str
    # The scenario's own block, Jinja source (the cart's items and total); may be empty.
    block_html: str = ""
    block_text: str = ""
    code_subject: CodeSubject | None = None


@dataclass(frozen=True)
class StructuredDefault:
    """Boomerang's default fields for one step in one language, and the step's frame."""

    fields: EmailFields
    frame: Frame


_DISCOUNT_HTML: Mapping[Locale, str] = {"en": DISCOUNT_EN, "fr": DISCOUNT_FR}
_DISCOUNT_TEXT: Mapping[Locale, str] = {"en": DISCOUNT_EN_TEXT, "fr": DISCOUNT_FR_TEXT}
# "Return to your cart: <link>" in English, "Retrouver mon panier : <link>" in French.
_COLON: Mapping[Locale, str] = {"en": ": ", "fr": " : "}
_PARAGRAPHS = re.compile(r"\n[ \t]*\n\s*")
_JINJA = re.compile(r"(\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\})", re.DOTALL)

PREHEADER_STYLE = (
    "display:none;max-height:0;max-width:0;overflow:hidden;opacity:0;mso-hide:all;font-size:1px"
)
HEADING_STYLE = "font-size:22px;line-height:1.3;margin:0 0 16px"


# A placeholder for something the shopper may not have given: empty, it leaves no gap.
_OPTIONAL = ("first_name",)
_LOGIC = re.compile(r"\{%")


def _leading_name(name: str) -> re.Pattern[str]:
    """`{{ name }}, word` opening a line: without the name, the line opens on Word."""
    return re.compile(r"^\{\{\s*" + name + r"\s*\}\},[ \t]+(\w)(\S*)", re.MULTILINE | re.UNICODE)


def _inner_name(name: str) -> re.Pattern[str]:
    """` {{ name }}` after a space: without the name, the space goes too ("Hi,")."""
    return re.compile(r"[ \t]\{\{\s*" + name + r"\s*\}\}")


_LEADING = {name: _leading_name(name) for name in _OPTIONAL}
_INNER = {name: _inner_name(name) for name in _OPTIONAL}


def _leading_or_capitalised(name: str) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        first, rest = match.group(1), match.group(2)
        return (
            f"{{% if {name} %}}{{{{ {name} }}}}, {first}{rest}"
            f"{{% else %}}{first.upper()}{rest}{{% endif %}}"
        )

    return replace


def _optional_placeholders(text: str) -> str:
    if _LOGIC.search(text):
        return text
    for name in _OPTIONAL:
        text = _LEADING[name].sub(_leading_or_capitalised(name), text)
        text = _INNER[name].sub(f"{{% if {name} %}} {{{{ {name} }}}}{{% endif %}}", text)
    return text


def _subject(subject: str, frame: Frame) -> str:
    words = " ".join(subject.split())
    alternative = frame.code_subject
    if alternative is not None and words == alternative.with_code:
        return (
            f"{{% if discount_code %}}{alternative.with_code}"
            f"{{% else %}}{alternative.without_code}{{% endif %}}"
        )
    return _optional_placeholders(words)


def fields_as_template(fields: EmailFields, frame: Frame) -> EmailFields:
    """The merchant's plain fields as the template text that renders them for each shopper
    (see the module's doc): what compiles, and what a held message's form is rendered from."""
    return EmailFields(
        subject=_subject(fields.subject, frame),
        preheader=_optional_placeholders(fields.preheader),
        heading=_optional_placeholders(fields.heading),
        body=_optional_placeholders(fields.body),
        button_label=_optional_placeholders(fields.button_label),
        show_code=fields.show_code,
    )


def _template_html(text: str) -> str:
    """Template text for the HTML part: Jinja kept, the literal text around it escaped."""
    return "".join(
        piece if index % 2 else str(escape(piece)) for index, piece in enumerate(_JINJA.split(text))
    )


def _template_text(text: str) -> str:
    return text


def _literal(text: str) -> str:
    """Words that are no template at all: a Jinja string literal (the lexer decodes it as a
    unicode-escaped string; json keeps non-ASCII as is and escapes quotes, backslashes and
    line breaks)."""
    return "{{ " + json.dumps(text, ensure_ascii=False) + " }}" if text else ""


def paragraphs(body: str) -> list[list[str]]:
    """The body's paragraphs (split on blank lines), each as its lines."""
    normalized = body.replace("\r\n", "\n").strip()
    if not normalized:
        return []
    return [
        [line.strip() for line in block.split("\n") if line.strip()]
        for block in _PARAGRAPHS.split(normalized)
    ]


def _compile(
    fields: EmailFields,
    frame: Frame,
    locale: Locale,
    *,
    html_piece: Callable[[str], str],
    text_piece: Callable[[str], str],
) -> TemplateSource:
    blocks = paragraphs(fields.body)
    html: list[str] = []
    preheader = " ".join(fields.preheader.split())
    heading = " ".join(fields.heading.split())
    label = " ".join(fields.button_label.split())
    if preheader:
        hidden = html_piece(preheader)
        html.append(f'<div class="preheader" style="{PREHEADER_STYLE}">{hidden}</div>')
    if heading:
        html.append(f'<h1 style="{HEADING_STYLE}">{html_piece(heading)}</h1>')
    html.extend(f"<p>{'<br>'.join(html_piece(line) for line in lines)}</p>" for lines in blocks)
    if fields.show_code:
        html.append(_DISCOUNT_HTML[locale])
    if frame.block_html:
        html.append(frame.block_html)
    link = "{{ " + frame.link + " }}"
    if label:
        html.append(button(link, html_piece(label)))

    chunks = [text_piece(heading)] if heading else []
    chunks.extend("\n".join(text_piece(line) for line in lines) for lines in blocks)
    text = "\n\n".join(chunks) + "\n"
    if fields.show_code:
        text += _DISCOUNT_TEXT[locale]
    if frame.block_text:
        text += "\n" + frame.block_text + "\n"
    if label:
        text += f"\n{text_piece(label)}{_COLON[locale]}{link}\n"
    return TemplateSource(
        subject=text_piece(" ".join(fields.subject.split())),
        html="\n".join(html),
        text=text,
    )


def compile_template(fields: EmailFields, frame: Frame, locale: Locale) -> TemplateSource:
    """The template of structured fields whose text may use the template variables."""
    return _compile(
        fields_as_template(fields, frame),
        frame,
        locale,
        html_piece=_template_html,
        text_piece=_template_text,
    )


def compile_literal(fields: EmailFields, frame: Frame, locale: Locale) -> TemplateSource:
    """The template of one message's final words: nothing in the fields is a variable; the
    frame (the code, the cart's items, the button's link) still renders from the message's
    own data."""
    return _compile(fields, frame, locale, html_piece=_literal, text_piece=_literal)


def oversized_field(fields: EmailFields) -> tuple[str, int] | None:
    """The first field longer than the form accepts, with its limit."""
    for name, limit in MAX_FIELD_CHARS.items():
        if len(getattr(fields, name)) > limit:
            return name, limit
    return None


class EmailBook:
    """The structured defaults of this build by (scenario, step, locale): the steps whose
    template a merchant can edit as fields. A step without one is edited as a template only."""

    def __init__(self, defaults: Mapping[tuple[str, int, Locale], StructuredDefault]) -> None:
        self._defaults = dict(defaults)

    def default(self, scenario: str, step: int, locale: Locale) -> StructuredDefault | None:
        return self._defaults.get((scenario, step, locale)) or self._defaults.get(
            (scenario, step, "en")
        )


# Where a session carries the process's book (see app.platform.composition).
SESSION_KEY = "boomerang.structured_emails"
_EMPTY = EmailBook({})


def email_book_of(session: AsyncSession) -> EmailBook:
    book = session.info.get(SESSION_KEY)
    return book if isinstance(book, EmailBook) else _EMPTY
