"""The greeting the journeys' default emails open their text with, in English and French. Jinja
source, as app/messaging renders it; the rest of an email's shape (the discount paragraph, the
button) is app/messaging/structured.py's."""

from __future__ import annotations

from app.i18n import Text

HELLO = Text(
    en="Hi{% if first_name %} {{ first_name }}{% endif %},",
    fr="Bonjour{% if first_name %} {{ first_name }}{% endif %},",
)
