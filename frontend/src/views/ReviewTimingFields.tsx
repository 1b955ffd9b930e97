// The review request's timing: after fulfilment, or after delivery with the longest wait for
// Shopify's delivered status, each explained (the rule: app/scenarios/review_request/settings.py).
// Refusals come back per field and are shown next to it.

import type { ReviewTiming, ScenarioSettings } from "../api";
import { useI18n } from "../i18n";
import { DurationField } from "./DurationField";

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
        <DurationField
          label={t("settings.reviewTiming.wait")}
          details={t("settings.reviewTiming.wait.details")}
          seconds={wait}
          error={errors.delivery_wait_seconds}
          onChange={(seconds) => onChange({ ...settings, delivery_wait_seconds: seconds })}
        />
      )}
    </s-section>
  );
}
