"""The referral program's default emails (English and French) and the wording of what it
records: step 1 gives the advocate their code and share link, step 2 tells them of a reward
and invites them to share again. The merchant can override either per locale."""

from __future__ import annotations

from collections.abc import Mapping

from app.i18n import Text
from app.messaging.defaults import HELLO_EN, HELLO_FR, TemplateSource, button
from app.messaging.i18n import Locale
from app.referrals import fraud

INVITE_STEP = 1
REWARD_STEP = 2

_INVITE_EN = TemplateSource(
    subject="Share {{ shop_name }} with your friends",
    html=f"<p>{HELLO_EN}</p><p>Give your friends <strong>{{{{ friend_offer }}}} off</strong> "
    "their first order with your personal code <strong>{{ referral_code }}</strong>, "
    "and get <strong>{{ reward }}</strong> for each friend who orders.</p>"
    + button("{{ referral_url }}", "Share your link")
    + "<p>Your link: {{ referral_url }}</p>",
    text=f"{HELLO_EN}\n\nGive your friends {{{{ friend_offer }}}} off their first order "
    "with your personal code {{ referral_code }}, and get {{ reward }} for each friend who "
    "orders.\n\nYour link: {{ referral_url }}\n",
)
_INVITE_FR = TemplateSource(
    subject="Faites découvrir {{ shop_name }} à vos amis",
    html=f"<p>{HELLO_FR}</p><p>Offrez à vos amis <strong>{{{{ friend_offer }}}} de "
    "réduction</strong> sur leur première commande avec votre code personnel "
    "<strong>{{ referral_code }}</strong>, et recevez <strong>{{ reward }}</strong> pour "
    "chaque ami qui commande.</p>"
    + button("{{ referral_url }}", "Partager mon lien")
    + "<p>Votre lien : {{ referral_url }}</p>",
    text=f"{HELLO_FR}\n\nOffrez à vos amis {{{{ friend_offer }}}} de réduction sur leur "
    "première commande avec votre code personnel {{ referral_code }}, et recevez "
    "{{ reward }} pour chaque ami qui commande.\n\nVotre lien : {{ referral_url }}\n",
)
_REWARD_EN = TemplateSource(
    subject="Your friend shopped at {{ shop_name }}: here is your reward",
    html=f"<p>{HELLO_EN}</p><p>Thanks for spreading the word. Your reward: "
    "<strong>{{ reward }}</strong>.</p>"
    "{% if discount_code %}<p>Use code <strong>{{ discount_code }}</strong> at checkout."
    "{% if discount_expires_at %} It is valid until {{ discount_expires_at | date }}."
    "{% endif %}</p>{% endif %}"
    "<p>Keep sharing: your friends still get {{ friend_offer }} off with your code "
    "<strong>{{ referral_code }}</strong>.</p>" + button("{{ referral_url }}", "Share again"),
    text=f"{HELLO_EN}\n\nThanks for spreading the word. Your reward: {{{{ reward }}}}.\n"
    "{% if discount_code %}Use code {{ discount_code }} at checkout.\n{% endif %}"
    "\nKeep sharing: your friends still get {{ friend_offer }} off with your code "
    "{{ referral_code }}: {{ referral_url }}\n",
)
_REWARD_FR = TemplateSource(
    subject="Votre ami(e) a commandé chez {{ shop_name }} : voici votre récompense",
    html=f"<p>{HELLO_FR}</p><p>Merci d'avoir parlé de nous. Votre récompense : "
    "<strong>{{ reward }}</strong>.</p>"
    "{% if discount_code %}<p>Utilisez le code <strong>{{ discount_code }}</strong> lors du "
    "paiement.{% if discount_expires_at %} Il est valable jusqu'au "
    "{{ discount_expires_at | date }}.{% endif %}</p>{% endif %}"
    "<p>Continuez à partager : vos amis bénéficient toujours de {{ friend_offer }} de "
    "réduction avec votre code <strong>{{ referral_code }}</strong>.</p>"
    + button("{{ referral_url }}", "Partager à nouveau"),
    text=f"{HELLO_FR}\n\nMerci d'avoir parlé de nous. Votre récompense : {{{{ reward }}}}.\n"
    "{% if discount_code %}Utilisez le code {{ discount_code }} lors du paiement.\n"
    "{% endif %}\nContinuez à partager : vos amis bénéficient toujours de {{ friend_offer }} "
    "de réduction avec votre code {{ referral_code }} : {{ referral_url }}\n",
)

