// The approval queue: messages of scenarios in approval mode, each approved, edited or
// rejected, or all at once.

import { useState } from "react";

import { ApiError, get, post, put, query, type OutboxMessage, type OutboxPage } from "../api";
import { ErrorBanner, Loading, fieldValue, toast, useLoad } from "../components/common";
import { MessageCard } from "../components/MessageCard";
import { useI18n } from "../i18n";

function EditForm({ message, onDone }: { message: OutboxMessage; onDone: (saved: boolean) => void }) {
  const { t } = useI18n();
  const [subject, setSubject] = useState(message.subject);
  const [html, setHtml] = useState(message.html);
  const [text, setText] = useState(message.text);
  const [error, setError] = useState<string>();
  const [saving, setSaving] = useState(false);
  async function save() {
    setSaving(true);
    setError(undefined);
    try {
      await put(`/api/approvals/${message.id}`, { subject, html, text });
      toast(t("approvals.edited"));
      onDone(true);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    } finally {
      setSaving(false);
    }
  }
  return (
    <s-section heading={t("approvals.edit")}>
      {error && <s-banner tone="critical" heading={error} />}
      <s-text-field label={t("message.subject")} value={subject} onInput={(e) => setSubject(fieldValue(e))} />
      <s-text-area label={t("message.html")} rows={10} value={html} onInput={(e) => setHtml(fieldValue(e))} />
      <s-text-area label={t("message.text")} rows={6} value={text} onInput={(e) => setText(fieldValue(e))} />
      <s-stack direction="inline" gap="base">
        <s-button variant="primary" loading={saving} onClick={() => void save()}>
          {t("approvals.saveEdit")}
        </s-button>
        <s-button onClick={() => onDone(false)}>{t("approvals.cancel")}</s-button>
      </s-stack>
    </s-section>
  );
}

export function Approvals() {
  const { t } = useI18n();
  const pending = useLoad(
    () => get<OutboxPage>(`/api/messages${query({ status: "pending_approval", limit: 200 })}`),
    [],
  );
  const [editing, setEditing] = useState<number>();
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<Error>();

  async function act(action: () => Promise<string>) {
    setBusy(true);
    setFailure(undefined);
    try {
      toast(await action());
    } catch (e) {
      setFailure(e instanceof Error ? e : new Error(String(e)));
    } finally {
      setBusy(false);
      pending.reload();
    }
  }

  const messages = pending.data?.messages ?? [];
  return (
    <s-page heading={t("approvals.heading")}>
      {messages.length > 0 && (
        <>
          <s-button slot="primary-action" variant="primary" disabled={busy} onClick={() =>
            void act(async () => {
              const r = await post<{ approved: number }>("/api/approvals/approve-all");
              return t("approvals.approvedAll", { count: r.approved });
            })}>
            {t("approvals.approveAll")}
          </s-button>
          <s-button slot="secondary-actions" tone="critical" disabled={busy} onClick={() =>
            void act(async () => {
              const r = await post<{ rejected: number }>("/api/approvals/reject-all");
              return t("approvals.rejectedAll", { count: r.rejected });
            })}>
            {t("approvals.rejectAll")}
          </s-button>
        </>
      )}
      {failure && <ErrorBanner error={failure} />}
      {pending.error && <ErrorBanner error={pending.error} onRetry={pending.reload} />}
      {pending.loading && !pending.data && <Loading />}
      {pending.data && messages.length === 0 && <s-paragraph>{t("approvals.empty")}</s-paragraph>}
      {messages.map((message) =>
        editing === message.id ? (
          <EditForm
            key={message.id}
            message={message}
            onDone={(saved) => {
              setEditing(undefined);
              if (saved) pending.reload();
            }}
          />
        ) : (
          <MessageCard
            key={message.id}
            message={message}
            actions={
              <s-stack direction="inline" gap="base">
                <s-button variant="primary" disabled={busy} onClick={() =>
                  void act(async () => {
                    await post(`/api/approvals/${message.id}/approve`);
                    return t("approvals.approved");
                  })}>
                  {t("approvals.approve")}
                </s-button>
                <s-button disabled={busy} onClick={() => setEditing(message.id)}>
                  {t("approvals.edit")}
                </s-button>
                <s-button tone="critical" disabled={busy} onClick={() =>
                  void act(async () => {
                    await post(`/api/approvals/${message.id}/reject`);
                    return t("approvals.rejected");
                  })}>
                  {t("approvals.reject")}
                </s-button>
              </s-stack>
            }
          />
        ),
      )}
    </s-page>
  );
}
