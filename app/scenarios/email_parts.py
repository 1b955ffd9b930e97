"""The greeting the journeys' default emails open their text with, in English and French: a
structured field's plain text, as the merchant sees it in the editor (compiled, a missing first
name leaves no gap: "Hi,"); the rest of an email's shape (the discount paragraph, the button)
is app/messaging/structured.py's."""

from __future__ import annotations

from app.i18n import Text

HELLO = Text(en="Hi {{ first_name }},", fr="Bonjour {{ first_name }},")
