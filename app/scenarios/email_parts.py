"""The greeting the journeys' default emails open their text with, in English and French: a
structured field's plain text, as the merchant sees it in the editor (compiled, a missing first
name leaves no gap: "Hi,"); the rest of an email's shape (the discount paragraph, the button)
is app/messaging/structured.py's."""

from __future__ import annotations

from app.i18n import Locale, Text
from app.messaging.structured import EmailFields

HELLO = Text(en="Hi {{ first_name }},", fr="Bonjour {{ first_name }},")


def greeting_fields(
    locale: Locale,
    *,
    subject: str,
    preheader: str,
    heading: str,
    lead: str,
    label: str,
    show_code: bool,
) -> EmailFields:
    """A default email's editor fields: the greeting, then `lead`, under `heading`, with a
    button labelled `label` (and the code's paragraph when `show_code`)."""
    return EmailFields(
        subject=subject,
        preheader=preheader,
        heading=heading,
        body=f"{HELLO.in_locale(locale)}\n\n{lead}",
        button_label=label,
        show_code=show_code,
    )
