// The template editor for one scenario step in one language: a simple form (subject,
// preheader, heading, text, button, code) over the Jinja template, which stays editable under
// "Advanced" (saving it there switches the template to advanced; "reset to default" undoes
// either); a live preview at desktop and mobile width, on sample data with the shop's code
// prefix or on a real customer; a test goes to the shop's own address.

import { useEffect, useState } from "react";

import {
  ApiError,
  del,
  get,
  post,
  put,
  query,
  type Customer,
  type CustomerIndexPage,
  type EmailFields,
  type Preview,
  type Rendered,
  type ScenarioSettings,
  type Template,
} from "../api";
import { ErrorBanner, Loading, fieldValue, toast, useLoad } from "../components/common";
import { DevicePreviews, FieldsForm, useLivePreview } from "../components/EmailEditor";
import { useI18n } from "../i18n";
import { go, href } from "../route";
import { scenarioName } from "./labels";

type Part = "subject" | "html" | "text";

function customerLabel(c: Customer): string {
  const name = [c.first_name, c.last_name].filter(Boolean).join(" ");
  return name ? `${name} <${c.email ?? ""}>` : (c.email ?? `#${c.id}`);
}

/** The customer the preview is made for: null for sample data, undefined until the merchant
 * chooses (the first customer found is taken then, so the preview shows real data when the
 * shop has any). */
function CustomerPicker({ value, onChange }: {
  value: number | null | undefined;
  onChange: (id: number | null) => void;
}) {
  const { t } = useI18n();
  const [search, setSearch] = useState("");
  const found = useLoad(() => get<CustomerIndexPage>(`/api/customers${query({ search, limit: 20 })}`), [search]);
  const first = found.data?.customers[0]?.id;
  useEffect(() => {
    if (value === undefined && first !== undefined) onChange(first);
  }, [value, first, onChange]);
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
        value={value === null || value === undefined ? "" : String(value)}
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

type Draft = { subject: string; html: string; text: string };

function draftOf(template: Template): Draft {
  return { subject: template.subject, html: template.html, text: template.text };
}

function Editor({ scenario, step, locale, template: loaded }: {
  scenario: string;
  step: number;
  locale: string;
  template: Template;
}) {
  const { t, when } = useI18n();
  const [template, setTemplate] = useState(loaded);
  // The simple form's fields; null when the template was written by hand (advanced).
  const [fields, setFields] = useState<EmailFields | null>(loaded.fields);
  const [draft, setDraft] = useState<Draft>(draftOf(loaded));
  // A saved version has not failed on anyone yet: the loaded one's send-time failure goes.
  const [sendError, setSendError] = useState(loaded.send_error ?? null);
  const [errors, setErrors] = useState<Partial<Record<Part, string>>>({});
  const [failure, setFailure] = useState<Error>();
  const [customerId, setCustomerId] = useState<number | null | undefined>(undefined);
  const [busy, setBusy] = useState<"save" | "advanced" | "reset" | "test">();
  const url = `/api/templates/${scenario}/${step}/${locale}`;
  // What the preview and the test show: the form's fields, or the hand-written template.
  const customer = customerId ?? null;
  const input = fields ? { fields, customer_id: customer } : { ...draft, customer_id: customer };
  const live = useLivePreview(input, (body) => post<Preview>(`${url}/preview`, body));
  const samples = (live.rendered as Preview | undefined)?.samples ?? [];

  async function run(kind: "save" | "advanced" | "reset" | "test", action: () => Promise<void>) {
    setBusy(kind);
    setErrors({});
    setFailure(undefined);
    try {
      await action();
    } catch (e) {
      if (kind === "advanced" && e instanceof ApiError && e.body.error === "TemplateInvalid" && e.body.part) {
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

  async function reload() {
    const fresh = await get<Template>(url);
    setTemplate(fresh);
    setFields(fresh.fields);
    setDraft(draftOf(fresh));
  }

  const save = () =>
    run("save", async () => {
      if (!fields) return;
      await put<Rendered>(`${url}/fields`, fields);
      setSendError(null);
      await reload();
      toast(t("editor.saved"));
    });
  const saveAdvanced = () =>
    run("advanced", async () => {
      await put<Rendered>(url, draft);
      setSendError(null);
      await reload();
      toast(t("templates.saved"));
    });
  const reset = () =>
    run("reset", async () => {
      const fresh = await del<Template>(url);
      setTemplate(fresh);
      setFields(fresh.fields);
      setDraft(draftOf(fresh));
      setSendError(null);
      toast(t("editor.reset.done"));
    });
  const testSend = () =>
    run("test", async () => {
      const sent = await post<{ detail?: string }>(`${url}/test-send`, input);
      toast(sent.detail ?? t("templates.testSent"));
    });

  const advancedEditor = (
    <s-stack direction="block" gap="base">
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
      <s-stack direction="inline" gap="base">
        <s-button loading={busy === "advanced"} onClick={() => void saveAdvanced()}>
          {t("templates.save")}
        </s-button>
      </s-stack>
    </s-stack>
  );

  return (
    <>
      {failure && <ErrorBanner error={failure} />}
      {sendError && (
        <s-banner tone="warning" heading={t("templates.sendError", { at: when(sendError.at) })}>
          <s-paragraph>{sendError.detail}</s-paragraph>
        </s-banner>
      )}
      <div className="template-editor">
        <s-section heading={template.customized ? t("templates.customized") : t("templates.default")}>
          <s-stack direction="block" gap="base">
            {template.mode === "advanced" ? (
              <s-banner tone="info" heading={t("editor.mode.advanced")} />
            ) : !fields ? (
              <s-paragraph>{t("editor.noSimpleForm")}</s-paragraph>
            ) : (
              <s-paragraph>{t(template.mode === "structured" ? "editor.mode.structured" : "editor.mode.default")}</s-paragraph>
            )}
            {fields && (
              <>
                <FieldsForm value={fields} onChange={setFields} />
                <s-text color="subdued">{t("editor.variables")}</s-text>
              </>
            )}
            <s-stack direction="inline" gap="base">
              {fields && (
                <s-button variant="primary" loading={busy === "save"} onClick={() => void save()}>
                  {t("editor.save")}
                </s-button>
              )}
              {template.customized && (
                <s-button tone="critical" loading={busy === "reset"} onClick={() => void reset()}>
                  {t("editor.reset")}
                </s-button>
              )}
            </s-stack>
            <details className="email-advanced" open={!fields}>
              <summary>
                {t("editor.advanced")}: {t("editor.advanced.template")}
              </summary>
              {advancedEditor}
            </details>
          </s-stack>
        </s-section>
        <s-section heading={t("templates.preview")}>
          <s-stack direction="block" gap="base">
            <CustomerPicker value={customerId} onChange={setCustomerId} />
            <s-stack direction="inline" gap="base">
              <s-button loading={live.updating} onClick={live.refresh}>
                {t("templates.preview")}
              </s-button>
              <s-button loading={busy === "test"} onClick={() => void testSend()}>
                {t("templates.testSend")}
              </s-button>
            </s-stack>
            <DevicePreviews rendered={live.rendered} updating={live.updating} error={live.error} />
            {live.rendered && (
              <pre className="body-text" aria-label={t("message.text")}>
                {live.rendered.text}
              </pre>
            )}
            {samples.length > 0 && (
              <s-unordered-list>
                {samples.map((sample) => (
                  <s-list-item key={sample.variable}>
                    {sample.variable}: {sample.note}
                  </s-list-item>
                ))}
              </s-unordered-list>
            )}
          </s-stack>
        </s-section>
      </div>
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
