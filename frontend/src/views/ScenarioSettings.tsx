// A scenario's settings: its mode (each explained), transactional choice, code prefix,
// attribution window and steps (each delay a number and a unit). Every field is checked here
// in one round, in the merchant's words, before anything is sent; saving sends only what
// changed (PATCH); what the API still refuses comes back per field and is shown next to it,
// worded from its problem code. Risky but valid values (a 100 % discount, a first cart
// reminder under 30 minutes) are pointed out without blocking the save. Unsaved changes show
// the admin's save bar, which asks before the merchant leaves.

import { useCallback, useEffect, useState } from "react";

import {
  ApiError,
  get,
  patch,
  type CombinesWith,
  type Discount,
  type Mode,
  type ScenarioSettings,
  type Step,
} from "../api";
import { ErrorBanner, Loading, fieldChecked, fieldValue, toast, useLoad } from "../components/common";
import { ConfirmModal } from "../components/ConfirmModal";
import { SaveBar } from "../components/SaveBar";
import { TitleBar } from "../components/TitleBar";
import { duration, problemsByField } from "../components/problems";
import { useI18n, type I18n } from "../i18n";
import type { MessageKey } from "../i18n/messages";
import { DurationField } from "./DurationField";
import { MODES, delayDetails, scenarioName, stepHeading } from "./labels";
import { REVIEW_TIMING_FIELDS, ReviewTimingFields } from "./ReviewTimingFields";
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

// The API's bounds on a step's delay (app/scenarios/config.py, app/scenarios/steps.py).
const DAY = 86400;
function delayBounds(scenario: string): [number, number] {
  return scenario === "abandoned_cart" ? [1, 60 * DAY] : [0, 365 * DAY];
}
const NUMBER = /^\d+([.,]\d+)?$/;
// A first cart reminder sooner than this may reach a shopper who is still paying.
const QUICK_REMINDER_SECONDS = 30 * 60;

/** Every refusal the form can tell before saving, all at once, by field (the API's names). */
export function validateSettings(scenario: string, s: ScenarioSettings, i18n: I18n): Record<string, string> {
  const { t } = i18n;
  const errors: Record<string, string> = {};
  // Only the fields this scenario has: the review request hands out no code and attributes
  // no order, so its settings carry neither a code prefix nor an attribution window.
  if (s.code_prefix !== undefined && !/^[A-Z0-9]{1,12}$/.test(s.code_prefix)) {
    errors.code_prefix = s.code_prefix ? t("problem.code_pattern") : t("problem.required");
  }
  const window = s.attribution_window_days;
  if (window !== undefined && (!Number.isInteger(window) || window < 1 || window > 90)) {
    errors.attribution_window_days = Number.isInteger(window) ? t(window < 1 ? "problem.min" : "problem.max", { limit: window < 1 ? 1 : 90 }) : t("problem.whole_number");
  }
  const [min, max] = delayBounds(scenario);
  let before: { index: number; delay: number } | null = null;
  s.steps.forEach((step, index) => {
    const field = `steps.${index}.delay_seconds`;
    const delay = step.delay_seconds;
    if (!Number.isFinite(delay) || delay < min) {
      errors[field] = t("problem.delay.min", { limit: duration(min, i18n) });
    } else if (delay > max) {
      errors[field] = t("problem.delay.max", { limit: duration(max, i18n) });
    } else if (step.enabled && before && delay <= before.delay) {
      errors[field] = t("problem.delay.order", { before: before.index + 1, limit: duration(before.delay, i18n) });
    }
    // A step that is off is skipped where it stands: its delay is not compared.
    if (step.enabled) before = { index, delay };
    const discount = step.discount;
    if (discount) {
      const base = `steps.${index}.discount`;
      if (discount.kind !== "free_shipping") {
        const value = discount.value.trim();
        const amount = Number(value.replace(",", "."));
        if (!NUMBER.test(value)) errors[`${base}.value`] = t("problem.number");
        else if (discount.kind === "percentage" && (amount < 1 || amount > 100)) {
          errors[`${base}.value`] = t("problem.percentage_range");
        } else if (discount.kind === "fixed_amount" && amount <= 0) {
          errors[`${base}.value`] = t("problem.amount_positive");
        }
      }
      const hours = discount.valid_hours;
      if (!Number.isInteger(hours)) errors[`${base}.valid_hours`] = t("problem.whole_number");
      else if (hours < 1) errors[`${base}.valid_hours`] = t("problem.min", { limit: 1 });
      else if (hours > 8760) errors[`${base}.valid_hours`] = t("problem.max", { limit: 8760 });
    }
  });
  return errors;
}

/** Values that are valid but risky, by field: said, never blocking. */
export function settingsWarnings(scenario: string, s: ScenarioSettings, { t }: I18n): Record<string, string> {
  const warnings: Record<string, string> = {};
  s.steps.forEach((step, index) => {
    if (!step.enabled) return;
    const discount = step.discount;
    if (discount?.kind === "percentage" && Number(discount.value.replace(",", ".")) === 100) {
      warnings[`steps.${index}.discount.value`] = t("warning.fullDiscount");
    }
  });
  const first = s.steps[0];
  if (scenario === "abandoned_cart" && first?.enabled && first.delay_seconds < QUICK_REMINDER_SECONDS) {
    warnings["steps.0.delay_seconds"] = t("warning.quickReminder");
  }
  return warnings;
}

