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
  suppressed: "critical",
};

export function StatusBadge({ status }: { status: string }) {
  const i18n = useI18n();
  return <s-badge tone={STATUS_TONES[status] ?? "neutral"}>{statusLabel(status, i18n)}</s-badge>;
}
