// A scenario's settings: its mode (each explained), transactional choice, code prefix,
// attribution window and steps. Saving sends only what changed (the API merges a partial
// PUT); refused values come back per field and are shown next to it.

import { useCallback, useEffect, useState } from "react";

import {
  ApiError,
  get,
  put,
  type CombinesWith,
  type Discount,
  type Mode,
  type ScenarioSettings,
  type Step,
} from "../api";
import { ErrorBanner, Loading, fieldChecked, fieldValue, toast, useLoad } from "../components/common";
import { ConfirmModal } from "../components/ConfirmModal";
import { useI18n } from "../i18n";
import type { MessageKey } from "../i18n/messages";
import { MODES, delayDetails, scenarioName, stepHeading } from "./labels";
import { REVIEW_TIMING_FIELDS, ReviewTimingFields } from "./ReviewTimingFields";
import { UNITS, UNIT_SECONDS, bestUnit, type Unit } from "./units";
import { WINBACK_FIELDS, WinbackFields } from "./WinbackFields";


const DEFAULT_DISCOUNT: Discount = {
  kind: "percentage",
  value: "10",
  valid_hours: 72,
  minimum_subtotal: null,
  use_pool: true,
  combines_with: { order_discounts: false, product_discounts: false, shipping_discounts: false },
};

const COMBINES: [keyof CombinesWith, MessageKey][] = [
  ["order_discounts", "settings.discount.combinesWith.order"],
  ["product_discounts", "settings.discount.combinesWith.product"],
  ["shipping_discounts", "settings.discount.combinesWith.shipping"],
];

/** The fields the form shows a refusal next to (the API names steps by position, from 0:
 * `steps.1.delay_seconds`); a refusal of any other field goes in the banner. */
function shownFields(steps: number): Set<string> {
  const fields: string[] = ["mode", "transactional", "code_prefix", "attribution_window_days", "steps"];
  fields.push(...WINBACK_FIELDS, ...REVIEW_TIMING_FIELDS, "best_sellers_count");
  for (let i = 0; i < steps; i++) {
    const base = `steps.${i}`;
    fields.push(`${base}.enabled`, `${base}.delay_seconds`, `${base}.discount`);
    for (const key of ["kind", "value", "valid_hours"]) fields.push(`${base}.discount.${key}`);
    for (const [key] of COMBINES) fields.push(`${base}.discount.combines_with.${key}`);
  }
  return new Set(fields);
}

type Patch = Record<string, unknown>;

function diff(before: Record<string, unknown>, after: Record<string, unknown>): Patch {
  const patch: Patch = {};
  for (const key of Object.keys(after)) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) patch[key] = after[key];
  }
  return patch;
}

/** What the API needs to turn `saved` into `edited`: top-level keys that changed, and for
 * steps the list with each step's changed keys (an unchanged step is `{}`). */
export function settingsPatch(saved: ScenarioSettings, edited: ScenarioSettings): Patch {
  const { steps: savedSteps, ...savedTop } = saved;
  const { steps: editedSteps, ...editedTop } = edited;
  const patch = diff(savedTop, editedTop);
  if (JSON.stringify(savedSteps) !== JSON.stringify(editedSteps)) {
    patch.steps = editedSteps.map((step, index) => {
      const before = savedSteps[index];
      if (!before) return step;
      const { discount, ...rest } = step;
      const { discount: beforeDiscount, ...beforeRest } = before;
      const stepPatch = diff(beforeRest, rest);
      if (JSON.stringify(discount) !== JSON.stringify(beforeDiscount)) {
        stepPatch.discount =
          discount && beforeDiscount ? diff({ ...beforeDiscount }, { ...discount }) : discount;
      }
      return stepPatch;
    });
  }
  return patch;
}

