"""Boomerang's own wording for each scenario step, in English and French. The merchant can
override any of them per locale (message_templates); these are what a new shop sends.

Variables every template gets: first_name, shop_name, shop_url, locale, currency and
timezone (the shop's, for dates). Scenario context adds: items (title, variant_title,
quantity, price, image_url), cart_total, checkout_url, discount_code, discount_expires_at,
points_balance, points_earned, tier, referral_url, reward, review_url. Filters: `money`
(amount in the message's currency and locale) and `date` (an ISO date or date-time in the
locale's words, on the shop's calendar)."""

from __future__ import annotations

from dataclasses import dataclass

from app.messaging.i18n import Locale


@dataclass(frozen=True)
class TemplateSource:
    subject: str
    html: str
    text: str


_CART_ITEMS_HTML = """
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

_CART_ITEMS_TEXT = """{% for item in items %}- {{ item.title }}{% if item.variant_title %} \
({{ item.variant_title }}){% endif %} × {{ item.quantity }}: {{ item.price | money }}
{% endfor %}{TOTAL}: {{ cart_total | money }}"""

_BUTTON = '<p><a class="button" href="URL">LABEL</a></p>'


def _button(url: str, label: str) -> str:
    return _BUTTON.replace("URL", url).replace("LABEL", label)


def _cart(locale: Locale) -> tuple[str, str]:
    total = "Total"  # the same word in both languages
    return _CART_ITEMS_HTML.replace("{TOTAL}", total), _CART_ITEMS_TEXT.replace("{TOTAL}", total)


_EN_CART_HTML, _EN_CART_TEXT = _cart("en")
_FR_CART_HTML, _FR_CART_TEXT = _cart("fr")

# Shown whenever the step carries a code: the code itself (not only inside the link, which
# some clients rewrite or strip) and the day it stops working, in the shop's time zone.
_DISCOUNT_EN = (
    "{% if discount_code %}<p>Use code <strong>{{ discount_code }}</strong> at checkout."
    "{% if discount_expires_at %} It is valid until {{ discount_expires_at | date }}."
    "{% endif %}</p>{% endif %}"
)
_DISCOUNT_EN_TEXT = (
    "{% if discount_code %}\nUse code {{ discount_code }} at checkout."
    "{% if discount_expires_at %} It is valid until {{ discount_expires_at | date }}."
    "{% endif %}\n{% endif %}"
)
_DISCOUNT_FR = (
    "{% if discount_code %}<p>Utilisez le code <strong>{{ discount_code }}</strong> "
    "lors du paiement.{% if discount_expires_at %} Il est valable jusqu'au "
    "{{ discount_expires_at | date }}.{% endif %}</p>{% endif %}"
)
_DISCOUNT_FR_TEXT = (
    "{% if discount_code %}\nUtilisez le code {{ discount_code }} lors du paiement."
    "{% if discount_expires_at %} Il est valable jusqu'au {{ discount_expires_at | date }}."
    "{% endif %}\n{% endif %}"
)

_HELLO_EN = "Hi{% if first_name %} {{ first_name }}{% endif %},"
_HELLO_FR = "Bonjour{% if first_name %} {{ first_name }}{% endif %},"

DEFAULTS: dict[tuple[str, int, Locale], TemplateSource] = {
    ("abandoned_cart", 1, "en"): TemplateSource(
        subject="{% if first_name %}{{ first_name }}, you{% else %}You{% endif %} "
        "left something in your cart",
        html=f"<p>{_HELLO_EN}</p><p>Your cart at {{{{ shop_name }}}} is saved for you.</p>"
        + _EN_CART_HTML
        + _button("{{ checkout_url }}", "Return to your cart"),
        text=f"{_HELLO_EN}\n\nYour cart at {{{{ shop_name }}}} is saved for you.\n\n"
        + _EN_CART_TEXT
        + "\n\nReturn to your cart: {{ checkout_url }}\n",
    ),
    ("abandoned_cart", 1, "fr"): TemplateSource(
        subject="{% if first_name %}{{ first_name }}, vous{% else %}Vous{% endif %} "
        "avez oublié quelque chose dans votre panier",
        html=f"<p>{_HELLO_FR}</p><p>Votre panier chez {{{{ shop_name }}}} vous attend.</p>"
        + _FR_CART_HTML
        + _button("{{ checkout_url }}", "Retrouver mon panier"),
        text=f"{_HELLO_FR}\n\nVotre panier chez {{{{ shop_name }}}} vous attend.\n\n"
        + _FR_CART_TEXT
        + "\n\nRetrouver mon panier : {{ checkout_url }}\n",
    ),
    ("abandoned_cart", 2, "en"): TemplateSource(
        subject="Still thinking it over?",
        html=f"<p>{_HELLO_EN}</p><p>The items in your cart are still available, "
        "but we cannot hold them forever.</p>"
        + _DISCOUNT_EN
        + _EN_CART_HTML
        + _button("{{ checkout_url }}", "Complete your order"),
        text=f"{_HELLO_EN}\n\nThe items in your cart are still available, "
        "but we cannot hold them forever.\n"
        + _DISCOUNT_EN_TEXT
        + "\n"
        + _EN_CART_TEXT
        + "\n\nComplete your order: {{ checkout_url }}\n",
    ),
    ("abandoned_cart", 2, "fr"): TemplateSource(
        subject="Vous hésitez encore ?",
        html=f"<p>{_HELLO_FR}</p><p>Les articles de votre panier sont encore disponibles, "
        "mais nous ne pouvons pas les garder indéfiniment.</p>"
        + _DISCOUNT_FR
        + _FR_CART_HTML
        + _button("{{ checkout_url }}", "Finaliser ma commande"),
        text=f"{_HELLO_FR}\n\nLes articles de votre panier sont encore disponibles, "
        "mais nous ne pouvons pas les garder indéfiniment.\n"
        + _DISCOUNT_FR_TEXT
        + "\n"
        + _FR_CART_TEXT
        + "\n\nFinaliser ma commande : {{ checkout_url }}\n",
    ),
    ("abandoned_cart", 3, "en"): TemplateSource(
        subject="{% if discount_code %}A little something to finish your order"
        "{% else %}Last reminder: your cart{% endif %}",
        html=f"<p>{_HELLO_EN}</p><p>This is our last reminder about your cart.</p>"
        + _DISCOUNT_EN
        + _EN_CART_HTML
        + _button("{{ checkout_url }}", "Complete your order"),
        text=f"{_HELLO_EN}\n\nThis is our last reminder about your cart.\n"
        + _DISCOUNT_EN_TEXT
        + "\n"
        + _EN_CART_TEXT
        + "\n\nComplete your order: {{ checkout_url }}\n",
    ),
    ("abandoned_cart", 3, "fr"): TemplateSource(
        subject="{% if discount_code %}Un petit geste pour finaliser votre commande"
        "{% else %}Dernier rappel : votre panier{% endif %}",
        html=f"<p>{_HELLO_FR}</p><p>C'est notre dernier rappel au sujet de votre panier.</p>"
        + _DISCOUNT_FR
        + _FR_CART_HTML
        + _button("{{ checkout_url }}", "Finaliser ma commande"),
        text=f"{_HELLO_FR}\n\nC'est notre dernier rappel au sujet de votre panier.\n"
        + _DISCOUNT_FR_TEXT
        + "\n"
        + _FR_CART_TEXT
        + "\n\nFinaliser ma commande : {{ checkout_url }}\n",
    ),
    ("review_request", 1, "en"): TemplateSource(
        subject="How do you like your order from {{ shop_name }}?",
        html=f"<p>{_HELLO_EN}</p><p>We hope you are enjoying your purchase. "
        "Would you tell other shoppers what you think?</p>"
        + _button("{{ review_url }}", "Write a review"),
        text=f"{_HELLO_EN}\n\nWe hope you are enjoying your purchase. Would you tell other "
        "shoppers what you think?\n\nWrite a review: {{ review_url }}\n",
    ),
    ("review_request", 1, "fr"): TemplateSource(
        subject="Que pensez-vous de votre commande chez {{ shop_name }} ?",
        html=f"<p>{_HELLO_FR}</p><p>Nous espérons que votre achat vous plaît. "
        "Voulez-vous donner votre avis aux autres clients ?</p>"
        + _button("{{ review_url }}", "Donner mon avis"),
        text=f"{_HELLO_FR}\n\nNous espérons que votre achat vous plaît. Voulez-vous donner "
        "votre avis aux autres clients ?\n\nDonner mon avis : {{ review_url }}\n",
    ),
    ("loyalty_points", 1, "en"): TemplateSource(
        subject="You earned {{ points_earned }} points at {{ shop_name }}",
        html=f"<p>{_HELLO_EN}</p><p>You earned <strong>{{{{ points_earned }}}}</strong> "
        "points. Your balance is <strong>{{ points_balance }}</strong> points"
        "{% if tier %} and your tier is <strong>{{ tier }}</strong>{% endif %}.</p>"
        + _button("{{ shop_url }}", "Spend your points"),
        text=f"{_HELLO_EN}\n\nYou earned {{{{ points_earned }}}} points. Your balance is "
        "{{ points_balance }} points{% if tier %} and your tier is {{ tier }}{% endif %}.\n\n"
        "Spend your points: {{ shop_url }}\n",
    ),
    ("loyalty_points", 1, "fr"): TemplateSource(
        subject="Vous avez gagné {{ points_earned }} points chez {{ shop_name }}",
        html=f"<p>{_HELLO_FR}</p><p>Vous avez gagné <strong>{{{{ points_earned }}}}</strong> "
        "points. Votre solde est de <strong>{{ points_balance }}</strong> points"
        "{% if tier %} et votre statut est <strong>{{ tier }}</strong>{% endif %}.</p>"
        + _button("{{ shop_url }}", "Utiliser mes points"),
        text=f"{_HELLO_FR}\n\nVous avez gagné {{{{ points_earned }}}} points. Votre solde est "
        "de {{ points_balance }} points{% if tier %} et votre statut est {{ tier }}"
        "{% endif %}.\n\nUtiliser mes points : {{ shop_url }}\n",
    ),
    ("referral_reward", 1, "en"): TemplateSource(
        subject="Your friend shopped at {{ shop_name }}: here is your reward",
        html=f"<p>{_HELLO_EN}</p><p>Thanks for spreading the word. Your reward: "
        "<strong>{{ reward }}</strong>.</p>"
        + _DISCOUNT_EN
        + "<p>Keep sharing your link: {{ referral_url }}</p>",
        text=f"{_HELLO_EN}\n\nThanks for spreading the word. Your reward: {{{{ reward }}}}.\n"
        + _DISCOUNT_EN_TEXT
        + "\nKeep sharing your link: {{ referral_url }}\n",
    ),
    ("referral_reward", 1, "fr"): TemplateSource(
        subject="Votre ami(e) a commandé chez {{ shop_name }} : voici votre récompense",
        html=f"<p>{_HELLO_FR}</p><p>Merci d'avoir parlé de nous. Votre récompense : "
        "<strong>{{ reward }}</strong>.</p>"
        + _DISCOUNT_FR
        + "<p>Continuez à partager votre lien : {{ referral_url }}</p>",
        text=f"{_HELLO_FR}\n\nMerci d'avoir parlé de nous. Votre récompense : "
        "{{ reward }}.\n" + _DISCOUNT_FR_TEXT + "\nContinuez à partager votre lien : "
        "{{ referral_url }}\n",
    ),
    ("welcome", 1, "en"): TemplateSource(
        subject="Welcome to {{ shop_name }}",
        html=f"<p>{_HELLO_EN}</p><p>Welcome! We are glad you are here.</p>"
        + _DISCOUNT_EN
        + _button("{{ shop_url }}", "Visit the shop"),
        text=f"{_HELLO_EN}\n\nWelcome! We are glad you are here.\n"
        + _DISCOUNT_EN_TEXT
        + "\nVisit the shop: {{ shop_url }}\n",
    ),
    ("welcome", 1, "fr"): TemplateSource(
        subject="Bienvenue chez {{ shop_name }}",
        html=f"<p>{_HELLO_FR}</p><p>Bienvenue ! Nous sommes ravis de vous compter parmi "
        "nous.</p>" + _DISCOUNT_FR + _button("{{ shop_url }}", "Découvrir la boutique"),
        text=f"{_HELLO_FR}\n\nBienvenue ! Nous sommes ravis de vous compter parmi nous.\n"
        + _DISCOUNT_FR_TEXT
        + "\nDécouvrir la boutique : {{ shop_url }}\n",
    ),
    ("win_back", 1, "en"): TemplateSource(
        subject="We miss you at {{ shop_name }}",
        html=f"<p>{_HELLO_EN}</p><p>It has been a while. Here is what is new.</p>"
        + _DISCOUNT_EN
        + _button("{{ shop_url }}", "See what is new"),
        text=f"{_HELLO_EN}\n\nIt has been a while. Here is what is new.\n"
        + _DISCOUNT_EN_TEXT
        + "\nSee what is new: {{ shop_url }}\n",
    ),
    ("win_back", 1, "fr"): TemplateSource(
        subject="Vous nous manquez chez {{ shop_name }}",
        html=f"<p>{_HELLO_FR}</p><p>Cela fait un moment. Voici nos nouveautés.</p>"
        + _DISCOUNT_FR
        + _button("{{ shop_url }}", "Voir les nouveautés"),
        text=f"{_HELLO_FR}\n\nCela fait un moment. Voici nos nouveautés.\n"
        + _DISCOUNT_FR_TEXT
        + "\nVoir les nouveautés : {{ shop_url }}\n",
    ),
}


def default_source(scenario: str, step: int, locale: Locale) -> TemplateSource | None:
    return DEFAULTS.get((scenario, step, locale)) or DEFAULTS.get((scenario, step, "en"))


def known_template(scenario: str, step: int) -> bool:
    return (scenario, step, "en") in DEFAULTS
