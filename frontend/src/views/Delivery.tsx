// The shop's delivery rules: a global pause, the frequency cap, quiet hours and whether
// unsubscribes are written back to Shopify. Checked here
// with the API's bounds so each mistake shows next to its field in the merchant's language.

import { useEffect, useState } from "react";

import { ApiError, get, put, type DeliveryPolicy } from "../api";
import { ErrorBanner, Loading, fieldChecked, fieldValue, toast, useLoad } from "../components/common";
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
  max_per_day: string;
  max_per_week: string;
  quiet_start: string;
  quiet_end: string;
  consent_write_back: boolean;
}

function toDraft(p: DeliveryPolicy): Draft {
  return {
    paused: p.paused,
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

function Form({ saved }: { saved: DeliveryPolicy }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [draft, setDraft] = useState(() => toDraft(saved));
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({});
  const [failure, setFailure] = useState<Error>();
  const [saving, setSaving] = useState(false);
  useEffect(() => setDraft(toDraft(saved)), [saved]);

  async function save() {
    const found = validate(draft, i18n);
    setErrors(found);
    setFailure(undefined);
    if (Object.keys(found).length > 0) return;
    setSaving(true);
    try {
      const result = await put<DeliveryPolicy>("/api/messaging/settings", {
        paused: draft.paused,
        max_per_day: Number(draft.max_per_day),
        max_per_week: Number(draft.max_per_week),
        quiet_start: draft.quiet_start.trim(),
        quiet_end: draft.quiet_end.trim(),
        consent_write_back: draft.consent_write_back,
      });
      setDraft(toDraft(result));
      toast(t("delivery.saved"));
      window.dispatchEvent(new Event(POLICY_SAVED));
    } catch (e) {
      if (e instanceof ApiError && e.status === 422 && Array.isArray(e.body.detail)) {
        const byField: Partial<Record<Field, string>> = {};
        for (const d of e.body.detail as { loc?: unknown[]; msg?: string }[]) {
          const field = d.loc?.[d.loc.length - 1] as Field | undefined;
          if (field) byField[field] = t("validation.server", { detail: d.msg ?? "" });
        }
        setErrors(byField);
      } else {
        setFailure(e instanceof Error ? e : new Error(String(e)));
      }
    } finally {
      setSaving(false);
    }
  }

  const text = (field: Field, label: string, details?: string) => (
    <s-text-field
      label={label}
      details={details}
      value={draft[field]}
      error={errors[field]}
      onInput={(e) => setDraft({ ...draft, [field]: fieldValue(e) })}
    />
  );

  return (
    <>
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
      </s-section>
      <s-section heading={t("delivery.section.quiet")}>
        {text("quiet_start", t("delivery.quietStart"), t("delivery.quiet.details"))}
        {text("quiet_end", t("delivery.quietEnd"))}
      </s-section>
      <s-section heading={t("delivery.section.consent")}>
        <s-switch
          label={t("delivery.consentWriteBack")}
          details={t("delivery.consentWriteBack.details")}
          checked={draft.consent_write_back}
          onChange={(e) => setDraft({ ...draft, consent_write_back: fieldChecked(e) })}
        />
      </s-section>
      <s-button variant="primary" loading={saving} onClick={() => void save()}>
        {t("delivery.save")}
      </s-button>
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