function StepEditor({
  scenario,
  index,
  step,
  errors,
  onChange,
  delayNote,
}: {
  scenario: string;
  index: number;
  step: Step;
  errors: Record<string, string>;
  onChange: (step: Step) => void;
  // What the delay counts from, when the settings change it (the review request's timing).
  delayNote?: string;
}) {
  const i18n = useI18n();
  const { t } = i18n;
  const [unit, setUnit] = useState<Unit>(() => bestUnit(step.delay_seconds));
  const base = `steps.${index}`;
  const amount = step.delay_seconds / UNIT_SECONDS[unit];
  const discount = step.discount;
  const setDiscount = (change: Partial<Discount>) =>
    onChange({ ...step, discount: { ...(discount ?? DEFAULT_DISCOUNT), ...change } });
  return (
    <s-section heading={stepHeading(index, step.key, i18n)}>
      <s-checkbox
        label={t("settings.step.enabled")}
        checked={step.enabled}
        error={errors[`${base}.enabled`]}
        onChange={(e) => onChange({ ...step, enabled: fieldChecked(e) })}
      />
      <s-stack direction="inline" gap="base" alignItems="start">
        <s-number-field
          label={t("settings.step.delay")}
          details={delayNote ?? delayDetails(scenario, i18n)}
          value={String(amount)}
          min={0}
          error={errors[`${base}.delay_seconds`] ?? (index === 0 ? errors.steps : undefined)}
          onInput={(e) => {
            const value = Number(fieldValue(e));
            if (Number.isFinite(value)) {
              onChange({ ...step, delay_seconds: Math.round(value * UNIT_SECONDS[unit]) });
            }
          }}
        />
        <s-select
          label={t("settings.step.unit")}
          value={unit}
          onChange={(e) => {
            const next = fieldValue(e) as Unit;
            setUnit(next);
            onChange({ ...step, delay_seconds: Math.round(amount * UNIT_SECONDS[next]) });
          }}
        >
          {UNITS.map((u) => (
            <s-option key={u} value={u}>
              {t(`unit.${u}`)}
            </s-option>
          ))}
        </s-select>
      </s-stack>
      <s-checkbox
        label={t("settings.step.discount")}
        checked={discount !== null}
        onChange={(e) => onChange({ ...step, discount: fieldChecked(e) ? (discount ?? DEFAULT_DISCOUNT) : null })}
      />
      {discount && (
        <s-stack direction="inline" gap="base" alignItems="start">
          <s-select
            label={t("settings.discount.kind")}
            value={discount.kind}
            error={errors[`${base}.discount.kind`]}
            onChange={(e) => setDiscount({ kind: fieldValue(e) as Discount["kind"] })}
          >
            {(["percentage", "fixed_amount", "free_shipping"] as const).map((kind) => (
              <s-option key={kind} value={kind}>
                {t(`discount.${kind}`)}
              </s-option>
            ))}
          </s-select>
          {discount.kind !== "free_shipping" && (
            <s-text-field
              label={t("settings.discount.value")}
              value={discount.value}
              suffix={discount.kind === "percentage" ? "%" : undefined}
              error={errors[`${base}.discount.value`] ?? errors[`${base}.discount`]}
              onInput={(e) => setDiscount({ value: fieldValue(e) })}
            />
          )}
          <s-number-field
            label={t("settings.discount.validHours")}
            value={String(discount.valid_hours)}
            min={1}
            error={errors[`${base}.discount.valid_hours`]}
            onInput={(e) => setDiscount({ valid_hours: Number(fieldValue(e)) })}
          />
        </s-stack>
      )}
      {discount && (
        <s-stack direction="block" gap="small-200">
          <s-text>{t("settings.discount.combinesWith")}</s-text>
          {COMBINES.map(([key, label]) => (
            <s-checkbox
              key={key}
              label={t(label)}
              checked={discount.combines_with[key]}
              error={errors[`${base}.discount.combines_with.${key}`]}
              onChange={(e) =>
                setDiscount({ combines_with: { ...discount.combines_with, [key]: fieldChecked(e) } })
              }
            />
          ))}
        </s-stack>
      )}
    </s-section>
  );
}

