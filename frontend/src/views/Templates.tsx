// The template editor for one scenario step in one language: subject, HTML and text; saving
// shows the template's error with its line; a preview renders it against sample data or a
// real customer; a test goes to the shop's own address.

import { useState } from "react";

import {
  ApiError,
  get,
  post,
  put,
  query,
  type Customer,
  type CustomerIndexPage,
  type Preview,
  type Rendered,
  type ScenarioSettings,
  type Template,
} from "../api";
import { EmailPreview, ErrorBanner, Loading, fieldValue, toast, useLoad } from "../components/common";
import { useI18n } from "../i18n";
import { go, href } from "../route";
import { scenarioName } from "./labels";

type Part = "subject" | "html" | "text";

function customerLabel(c: Customer): string {
  const name = [c.first_name, c.last_name].filter(Boolean).join(" ");
  return name ? `${name} <${c.email ?? ""}>` : (c.email ?? `#${c.id}`);
}

function CustomerPicker({ value, onChange }: { value: number | null; onChange: (id: number | null) => void }) {
  const { t } = useI18n();
  const [search, setSearch] = useState("");
  const found = useLoad(() => get<CustomerIndexPage>(`/api/customers${query({ search, limit: 20 })}`), [search]);
  return (
    <s-stack direction="inline" gap="base" alignItems="start">
      <s-text-field
        label={t("templates.searchCustomer")}
        details={t("templates.searchCustomer.details")}
        value={search}
        onInput={(e) => setSearch(fieldValue(e))}
      />
      <s-select
        label={t("templates.previewFor")}
        value={value === null ? "" : String(value)}
        onChange={(e) => {
          const chosen = fieldValue(e);
          onChange(chosen ? Number(chosen) : null);
        }}
      >
        <s-option value="">{t("templates.sampleCustomer")}</s-option>
        {(found.data?.customers ?? []).map((c) => (
          <s-option key={c.id} value={String(c.id)}>
            {customerLabel(c)}
          </s-option>
        ))}
      </s-select>
    </s-stack>
  );
}

