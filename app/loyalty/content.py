"""What the loyalty program says to shoppers: its four emails (default templates in English and
French, which the merchant may override per locale like any scenario's), their names and their
priority against the journeys. The program's outbox key is `loyalty` (PROGRAM_KEY), so its
messages take the merchant's mode for `loyalty` (live, approval, dry run, paused), the shop's
frequency cap and quiet hours, and the shopper's consent, as every scenario's do.

Variables besides every email's (first_name, shop_name, shop_url, currency, timezone,
unsubscribe_url): points_balance, points_spendable, tier; the digest adds points_earned and
orders; tier_reached adds tier_multiplier; reward_reachable adds reward and reward_cost;
expiry_warning adds points_expiring and expires_at (a date)."""

from __future__ import annotations

from app.i18n import Locale, Text
from app.messaging.defaults import HELLO_EN, HELLO_FR, TemplateSource, button

PROGRAM_KEY = "loyalty"

# Steps of the program's outbox key (each its own template).
POINTS_DIGEST = 1
TIER_REACHED = 2
REWARD_REACHABLE = 3
EXPIRY_WARNING = 4

STEP_NAMES: dict[int, Text] = {
    POINTS_DIGEST: Text(en="Points earned (digest)", fr="Points gagnés (récapitulatif)"),
    TIER_REACHED: Text(en="Tier reached", fr="Palier atteint"),
    REWARD_REACHABLE: Text(
        en="Enough points for a reward", fr="Assez de points pour une récompense"
    ),
    EXPIRY_WARNING: Text(en="Points about to expire", fr="Points bientôt expirés"),
}

# Below the cart reminders (100) and review requests (60), above the welcome series (30): a
# points email waits a day when the frequency cap allows one; the expiry warning matters more.
PRIORITY: dict[int, int] = {
    POINTS_DIGEST: 20,
    TIER_REACHED: 40,
    REWARD_REACHABLE: 35,
    EXPIRY_WARNING: 50,
}

_SPEND_EN = button("{{ shop_url }}", "See my rewards")
_SPEND_FR = button("{{ shop_url }}", "Voir mes récompenses")

# Phrases guarded so a template rendered without them (a test send, an old message) still reads.
_ORDERS_EN = "{% if orders and orders > 1 %} over your last {{ orders }} orders{% endif %}"
_ORDERS_FR = "{% if orders and orders > 1 %} sur vos {{ orders }} dernières commandes{% endif %}"
_FASTER = "{% if tier_multiplier and tier_multiplier != '1' %}"
_WHEN_EN = "{% if expires_at %} on {{ expires_at | date }}{% else %} soon{% endif %}"
_WHEN_FR = "{% if expires_at %} le {{ expires_at | date }}{% else %} bientôt{% endif %}"
_KEEP_EN = "Place an order or redeem a reward before then to keep them."
_KEEP_FR = "Passez une commande ou utilisez une récompense d'ici là pour les conserver."

