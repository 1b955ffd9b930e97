// Labels for the reason codes the backend records: why a sequence stopped or did not start
// (the timeline, the runs list), why a message was not sent or waits (the outbox), and the
// timeline's fixed sentences. A code may carry a detail after a colon
// (`no_marketing_consent:not_subscribed`, `smtp_transient: 451 …`), shown after the label.

import type { Locale } from "./locale";

type Label = { en: string; fr: string };

const CODES: Record<string, Label> = {
  checkout_completed: { en: "the checkout was completed", fr: "le paiement a été finalisé" },
  order_placed_for_checkout: {
    en: "an order was placed for this checkout",
    fr: "une commande a été passée pour ce panier",
  },
  customer_placed_another_order: {
    en: "the customer placed another order",
    fr: "le client a passé une autre commande",
  },
  checkout_emptied: { en: "the cart was emptied", fr: "le panier a été vidé" },
  superseded_by_newer_checkout: {
    en: "a newer checkout of the same customer took over",
    fr: "un panier plus récent du même client a pris le relais",
  },
  customer_unsubscribed: { en: "the customer unsubscribed", fr: "le client s'est désabonné" },
  unsubscribed: { en: "the customer unsubscribed", fr: "le client s'est désabonné" },
  no_marketing_consent: {
    en: "the customer has not accepted marketing emails",
    fr: "le client n'a pas accepté les e-mails marketing",
  },
  shop_uninstalled: { en: "the app was uninstalled", fr: "l'application a été désinstallée" },
  scenario_paused: { en: "the scenario is paused", fr: "le scénario est en pause" },
  no_contact_email: {
    en: "the checkout has no email address",
    fr: "le panier n'a pas d'adresse e-mail",
  },
  sequence_stopped: { en: "the sequence had stopped", fr: "la séquence était arrêtée" },
  dry_run: {
    en: "dry run: kept as a draft, never sent",
    fr: "simulation : gardé en brouillon, jamais envoyé",
  },
  rejected_by_merchant: { en: "you rejected it", fr: "vous l'avez refusé" },
  customer_missing: { en: "the customer no longer exists", fr: "le client n'existe plus" },
  redacted: {
    en: "the customer's data was erased at their request",
    fr: "les données du client ont été effacées à sa demande",
  },
  no_email: { en: "the customer has no email address", fr: "le client n'a pas d'adresse e-mail" },
  bounced: {
    en: "the address bounced: it cannot receive email",
    fr: "l'adresse est en erreur : elle ne peut pas recevoir d'e-mail",
  },
  complained: {
    en: "the customer marked an email as spam",
    fr: "le client a signalé un e-mail comme indésirable",
  },
  shop_paused: {
    en: "all emails are paused: waiting for you to lift the pause",
    fr: "tous les e-mails sont suspendus : en attente de la levée de la pause",
  },
  quiet_hours: {
    en: "waiting for the end of quiet hours",
    fr: "en attente de la fin des heures calmes",
  },
  frequency_cap: {
    en: "frequency cap reached for this customer",
    fr: "plafond d'envois atteint pour ce client",
  },
  outranked_by_message: {
    en: "a more important message to this customer goes first",
    fr: "un message plus important pour ce client part d'abord",
  },
  delivery_unconfirmed: {
    en: "the mail server's answer was lost: not re-sent to avoid a duplicate",
    fr: "la réponse du serveur d'e-mail s'est perdue : pas de renvoi, pour éviter un doublon",
  },
  smtp_transient: {
    en: "the mail server asked to retry later",
    fr: "le serveur d'e-mail a demandé de réessayer plus tard",
  },
  smtp_retries_exhausted: {
    en: "the mail server kept refusing; gave up",
    fr: "le serveur d'e-mail a refusé à chaque essai ; abandon",
  },
  smtp_relay_unavailable: {
    en: "the mail server could not be reached; trying again shortly",
    fr: "le serveur d'e-mail est injoignable ; nouvel essai sous peu",
  },
  smtp: { en: "the mail server refused the email", fr: "le serveur d'e-mail a refusé l'e-mail" },
  not_due: { en: "not due yet", fr: "pas encore à l'heure" },
  step_turned_off: { en: "you turned this step off", fr: "vous avez désactivé cette étape" },
  checkout_started: {
    en: "the checkout has a contact and items and is not completed",
    fr: "le panier a un contact et des articles et n'est pas finalisé",
  },
  checkout_token: { en: "the order used the reminded checkout", fr: "la commande a repris le panier relancé" },
  engaged_customer: {
    en: "the customer ordered after opening or clicking a reminder",
    fr: "le client a commandé après avoir ouvert une relance ou cliqué dessus",
  },
};

function label(code: string, locale: Locale): string | undefined {
  return CODES[code]?.[locale];
}

function duration(seconds: number, locale: Locale): string {
  const units: [number, string, string][] = [
    [86400, "day", "jour"],
    [3600, "hour", "heure"],
    [60, "minute", "minute"],
    [1, "second", "seconde"],
  ];
  for (const [size, enUnit, frUnit] of units) {
    if (seconds % size === 0 || size === 1) {
      const n = seconds / size;
      const unit = locale === "fr" ? frUnit : enUnit;
      return `${n} ${unit}${n > 1 ? "s" : ""}`;
    }
  }
  return `${seconds} s`;
}

/** The merchant-facing sentence for a recorded reason (a code, or one of the timeline's
 * fixed sentences); unknown reasons are shown as recorded. */
export function reasonLabel(reason: string | null | undefined, locale: Locale): string {
  if (!reason) return "";
  const waited = /^checkout not completed (\d+)s after it was last changed$/.exec(reason);
  if (waited) {
    const d = duration(Number(waited[1]), locale);
    return locale === "fr"
      ? `panier toujours pas finalisé ${d} après sa dernière modification`
      : `checkout still not completed ${d} after its last change`;
  }
  const attributed = /^order (\S+) attributed via (\S+)$/.exec(reason);
  if (attributed) {
    const how = label(attributed[2] ?? "", locale) ?? attributed[2];
    return locale === "fr"
      ? `commande ${attributed[1]} attribuée : ${how}`
      : `order ${attributed[1]} attributed: ${how}`;
  }
  if (reason === "checkout has a contact and items and is not completed") {
    return label("checkout_started", locale) ?? reason;
  }
  if (reason === "step turned off by the merchant") {
    return label("step_turned_off", locale) ?? reason;
  }
  const [code = reason, ...rest] = reason.split(":");
  const known = label(code.trim(), locale);
  if (known === undefined) return reason;
  const detail = rest.join(":").trim();
  return detail ? `${known} (${detail})` : known;
}
