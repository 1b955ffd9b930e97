// Win-back's own settings: who counts as lapsed (N days without an order, or the multiplier
// of their usual gap for customers with enough orders, never sooner than a minimum) and how long before a customer may be
// won back again. Refusals come back per field and are shown next to it.

import type { ScenarioSettings } from "../api";
import { fieldValue } from "../components/common";
import { useI18n } from "../i18n";

export const WINBACK_FIELDS = [
  "lapsed_after_days",
  "median_multiplier",
  "min_orders_for_rhythm",
  "min_lapse_days",
  "cooldown_days",
] as const;

export function WinbackFields({
  settings,
  errors,
  onChange,
}: {
  settings: ScenarioSettings;
  errors: Record<string, string>;
  onChange: (settings: ScenarioSettings) => void;
}) {
  const { t } = useI18n();
  const whole = (value: string) => Number(value);
  return (
    <s-section heading={t("settings.winback.heading")}>
      <s-stack direction="block" gap="base">
        <s-number-field
          label={t("settings.winback.lapsedAfter")}
          details={t("settings.winback.lapsedAfter.details")}
          value={String(settings.lapsed_after_days ?? "")}
          min={7}
          max={730}
          error={errors.lapsed_after_days}
          onInput={(e) => onChange({ ...settings, lapsed_after_days: whole(fieldValue(e)) })}
        />
        <s-stack direction="inline" gap="base" alignItems="start">
          <s-text-field
            label={t("settings.winback.multiplier")}
            details={t("settings.winback.multiplier.details")}
            value={settings.median_multiplier ?? ""}
            error={errors.median_multiplier}
            onInput={(e) => onChange({ ...settings, median_multiplier: fieldValue(e) })}
          />
          <s-number-field
            label={t("settings.winback.minOrders")}
            value={String(settings.min_orders_for_rhythm ?? "")}
            min={2}
            max={100}
            error={errors.min_orders_for_rhythm}
            onInput={(e) => onChange({ ...settings, min_orders_for_rhythm: whole(fieldValue(e)) })}
          />
        </s-stack>
        <s-number-field
          label={t("settings.winback.minLapse")}
          details={t("settings.winback.minLapse.details")}
          value={String(settings.min_lapse_days ?? "")}
          min={1}
          max={730}
          error={errors.min_lapse_days}
          onInput={(e) => onChange({ ...settings, min_lapse_days: whole(fieldValue(e)) })}
        />
        <s-number-field
          label={t("settings.winback.cooldown")}
          details={t("settings.winback.cooldown.details")}
          value={String(settings.cooldown_days ?? "")}
          min={1}
          max={730}
          error={errors.cooldown_days}
          onInput={(e) => onChange({ ...settings, cooldown_days: whole(fieldValue(e)) })}
        />
      </s-stack>
    </s-section>
  );
}
