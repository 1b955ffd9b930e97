// The shop's sender: who its emails come from (name, reply-to, an address on a domain the
// operator verified), its logo and colour, what customers see as a result, and the postal
// address read from Shopify that every email carries. Checked here first, then by the API,
// whose refusals show next to their field in the merchant's language.

import { useEffect, useState } from "react";

import { ApiError, get, put, type SenderFields, type SenderSettings } from "../api";
import { ErrorBanner, Loading, fieldValue, toast, useLoad } from "../components/common";
import { SaveBar } from "../components/SaveBar";
import { useI18n, type I18n } from "../i18n";

type Field = keyof SenderFields;
type Draft = Record<Field, string>;

const EMAIL = /^[^@\s<>"(),;:]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;
const COLOR = /^#[0-9a-fA-F]{6}$/;

function toDraft(s: SenderSettings): Draft {
  return {
    name: s.name ?? "",
    reply_to: s.reply_to ?? "",
    address: s.address ?? "",
    logo_url: s.logo_url ?? "",
    brand_color: s.brand_color ?? "",
  };
}

export function validate(draft: Draft, { t }: I18n): Partial<Record<Field, string>> {
  const errors: Partial<Record<Field, string>> = {};
  for (const field of ["reply_to", "address"] as const) {
    const value = draft[field].trim();
    if (value && !EMAIL.test(value)) errors[field] = t("sender.validation.email");
  }
  const color = draft.brand_color.trim();
  if (color && !COLOR.test(color)) errors.brand_color = t("sender.validation.color");
  const logo = draft.logo_url.trim();
  if (logo && !logo.startsWith("https://")) errors.logo_url = t("sender.validation.logo");
  return errors;
}

function Form({ saved, onSaved }: { saved: SenderSettings; onSaved: (s: SenderSettings) => void }) {
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
    if (Object.keys(found).length > 0) {
      setFailure(new Error(t("sender.invalid")));
      return;
    }
    setSaving(true);
    try {
      const body = Object.fromEntries(
        Object.entries(draft).map(([key, value]) => [key, value.trim() || null]),
      );
      const result = await put<SenderSettings>("/api/sender", body);
      onSaved(result);
      toast(t("sender.saved"));
    } catch (e) {
      if (e instanceof ApiError && Array.isArray(e.body.problems)) {
        const byField: Partial<Record<Field, string>> = {};
        for (const p of e.body.problems) byField[p.field as Field] = p.message;
        setErrors(byField);
        setFailure(new Error(t("sender.invalid")));
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
  const domains = saved.verified_domains;
  const initial = toDraft(saved);
  const dirty = (Object.keys(draft) as Field[]).some((key) => draft[key] !== initial[key]);
  const discard = () => {
    setDraft(initial);
    setErrors({});
    setFailure(undefined);
  };
  return (
    <>
      <SaveBar
        id="sender-save-bar"
        dirty={dirty}
        saving={saving}
        onSave={() => void save()}
        onDiscard={discard}
      />
      {failure && <ErrorBanner error={failure} />}
      <s-section heading={t("sender.section.identity")}>
        {text("name", t("sender.name"), t("sender.name.details", { name: saved.default_name }))}
        {text("reply_to", t("sender.replyTo"), t("sender.replyTo.details"))}
        {text(
          "address",
          t("sender.address"),
          domains.length > 0
            ? t("sender.address.verified", { domains: domains.join(", ") })
            : t("sender.address.none"),
        )}
        <s-paragraph>{t("sender.authentication")}</s-paragraph>
      </s-section>
      <s-section heading={t("sender.section.brand")}>
        {text("logo_url", t("sender.logo"), t("sender.logo.details"))}
        {text("brand_color", t("sender.color"), t("sender.color.details"))}
      </s-section>
      <s-section heading={t("sender.section.preview")}>
        <dl className="sender-headers">
          <dt>{t("sender.from")}</dt>
          <dd>{saved.from_header}</dd>
          <dt>{t("sender.replyToHeader")}</dt>
          <dd>{saved.reply_to_header ?? "—"}</dd>
        </dl>
        <s-badge tone={saved.own_address ? "success" : "info"}>
          {saved.own_address ? t("sender.ownAddress") : t("sender.appAddress")}
        </s-badge>
      </s-section>
      <s-section heading={t("sender.section.postal")}>
        {saved.postal_address.length > 0 ? (
          <address className="postal">
            {saved.postal_address.map((line) => (
              <div key={line}>{line}</div>
            ))}
          </address>
        ) : (
          <s-banner tone="warning">
            <s-paragraph>{t("sender.postal.missing")}</s-paragraph>
          </s-banner>
        )}
        <s-text color="subdued">{t("sender.postal.details")}</s-text>
      </s-section>
      <s-button variant="primary" loading={saving} onClick={() => void save()}>
        {t("sender.save")}
      </s-button>
    </>
  );
}

export function Sender() {
  const { t } = useI18n();
  const sender = useLoad(() => get<SenderSettings>("/api/sender"), []);
  const [saved, setSaved] = useState<SenderSettings>();
  const shown = saved ?? sender.data;
  return (
    <s-page heading={t("sender.heading")}>
      {sender.error && <ErrorBanner error={sender.error} onRetry={sender.reload} />}
      {!shown && !sender.error && <Loading />}
      {shown && <Form saved={shown} onSaved={setSaved} />}
    </s-page>
  );
}