function SettingsForm({ scenario, saved, onSaved }: {
  scenario: string;
  saved: ScenarioSettings;
  onSaved: (settings: ScenarioSettings) => void;
}) {
  const i18n = useI18n();
  const { t } = i18n;
  const [edited, setEdited] = useState(saved);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<string>();
  const shown = shownFields(edited.steps.length);
  const elsewhere = Object.entries(errors).filter(([field]) => !shown.has(field));
  const [saving, setSaving] = useState(false);
  useEffect(() => setEdited(saved), [saved]);

  // Turning the scenario on (from paused, or to live) is confirmed first: it starts acting
  // on real customers.
  const [confirming, setConfirming] = useState(false);
  const turningOn =
    edited.mode !== saved.mode &&
    (saved.mode === "paused" || edited.mode === "live") &&
    edited.mode !== "paused";
  const closeConfirm = useCallback(() => setConfirming(false), []);

  function requestSave() {
    // Without App Bridge (its script not loaded) there is no modal to confirm in.
    if (turningOn && customElements.get("ui-modal")) setConfirming(true);
    else void save();
  }

  async function save() {
    setConfirming(false);
    const patch = settingsPatch(saved, edited);
    setErrors({});
    setProblem(undefined);
    if (Object.keys(patch).length === 0) {
      toast(t("settings.nothingChanged"));
      return;
    }
    setSaving(true);
    try {
      const result = await put<ScenarioSettings>(`/api/scenarios/${scenario}`, patch);
      toast(t("settings.saved"));
      onSaved(result);
    } catch (error) {
      if (error instanceof ApiError && error.body.problems) {
        const byField: Record<string, string> = {};
        for (const p of error.body.problems) byField[p.field] = p.message;
        setErrors(byField);
        setProblem(t("settings.invalid"));
      } else {
        setProblem(error instanceof Error ? error.message : String(error));
      }
    } finally {
      setSaving(false);
    }
  }

  return (
    <>
      {problem && (
        <s-banner tone="critical" heading={problem}>
          {elsewhere.map(([field, message]) => (
            <s-paragraph key={field}>{field ? `${field}: ${message}` : message}</s-paragraph>
          ))}
        </s-banner>
      )}
      <s-section heading={t("settings.mode")}>
        <s-choice-list
          label={t("settings.mode")}
          labelAccessibilityVisibility="exclusive"
          name="mode"
          values={[edited.mode]}
          error={errors.mode}
          onChange={(e) => {
            const values = (e.currentTarget as unknown as { values: string[] }).values;
            if (values[0]) setEdited({ ...edited, mode: values[0] as Mode });
          }}
        >
          {MODES.map((mode) => (
            <s-choice key={mode} value={mode}>
              {t(`mode.${mode}`)}
              <s-text slot="details">{t(`mode.${mode}.details` as MessageKey)}</s-text>
            </s-choice>
          ))}
        </s-choice-list>
        <s-checkbox
          label={t("settings.transactional")}
          details={t("settings.transactional.details")}
          checked={edited.transactional}
          error={errors.transactional}
          onChange={(e) => setEdited({ ...edited, transactional: fieldChecked(e) })}
        />
      </s-section>
      <s-section heading={scenarioName(scenario, i18n)}>
        <s-text-field
          label={t("settings.codePrefix")}
          details={t("settings.codePrefix.details")}
          value={edited.code_prefix}
          error={errors.code_prefix}
          onInput={(e) => setEdited({ ...edited, code_prefix: fieldValue(e) })}
        />
        <s-number-field
          label={t("settings.attribution")}
          details={t("settings.attribution.details")}
          value={String(edited.attribution_window_days)}
          min={1}
          max={90}
          error={errors.attribution_window_days}
          onInput={(e) => setEdited({ ...edited, attribution_window_days: Number(fieldValue(e)) })}
        />
      </s-section>
      {scenario === "winback" && (
        <WinbackFields settings={edited} errors={errors} onChange={setEdited} />
      )}
      {scenario === "welcome" && (
        <s-section heading={t("settings.welcome.heading")}>
          <s-number-field
            label={t("settings.welcome.bestSellers")}
            details={t("settings.welcome.bestSellers.details")}
            value={String(edited.best_sellers_count ?? "")}
            min={1}
            max={12}
            error={errors.best_sellers_count}
            onInput={(e) => setEdited({ ...edited, best_sellers_count: Number(fieldValue(e)) })}
          />
        </s-section>
      )}
      {scenario === "review_request" && (
        <ReviewTimingFields settings={edited} errors={errors} onChange={setEdited} />
      )}
      {edited.steps.map((step, index) => (
        <StepEditor
          scenario={scenario}
          key={index}
          index={index}
          step={step}
          errors={errors}
          delayNote={
            scenario === "review_request" && edited.timing === "after_delivery"
              ? t("settings.step.delay.details.review_request.delivery")
              : undefined
          }
          onChange={(next) =>
            setEdited({ ...edited, steps: edited.steps.map((s, i) => (i === index ? next : s)) })
          }
        />
      ))}
      <s-stack direction="inline" gap="base">
        <s-button variant="primary" loading={saving} onClick={requestSave}>
          {t("settings.save")}
        </s-button>
      </s-stack>
      <ConfirmModal
        id={`turn-on-${scenario}`}
        open={confirming}
        title={t("turnOn.title", { scenario: scenarioName(scenario, i18n) })}
        body={t(`turnOn.${edited.mode === "paused" ? "live" : edited.mode}`)}
        confirm={t("turnOn.confirm")}
        cancel={t("turnOn.cancel")}
        onConfirm={() => void save()}
        onClose={closeConfirm}
      />
    </>
  );
}

export function ScenarioSettingsView({ scenario }: { scenario: string }) {
  const i18n = useI18n();
  const loaded = useLoad(() => get<ScenarioSettings>(`/api/scenarios/${scenario}`), [scenario]);
  const [saved, setSaved] = useState<ScenarioSettings>();
  const current = saved ?? loaded.data;
  return (
    <s-page heading={i18n.t("settings.heading", { scenario: scenarioName(scenario, i18n) })}>
      {loaded.error && <ErrorBanner error={loaded.error} onRetry={loaded.reload} />}
      {!current && !loaded.error && <Loading />}
      {current && <SettingsForm scenario={scenario} saved={current} onSaved={setSaved} />}
    </s-page>
  );
}
