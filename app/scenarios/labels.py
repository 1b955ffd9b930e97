"""What the admin shows for the codes the scenarios store: timeline kinds and reasons (stop,
skip, suppression, deferral…) in English and French, served to the frontend by
GET /api/scenarios/labels; and the discount titles merchants read in Shopify's admin."""

from __future__ import annotations

from app.i18n import Locale, Text
from app.messaging.i18n import normalize_locale

KINDS: dict[str, Text] = {
    "started": Text(en="Reminder sequence started", fr="Séquence de relance démarrée"),
    "not_started": Text(en="Reminder sequence not started", fr="Séquence de relance non démarrée"),
    "step_queued": Text(en="Reminder queued for sending", fr="Relance mise en file d'envoi"),
    "step_drafted": Text(en="Reminder drafted (dry run)", fr="Relance préparée (simulation)"),
    "step_awaiting_approval": Text(
        en="Reminder waiting for your approval", fr="Relance en attente de votre validation"
    ),
    "step_suppressed": Text(en="Reminder not sent", fr="Relance non envoyée"),
    "step_skipped": Text(en="Step skipped", fr="Étape ignorée"),
    "stopped": Text(en="Reminder sequence stopped", fr="Séquence de relance arrêtée"),
    "recovered": Text(en="Order recovered", fr="Commande récupérée"),
    "message_sent": Text(en="Email sent", fr="E-mail envoyé"),
    "message_suppressed": Text(en="Email not sent", fr="E-mail non envoyé"),
    "message_deferred": Text(en="Email postponed", fr="E-mail reporté"),
    "message_failed": Text(en="Email could not be delivered", fr="E-mail non distribué"),
    "message_rejected": Text(en="Email rejected by you", fr="E-mail refusé par vous"),
    "message_drafted": Text(
        en="Email kept as a draft (dry run)", fr="E-mail gardé en brouillon (simulation)"
    ),
    "message_held_for_approval": Text(
        en="Email waiting for your approval", fr="E-mail en attente de votre validation"
    ),
}

REASONS: dict[str, Text] = {
    # Why a sequence starts, goes on, stops or is not started.
    "checkout_abandoned": Text(
        en="The checkout has a contact and items and was not completed",
        fr="Le paiement a un contact et des articles et n'a pas été finalisé",
    ),
    "checkout_not_completed": Text(
        en="The checkout was still not completed after the step's delay",
        fr="Le paiement n'était toujours pas finalisé après le délai de l'étape",
    ),
    "checkout_completed": Text(en="The checkout was completed", fr="Le paiement a été finalisé"),
    "order_placed_for_checkout": Text(
        en="An order was placed for this checkout", fr="Une commande a été passée pour ce paiement"
    ),
    "customer_placed_another_order": Text(
        en="The customer placed another order meanwhile",
        fr="Le client a passé une autre commande entre-temps",
    ),
    "checkout_emptied": Text(en="The cart was emptied", fr="Le panier a été vidé"),
    "superseded_by_newer_checkout": Text(
        en="The customer started a newer checkout",
        fr="Le client a commencé un paiement plus récent",
    ),
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
    "no_contact_email": Text(
        en="The checkout has no email address", fr="Le paiement n'a pas d'adresse e-mail"
    ),
    "sequence_stopped": Text(en="The sequence had stopped", fr="La séquence était arrêtée"),
    "step_turned_off": Text(en="You turned this step off", fr="Vous avez désactivé cette étape"),
    "attributed_via_checkout_token": Text(
        en="The reminded checkout became this order",
        fr="Le paiement relancé est devenu cette commande",
    ),
    "attributed_via_engaged_customer": Text(
        en="The customer opened or clicked a reminder, then ordered",
        fr="Le client a ouvert ou cliqué une relance, puis a commandé",
    ),
    # What became of an email (the outbox's reasons).
    "smtp_accepted": Text(
        en="Accepted by the mail server", fr="Accepté par le serveur de messagerie"
    ),
    "rejected_by_merchant": Text(en="You rejected it", fr="Vous l'avez refusé"),
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
    "frequency_cap": Text(
        en="The customer already received the most emails allowed for now",
        fr="Le client a déjà reçu le nombre maximal d'e-mails autorisé pour l'instant",
    ),
    "delivery_unconfirmed": Text(
        en="Delivery could not be confirmed; not sent again",
        fr="La distribution n'a pas pu être confirmée ; pas de nouvel envoi",
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

_DISCOUNT_TITLES: dict[str, Text] = {
    "abandoned_cart": Text(en="Boomerang: abandoned cart", fr="Boomerang : panier abandonné"),
    "win_back": Text(en="Boomerang: win-back offer", fr="Boomerang : offre de retour"),
}


def reason_code(reason: str) -> str:
    """A stored reason's code: "smtp: 550 …" and "no_marketing_consent:none" carry details."""
    return reason.split(":", 1)[0].strip() or reason


def kind_label(kind: str, locale: Locale) -> str:
    label = KINDS.get(kind)
    return label.in_locale(locale) if label is not None else kind


def reason_label(reason: str, locale: Locale) -> str:
    label = REASONS.get(reason_code(reason))
    return label.in_locale(locale) if label is not None else reason


def discount_title(scenario: str, shop_locale: str | None) -> str:
    title = _DISCOUNT_TITLES.get(
        scenario,
        Text(en=f"Boomerang: {scenario.replace('_', ' ')}", fr=f"Boomerang : {scenario}"),
    )
    return title.in_locale(normalize_locale(shop_locale) or "en")


def catalog(locale: Locale) -> dict[str, dict[str, str]]:
    return {
        "kinds": {code: text.in_locale(locale) for code, text in KINDS.items()},
        "reasons": {code: text.in_locale(locale) for code, text in REASONS.items()},
    }
