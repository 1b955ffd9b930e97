"""What the abandoned cart says and how it ranks: its default emails in English and French,
its timeline wording and reasons, its priority among the scenarios, and its codes' purpose."""

from __future__ import annotations

from dataclasses import replace

from app.codes.offers import CodePurpose
from app.i18n import Text
from app.messaging.defaults import TemplateSource
from app.messaging.i18n import Locale
from app.messaging.structured import (
    CodeSubject,
    EmailFields,
    Frame,
    StructuredDefault,
    compile_template,
)
from app.scenarios.email_parts import HELLO
from app.scenarios.engine import Content

KEY = "abandoned_cart"

# Why a run stops or does not start, as the timeline stores them.
CHECKOUT_COMPLETED = "checkout_completed"
ORDER_PLACED = "order_placed_for_checkout"
CUSTOMER_ORDERED = "customer_placed_another_order"
CHECKOUT_EMPTIED = "checkout_emptied"
SUPERSEDED = "superseded_by_newer_checkout"
UNSUBSCRIBED = "customer_unsubscribed"
NO_CONSENT = "no_marketing_consent"
SHOP_UNINSTALLED = "shop_uninstalled"
SCENARIO_PAUSED = "scenario_paused"
NO_CONTACT = "no_contact_email"
# Why a step or a reminder waits: more order and checkout deliveries wait to be processed than
# a check reads (app/inbox/backlog.py), so whether the cart was bought is not known yet.
INBOX_BEHIND = "inbox_behind"
# Why a run starts, and why a step goes.
ABANDONED = "checkout_abandoned"
NOT_COMPLETED = "checkout_not_completed"
# How a recovered order was attributed: attributed_via_{checkout_token,engaged_customer}.
VIA_CHECKOUT = "checkout_token"
VIA_ENGAGEMENT = "engaged_customer"

REASONS: dict[str, Text] = {
    ABANDONED: Text(
        en="The checkout has a contact and items and was not completed",
        fr="Le paiement a un contact et des articles et n'a pas été finalisé",
    ),
    NOT_COMPLETED: Text(
        en="The checkout was still not completed after the step's delay",
        fr="Le paiement n'était toujours pas finalisé après le délai de l'étape",
    ),
    CHECKOUT_COMPLETED: Text(en="The checkout was completed", fr="Le paiement a été finalisé"),
    ORDER_PLACED: Text(
        en="An order was placed for this checkout", fr="Une commande a été passée pour ce paiement"
    ),
    CUSTOMER_ORDERED: Text(
        en="The customer placed another order meanwhile",
        fr="Le client a passé une autre commande entre-temps",
    ),
    CHECKOUT_EMPTIED: Text(en="The cart was emptied", fr="Le panier a été vidé"),
    SUPERSEDED: Text(
        en="The customer started a newer checkout",
        fr="Le client a commencé un paiement plus récent",
    ),
    NO_CONTACT: Text(
        en="The checkout has no email address", fr="Le paiement n'a pas d'adresse e-mail"
    ),
    INBOX_BEHIND: Text(
        en="Orders from Shopify are still waiting to be processed, so whether this cart was "
        "bought is not known yet: checked again in a moment",
        fr="Des commandes reçues de Shopify attendent encore d'être traitées : on ne sait pas "
        "encore si ce panier a été acheté, nouvelle vérification dans un instant",
    ),
    f"attributed_via_{VIA_CHECKOUT}": Text(
        en="The reminded checkout became this order",
        fr="Le paiement relancé est devenu cette commande",
    ),
    f"attributed_via_{VIA_ENGAGEMENT}": Text(
        en="The customer opened or clicked a reminder, then ordered",
        fr="Le client a ouvert ou cliqué une relance, puis a commandé",
    ),
}

# The cart's own words for the generic timeline kinds.
KINDS: dict[str, Text] = {
    "started": Text(en="Reminder sequence started", fr="Séquence de relance démarrée"),
    "not_started": Text(en="Reminder sequence not started", fr="Séquence de relance non démarrée"),
    "step_queued": Text(en="Reminder queued for sending", fr="Relance mise en file d'envoi"),
    "step_drafted": Text(en="Reminder drafted (dry run)", fr="Relance préparée (simulation)"),
    "step_awaiting_approval": Text(
        en="Reminder waiting for your approval", fr="Relance en attente de votre validation"
    ),
    "step_suppressed": Text(en="Reminder not sent", fr="Relance non envoyée"),
    "stopped": Text(en="Reminder sequence stopped", fr="Séquence de relance arrêtée"),
    "recovered": Text(en="Order recovered", fr="Commande récupérée"),
}

