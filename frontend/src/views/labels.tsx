// Labels shared by the views: scenario names, modes, message statuses.

import type { Mode } from "../api";
import type { I18n } from "../i18n";
import { useI18n } from "../i18n";
import type { MessageKey } from "../i18n/messages";

export const MODES: Mode[] = ["live", "approval", "dry_run", "paused"];

const SCENARIO_KEYS: Record<string, MessageKey> = {
  abandoned_cart: "scenario.abandoned_cart",
  welcome: "scenario.welcome",
  winback: "scenario.winback",
  review_request: "scenario.review_request",
  // The referral program's emails (codes, rewards) have figures of their own on the Results page.
  referral: "scenario.referral",
  // The loyalty program's notices (points earned, tier reached, reward reachable, expiry
  // warning: app/loyalty/content.py), and its moves on a customer's timeline.
  loyalty: "scenario.loyalty",
  // The reviews program's thank-you email with a review's code (loyalty off:
  // app/reviews/content.py).
  reviews: "scenario.reviews",
};

export function scenarioName(key: string, { t }: I18n): string {
  const label = SCENARIO_KEYS[key];
  return label ? t(label) : key;
}

// What a step's delay counts from, when a scenario says it its own way.
const DELAY_DETAILS: Record<string, MessageKey> = {
  welcome: "settings.step.delay.details.welcome",
  winback: "settings.step.delay.details.winback",
  review_request: "settings.step.delay.details.review_request",
};

const STEP_KEYS: Record<string, MessageKey> = {
  first_reminder: "step.first_reminder",
  second_reminder: "step.second_reminder",
  last_reminder: "step.last_reminder",
  welcome: "step.welcome",
  best_sellers: "step.best_sellers",
  offer: "step.offer",
  reminder: "step.reminder",
};

/** A step's heading: its position, and its name when the scenario names it. */
export function stepHeading(index: number, key: string, { t }: I18n): string {
  const name = STEP_KEYS[key];
  return name
    ? t("settings.step.named", { number: index + 1, name: t(name) })
    : t("settings.step", { number: index + 1 });
}

export function delayDetails(key: string, { t }: I18n): string {
  return t(DELAY_DETAILS[key] ?? "settings.step.delay.details");
}

const MODE_TONES: Record<Mode, "success" | "info" | "warning" | "critical"> = {
  live: "success",
  approval: "info",
  dry_run: "warning",
  paused: "critical",
};

export function ModeBadge({ mode }: { mode: Mode }) {
  const { t } = useI18n();
  return <s-badge tone={MODE_TONES[mode]}>{t(`mode.${mode}`)}</s-badge>;
}

export const STATUSES = [
  "draft",
  "pending_approval",
  "queued",
  "sending",
  "sent",
  "unconfirmed",
  "failed",
  "suppressed",
] as const;

export type MessageStatus = (typeof STATUSES)[number];

export function statusLabel(status: string, { t }: I18n): string {
  return (STATUSES as readonly string[]).includes(status)
    ? t(`status.${status as MessageStatus}`)
    : status;
}

const STATUS_TONES: Record<string, "success" | "info" | "warning" | "critical" | "neutral"> = {
  draft: "warning",
  pending_approval: "info",
  queued: "neutral",
  sending: "neutral",
  sent: "success",
  unconfirmed: "warning",
  failed: "critical",
  // Not sent on purpose (the checkout was completed, the customer unsubscribed, a cap): a
  // decision, not a failure, so never red.
  suppressed: "neutral",
};

export function StatusBadge({ status }: { status: string }) {
  const i18n = useI18n();
  return <s-badge tone={STATUS_TONES[status] ?? "neutral"}>{statusLabel(status, i18n)}</s-badge>;
}

// Stop reasons that mean the customer bought: the sequence ended because it worked, or because
// the customer came back on their own. Shown as an outcome in a success tone, never "stopped".
const PURCHASE_REASONS = [
  "checkout_completed",
  "order_placed_for_checkout",
  "customer_placed_another_order",
  "customer_ordered",
  "customer_placed_first_order",
];

export type RunOutcome = "active" | "completed" | "stopped" | "recovered" | "ordered";

/** Whether a stop reason is a purchase (a good outcome). */
export function endedWithPurchase(stopReason: string | null | undefined): boolean {
  return stopReason !== null && stopReason !== undefined && PURCHASE_REASONS.includes(stopReason);
}

/** "recovered" when an order was attributed to the run (a reminder brought the customer
 * back), "ordered" when the customer bought without that, else the run's status. */
export function runOutcome(status: string, stopReason: string | null | undefined, converted: boolean): RunOutcome {
  if (converted) return "recovered";
  if (status === "stopped" && endedWithPurchase(stopReason)) return "ordered";
  return status === "active" || status === "completed" ? status : "stopped";
}

const OUTCOME_TONES: Record<RunOutcome, "success" | "info" | "neutral"> = {
  active: "info",
  completed: "neutral",
  stopped: "neutral",
  recovered: "success",
  ordered: "success",
};

export function OutcomeBadge({ run }: { run: { status: string; stop_reason: string | null; converted: boolean } }) {
  const { t } = useI18n();
  const outcome = runOutcome(run.status, run.stop_reason, run.converted);
  const label =
    outcome === "recovered"
      ? t("outcome.recovered")
      : outcome === "ordered"
        ? t("outcome.ordered")
        : t(`runs.status.${outcome}`);
  return <s-badge tone={OUTCOME_TONES[outcome]}>{label}</s-badge>;
}