/** Decimal values as the API reads them ("12,5" typed in French is 12.5). */
function normalized(settings: ScenarioSettings): ScenarioSettings {
  return {
    ...settings,
    steps: settings.steps.map((step) =>
      step.discount ? { ...step, discount: { ...step.discount, value: step.discount.value.trim().replace(",", ".") } } : step,
    ),
  };
}

type Patch = Record<string, unknown>;
type Confirmation = "turnOn" | "transactional";

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
  warnings,
  onChange,
  delayNote,
}: {
  scenario: string;
  index: number;
  step: Step;
  errors: Record<string, string>;
  warnings: Record<string, string>;
  onChange: (step: Step) => void;
  // What the delay counts from, when the settings change it (the review request's timing).
  delayNote?: string;
}) {
  const i18n = useI18n();
  const { t } = i18n;
  const base = `steps.${index}`;
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
      <DurationField
        label={t("settings.step.delay")}
        details={delayNote ?? delayDetails(scenario, i18n)}
        seconds={step.delay_seconds}
        error={errors[`${base}.delay_seconds`]}
        onChange={(seconds) => onChange({ ...step, delay_seconds: seconds })}
      />
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
      {Object.entries(warnings)
        .filter(([field]) => field.startsWith(`${base}.`))
        .map(([field, warning]) => (
          <s-banner key={field} tone="warning">
            <s-paragraph>{warning}</s-paragraph>
          </s-banner>
        ))}
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
  const warnings = settingsWarnings(scenario, edited, i18n);
  const [saving, setSaving] = useState(false);
  useEffect(() => setEdited(saved), [saved]);
  const dirty = JSON.stringify(edited) !== JSON.stringify(saved);
  const discard = () => {
    setEdited(saved);
    setErrors({});
    setProblem(undefined);
  };

  // Turning the scenario on (from paused, or to live) is confirmed first: it starts acting
  // on real customers; so is making it transactional: it then ignores marketing consent.
  // When both change, the merchant confirms each in turn.
  const [asking, setAsking] = useState<Confirmation[]>([]);
  const turningOn =
    edited.mode !== saved.mode &&
    (saved.mode === "paused" || edited.mode === "live") &&
    edited.mode !== "paused";
  const becomingTransactional = edited.transactional && !saved.transactional;
  // A modal closed by the merchant (Cancel, Escape) ends the round; one closed because the
  // next one replaces it does not.
  const closeTurnOn = useCallback(() => setAsking((a) => (a[0] === "turnOn" ? [] : a)), []);
  const closeTransactional = useCallback(
    () => setAsking((a) => (a[0] === "transactional" ? [] : a)),
    [],
  );

  function requestSave() {
    const needed: Confirmation[] = [];
    if (turningOn) needed.push("turnOn");
    if (becomingTransactional) needed.push("transactional");
    // Without App Bridge (its script not loaded) there is no modal to confirm in.
    if (needed.length > 0 && customElements.get("ui-modal")) setAsking(needed);
    else void save();
  }

  function confirmed() {
    const rest = asking.slice(1);
    if (rest.length > 0) setAsking(rest);
    else void save();
  }

  async function save() {
    setAsking([]);
    setErrors({});
    setProblem(undefined);
    const found = validateSettings(scenario, edited, i18n);
    if (Object.keys(found).length > 0) {
      setErrors(found);
      setProblem(t("settings.invalid"));
      return;
    }
    const changes = settingsPatch(saved, normalized(edited));
    if (Object.keys(changes).length === 0) {
      toast(t("settings.nothingChanged"));
      return;
    }
    setSaving(true);
    try {
      const result = await patch<ScenarioSettings>(`/api/scenarios/${scenario}`, changes);
      toast(t("settings.saved"));
      onSaved(result);
    } catch (error) {
      if (error instanceof ApiError && error.body.problems) {
        setErrors(problemsByField(error.body.problems, i18n));
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
      <SaveBar id={`settings-save-bar-${scenario}`} dirty={dirty} saving={saving} onSave={requestSave}
        onDiscard={discard} />
      {problem && (
        <s-banner tone="critical" heading={problem}>
          {elsewhere.map(([field, message]) => (
            <s-paragraph key={field}>{message}</s-paragraph>
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
          warnings={warnings}
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
      <TitleBar
        title={t("settings.heading", { scenario: scenarioName(scenario, i18n) })}
        primary={{ label: t("settings.save"), onAction: requestSave, loading: saving }}
      />
      <ConfirmModal
        id={`turn-on-${scenario}`}
        open={asking[0] === "turnOn"}
        title={t("turnOn.title", { scenario: scenarioName(scenario, i18n) })}
        body={t(`turnOn.${edited.mode === "paused" ? "live" : edited.mode}`)}
        confirm={t("turnOn.confirm")}
        cancel={t("turnOn.cancel")}
        onConfirm={confirmed}
        onClose={closeTurnOn}
      />
      <ConfirmModal
        id={`transactional-${scenario}`}
        open={asking[0] === "transactional"}
        title={t("transactional.title", { scenario: scenarioName(scenario, i18n) })}
        body={t("transactional.body")}
        confirm={t("transactional.confirm")}
        cancel={t("confirm.cancel")}
        critical
        onConfirm={confirmed}
        onClose={closeTransactional}
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
