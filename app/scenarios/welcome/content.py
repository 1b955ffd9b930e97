"""What the welcome series says and how the admin names it: default emails per step in English
and French (the merchant may override each per locale), the timeline's labels for its start
and stop reasons, its priority against other scenarios due the same day, and what its codes
are for, gathered in one `engine.Content` (CONTENT).

Step variables besides every email's (first_name, shop_name, shop_url, currency, timezone):
discount_code and discount_expires_at when the step carries a code; step 2 gets `products`,
the shop's best-sellers, each with title, url, image_url, price and price_varies."""

from __future__ import annotations

from app.codes.offers import CodePurpose
from app.i18n import Locale, Text
from app.messaging.defaults import TemplateSource
from app.messaging.structured import (
    CodeSubject,
    Frame,
    StructuredDefault,
    compile_template,
)
from app.scenarios.email_parts import greeting_fields
from app.scenarios.engine import Content
from app.scenarios.welcome.rule import STARTED_ON_SIGN_UP, STARTED_ON_SUBSCRIBE, StopReason

KEY = "welcome"
NAME = Text(en="Welcome series", fr="Série de bienvenue")
# Below the cart reminders (100: time-critical) and review requests (60): a welcome can wait a
# day when the frequency cap allows one email.
PRIORITY = 30
CODE_PURPOSE = CodePurpose.WELCOME

STEP_NAMES: dict[str, Text] = {
    "welcome": Text(en="Welcome", fr="Bienvenue"),
    "best_sellers": Text(en="Best-sellers", fr="Meilleures ventes"),
    "offer": Text(en="Offer", fr="Offre"),
}

# Why a step goes, and why the best-sellers step may have nothing to show.
STEP_DUE = "welcome_step_due"
NO_PRODUCTS = "no_products_to_show"

REASONS: dict[str, Text] = {
    STEP_DUE: Text(
        en="The step's delay since the sign-up has passed and the customer has not ordered",
        fr="Le délai de l'étape depuis l'inscription est écoulé et le client n'a pas commandé",
    ),
    NO_PRODUCTS: Text(
        en="The shop has no product on sale to show",
        fr="La boutique n'a aucun produit en vente à présenter",
    ),
    "attributed_via_welcome_email": Text(
        en="The customer placed their first order after a welcome email",
        fr="Le client a passé sa première commande après un e-mail de bienvenue",
    ),
    STARTED_ON_SIGN_UP: Text(
        en="A new customer signed up with marketing consent",
        fr="Un nouveau client s'est inscrit en acceptant les e-mails marketing",
    ),
    STARTED_ON_SUBSCRIBE: Text(
        en="The customer agreed to marketing emails",
        fr="Le client a accepté les e-mails marketing",
    ),
    StopReason.SHOP_UNINSTALLED: Text(
        en="Boomerang was uninstalled", fr="Boomerang a été désinstallé"
    ),
    StopReason.SCENARIO_PAUSED: Text(en="The scenario is paused", fr="Le scénario est en pause"),
    StopReason.CUSTOMER_REDACTED: Text(
        en="The customer's data was erased at the shop's request",
        fr="Les données du client ont été effacées à la demande de la boutique",
    ),
    StopReason.NOT_A_SIGN_UP: Text(
        en="The customer's account is not a new sign-up (it was created before Boomerang saw "
        "it): the series welcomes new accounts",
        fr="Le compte du client n'est pas une nouvelle inscription (il a été créé avant que "
        "Boomerang le voie) : la série accueille les nouveaux comptes",
    ),
    StopReason.NO_EMAIL: Text(
        en="The customer has no email address", fr="Le client n'a pas d'adresse e-mail"
    ),
    StopReason.NO_MARKETING_CONSENT: Text(
        en="The customer has not agreed to marketing emails",
        fr="Le client n'a pas accepté les e-mails marketing",
    ),
    StopReason.CUSTOMER_ORDERED: Text(
        en="The customer placed their first order", fr="Le client a passé sa première commande"
    ),
}

# The series' own words for the generic timeline kinds.
KINDS: dict[str, Text] = {
    "started": Text(en="Welcome series started", fr="Série de bienvenue démarrée"),
    "not_started": Text(en="Welcome series not started", fr="Série de bienvenue non démarrée"),
    "step_queued": Text(
        en="Welcome email queued for sending", fr="E-mail de bienvenue mis en file d'envoi"
    ),
    "step_drafted": Text(
        en="Welcome email drafted (dry run)", fr="E-mail de bienvenue préparé (simulation)"
    ),
    "step_awaiting_approval": Text(
        en="Welcome email waiting for your approval",
        fr="E-mail de bienvenue en attente de votre validation",
    ),
    "step_suppressed": Text(en="Welcome email not sent", fr="E-mail de bienvenue non envoyé"),
    "stopped": Text(en="Welcome series stopped", fr="Série de bienvenue arrêtée"),
    "recovered": Text(en="First order attributed", fr="Première commande attribuée"),
}