TEMPLATES: dict[tuple[int, Locale], TemplateSource] = {
    (POINTS_DIGEST, "en"): TemplateSource(
        subject="You earned {{ points_earned }} points at {{ shop_name }}",
        html=f"<p>{HELLO_EN}</p><p>You earned <strong>{{{{ points_earned }}}}</strong> points"
        f"{_ORDERS_EN}. Your balance is <strong>{{{{ points_balance }}}}</strong> points"
        "{% if tier %}, tier <strong>{{ tier }}</strong>{% endif %}.</p>" + _SPEND_EN,
        text=f"{HELLO_EN}\n\nYou earned {{{{ points_earned }}}} points{_ORDERS_EN}. Your "
        "balance is {{ points_balance }} points{% if tier %}, tier {{ tier }}{% endif %}.\n\n"
        "Your rewards: {{ shop_url }}\n",
    ),
    (POINTS_DIGEST, "fr"): TemplateSource(
        subject="Vous avez gagné {{ points_earned }} points chez {{ shop_name }}",
        html=f"<p>{HELLO_FR}</p><p>Vous avez gagné <strong>{{{{ points_earned }}}}</strong> "
        f"points{_ORDERS_FR}. Votre solde est de <strong>{{{{ points_balance }}}}</strong> "
        "points{% if tier %}, palier <strong>{{ tier }}</strong>{% endif %}.</p>" + _SPEND_FR,
        text=f"{HELLO_FR}\n\nVous avez gagné {{{{ points_earned }}}} points{_ORDERS_FR}. Votre "
        "solde est de {{ points_balance }} points{% if tier %}, palier {{ tier }}{% endif %}."
        "\n\nVos récompenses : {{ shop_url }}\n",
    ),
    (TIER_REACHED, "en"): TemplateSource(
        subject="Welcome to {{ tier }} at {{ shop_name }}",
        html=f"<p>{HELLO_EN}</p><p>You reached the <strong>{{{{ tier }}}}</strong> tier."
        f"{_FASTER} From now on every order earns {{{{ tier_multiplier }}}}× the points."
        "{% endif %}</p>" + _SPEND_EN,
        text=f"{HELLO_EN}\n\nYou reached the {{{{ tier }}}} tier.{_FASTER} From now on every "
        "order earns {{ tier_multiplier }}x the points.{% endif %}\n\n"
        "Your rewards: {{ shop_url }}\n",
    ),
    (TIER_REACHED, "fr"): TemplateSource(
        subject="Bienvenue au palier {{ tier }} chez {{ shop_name }}",
        html=f"<p>{HELLO_FR}</p><p>Vous avez atteint le palier <strong>{{{{ tier }}}}</strong>."
        f"{_FASTER} Désormais, chaque commande vous rapporte {{{{ tier_multiplier }}}} fois "
        "plus de points.{% endif %}</p>" + _SPEND_FR,
        text=f"{HELLO_FR}\n\nVous avez atteint le palier {{{{ tier }}}}.{_FASTER} Désormais, "
        "chaque commande vous rapporte {{ tier_multiplier }} fois plus de points.{% endif %}"
        "\n\nVos récompenses : {{ shop_url }}\n",
    ),
    (REWARD_REACHABLE, "en"): TemplateSource(
        subject="Your {{ points_spendable }} points can buy a reward at {{ shop_name }}",
        html=f"<p>{HELLO_EN}</p><p>You have <strong>{{{{ points_spendable }}}}</strong> points: "
        "enough for <strong>{{ reward }}</strong> ({{ reward_cost }} points).</p>" + _SPEND_EN,
        text=f"{HELLO_EN}\n\nYou have {{{{ points_spendable }}}} points: enough for "
        "{{ reward }} ({{ reward_cost }} points).\n\nYour rewards: {{ shop_url }}\n",
    ),
    (REWARD_REACHABLE, "fr"): TemplateSource(
        subject="Vos {{ points_spendable }} points vous offrent une récompense chez "
        "{{ shop_name }}",
        html=f"<p>{HELLO_FR}</p><p>Vous avez <strong>{{{{ points_spendable }}}}</strong> points "
        ": de quoi obtenir <strong>{{ reward }}</strong> ({{ reward_cost }} points).</p>"
        + _SPEND_FR,
        text=f"{HELLO_FR}\n\nVous avez {{{{ points_spendable }}}} points : de quoi obtenir "
        "{{ reward }} ({{ reward_cost }} points).\n\nVos récompenses : {{ shop_url }}\n",
    ),
    (EXPIRY_WARNING, "en"): TemplateSource(
        subject="Your {{ points_expiring }} points at {{ shop_name }} expire soon",
        html=f"<p>{HELLO_EN}</p><p>Your <strong>{{{{ points_expiring }}}}</strong> points "
        f"expire{_WHEN_EN}. {_KEEP_EN}</p>" + _SPEND_EN,
        text=f"{HELLO_EN}\n\nYour {{{{ points_expiring }}}} points expire{_WHEN_EN}. "
        f"{_KEEP_EN}\n\nYour rewards: {{{{ shop_url }}}}\n",
    ),
    (EXPIRY_WARNING, "fr"): TemplateSource(
        subject="Vos {{ points_expiring }} points chez {{ shop_name }} expirent bientôt",
        html=f"<p>{HELLO_FR}</p><p>Vos <strong>{{{{ points_expiring }}}}</strong> points "
        f"expirent{_WHEN_FR}. {_KEEP_FR}</p>" + _SPEND_FR,
        text=f"{HELLO_FR}\n\nVos {{{{ points_expiring }}}} points expirent{_WHEN_FR}. "
        f"{_KEEP_FR}\n\nVos récompenses : {{{{ shop_url }}}}\n",
    ),
}
