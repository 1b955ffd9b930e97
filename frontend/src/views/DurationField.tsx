// A duration the settings store in seconds, edited as an amount and a unit: the unit starts as
// the largest that shows the value whole and stays as the merchant picked it; changing it keeps
// the amount and changes the duration.

import { useState } from "react";

import { fieldValue } from "../components/common";
import { useI18n } from "../i18n";
import { UNITS, UNIT_SECONDS, bestUnit, type Unit } from "./units";

export function DurationField({
  label,
  details,
  seconds,
  error,
  onChange,
}: {
  label: string;
  details?: string;
  seconds: number;
  error?: string;
  onChange: (seconds: number) => void;
}) {
  const { t } = useI18n();
  const [unit, setUnit] = useState<Unit>(() => bestUnit(seconds));
  const amount = seconds / UNIT_SECONDS[unit];
  return (
    <s-stack direction="inline" gap="base" alignItems="start">
      <s-number-field
        label={label}
        details={details}
        value={String(amount)}
        min={0}
        error={error}
        onInput={(e) => {
          const value = Number(fieldValue(e));
          if (Number.isFinite(value)) onChange(Math.round(value * UNIT_SECONDS[unit]));
        }}
      />
      <s-select
        label={t("settings.step.unit")}
        value={unit}
        onChange={(e) => {
          const next = fieldValue(e) as Unit;
          setUnit(next);
          onChange(Math.round(amount * UNIT_SECONDS[next]));
        }}
      >
        {UNITS.map((u) => (
          <s-option key={u} value={u}>
            {t(`unit.${u}`)}
          </s-option>
        ))}
      </s-select>
    </s-stack>
  );
}