_ITEMS_HTML = """
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" class="items">
{% for item in items %}
  <tr>
    <td width="80" valign="top">{% if item.image_url %}<img src="{{ item.image_url }}"
      width="72" alt="{{ item.title }}" style="border-radius:6px">{% endif %}</td>
    <td valign="top"><strong>{{ item.title }}</strong>{% if item.variant_title %}<br>
      <span class="muted">{{ item.variant_title }}</span>{% endif %}<br>
      <span class="muted">× {{ item.quantity }}</span></td>
    <td valign="top" align="right">{{ item.price | money }}</td>
  </tr>
{% endfor %}
  <tr><td></td><td align="right"><strong>{TOTAL}</strong></td>
    <td align="right"><strong>{{ cart_total | money }}</strong></td></tr>
</table>"""

_ITEMS_TEXT = """{% for item in items %}- {{ item.title }}{% if item.variant_title %} \
({{ item.variant_title }}){% endif %} × {{ item.quantity }}: {{ item.price | money }}
{% endfor %}{TOTAL}: {{ cart_total | money }}"""


def _items(locale: Locale) -> tuple[str, str]:
    total = "Total"  # the same word in both languages
    return _ITEMS_HTML.replace("{TOTAL}", total), _ITEMS_TEXT.replace("{TOTAL}", total)


def _frame(locale: Locale) -> Frame:
    html, text = _items(locale)
    return Frame(link="checkout_url", block_html=html, block_text=text)


def _fields(
    subject: str, preheader: str, heading: str, hello: str, lead: str, label: str
) -> EmailFields:
    return EmailFields(
        subject=subject,
        preheader=preheader,
        heading=heading,
        body=f"{hello}\n\n{lead}",
        button_label=label,
        # A discount the merchant sets on a reminder is said, not only in the link.
        show_code=True,
    )


HELLO_EN, HELLO_FR = HELLO.en, HELLO.fr
# The last reminder's subject says the gift when it carries a code.
_CODE_SUBJECTS: dict[tuple[int, Locale], CodeSubject] = {
    (3, "en"): CodeSubject("A little something to finish your order", "Last reminder: your cart"),
    (3, "fr"): CodeSubject(
        "Un petit geste pour finaliser votre commande", "Dernier rappel : votre panier"
    ),
}

_DEFAULT_FIELDS: dict[tuple[int, Locale], EmailFields] = {
    (1, "en"): _fields(
        "{{ first_name }}, you left something in your cart",
        "Your cart at {{ shop_name }} is saved for you.",
        "Your cart is waiting",
        HELLO_EN,
        "Your cart at {{ shop_name }} is saved for you.",
        "Return to your cart",
    ),
    (1, "fr"): _fields(
        "{{ first_name }}, vous avez oublié quelque chose dans votre panier",
        "Votre panier chez {{ shop_name }} vous attend.",
        "Votre panier vous attend",
        HELLO_FR,
        "Votre panier chez {{ shop_name }} vous attend.",
        "Retrouver mon panier",
    ),
    (2, "en"): _fields(
        "Still thinking it over?",
        "The items in your cart are still available.",
        "Still thinking it over?",
        HELLO_EN,
        "The items in your cart are still available, but we cannot hold them forever.",
        "Complete your order",
    ),
    (2, "fr"): _fields(
        "Vous hésitez encore ?",
        "Les articles de votre panier sont encore disponibles.",
        "Vous hésitez encore ?",
        HELLO_FR,
        "Les articles de votre panier sont encore disponibles, "
        "mais nous ne pouvons pas les garder indéfiniment.",
        "Finaliser ma commande",
    ),
    (3, "en"): _fields(
        _CODE_SUBJECTS[3, "en"].with_code,
        "This is our last reminder about your cart.",
        "Last reminder",
        HELLO_EN,
        "This is our last reminder about your cart.",
        "Complete your order",
    ),
    (3, "fr"): _fields(
        _CODE_SUBJECTS[3, "fr"].with_code,
        "C'est notre dernier rappel au sujet de votre panier.",
        "Dernier rappel",
        HELLO_FR,
        "C'est notre dernier rappel au sujet de votre panier.",
        "Finaliser ma commande",
    ),
}

# The default emails as fields (the template editor's simple form), and the templates they
# compile into: what a new shop sends.
EMAILS: dict[tuple[int, Locale], StructuredDefault] = {
    key: StructuredDefault(fields, replace(_frame(key[1]), code_subject=_CODE_SUBJECTS.get(key)))
    for key, fields in _DEFAULT_FIELDS.items()
}
TEMPLATES: dict[tuple[int, Locale], TemplateSource] = {
    key: compile_template(email.fields, email.frame, key[1]) for key, email in EMAILS.items()
}

CONTENT = Content(
    templates=TEMPLATES,
    emails=EMAILS,
    kinds=KINDS,
    reasons=REASONS,
    # A cart reminder goes before any other message due for the shopper at the same time.
    priority=100,
    code_purpose=CodePurpose.CART_RECOVERY,
    discount_title=Text(en="Boomerang: abandoned cart", fr="Boomerang : panier abandonné"),
)