# Keyed by (step, locale); the template book files them under the program's key.
TEMPLATES: Mapping[tuple[int, Locale], TemplateSource] = {
    (INVITE_STEP, "en"): _INVITE_EN,
    (INVITE_STEP, "fr"): _INVITE_FR,
    (REWARD_STEP, "en"): _REWARD_EN,
    (REWARD_STEP, "fr"): _REWARD_FR,
}

# Why a referral is where it is (the admin shows these beside its status).
REFUNDED = "refunded_during_hold"
CANCELLED = "cancelled_during_hold"
MONTHLY_CAP = "monthly_cap_reached"
LOYALTY_OFF = "loyalty_program_off"
APPROVED = "approved_by_merchant"
REJECTED = "rejected_by_merchant"
# The reason on the advocate's ledger entry when a referral is rewarded with points.
REFERRAL_POINTS = "referral_reward"

REASONS: Mapping[str, Text] = {
    REFERRAL_POINTS: Text(
        en="Points for a friend's qualifying order",
        fr="Points pour la commande qualifiante d'un ami",
    ),
    REFUNDED: Text(
        en="the friend's order was refunded during the hold period",
        fr="la commande de l'ami a été remboursée pendant la période de rétention",
    ),
    CANCELLED: Text(
        en="the friend's order was cancelled during the hold period",
        fr="la commande de l'ami a été annulée pendant la période de rétention",
    ),
    MONTHLY_CAP: Text(
        en="this advocate reached the monthly cap on rewards",
        fr="ce parrain a atteint le plafond mensuel de récompenses",
    ),
    LOYALTY_OFF: Text(
        en="rewards are points but the loyalty program is off: turn it on, or reward with a code",
        fr="les récompenses sont des points mais le programme de fidélité est désactivé : "
        "activez-le, ou récompensez par un code",
    ),
    APPROVED: Text(en="approved by the merchant", fr="approuvé par le marchand"),
    REJECTED: Text(en="rejected by the merchant", fr="refusé par le marchand"),
    fraud.SAME_CUSTOMER: Text(
        en="the friend is the advocate (same customer)",
        fr="l'ami est le parrain (même client)",
    ),
    fraud.SAME_EMAIL: Text(
        en="the friend's email is the advocate's (once normalised)",
        fr="l'e-mail de l'ami est celui du parrain (une fois normalisé)",
    ),
    fraud.SAME_PHONE: Text(
        en="the friend's phone is the advocate's", fr="le téléphone de l'ami est celui du parrain"
    ),
    fraud.SAME_ADDRESS: Text(
        en="the friend ships to the advocate's address",
        fr="l'ami se fait livrer à l'adresse du parrain",
    ),
    fraud.SAME_IP: Text(
        en="the friend ordered from the advocate's IP address",
        fr="l'ami a commandé depuis l'adresse IP du parrain",
    ),
    fraud.EARLIER_ORDERS: Text(
        en="the friend had ordered before: not a new customer",
        fr="l'ami avait déjà commandé : ce n'est pas un nouveau client",
    ),
    fraud.TOO_MANY_PER_DAY: Text(
        en="too many referrals from this advocate in one day",
        fr="trop de parrainages de ce parrain en une journée",
    ),
    fraud.TOO_MANY_PER_IP: Text(
        en="too many referred orders from one IP address",
        fr="trop de commandes parrainées depuis une même adresse IP",
    ),
}
