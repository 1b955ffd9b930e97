"""What the reviews program says to shoppers: the thank-you email that carries a review's
single-use code (loyalty off), default wording in English and French as structured fields (the
merchant may override it per locale like any scenario's). Its outbox key is the program's,
`reviews` (PROGRAM_KEY), so it takes the merchant's mode for the reviews program's emails
(live, approval, dry run, paused), the shop's frequency cap and quiet hours, and the shopper's
consent, as every scenario's email does.

Variables besides every email's (first_name, shop_name, shop_url, currency, timezone,
unsubscribe_url): product_title (the product reviewed), reward (what the code takes off:
"10%", "10 %" in French), discount_code and discount_expires_at (a date-time, or none)."""

from __future__ import annotations

from app.i18n import Locale
from app.messaging.defaults import TemplateSource
from app.messaging.structured import Frame, StructuredDefault, compile_template
from app.scenarios.email_parts import greeting_fields

PROGRAM_KEY = "reviews"

# Steps of the program's outbox key (each its own template).
REWARD_CODE = 1

# A thank-you the shopper is waiting for: above the review requests (60), below the cart
# reminders (100), so the frequency cap lets it go first on a day with a request due.
PRIORITY = 70


def _email(
    locale: Locale, subject: str, preheader: str, heading: str, lead: str, label: str
) -> StructuredDefault:
    return StructuredDefault(
        greeting_fields(
            locale,
            subject=subject,
            preheader=preheader,
            heading=heading,
            lead=lead,
            label=label,
            show_code=True,
        ),
        Frame(link="shop_url"),
    )


# By (step, locale): the template editor's fields, and the templates they compile into.
EMAILS: dict[tuple[int, Locale], StructuredDefault] = {
    (REWARD_CODE, "en"): _email(
        "en",
        "Thank you for your review: {{ reward }} off your next order",
        "Your code for {{ reward }} off at {{ shop_name }}.",
        "Thank you for your review",
        "Thank you for reviewing {{ product_title }}. Here is {{ reward }} off your next "
        "order at {{ shop_name }}, with a code for you alone.",
        "Shop now",
    ),
    (REWARD_CODE, "fr"): _email(
        "fr",
        "Merci pour votre avis : {{ reward }} de réduction sur votre prochaine commande",
        "Votre code de {{ reward }} de réduction chez {{ shop_name }}.",
        "Merci pour votre avis",
        "Merci d'avoir donné votre avis sur {{ product_title }}. Voici {{ reward }} de "
        "réduction sur votre prochaine commande chez {{ shop_name }}, avec un code rien que "
        "pour vous.",
        "Retourner à la boutique",
    ),
}
TEMPLATES: dict[tuple[int, Locale], TemplateSource] = {
    key: compile_template(email.fields, email.frame, key[1]) for key, email in EMAILS.items()
}
