"""Pieces of the journeys' default emails, in English and French: the greeting, the discount
paragraph (the code itself, not only inside a link some clients rewrite, and the day it stops
working on the shop's calendar) and the button. Jinja source, as app/messaging renders it."""

from __future__ import annotations

from app.i18n import Text

HELLO = Text(
    en="Hi{% if first_name %} {{ first_name }}{% endif %},",
    fr="Bonjour{% if first_name %} {{ first_name }}{% endif %},",
)

DISCOUNT_HTML = Text(
    en="{% if discount_code %}<p>Use code <strong>{{ discount_code }}</strong> at checkout."
    "{% if discount_expires_at %} It is valid until {{ discount_expires_at | date }}."
    "{% endif %}</p>{% endif %}",
    fr="{% if discount_code %}<p>Utilisez le code <strong>{{ discount_code }}</strong> "
    "lors du paiement.{% if discount_expires_at %} Il est valable jusqu'au "
    "{{ discount_expires_at | date }}.{% endif %}</p>{% endif %}",
)

DISCOUNT_TEXT = Text(
    en="{% if discount_code %}\nUse code {{ discount_code }} at checkout."
    "{% if discount_expires_at %} It is valid until {{ discount_expires_at | date }}."
    "{% endif %}\n{% endif %}",
    fr="{% if discount_code %}\nUtilisez le code {{ discount_code }} lors du paiement."
    "{% if discount_expires_at %} Il est valable jusqu'au {{ discount_expires_at | date }}."
    "{% endif %}\n{% endif %}",
)


def button(url: str, label: str) -> str:
    return f'<p><a class="button" href="{url}">{label}</a></p>'
