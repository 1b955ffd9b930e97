"""What the review request says and how the admin names it: default emails per step in English
and French (the merchant may override each per locale), the timeline's labels for its start and
stop reasons, and its priority against other scenarios due the same day, in one
`engine.Content` (CONTENT).

Step variables besides every email's: `products`, the order's products not reviewed yet, each
with `title` and `url` (the hosted form for that product); `url` followed by `&r=N` opens the
form with N stars already chosen (the email's one-click stars); `review_url`, the form for the
whole order."""

from __future__ import annotations

from app.i18n import Locale, Text
from app.messaging.defaults import TemplateSource
from app.messaging.structured import Frame, StructuredDefault, compile_template
from app.scenarios.email_parts import greeting_fields
from app.scenarios.engine import Content
from app.scenarios.review_request.rule import (
    STARTED_ON_FULFILMENT,
    TIMED_FROM_DELIVERY,
    StopReason,
)

KEY = "review_request"
NAME = Text(en="Review requests", fr="Demandes d'avis")
# Below the cart reminders (100: time-critical), above welcome (30) and win-back (10).
PRIORITY = 60

STEP_NAMES: dict[str, Text] = {
    "request": Text(en="Request", fr="Demande"),
    "reminder": Text(en="Reminder", fr="Relance"),
}

STEP_DUE = "review_request_due"
# A run whose order row is gone (the shop's data was erased).
ORDER_MISSING = "order_missing"

REASONS: dict[str, Text] = {
    STEP_DUE: Text(
        en="The delay since the order was fulfilled (or delivered, with the after-delivery "
        "timing) has passed and a product is not reviewed",
        fr="Le délai depuis l'expédition de la commande (ou sa livraison, avec l'envoi après "
        "livraison) est écoulé et un produit n'a pas d'avis",
    ),
    STARTED_ON_FULFILMENT: Text(en="The order was fulfilled", fr="La commande a été expédiée"),
    TIMED_FROM_DELIVERY: Text(
        en="Shopify reported the order delivered: the delay counts from the delivery",
        fr="Shopify a signalé la commande livrée : le délai compte à partir de la livraison",
    ),
    ORDER_MISSING: Text(
        en="The order's data was erased", fr="Les données de la commande ont été effacées"
    ),
    StopReason.SHOP_UNINSTALLED: Text(
        en="Boomerang was uninstalled", fr="Boomerang a été désinstallé"
    ),
    StopReason.SCENARIO_PAUSED: Text(en="The scenario is paused", fr="Le scénario est en pause"),
    StopReason.CUSTOMER_REDACTED: Text(
        en="The customer's data was erased at the shop's request",
        fr="Les données du client ont été effacées à la demande de la boutique",
    ),
    StopReason.NO_CUSTOMER: Text(
        en="The order has no customer to ask", fr="La commande n'a pas de client à solliciter"
    ),
    StopReason.NO_EMAIL: Text(
        en="The customer has no email address", fr="Le client n'a pas d'adresse e-mail"
    ),
    StopReason.NO_MARKETING_CONSENT: Text(
        en="The customer has not agreed to marketing emails",
        fr="Le client n'a pas accepté les e-mails marketing",
    ),
    StopReason.ORDER_CANCELLED: Text(en="The order was cancelled", fr="La commande a été annulée"),
    StopReason.ORDER_REFUNDED: Text(
        en="The order was fully refunded", fr="La commande a été entièrement remboursée"
    ),
    StopReason.NOTHING_TO_REVIEW: Text(
        en="Every product of the order is reviewed",
        fr="Chaque produit de la commande a reçu un avis",
    ),
}

KINDS: dict[str, Text] = {
    "started": Text(en="Review request scheduled", fr="Demande d'avis programmée"),
    "not_started": Text(en="Review request not scheduled", fr="Demande d'avis non programmée"),
    "step_queued": Text(
        en="Review request queued for sending", fr="Demande d'avis mise en file d'envoi"
    ),
    "step_drafted": Text(
        en="Review request drafted (dry run)", fr="Demande d'avis préparée (simulation)"
    ),
    "step_awaiting_approval": Text(
        en="Review request waiting for your approval",
        fr="Demande d'avis en attente de votre validation",
    ),
    "step_suppressed": Text(en="Review request not sent", fr="Demande d'avis non envoyée"),
    "stopped": Text(en="Review requests stopped", fr="Demandes d'avis arrêtées"),
    "retimed": Text(
        en="Review request re-timed from the delivery",
        fr="Demande d'avis reprogrammée à partir de la livraison",
    ),
}

_PRODUCTS_HTML = """
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" class="items">
{% for product in products %}
  <tr><td style="padding:8px 0"><strong>{{ product.title }}</strong><br>
  <span style="font-size:28px;letter-spacing:4px">{% for n in range(1, 6) %}\
<a href="{{ product.url }}&r={{ n }}" title="RATE {{ n }}/5" \
style="color:#f5a623;text-decoration:none">&#9733;</a>{% endfor %}</span></td></tr>
{% endfor %}
</table>"""

_PRODUCTS_TEXT = """{% for product in products %}- {{ product.title }}: {{ product.url }}
{% endfor %}"""


def _products(locale: Locale) -> tuple[str, str]:
    word = "Noter" if locale == "fr" else "Rate"
    return _PRODUCTS_HTML.replace("RATE", word), _PRODUCTS_TEXT


def _email(
    locale: Locale, subject: str, preheader: str, heading: str, lead: str, label: str
) -> StructuredDefault:
    html, text = _products(locale)
    return StructuredDefault(
        greeting_fields(
            locale,
            subject=subject,
            preheader=preheader,
            heading=heading,
            lead=lead,
            label=label,
            show_code=False,
        ),
        Frame(link="review_url", block_html=html, block_text=text),
    )


# By (1-based step, locale): step 2 is the reminder. The template editor's fields, and the
# templates they compile into (what a new shop sends).
EMAILS: dict[tuple[int, Locale], StructuredDefault] = {
    (1, "en"): _email(
        "en",
        "How was your order from {{ shop_name }}?",
        "Tap a star to rate each product.",
        "How was your order?",
        "Thank you for your order! Tap a star to rate each product.",
        "Write a review",
    ),
    (1, "fr"): _email(
        "fr",
        "Que pensez-vous de votre commande chez {{ shop_name }} ?",
        "Touchez une étoile pour noter chaque produit.",
        "Que pensez-vous de votre commande ?",
        "Merci pour votre commande ! Touchez une étoile pour noter chaque produit.",
        "Donner mon avis",
    ),
    (2, "en"): _email(
        "en",
        "A minute to share your thoughts?",
        "It only takes a minute.",
        "Your review helps",
        "Your review helps other customers choose. It only takes a minute.",
        "Write a review",
    ),
    (2, "fr"): _email(
        "fr",
        "Un instant pour donner votre avis ?",
        "Il ne faut qu'une minute.",
        "Votre avis compte",
        "Votre avis aide d'autres clients à choisir. Il ne faut qu'une minute.",
        "Donner mon avis",
    ),
}
TEMPLATES: dict[tuple[int, Locale], TemplateSource] = {
    key: compile_template(email.fields, email.frame, key[1]) for key, email in EMAILS.items()
}

CONTENT = Content(
    templates=TEMPLATES, emails=EMAILS, kinds=KINDS, reasons=REASONS, priority=PRIORITY
)
