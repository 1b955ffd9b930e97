"""Boomerang's own wording for each scenario step, in English and French. The merchant can
override any of them per locale (message_templates); these are what a new shop sends. Each
journey keeps its own in its package's content.py; the composition root gathers them into one
`TemplateBook` that every session of the process carries (sessions built by
app.platform.composition). `DEFAULTS` holds the wording of the kinds no package declares yet,
and the building blocks (greeting, code, button) every scenario's templates share.

Variables every template gets: first_name, shop_name, shop_url, locale, currency and
timezone (the shop's, for dates). Scenario context adds: items (title, variant_title,
quantity, price, image_url), cart_total, checkout_url, discount_code, discount_expires_at,
points_balance, points_earned, tier, referral_url, referral_code, friend_offer, reward,
review_url, product_title (the product a review was written for). Filters: `money`
(amount in the message's currency and locale) and `date` (an ISO date or date-time in the
locale's words, on the shop's calendar)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.messaging.i18n import Locale


@dataclass(frozen=True)
class TemplateSource:
    subject: str
    html: str
    text: str


_BUTTON = '<p><a class="button" href="URL">LABEL</a></p>'


def button(url: str, label: str) -> str:
    """A call-to-action link styled as a button."""
    return _BUTTON.replace("URL", url).replace("LABEL", label)


# Shown whenever the step carries a code: the code itself (not only inside the link, which
# some clients rewrite or strip) and the day it stops working, in the shop's time zone.
DISCOUNT_EN = (
    "{% if discount_code %}<p>Use code <strong>{{ discount_code }}</strong> at checkout."
    "{% if discount_expires_at %} It is valid until {{ discount_expires_at | date }}."
    "{% endif %}</p>{% endif %}"
)
DISCOUNT_EN_TEXT = (
    "{% if discount_code %}\nUse code {{ discount_code }} at checkout."
    "{% if discount_expires_at %} It is valid until {{ discount_expires_at | date }}."
    "{% endif %}\n{% endif %}"
)
DISCOUNT_FR = (
    "{% if discount_code %}<p>Utilisez le code <strong>{{ discount_code }}</strong> "
    "lors du paiement.{% if discount_expires_at %} Il est valable jusqu'au "
    "{{ discount_expires_at | date }}.{% endif %}</p>{% endif %}"
)
DISCOUNT_FR_TEXT = (
    "{% if discount_code %}\nUtilisez le code {{ discount_code }} lors du paiement."
    "{% if discount_expires_at %} Il est valable jusqu'au {{ discount_expires_at | date }}."
    "{% endif %}\n{% endif %}"
)

HELLO_EN = "Hi{% if first_name %} {{ first_name }}{% endif %},"
HELLO_FR = "Bonjour{% if first_name %} {{ first_name }}{% endif %},"

# The wording of message kinds no scenario package declares yet.
DEFAULTS: dict[tuple[str, int, Locale], TemplateSource] = {
    ("review_request", 1, "en"): TemplateSource(
        subject="How do you like your order from {{ shop_name }}?",
        html=f"<p>{HELLO_EN}</p><p>We hope you are enjoying your purchase. "
        "Would you tell other shoppers what you think?</p>"
        + button("{{ review_url }}", "Write a review"),
        text=f"{HELLO_EN}\n\nWe hope you are enjoying your purchase. Would you tell other "
        "shoppers what you think?\n\nWrite a review: {{ review_url }}\n",
    ),
    ("review_request", 1, "fr"): TemplateSource(
        subject="Que pensez-vous de votre commande chez {{ shop_name }} ?",
        html=f"<p>{HELLO_FR}</p><p>Nous espérons que votre achat vous plaît. "
        "Voulez-vous donner votre avis aux autres clients ?</p>"
        + button("{{ review_url }}", "Donner mon avis"),
        text=f"{HELLO_FR}\n\nNous espérons que votre achat vous plaît. Voulez-vous donner "
        "votre avis aux autres clients ?\n\nDonner mon avis : {{ review_url }}\n",
    ),
    ("loyalty_points", 1, "en"): TemplateSource(
        subject="You earned {{ points_earned }} points at {{ shop_name }}",
        html=f"<p>{HELLO_EN}</p><p>You earned <strong>{{{{ points_earned }}}}</strong> "
        "points. Your balance is <strong>{{ points_balance }}</strong> points"
        "{% if tier %} and your tier is <strong>{{ tier }}</strong>{% endif %}.</p>"
        + button("{{ shop_url }}", "Spend your points"),
        text=f"{HELLO_EN}\n\nYou earned {{{{ points_earned }}}} points. Your balance is "
        "{{ points_balance }} points{% if tier %} and your tier is {{ tier }}{% endif %}.\n\n"
        "Spend your points: {{ shop_url }}\n",
    ),
    ("loyalty_points", 1, "fr"): TemplateSource(
        subject="Vous avez gagné {{ points_earned }} points chez {{ shop_name }}",
        html=f"<p>{HELLO_FR}</p><p>Vous avez gagné <strong>{{{{ points_earned }}}}</strong> "
        "points. Votre solde est de <strong>{{ points_balance }}</strong> points"
        "{% if tier %} et votre statut est <strong>{{ tier }}</strong>{% endif %}.</p>"
        + button("{{ shop_url }}", "Utiliser mes points"),
        text=f"{HELLO_FR}\n\nVous avez gagné {{{{ points_earned }}}} points. Votre solde est "
        "de {{ points_balance }} points{% if tier %} et votre statut est {{ tier }}"
        "{% endif %}.\n\nUtiliser mes points : {{ shop_url }}\n",
    ),
    ("referral_reward", 1, "en"): TemplateSource(
        subject="Your friend shopped at {{ shop_name }}: here is your reward",
        html=f"<p>{HELLO_EN}</p><p>Thanks for spreading the word. Your reward: "
        "<strong>{{ reward }}</strong>.</p>"
        + DISCOUNT_EN
        + "<p>Keep sharing your link: {{ referral_url }}</p>",
        text=f"{HELLO_EN}\n\nThanks for spreading the word. Your reward: {{{{ reward }}}}.\n"
        + DISCOUNT_EN_TEXT
        + "\nKeep sharing your link: {{ referral_url }}\n",
    ),
    ("referral_reward", 1, "fr"): TemplateSource(
        subject="Votre ami(e) a commandé chez {{ shop_name }} : voici votre récompense",
        html=f"<p>{HELLO_FR}</p><p>Merci d'avoir parlé de nous. Votre récompense : "
        "<strong>{{ reward }}</strong>.</p>"
        + DISCOUNT_FR
        + "<p>Continuez à partager votre lien : {{ referral_url }}</p>",
        text=f"{HELLO_FR}\n\nMerci d'avoir parlé de nous. Votre récompense : "
        "{{ reward }}.\n" + DISCOUNT_FR_TEXT + "\nContinuez à partager votre lien : "
        "{{ referral_url }}\n",
    ),
}


class TemplateBook:
    """Every default template of this build by (scenario, step, locale)."""

    def __init__(self, sources: Mapping[tuple[str, int, Locale], TemplateSource]) -> None:
        self._sources = dict(sources)

    def source(self, scenario: str, step: int, locale: Locale) -> TemplateSource | None:
        return self._sources.get((scenario, step, locale)) or self._sources.get(
            (scenario, step, "en")
        )

    def knows(self, scenario: str, step: int) -> bool:
        return (scenario, step, "en") in self._sources

    def entries(self) -> list[tuple[str, int, Locale]]:
        return sorted(self._sources)


# Where a session carries the process's book (see app.platform.composition).
SESSION_KEY = "boomerang.templates"
_SHARED = TemplateBook(DEFAULTS)


def book_of(session: AsyncSession) -> TemplateBook:
    """The session's book; a session built without one knows only the shared kinds."""
    book = session.info.get(SESSION_KEY)
    return book if isinstance(book, TemplateBook) else _SHARED


def default_source(
    session: AsyncSession, scenario: str, step: int, locale: Locale
) -> TemplateSource | None:
    return book_of(session).source(scenario, step, locale)


def known_template(session: AsyncSession, scenario: str, step: int) -> bool:
    return book_of(session).knows(scenario, step)