# Shopify's discount title, read by the merchant in their admin.
DISCOUNT_TITLE = Text(en="Boomerang welcome offer", fr="Offre de bienvenue Boomerang")

_PRODUCTS_HTML = """
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" class="items">
{% for product in products %}
  <tr>
    <td width="80" valign="top">{% if product.image_url %}<img src="{{ product.image_url }}"
      width="72" alt="{{ product.title }}" style="border-radius:6px">{% endif %}</td>
    <td valign="top"><a href="{{ product.url }}"><strong>{{ product.title }}</strong></a></td>
    <td valign="top" align="right">{% if product.price_varies %}FROM {% endif %}\
{{ product.price | money }}</td>
  </tr>
{% endfor %}
</table>"""

_PRODUCTS_TEXT = """{% for product in products %}- {{ product.title }}: \
{% if product.price_varies %}FROM {% endif %}{{ product.price | money }} {{ product.url }}
{% endfor %}"""


def _products(locale: Locale) -> tuple[str, str]:
    word = "à partir de" if locale == "fr" else "from"
    return _PRODUCTS_HTML.replace("FROM", word), _PRODUCTS_TEXT.replace("FROM", word)


def _email(
    locale: Locale,
    subject: str | CodeSubject,
    preheader: str,
    heading: str,
    lead: str,
    label: str,
    *,
    products: bool = False,
) -> StructuredDefault:
    html, text = _products(locale) if products else ("", "")
    code_subject = subject if isinstance(subject, CodeSubject) else None
    return StructuredDefault(
        greeting_fields(
            locale,
            subject=code_subject.with_code if code_subject is not None else str(subject),
            preheader=preheader,
            heading=heading,
            lead=lead,
            label=label,
            show_code=True,
        ),
        Frame(link="shop_url", block_html=html, block_text=text, code_subject=code_subject),
    )


# The default emails by (1-based step, locale), as the template editor's fields, and the
# templates they compile into (what a new shop sends).
EMAILS: dict[tuple[int, Locale], StructuredDefault] = {
    (1, "en"): _email(
        "en",
        "Welcome to {{ shop_name }}",
        "We are glad you are here.",
        "Welcome!",
        "Welcome! We are glad you are here.",
        "Visit the shop",
    ),
    (1, "fr"): _email(
        "fr",
        "Bienvenue chez {{ shop_name }}",
        "Nous sommes ravis de vous compter parmi nous.",
        "Bienvenue !",
        "Bienvenue ! Nous sommes ravis de vous compter parmi nous.",
        "Découvrir la boutique",
    ),
    (2, "en"): _email(
        "en",
        "Our customers' favourites at {{ shop_name }}",
        "Here is what our customers buy most.",
        "Our customers' favourites",
        "Here is what our customers buy most.",
        "See the whole shop",
        products=True,
    ),
    (2, "fr"): _email(
        "fr",
        "Les préférés de nos clients chez {{ shop_name }}",
        "Voici ce que nos clients achètent le plus.",
        "Les préférés de nos clients",
        "Voici ce que nos clients achètent le plus.",
        "Voir toute la boutique",
        products=True,
    ),
    (3, "en"): _email(
        "en",
        CodeSubject("A gift for your first order", "Ready for your first order?"),
        "An offer on your first order.",
        "Ready for your first order?",
        "To welcome you, here is an offer on your first order at {{ shop_name }}.",
        "Shop now",
    ),
    (3, "fr"): _email(
        "fr",
        CodeSubject(
            "Un cadeau pour votre première commande", "Prêt(e) pour votre première commande ?"
        ),
        "Une offre pour votre première commande.",
        "Prêt(e) pour votre première commande ?",
        "Pour vous souhaiter la bienvenue, voici une offre pour votre première commande chez "
        "{{ shop_name }}.",
        "J'en profite",
    ),
}
TEMPLATES: dict[tuple[int, Locale], TemplateSource] = {
    key: compile_template(email.fields, email.frame, key[1]) for key, email in EMAILS.items()
}

CONTENT = Content(
    templates=TEMPLATES,
    emails=EMAILS,
    kinds=KINDS,
    reasons=REASONS,
    priority=PRIORITY,
    code_purpose=CODE_PURPOSE,
    discount_title=DISCOUNT_TITLE,
)
