"""Compiling an email's simple form into its template: deterministic, the merchant's literal
text escaped in the HTML part, and, for one message's final words, nothing read as a
variable, whatever characters the merchant typed."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from app.messaging.structured import EmailFields, Frame, compile_literal, compile_template
from app.messaging.templates import render

FRAME = Frame(link="checkout_url", block_html="<p>ITEMS</p>", block_text="ITEMS")
CONTEXT = {
    "first_name": "Zoé",
    "shop_name": "Acme",
    "checkout_url": "https://acme.test/c",
    "discount_code": "ACME-X1",
}


BASE = EmailFields(
    subject="Hello {{ first_name }}",
    preheader="",
    heading="For {{ first_name }}",
    body="Line one\nline two\n\n\n<b>bold?</b> & more",
    button_label="Go",
    show_code=False,
)


def _fields(**changes: Any) -> EmailFields:
    return replace(BASE, **changes)


def test_the_same_fields_compile_into_the_same_template() -> None:
    assert compile_template(_fields(), FRAME, "en") == compile_template(_fields(), FRAME, "en")
    assert compile_template(_fields(), FRAME, "en") != compile_template(_fields(), FRAME, "fr")


def test_template_text_keeps_variables_and_escapes_the_literal_html() -> None:
    rendered = render(compile_template(_fields(), FRAME, "en"), CONTEXT, "en")
    assert rendered.subject == "Hello Zoé"
    assert ">For Zoé</h1>" in rendered.html
    assert "<p>Line one<br>line two</p>" in rendered.html
    assert "<p>&lt;b&gt;bold?&lt;/b&gt; &amp; more</p>" in rendered.html
    assert "<b>bold?</b> & more" in rendered.text
    # The frame: the block, and the button to the step's link.
    assert "<p>ITEMS</p>" in rendered.html
    assert 'href="https://acme.test/c">Go</a>' in rendered.html
    assert "Go: https://acme.test/c" in rendered.text
    assert "ACME-X1" not in rendered.html  # the code block is off


def test_the_code_block_shows_the_code_in_the_emails_language() -> None:
    rendered = render(compile_template(_fields(show_code=True), FRAME, "fr"), CONTEXT, "fr")
    assert "Utilisez le code <strong>ACME-X1</strong>" in rendered.html
    assert "Go : https://acme.test/c" in rendered.text


def test_a_messages_final_words_are_never_read_as_template() -> None:
    tricky = 'Quote " and \\ backslash, {{ first_name }}, {% if x %}, \\u00e9, emoji 🙂'
    fields = _fields(subject=tricky, heading=tricky, body=f"{tricky}\n\n<i>{tricky}</i>")
    rendered = render(compile_literal(fields, FRAME, "en"), CONTEXT, "en")
    assert rendered.subject == tricky
    escaped = tricky.replace("&", "&amp;").replace('"', "&#34;")
    assert f">{escaped}</h1>" in rendered.html
    assert f"&lt;i&gt;{escaped}&lt;/i&gt;" in rendered.html
    assert f"{tricky}\n\n{tricky}\n\n<i>{tricky}</i>" in rendered.text
    # The frame still renders from the message's own data.
    assert 'href="https://acme.test/c">Go</a>' in rendered.html
