// The review request's timing: after fulfilment, or after delivery with the longest wait for
// Shopify's delivered status, each explained (the rule: app/scenarios/review_request/settings.py).
// Refusals come back per field and are shown next to it.

import { useState } from "react";

import type { ReviewTiming, ScenarioSettings } from "../api";
import { fieldValue } from "../components/common";
import { useI18n } from "../i18n";
import { UNITS, UNIT_SECONDS, bestUnit, type Unit } from "./units";

export const REVIEW_TIMING_FIELDS = ["timing", "delivery_wait_seconds"] as const;
const TIMINGS: ReviewTiming[] = ["after_fulfilment", "after_delivery"];

export function ReviewTimingFields({
  settings,
  errors,
  onChange,
}: {
  settings: ScenarioSettings;
  errors: Record<string, string>;
  onChange: (settings: ScenarioSettings) => void;
}) {
  const { t } = useI18n();
  const timing = settings.timing ?? "after_fulfilment";
  const wait = settings.delivery_wait_seconds ?? 10 * 86400;
  const [unit, setUnit] = useState<Unit>(() => bestUnit(wait));
  const amount = wait / UNIT_SECONDS[unit];
  return (
    <s-section heading={t("settings.reviewTiming.heading")}>
      <s-choice-list
        label={t("settings.reviewTiming.heading")}
        labelAccessibilityVisibility="exclusive"
        name="timing"
        values={[timing]}
        error={errors.timing}
        onChange={(e) => {
          const values = (e.currentTarget as unknown as { values: string[] }).values;
          if (values[0]) onChange({ ...settings, timing: values[0] as ReviewTiming });
        }}
      >
        {TIMINGS.map((value) => (
          <s-choice key={value} value={value}>
            {t(`settings.reviewTiming.${value}`)}
            <s-text slot="details">{t(`settings.reviewTiming.${value}.details`)}</s-text>
          </s-choice>
        ))}
      </s-choice-list>
      {timing === "after_delivery" && (
        <s-stack direction="inline" gap="base" alignItems="start">
          <s-number-field
            label={t("settings.reviewTiming.wait")}
            details={t("settings.reviewTiming.wait.details")}
            value={String(amount)}
            min={0}
            error={errors.delivery_wait_seconds}
            onInput={(e) => {
              const value = Number(fieldValue(e));
              if (Number.isFinite(value)) {
                onChange({ ...settings, delivery_wait_seconds: Math.round(value * UNIT_SECONDS[unit]) });
              }
            }}
          />
          <s-select
            label={t("settings.step.unit")}
            value={unit}
            onChange={(e) => {
              const next = fieldValue(e) as Unit;
              setUnit(next);
              onChange({ ...settings, delivery_wait_seconds: Math.round(amount * UNIT_SECONDS[next]) });
            }}
          >
            {UNITS.map((u) => (
              <s-option key={u} value={u}>
                {t(`unit.${u}`)}
              </s-option>
            ))}
          </s-select>
        </s-stack>
      )}
    </s-section>
  );
}
