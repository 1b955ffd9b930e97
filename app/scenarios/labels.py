"""What the admin shows for the codes the scenarios store: timeline kinds and reasons (stop,
skip, suppression, deferral…) in English and French, served to the frontend by
GET /api/scenarios/labels. The generic ones live here; each scenario's own reasons and wording
live in its content.py and are gathered by `Labels` from the catalog."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.i18n import Locale, Text

# The generic words for what the timeline records; a scenario's content may say them its own
# way ("Reminder sequence started").
KINDS: dict[str, Text] = {
    "started": Text(en="Sequence started", fr="Séquence démarrée"),
    "not_started": Text(en="Sequence not started", fr="Séquence non démarrée"),
    "held_out": Text(
        en="Held out: not messaged, to measure the scenario's true lift",
        fr="Groupe témoin : aucun message, pour mesurer l'effet réel du scénario",
    ),
    "step_queued": Text(en="Email queued for sending", fr="E-mail mis en file d'envoi"),
    "step_drafted": Text(en="Email drafted (dry run)", fr="E-mail préparé (simulation)"),
    "step_awaiting_approval": Text(
        en="Email waiting for your approval", fr="E-mail en attente de votre validation"
    ),
    "step_suppressed": Text(en="Step's email not sent", fr="E-mail de l'étape non envoyé"),
    "step_skipped": Text(en="Step skipped", fr="Étape ignorée"),
    "retimed": Text(en="Next email re-timed", fr="Prochain e-mail reprogrammé"),
    "step_postponed": Text(en="Step postponed", fr="Étape reportée"),
    "stopped": Text(en="Sequence stopped", fr="Séquence arrêtée"),
    "recovered": Text(en="Order attributed", fr="Commande attribuée"),
    "message_sent": Text(en="Email sent", fr="E-mail envoyé"),
    "message_suppressed": Text(en="Email not sent", fr="E-mail non envoyé"),
    "message_deferred": Text(en="Email postponed", fr="E-mail reporté"),
    "message_failed": Text(en="Email could not be delivered", fr="E-mail non distribué"),
    "message_unconfirmed": Text(
        en="Email handed to the mail server, delivery unconfirmed",
        fr="E-mail remis au serveur de messagerie, distribution non confirmée",
    ),
    "message_rejected": Text(en="Email rejected by you", fr="E-mail refusé par vous"),
    "message_edited": Text(en="Email edited by you", fr="E-mail modifié par vous"),
    "message_drafted": Text(
        en="Email kept as a draft (dry run)", fr="E-mail gardé en brouillon (simulation)"
    ),
    "message_held_for_approval": Text(
        en="Email waiting for your approval", fr="E-mail en attente de votre validation"
    ),
}

REASONS: dict[str, Text] = {
    # Why any scenario's sequence stops (a scenario's own reasons are in its content.py).
    "customer_unsubscribed": Text(en="The customer unsubscribed", fr="Le client s'est désabonné"),
    "shop_token_invalid": Text(
        en="Shopify refused the shop's access token: open Boomerang from your Shopify admin "
        "to renew it",
        fr="Shopify a refusé le jeton d'accès de la boutique : ouvrez Boomerang depuis votre "
        "administration Shopify pour le renouveler",
    ),
    "discount_refused_by_shopify": Text(
        en="Shopify refused to create the step's discount code: check the discount settings",
        fr="Shopify a refusé de créer le code de réduction de l'étape : vérifiez les réglages "
        "de la réduction",
    ),
    "discount_withdrawn_at_shopify": Text(
        en="Its discount code was deleted or deactivated in your Shopify admin, so the email "
        "was not sent; a later reminder with a code gets a new one",
        fr="Son code de réduction a été supprimé ou désactivé dans votre administration "
        "Shopify, l'e-mail n'a donc pas été envoyé ; une relance suivante avec code en aura "
        "un nouveau",
    ),
    "no_marketing_consent": Text(
        en="The customer has not agreed to marketing emails",
        fr="Le client n'a pas accepté les e-mails marketing",
    ),
    "shop_uninstalled": Text(en="Boomerang was uninstalled", fr="Boomerang a été désinstallé"),
    "scenario_paused": Text(en="The scenario is paused", fr="Le scénario est en pause"),
    "holdout": Text(
        en="In the holdout group: never messaged, so the dashboard can compare",
        fr="Dans le groupe témoin : jamais contacté, pour que le tableau de bord compare",
    ),
    "sequence_stopped": Text(en="The sequence had stopped", fr="La séquence était arrêtée"),
    "step_turned_off": Text(en="You turned this step off", fr="Vous avez désactivé cette étape"),
    "facts_unknown_too_long": Text(
        en="What the step had to check could not be read for a day (Shopify's deliveries were "
        "still waiting to be processed): stopped rather than sent on stale facts",
        fr="Ce que l'étape devait vérifier est resté illisible pendant un jour (des envois de "
        "Shopify attendaient encore d'être traités) : arrêtée plutôt qu'envoyée sur des "
        "informations périmées",
    ),
    # What became of an email (the outbox's reasons).
    "smtp_accepted": Text(
        en="Accepted by the mail server", fr="Accepté par le serveur de messagerie"
    ),
    "rejected_by_merchant": Text(en="You rejected it", fr="Vous l'avez refusé"),
    "edited_by_merchant": Text(
        en="You edited it before approving it", fr="Vous l'avez modifié avant de le valider"
    ),
    "dry_run": Text(
        en="Dry run: computed and shown, never sent",
        fr="Simulation : calculé et affiché, jamais envoyé",
    ),
    "approval_mode": Text(
        en="Approval mode: waits for your approval", fr="Mode validation : attend votre validation"
    ),
    "shop_paused": Text(
        en="All sending is paused for the shop", fr="Tous les envois de la boutique sont en pause"
    ),
    "quiet_hours": Text(
        en="Quiet hours: sent when they end", fr="Plage de silence : envoyé à sa fin"
    ),
    "outranked_by_message": Text(
        en="A more important email to this customer goes first",
        fr="Un e-mail plus important pour ce client part d'abord",
    ),
    "waiting_for_previous_step": Text(
        en="Waits for the sequence's previous email to be sent or dropped first",
        fr="Attend que l'e-mail précédent de la séquence soit envoyé ou abandonné",
    ),
    "frequency_cap": Text(
        en="The customer already received the most emails allowed for now",
        fr="Le client a déjà reçu le nombre maximal d'e-mails autorisé pour l'instant",
    ),
    "delivery_unconfirmed": Text(
        en="Handed to the mail server, but the answer was lost when the worker stopped: it "
        "most likely left; not sent again",
        fr="Remis au serveur de messagerie, mais la réponse a été perdue à l'arrêt du worker : "
        "il est très probablement parti ; pas de nouvel envoi",
    ),
    "smtp": Text(en="The mail server refused it", fr="Le serveur de messagerie l'a refusé"),
    "smtp_transient": Text(
        en="The mail server asked to try again later",
        fr="Le serveur de messagerie a demandé de réessayer plus tard",
    ),
    "smtp_relay_unavailable": Text(
        en="The mail server could not be reached: sending resumes shortly",
        fr="Le serveur de messagerie est injoignable : les envois reprennent sous peu",
    ),
    "smtp_retries_exhausted": Text(
        en="The mail server kept refusing it",
        fr="Le serveur de messagerie l'a refusé à chaque essai",
    ),
    "customer_missing": Text(
        en="No customer record to write to", fr="Aucune fiche client à qui écrire"
    ),
    "redacted": Text(
        en="The customer's data was erased", fr="Les données du client ont été effacées"
    ),
    "no_email": Text(
        en="The customer has no email address", fr="Le client n'a pas d'adresse e-mail"
    ),
    "unsubscribed": Text(en="The customer unsubscribed", fr="Le client s'est désabonné"),
    "bounced": Text(en="The address bounced", fr="L'adresse est invalide (retour en erreur)"),
    "complained": Text(
        en="The customer reported an email as spam", fr="Le client a signalé un e-mail comme spam"
    ),
}


def reason_code(reason: str) -> str:
    """A stored reason's code: "smtp: 550 …" and "no_marketing_consent:none" carry details."""
    return reason.split(":", 1)[0].strip() or reason


