// The pieces both simple forms of an email share (the template editor's and the approval
// queue's): the fields, a live preview rendered by the server after a pause in typing, and the
// email shown at desktop and at mobile width side by side.

import { useEffect, useRef, useState } from "react";

import { ApiError, type EmailFields, type Rendered } from "../api";
import { useI18n } from "../i18n";
import { fieldChecked, fieldValue } from "./common";

export function FieldsForm({
  value,
  onChange,
  withPreheader = true,
  withCode = true,
}: {
  value: EmailFields;
  onChange: (fields: EmailFields) => void;
  withPreheader?: boolean;
  withCode?: boolean;
}) {
  const { t } = useI18n();
  const set = (change: Partial<EmailFields>) => onChange({ ...value, ...change });
  return (
    <s-stack direction="block" gap="base">
      <s-text-field label={t("editor.subject")} value={value.subject} onInput={(e) => set({ subject: fieldValue(e) })} />
      {withPreheader && (
        <s-text-field
          label={t("editor.preheader")}
          details={t("editor.preheader.details")}
          value={value.preheader}
          onInput={(e) => set({ preheader: fieldValue(e) })}
        />
      )}
      <s-text-field label={t("editor.heading")} value={value.heading} onInput={(e) => set({ heading: fieldValue(e) })} />
      <s-text-area
        label={t("editor.body")}
        details={t("editor.body.details")}
        rows={8}
        value={value.body}
        onInput={(e) => set({ body: fieldValue(e) })}
      />
      <s-text-field
        label={t("editor.button")}
        value={value.button_label}
        onInput={(e) => set({ button_label: fieldValue(e) })}
      />
      {withCode && (
        <s-checkbox
          label={t("editor.showCode")}
          details={t("editor.showCode.details")}
          checked={value.show_code}
          onChange={(e) => set({ show_code: fieldChecked(e) })}
        />
      )}
    </s-stack>
  );
}

/** The server's rendering of `input`, asked again `delay` ms after the last change; the
 * previous rendering stays on screen meanwhile and when a request fails. */
export function useLivePreview<I>(
  input: I | null,
  render: (input: I) => Promise<Rendered>,
  delay = 700,
): { rendered?: Rendered; updating: boolean; error?: string; refresh: () => void } {
  const [rendered, setRendered] = useState<Rendered>();
  const [updating, setUpdating] = useState(false);
  const [error, setError] = useState<string>();
  // Asked for at once (a "Preview" click) rather than after the pause.
  const [asked, setAsked] = useState(0);
  const answered = useRef(0);
  const key = JSON.stringify(input);
  useEffect(() => {
    if (input === null) return;
    let current = true;
    setUpdating(true);
    const timer = window.setTimeout(() => {
      render(input).then(
        (result) => {
          if (!current) return;
          setRendered(result);
          setError(undefined);
          setUpdating(false);
        },
        (e: unknown) => {
          if (!current) return;
          setError(e instanceof ApiError || e instanceof Error ? e.message : String(e));
          setUpdating(false);
        },
      );
    }, asked !== answered.current ? 0 : delay);
    answered.current = asked;
    return () => {
      current = false;
      window.clearTimeout(timer);
    };
    // The input's content, not its identity, decides when to render again.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, asked]);
  return { rendered, updating, error, refresh: () => setAsked((n) => n + 1) };
}

/** The email at a desktop client's width (600 px) and a phone's (375 px). */
export function DevicePreviews({ rendered, updating, error }: { rendered?: Rendered; updating: boolean; error?: string }) {
  const { t } = useI18n();
  return (
    <s-stack direction="block" gap="base">
      {error && <s-banner tone="warning" heading={t("editor.preview.failed", { detail: error })} />}
      {updating && <s-text color="subdued">{t("editor.preview.updating")}</s-text>}
      {rendered && (
        <>
          <s-heading>{rendered.subject}</s-heading>
          <div className="device-previews">
            <figure className="device-preview device-desktop">
              <figcaption>{t("editor.preview.desktop")}</figcaption>
              <iframe sandbox="" srcDoc={rendered.html} title={`${t("message.preview")}: ${rendered.subject}`} />
            </figure>
            <figure className="device-preview device-mobile">
              <figcaption>{t("editor.preview.mobile")}</figcaption>
              <iframe sandbox="" srcDoc={rendered.html} title={`${t("editor.preview.mobile")}: ${rendered.subject}`} />
            </figure>
          </div>
        </>
      )}
    </s-stack>
  );
}
