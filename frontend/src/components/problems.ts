// A refused or risky value said in the merchant's words: the API's problem codes
// (app/scenarios/config.py's Problem) worded for the page, a delay in the unit the merchant
// chose, never a field's API name.

import type { Problem } from "../api";
import type { I18n } from "../i18n";
import type { MessageKey } from "../i18n/messages";

type Unit = "second" | "minute" | "hour" | "day";
const SECONDS: [Unit, number][] = [
  ["day", 86400],
  ["hour", 3600],
  ["minute", 60],
  ["second", 1],
];

/** A duration as the merchant would say it: "2 days", "90 minutes", "1 heure". */
export function duration(seconds: number, { locale }: I18n): string {
  const [unit, size] = SECONDS.find(([, size]) => seconds % size === 0 && seconds >= size) ?? ["second", 1];
  return new Intl.NumberFormat(locale === "fr" ? "fr-FR" : "en-US", {
    style: "unit",
    unit,
    unitDisplay: "long",
  }).format(seconds / size);
}

const CODES: Record<string, MessageKey> = {
  min: "problem.min",
  max: "problem.max",
  more_than: "problem.more_than",
  less_than: "problem.less_than",
  number: "problem.number",
  whole_number: "problem.whole_number",
  required: "problem.required",
  too_short: "problem.too_short",
  too_long: "problem.too_long",
  code_pattern: "problem.code_pattern",
  key_pattern: "problem.key_pattern",
  percentage_range: "problem.percentage_range",
  amount_positive: "problem.amount_positive",
  time: "problem.time",
  one_of: "problem.one_of",
  true_or_false: "problem.true_or_false",
  unknown: "problem.unknown",
};

// A field holding a duration in seconds (a step's delay, the review request's longest wait for
// a delivery…): its limits are said as a duration, in the merchant's words.
const isDelay = (field: string) => /(^|[._])seconds$/.test(field);

/** What the form shows next to the field the problem names. */
export function problemText(problem: Problem, i18n: I18n): string {
  const { t } = i18n;
  const code = problem.code ?? "invalid";
  const params = problem.params ?? {};
  const limit = params.limit ?? "";
  if (isDelay(problem.field)) {
    if (code === "delay_order") {
      return t("problem.delay.order", {
        before: params.before ?? "",
        limit: duration(Number(params.before_delay_seconds ?? 0), i18n),
      });
    }
    if (code === "min") return t("problem.delay.min", { limit: duration(Number(limit), i18n) });
    if (code === "max") return t("problem.delay.max", { limit: duration(Number(limit), i18n) });
  }
  const key = CODES[code];
  return key ? t(key, { limit }) : t("problem.invalid");
}

/** Problems by the field they name, in the merchant's words. */
export function problemsByField(problems: Problem[], i18n: I18n): Record<string, string> {
  const byField: Record<string, string> = {};
  for (const p of problems) byField[p.field] ??= problemText(p, i18n);
  return byField;
}