function Editor({ scenario, step, locale, template }: {
  scenario: string;
  step: number;
  locale: string;
  template: Template;
}) {
  const { t, when } = useI18n();
  const [draft, setDraft] = useState({ subject: template.subject, html: template.html, text: template.text });
  const [customized, setCustomized] = useState(template.customized);
  // A saved version has not failed on anyone yet: the loaded one's send-time failure goes.
  const [sendError, setSendError] = useState(template.send_error ?? null);
  const [errors, setErrors] = useState<Partial<Record<Part, string>>>({});
  const [failure, setFailure] = useState<Error>();
  const [preview, setPreview] = useState<Rendered & Partial<Pick<Preview, "samples">>>();
  const [customerId, setCustomerId] = useState<number | null>(null);
  const [busy, setBusy] = useState<"save" | "preview" | "test">();
  const url = `/api/templates/${scenario}/${step}/${locale}`;

  async function run(kind: "save" | "preview" | "test", action: () => Promise<void>) {
    setBusy(kind);
    setErrors({});
    setFailure(undefined);
    try {
      await action();
    } catch (e) {
      if (e instanceof ApiError && e.body.error === "TemplateInvalid" && e.body.part) {
        const part = e.body.part as Part;
        const detail = typeof e.body.detail === "string" ? e.body.detail : e.message;
        setErrors({
          [part]: e.body.line ? t("templates.errorAt", { line: e.body.line, detail }) : detail,
        });
      } else {
        setFailure(e instanceof Error ? e : new Error(String(e)));
      }
    } finally {
      setBusy(undefined);
    }
  }

  const save = () =>
    run("save", async () => {
      const rendered = await put<Rendered>(url, draft);
      setCustomized(true);
      setSendError(null);
      setPreview(rendered);
      toast(t("templates.saved"));
    });
  const showPreview = () =>
    run("preview", async () => {
      setPreview(await post<Preview>(`${url}/preview`, { ...draft, customer_id: customerId }));
    });
  const testSend = () =>
    run("test", async () => {
      const sent = await post<{ detail?: string }>(`${url}/test-send`, {
        ...draft,
        customer_id: customerId,
      });
      toast(sent.detail ?? t("templates.testSent"));
    });

  return (
    <>
      {failure && <ErrorBanner error={failure} />}
      {sendError && (
        <s-banner tone="warning" heading={t("templates.sendError", { at: when(sendError.at) })}>
          <s-paragraph>{sendError.detail}</s-paragraph>
        </s-banner>
      )}
      <s-section heading={customized ? t("templates.customized") : t("templates.default")}>
        <s-text-field
          label={t("message.subject")}
          value={draft.subject}
          error={errors.subject}
          onInput={(e) => setDraft({ ...draft, subject: fieldValue(e) })}
        />
        <s-text-area
          label={t("message.html")}
          rows={16}
          value={draft.html}
          error={errors.html}
          onInput={(e) => setDraft({ ...draft, html: fieldValue(e) })}
        />
        <s-text-area
          label={t("message.text")}
          rows={10}
          value={draft.text}
          error={errors.text}
          onInput={(e) => setDraft({ ...draft, text: fieldValue(e) })}
        />
        <s-text color="subdued">{t("templates.variables")}</s-text>
        <s-button variant="primary" loading={busy === "save"} onClick={() => void save()}>
          {t("templates.save")}
        </s-button>
      </s-section>
      <s-section heading={t("templates.preview")}>
        <CustomerPicker value={customerId} onChange={setCustomerId} />
        <s-stack direction="inline" gap="base">
          <s-button loading={busy === "preview"} onClick={() => void showPreview()}>
            {t("templates.preview")}
          </s-button>
          <s-button loading={busy === "test"} onClick={() => void testSend()}>
            {t("templates.testSend")}
          </s-button>
        </s-stack>
        {preview && (
          <>
            <s-heading>{preview.subject}</s-heading>
            <EmailPreview html={preview.html} title={`${t("message.preview")}: ${preview.subject}`} />
            <pre className="body-text" aria-label={t("message.text")}>
              {preview.text}
            </pre>
            {preview.samples && preview.samples.length > 0 && (
              <s-unordered-list>
                {preview.samples.map((sample) => (
                  <s-list-item key={sample.variable}>
                    {sample.variable}: {sample.note}
                  </s-list-item>
                ))}
              </s-unordered-list>
            )}
          </>
        )}
      </s-section>
    </>
  );
}

export function Templates({ scenario, step, locale }: { scenario: string; step: number; locale: string }) {
  const i18n = useI18n();
  const { t } = i18n;
  const settings = useLoad(() => get<ScenarioSettings>(`/api/scenarios/${scenario}`), [scenario]);
  const template = useLoad(
    () => get<Template>(`/api/templates/${scenario}/${step}/${locale}`),
    [scenario, step, locale],
  );
  const steps = settings.data?.steps.length ?? step;
  // Loaded data lingers while the next step or language loads: edit only the one asked for.
  const current =
    template.data &&
    template.data.scenario === scenario &&
    template.data.step === step &&
    template.data.locale === locale
      ? template.data
      : undefined;
  return (
    <s-page heading={t("templates.heading", { scenario: scenarioName(scenario, i18n) })}>
      <s-section>
        <s-stack direction="inline" gap="base">
          <s-select
            label={t("templates.step")}
            value={String(step)}
            onChange={(e) => go(href.templates(scenario, Number(fieldValue(e)), locale))}
          >
            {Array.from({ length: steps }, (_, i) => (
              <s-option key={i} value={String(i + 1)}>
                {t("settings.step", { number: i + 1 })}
              </s-option>
            ))}
          </s-select>
          <s-select
            label={t("templates.locale")}
            value={locale}
            onChange={(e) => go(href.templates(scenario, step, fieldValue(e)))}
          >
            <s-option value="en">{t("templates.locale.en")}</s-option>
            <s-option value="fr">{t("templates.locale.fr")}</s-option>
          </s-select>
        </s-stack>
      </s-section>
      {template.error && <ErrorBanner error={template.error} onRetry={template.reload} />}
      {!current && !template.error && <Loading />}
      {current && (
        <Editor
          key={`${scenario}/${step}/${locale}`}
          scenario={scenario}
          step={step}
          locale={locale}
          template={current}
        />
      )}
    </s-page>
  );
}