class Labels:
    """The labels of one build: the generic ones and each scenario's own (from the catalog's
    contents), which replace the generic kind wording for that scenario."""

    def __init__(
        self,
        *,
        kinds_by_scenario: Mapping[str, Mapping[str, Text]],
        reasons_by_scenario: Mapping[str, Mapping[str, Text]],
    ) -> None:
        self._kinds_by_scenario = {k: dict(v) for k, v in kinds_by_scenario.items()}
        self.reasons: dict[str, Text] = dict(REASONS)
        for reasons in reasons_by_scenario.values():
            self.reasons.update(reasons)

    def every_kind(self) -> dict[str, Text]:
        """Every kind a timeline can show: the generic ones and each scenario's own."""
        merged = dict(KINDS)
        for kinds in self._kinds_by_scenario.values():
            for code, text in kinds.items():
                merged.setdefault(code, text)
        return merged

    def kind_text(self, kind: str, scenario: str | None = None) -> Text | None:
        own = self._kinds_by_scenario.get(scenario or "", {})
        return own.get(kind) or KINDS.get(kind)

    def kind_label(self, kind: str, locale: Locale, scenario: str | None = None) -> str:
        label = self.kind_text(kind, scenario)
        return label.in_locale(locale) if label is not None else kind

    def reason_label(self, reason: str, locale: Locale) -> str:
        label = self.reasons.get(reason_code(reason))
        return label.in_locale(locale) if label is not None else reason

    def catalog(self, locale: Locale) -> dict[str, Any]:
        """What GET /api/scenarios/labels serves: the generic kinds, every reason, and each
        scenario's own kind wording."""
        return {
            "kinds": {code: text.in_locale(locale) for code, text in KINDS.items()},
            "reasons": {code: text.in_locale(locale) for code, text in self.reasons.items()},
            "scenarios": {
                key: {"kinds": {code: t.in_locale(locale) for code, t in kinds.items()}}
                for key, kinds in self._kinds_by_scenario.items()
            },
        }
