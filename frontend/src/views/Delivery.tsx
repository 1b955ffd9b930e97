// The shop's delivery rules: a global pause, the frequency cap, quiet hours (with their own
// off switch) and whether unsubscribes are written back to Shopify. Every field is checked
// here at once with the API's bounds, so each mistake shows next to its field in the
// merchant's language; saving sends only what changed (PATCH). A daily cap above the weekly
// one is valid but pointed out. Turning the pause on or off is confirmed first, in the admin's
// modal; unsaved changes show the admin's save bar, which asks before the merchant leaves.

import { useCallback, useEffect, useState } from "react";

import { ApiError, get, patch, type DeliveryPolicy } from "../api";
import { ErrorBanner, Loading, fieldChecked, fieldValue, toast, useLoad } from "../components/common";
import { ConfirmModal } from "../components/ConfirmModal";
import { SaveBar } from "../components/SaveBar";
import { problemsByField } from "../components/problems";
import { POLICY_SAVED } from "../components/PauseBanner";
import { useI18n, type I18n } from "../i18n";

type Field = "max_per_day" | "max_per_week" | "quiet_start" | "quiet_end";
const LIMITS: Record<"max_per_day" | "max_per_week", [number, number]> = {
  max_per_day: [0, 50],
  max_per_week: [0, 200],
};
const TIME = /^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/;

interface Draft {
  paused: boolean;
  quiet_hours_enabled: boolean;
  max_per_day: string;
  max_per_week: string;
  quiet_start: string;
  quiet_end: string;
  consent_write_back: boolean;
}

function toDraft(p: DeliveryPolicy): Draft {
  return {
    paused: p.paused,
    quiet_hours_enabled: p.quiet_hours_enabled,
    max_per_day: String(p.max_per_day),
    max_per_week: String(p.max_per_week),
    quiet_start: p.quiet_start.slice(0, 5),
    quiet_end: p.quiet_end.slice(0, 5),
    consent_write_back: p.consent_write_back,
  };
}

export function validate(draft: Draft, { t }: I18n): Partial<Record<Field, string>> {
  const errors: Partial<Record<Field, string>> = {};
  for (const field of ["max_per_day", "max_per_week"] as const) {
    const [min, max] = LIMITS[field];
    const value = draft[field].trim();
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      errors[field] = t("validation.range", { min, max });
    }
  }
  for (const field of ["quiet_start", "quiet_end"] as const) {
    if (!TIME.test(draft[field].trim())) errors[field] = t("validation.time");
  }
  return errors;
}

/** A daily cap above the weekly one: valid, but the weekly cap is what applies. */
export function capWarning(draft: Draft, { t }: I18n): string | undefined {
  const day = Number(draft.max_per_day);
  const week = Number(draft.max_per_week);
  if (/^\d+$/.test(draft.max_per_day.trim()) && /^\d+$/.test(draft.max_per_week.trim()) && day > week) {
    return t("warning.dailyAboveWeekly", { day, week });
  }
  return undefined;
}

/** The API's values of the draft that differ from what is saved. */
function changes(saved: DeliveryPolicy, draft: Draft): Partial<DeliveryPolicy> {
  const next: DeliveryPolicy = {
    paused: draft.paused,
    quiet_hours_enabled: draft.quiet_hours_enabled,
    max_per_day: Number(draft.max_per_day),
    max_per_week: Number(draft.max_per_week),
    quiet_start: draft.quiet_start.trim(),
    quiet_end: draft.quiet_end.trim(),
    consent_write_back: draft.consent_write_back,
  };
  const before = toDraft(saved);
  const changed: Partial<DeliveryPolicy> = {};
  for (const key of Object.keys(next) as (keyof DeliveryPolicy)[]) {
    if (String(next[key]) !== String(before[key as keyof Draft])) Object.assign(changed, { [key]: next[key] });
  }
  return changed;
}

