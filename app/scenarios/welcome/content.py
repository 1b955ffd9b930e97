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
from app.scenarios.email_parts import DISCOUNT_HTML, DISCOUNT_TEXT, HELLO, button
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


def _step_1(locale: Locale) -> TemplateSource:
    hello = HELLO.in_locale(locale)
    if locale == "fr":
        return TemplateSource(
            subject="Bienvenue chez {{ shop_name }}",
            html=f"<p>{hello}</p><p>Bienvenue ! Nous sommes ravis de vous compter parmi "
            "nous.</p>" + DISCOUNT_HTML.fr + button("{{ shop_url }}", "Découvrir la boutique"),
            text=f"{hello}\n\nBienvenue ! Nous sommes ravis de vous compter parmi nous.\n"
            + DISCOUNT_TEXT.fr
            + "\nDécouvrir la boutique : {{ shop_url }}\n",
        )
    return TemplateSource(
        subject="Welcome to {{ shop_name }}",
        html=f"<p>{hello}</p><p>Welcome! We are glad you are here.</p>"
        + DISCOUNT_HTML.en
        + button("{{ shop_url }}", "Visit the shop"),
        text=f"{hello}\n\nWelcome! We are glad you are here.\n"
        + DISCOUNT_TEXT.en
        + "\nVisit the shop: {{ shop_url }}\n",
    )


def _step_2(locale: Locale) -> TemplateSource:
    hello = HELLO.in_locale(locale)
    html, text = _products(locale)
    if locale == "fr":
        return TemplateSource(
            subject="Les préférés de nos clients chez {{ shop_name }}",
            html=f"<p>{hello}</p><p>Voici ce que nos clients achètent le plus.</p>"
            + html
            + DISCOUNT_HTML.fr
            + button("{{ shop_url }}", "Voir toute la boutique"),
            text=f"{hello}\n\nVoici ce que nos clients achètent le plus.\n\n"
            + text
            + DISCOUNT_TEXT.fr
            + "\nVoir toute la boutique : {{ shop_url }}\n",
        )
    return TemplateSource(
        subject="Our customers' favourites at {{ shop_name }}",
        html=f"<p>{hello}</p><p>Here is what our customers buy most.</p>"
        + html
        + DISCOUNT_HTML.en
        + button("{{ shop_url }}", "See the whole shop"),
        text=f"{hello}\n\nHere is what our customers buy most.\n\n"
        + text
        + DISCOUNT_TEXT.en
        + "\nSee the whole shop: {{ shop_url }}\n",
    )


def _step_3(locale: Locale) -> TemplateSource:
    hello = HELLO.in_locale(locale)
    if locale == "fr":
        return TemplateSource(
            subject="{% if discount_code %}Un cadeau pour votre première commande"
            "{% else %}Prêt(e) pour votre première commande ?{% endif %}",
            html=f"<p>{hello}</p><p>Pour vous souhaiter la bienvenue, voici une offre pour "
            "votre première commande chez {{ shop_name }}.</p>"
            + DISCOUNT_HTML.fr
            + button("{{ shop_url }}", "J'en profite"),
            text=f"{hello}\n\nPour vous souhaiter la bienvenue, voici une offre pour votre "
            "première commande chez {{ shop_name }}.\n" + DISCOUNT_TEXT.fr + "\nJ'en profite : "
            "{{ shop_url }}\n",
        )
    return TemplateSource(
        subject="{% if discount_code %}A gift for your first order"
        "{% else %}Ready for your first order?{% endif %}",
        html=f"<p>{hello}</p><p>To welcome you, here is an offer on your first order at "
        "{{ shop_name }}.</p>" + DISCOUNT_HTML.en + button("{{ shop_url }}", "Shop now"),
        text=f"{hello}\n\nTo welcome you, here is an offer on your first order at "
        "{{ shop_name }}.\n" + DISCOUNT_TEXT.en + "\nShop now: {{ shop_url }}\n",
    )


# The default emails by (1-based step, locale).
TEMPLATES: dict[tuple[int, Locale], TemplateSource] = {
    (number, locale): build(locale)
    for number, build in enumerate((_step_1, _step_2, _step_3), start=1)
    for locale in ("en", "fr")
}

CONTENT = Content(
    templates=TEMPLATES,
    kinds=KINDS,
    reasons=REASONS,
    priority=PRIORITY,
    code_purpose=CODE_PURPOSE,
    discount_title=DISCOUNT_TITLE,
)