function Form({ saved: initial }: { saved: DeliveryPolicy }) {
  const [saved, setSaved] = useState(initial);
  const i18n = useI18n();
  const { t } = i18n;
  const [draft, setDraft] = useState(() => toDraft(saved));
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({});
  const [failure, setFailure] = useState<Error>();
  const [saving, setSaving] = useState(false);
  useEffect(() => setDraft(toDraft(saved)), [saved]);
  const savedDraft = toDraft(saved);
  const dirty = (Object.keys(draft) as (keyof Draft)[]).some((key) => draft[key] !== savedDraft[key]);
  const discard = () => {
    setDraft(savedDraft);
    setErrors({});
    setFailure(undefined);
  };

  // The pause switched either way is confirmed first: it stops, or restarts, every email.
  const [confirming, setConfirming] = useState(false);
  const closeConfirm = useCallback(() => setConfirming(false), []);
  function requestSave() {
    // Without App Bridge (its script not loaded) there is no modal to confirm in.
    if (draft.paused !== saved.paused && customElements.get("ui-modal")) setConfirming(true);
    else void save();
  }

  async function save() {
    setConfirming(false);
    const found = validate(draft, i18n);
    setErrors(found);
    setFailure(undefined);
    if (Object.keys(found).length > 0) return;
    const changed = changes(saved, draft);
    if (Object.keys(changed).length === 0) {
      toast(t("settings.nothingChanged"));
      return;
    }
    setSaving(true);
    try {
      const result = await patch<DeliveryPolicy>("/api/messaging/settings", changed);
      setSaved(result);
      setDraft(toDraft(result));
      toast(t("delivery.saved"));
      window.dispatchEvent(new Event(POLICY_SAVED));
    } catch (e) {
      if (e instanceof ApiError && e.body.problems) {
        setErrors(problemsByField(e.body.problems, i18n) as Partial<Record<Field, string>>);
      } else {
        setFailure(e instanceof Error ? e : new Error(String(e)));
      }
    } finally {
      setSaving(false);
    }
  }

  const warning = capWarning(draft, i18n);
  const text = (field: Field, label: string, details?: string, disabled = false) => (
    <s-text-field
      label={label}
      details={details}
      value={draft[field]}
      disabled={disabled}
      error={errors[field]}
      onInput={(e) => setDraft({ ...draft, [field]: fieldValue(e) })}
    />
  );

  const pause = draft.paused ? "on" : "off";
  return (
    <>
      <SaveBar id="delivery-save-bar" dirty={dirty} saving={saving} onSave={requestSave} onDiscard={discard} />
      {failure && <ErrorBanner error={failure} />}
      <s-section heading={t("delivery.section.pause")}>
        <s-switch
          label={t("delivery.paused")}
          details={t("delivery.paused.details")}
          checked={draft.paused}
          onChange={(e) => setDraft({ ...draft, paused: fieldChecked(e) })}
        />
      </s-section>
      <s-section heading={t("delivery.section.frequency")}>
        {text("max_per_day", t("delivery.maxPerDay"))}
        {text("max_per_week", t("delivery.maxPerWeek"))}
        {warning && (
          <s-banner tone="warning">
            <s-paragraph>{warning}</s-paragraph>
          </s-banner>
        )}
      </s-section>
      <s-section heading={t("delivery.section.quiet")}>
        <s-switch
          label={t("delivery.quietOn")}
          details={t("delivery.quietOn.details")}
          checked={draft.quiet_hours_enabled}
          onChange={(e) => setDraft({ ...draft, quiet_hours_enabled: fieldChecked(e) })}
        />
        {text("quiet_start", t("delivery.quietStart"), t("delivery.quiet.details"), !draft.quiet_hours_enabled)}
        {text("quiet_end", t("delivery.quietEnd"), undefined, !draft.quiet_hours_enabled)}
      </s-section>
      <s-section heading={t("delivery.section.consent")}>
        <s-switch
          label={t("delivery.consentWriteBack")}
          details={t("delivery.consentWriteBack.details")}
          checked={draft.consent_write_back}
          onChange={(e) => setDraft({ ...draft, consent_write_back: fieldChecked(e) })}
        />
      </s-section>
      <s-button variant="primary" loading={saving} onClick={requestSave}>
        {t("delivery.save")}
      </s-button>
      <ConfirmModal
        id="delivery-pause"
        open={confirming}
        title={t(`pause.${pause}.title`)}
        body={t(`pause.${pause}.body`)}
        confirm={t(`pause.${pause}.confirm`)}
        cancel={t("confirm.cancel")}
        critical={draft.paused}
        onConfirm={() => void save()}
        onClose={closeConfirm}
      />
    </>
  );
}

export function Delivery() {
  const { t } = useI18n();
  const policy = useLoad(() => get<DeliveryPolicy>("/api/messaging/settings"), []);
  return (
    <s-page heading={t("delivery.heading")}>
      {policy.error && <ErrorBanner error={policy.error} onRetry={policy.reload} />}
      {!policy.data && !policy.error && <Loading />}
      {policy.data && <Form saved={policy.data} />}
    </s-page>
  );
}
