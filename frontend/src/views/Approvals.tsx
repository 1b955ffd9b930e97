// The approval queue: a compact index of the messages waiting (the steps of one cart grouped,
// in order), a selection approved or rejected at once (or everything), and beside it the
// preview of the message picked, to approve, edit or reject on its own. Every rejection (all, the
// selection, or the one previewed) is confirmed first in the admin's modal: rejected messages are
// never sent.

import { useCallback, useState } from "react";

import {
  ApiError,
  get,
  post,
  put,
  query,
  type EmailFields,
  type MessageForm,
  type OutboxMessage,
  type OutboxPage,
  type Rendered,
} from "../api";
import { DevicePreviews, FieldsForm, useLivePreview } from "../components/EmailEditor";
import { ErrorBanner, Loading, fieldChecked, fieldValue, toast, useLoad } from "../components/common";
import { ConfirmModal } from "../components/ConfirmModal";
import { EmptyState } from "../components/EmptyState";
import { MessageCard } from "../components/MessageCard";
import { TitleBar } from "../components/TitleBar";
import { useI18n } from "../i18n";
import { href } from "../route";
import { scenarioName } from "./labels";

function RawEditForm({ message, onSaved, onError }: {
  message: OutboxMessage;
  onSaved: () => void;
  onError: (detail: string) => void;
}) {
  const { t } = useI18n();
  const [subject, setSubject] = useState(message.subject);
  const [html, setHtml] = useState(message.html);
  const [text, setText] = useState(message.text);
  const [saving, setSaving] = useState(false);
  async function save() {
    setSaving(true);
    try {
      await put(`/api/approvals/${message.id}`, { subject, html, text });
      toast(t("approvals.edited"));
      onSaved();
    } catch (e) {
      onError(e instanceof ApiError ? e.message : String(e));
    } finally {
      setSaving(false);
    }
  }
  return (
    <s-stack direction="block" gap="base">
      <s-text-field label={t("message.subject")} value={subject} onInput={(e) => setSubject(fieldValue(e))} />
      <s-text-area label={t("message.html")} rows={10} value={html} onInput={(e) => setHtml(fieldValue(e))} />
      <s-text-area label={t("message.text")} rows={6} value={text} onInput={(e) => setText(fieldValue(e))} />
      <s-stack direction="inline" gap="base">
        <s-button loading={saving} onClick={() => void save()}>
          {t("editor.approval.saveRaw")}
        </s-button>
      </s-stack>
    </s-stack>
  );
}

/** A held message's edit form: its subject, heading, text and button label, with a live
 * preview rendered as it will be sent; the raw HTML only under "Advanced". */
function EditForm({ message, onDone }: { message: OutboxMessage; onDone: (saved: boolean) => void }) {
  const { t } = useI18n();
  const form = useLoad(() => get<MessageForm>(`/api/approvals/${message.id}/form`), [message.id]);
  const [fields, setFields] = useState<EmailFields | null>(null);
  const [error, setError] = useState<string>();
  const [saving, setSaving] = useState(false);
  const current = fields ?? form.data?.fields ?? null;
  const live = useLivePreview(current, (body) => post<Rendered>(`/api/approvals/${message.id}/preview`, body));
  // A message whose template was written by hand has no simple form: only the raw parts.
  const noSimpleForm = form.error instanceof ApiError && form.error.body.error === "NoSimpleForm";
  async function save() {
    if (!current) return;
    setSaving(true);
    setError(undefined);
    try {
      await put(`/api/approvals/${message.id}/fields`, current);
      toast(t("editor.approval.saved"));
      onDone(true);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    } finally {
      setSaving(false);
    }
  }
  return (
    <s-section heading={t("editor.approval.heading")}>
      <s-stack direction="block" gap="base">
        {error && <s-banner tone="critical" heading={error} />}
        {form.error && !noSimpleForm && <ErrorBanner error={form.error} onRetry={form.reload} />}
        {form.loading && !form.data && <Loading />}
        {noSimpleForm && <s-paragraph>{form.error?.message}</s-paragraph>}
        {current && (
          <>
            <s-text color="subdued">{t("editor.approval.note")}</s-text>
            {form.data?.edited_as_html && !fields && (
              <s-banner tone="warning" heading={t("editor.approval.editedAsHtml")} />
            )}
            <FieldsForm value={current} onChange={setFields} withPreheader={false} withCode={false} />
            <DevicePreviews rendered={live.rendered} updating={live.updating} error={live.error} />
          </>
        )}
        <s-stack direction="inline" gap="base">
          {current && (
            <s-button variant="primary" loading={saving} onClick={() => void save()}>
              {t("approvals.saveEdit")}
            </s-button>
          )}
          <s-button onClick={() => onDone(false)}>{t("approvals.cancel")}</s-button>
        </s-stack>
        <details className="email-advanced" open={noSimpleForm}>
          <summary>
            {t("editor.advanced")}: {t("editor.advanced.message")}
          </summary>
          <RawEditForm message={message} onSaved={() => onDone(true)} onError={setError} />
        </details>
      </s-stack>
    </s-section>
  );
}

/** The waiting messages grouped by what they are about (one cart's steps together, in step
 * order), the groups in the order their first message is due. */
export function grouped(messages: OutboxMessage[]): OutboxMessage[][] {
  const groups = new Map<string, OutboxMessage[]>();
  for (const m of messages) {
    const key = `${m.scenario}\u0000${m.subject_key}`;
    groups.set(key, [...(groups.get(key) ?? []), m]);
  }
  const first = (g: OutboxMessage[]) => Math.min(...g.map((m) => Date.parse(m.scheduled_at)));
  return [...groups.values()]
    .map((g) => [...g].sort((a, b) => a.step - b.step))
    .sort((a, b) => first(a) - first(b));
}

// A rejection to confirm: every message waiting, the selection, or one message.
type Rejection = "all" | "selected" | { one: OutboxMessage };

export function Approvals() {
  const i18n = useI18n();
  const { t, when } = i18n;
  const pending = useLoad(
    () => get<OutboxPage>(`/api/messages${query({ status: "pending_approval", limit: 200 })}`),
    [],
  );
  const [editing, setEditing] = useState<number>();
  const [previewed, setPreviewed] = useState<number>();
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<Error>();
  // Which rejection waits for the merchant's word in the admin's modal: all, the selection, or
  // the one message previewed.
  const [rejecting, setRejecting] = useState<Rejection | null>(null);
  const closeRejecting = useCallback(() => setRejecting(null), []);

  async function act(action: () => Promise<string>) {
    setBusy(true);
    setFailure(undefined);
    try {
      toast(await action());
      setSelected(new Set());
    } catch (e) {
      setFailure(e instanceof Error ? e : new Error(String(e)));
    } finally {
      setBusy(false);
      pending.reload();
    }
  }

  const messages = pending.data?.messages ?? [];
  const groups = grouped(messages);
  const ordered = groups.flat();
  const shown = ordered.find((m) => m.id === previewed) ?? ordered[0];
  const chosen = [...selected].filter((id) => ordered.some((m) => m.id === id));
  const toggle = (id: number, on: boolean) =>
    setSelected((s) => {
      const next = new Set(s);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });
  // Without App Bridge (its script not loaded) there is no modal to confirm in.
  const ask = (which: Rejection) => {
    if (customElements.get("ui-modal")) setRejecting(which);
    else reject(which);
  };
  function reject(which: Rejection) {
    setRejecting(null);
    if (typeof which === "object") {
      void act(async () => {
        await post(`/api/approvals/${which.one.id}/reject`);
        return t("approvals.rejected");
      });
      return;
    }
    const ids = which === "selected" ? chosen : undefined;
    void act(async () => {
      const r = await post<{ rejected: number }>("/api/approvals/reject-all", ids ? { ids } : undefined);
      return t("approvals.rejectedAll", { count: r.rejected });
    });
  }
  // Everything waiting is known unless the list stopped at its page size.
  const allKnown = pending.data?.next_before_id == null;
  const rejectCount = rejecting === "selected" ? chosen.length : messages.length;
  const who = (m: OutboxMessage) => m.customer_name ?? m.to ?? t("message.unknownCustomer");

  return (
    <s-page heading={t("approvals.heading")}>
      {/* The page's actions, in the admin's title bar. */}
      <TitleBar
        title={t("approvals.heading")}
        primary={
          messages.length > 0
            ? {
                label: t("approvals.approveAll"),
                disabled: busy,
                onAction: () =>
                  void act(async () => {
                    const r = await post<{ approved: number }>("/api/approvals/approve-all");
                    return t("approvals.approvedAll", { count: r.approved });
                  }),
              }
            : undefined
        }
        secondary={
          messages.length > 0
            ? [
                {
                  label: t("approvals.rejectAll"),
                  critical: true,
                  disabled: busy,
                  onAction: () => ask("all"),
                },
              ]
            : []
        }
      />
      {failure && <ErrorBanner error={failure} />}
      {pending.error && <ErrorBanner error={pending.error} onRetry={pending.reload} />}
      {pending.loading && !pending.data && <Loading />}
      {pending.data && messages.length === 0 && (
        <s-section>
          <EmptyState
            heading={t("empty.approvals.heading")}
            body={t("empty.approvals.body")}
            action={{ label: t("empty.approvals.action"), href: href.overview() }}
          />
        </s-section>
      )}
      {messages.length > 0 && (
        <div className="approvals">
          <div className="approvals-index">
            <s-stack direction="inline" gap="base">
              <s-button variant="primary" disabled={busy || chosen.length === 0} onClick={() =>
                void act(async () => {
                  const r = await post<{ approved: number }>("/api/approvals/approve-all", { ids: chosen });
                  return t("approvals.approvedAll", { count: r.approved });
                })}>
                {t("approvals.approveSelected", { count: chosen.length })}
              </s-button>
              <s-button tone="critical" disabled={busy || chosen.length === 0} onClick={() => ask("selected")}>
                {t("approvals.rejectSelected", { count: chosen.length })}
              </s-button>
            </s-stack>
            <s-table>
              <s-table-header-row>
                <s-table-header listSlot="inline">
                  <s-checkbox
                    label={t("approvals.selectAll")}
                    labelAccessibilityVisibility="exclusive"
                    checked={ordered.length > 0 && chosen.length === ordered.length}
                    onChange={(e) => setSelected(fieldChecked(e) ? new Set(ordered.map((m) => m.id)) : new Set())}
                  />
                </s-table-header>
                <s-table-header listSlot="primary">{t("approvals.col.customer")}</s-table-header>
                <s-table-header listSlot="secondary">{t("approvals.col.message")}</s-table-header>
                <s-table-header listSlot="kicker">{t("approvals.col.planned")}</s-table-header>
                <s-table-header />
              </s-table-header-row>
              <s-table-body>
                {groups.flatMap((group) =>
                  group.map((m, index) => (
                    <s-table-row key={m.id}>
                      <s-table-cell>
                        <s-checkbox
                          label={t("approvals.select", { subject: m.subject, who: who(m) })}
                          labelAccessibilityVisibility="exclusive"
                          checked={selected.has(m.id)}
                          onChange={(e) => toggle(m.id, fieldChecked(e))}
                        />
                      </s-table-cell>
                      <s-table-cell>{index === 0 ? who(m) : t("approvals.laterStep", { step: m.step })}</s-table-cell>
                      <s-table-cell>
                        {m.subject}
                        <br />
                        <s-text color="subdued">
                          {t("message.step", { scenario: scenarioName(m.scenario, i18n), step: m.step })}
                        </s-text>
                      </s-table-cell>
                      <s-table-cell>{when(m.scheduled_at)}</s-table-cell>
                      <s-table-cell>
                        <s-button
                          variant="tertiary"
                          accessibilityLabel={t("approvals.previewOf", { subject: `${m.subject} (${who(m)})` })}
                          onClick={() => {
                            setPreviewed(m.id);
                            setEditing(undefined);
                          }}
                        >
                          {t("approvals.preview")}
                        </s-button>
                      </s-table-cell>
                    </s-table-row>
                  )),
                )}
              </s-table-body>
            </s-table>
          </div>
          <div className="approvals-preview">
            {shown &&
              (editing === shown.id ? (
                <EditForm
                  message={shown}
                  onDone={(saved) => {
                    setEditing(undefined);
                    if (saved) pending.reload();
                  }}
                />
              ) : (
                <MessageCard
                  message={shown}
                  actions={
                    <s-stack direction="block" gap="base">
                      {groups.some((g) => g.includes(shown) && g[0] !== shown) && (
                        <s-text color="subdued">{t("approvals.waitsForEarlier")}</s-text>
                      )}
                      <s-stack direction="inline" gap="base">
                        <s-button variant="primary" disabled={busy} onClick={() =>
                          void act(async () => {
                            await post(`/api/approvals/${shown.id}/approve`);
                            return t("approvals.approved");
                          })}>
                          {t("approvals.approve")}
                        </s-button>
                        <s-button disabled={busy} onClick={() => setEditing(shown.id)}>
                          {t("approvals.edit")}
                        </s-button>
                        <s-button tone="critical" disabled={busy} onClick={() => ask({ one: shown })}>
                          {t("approvals.reject")}
                        </s-button>
                      </s-stack>
                    </s-stack>
                  }
                />
              ))}
          </div>
        </div>
      )}
      <ConfirmModal
        id="approvals-reject"
        open={rejecting !== null}
        title={
          typeof rejecting === "object" && rejecting !== null
            ? t("reject.one.title")
            : rejecting === "all" && !allKnown
              ? t("reject.all.title")
              : t("reject.title", { count: rejectCount })
        }
        body={
          typeof rejecting === "object" && rejecting !== null
            ? t("reject.one.body", { subject: rejecting.one.subject, who: who(rejecting.one) })
            : rejecting === "all" && !allKnown
              ? t("reject.all.more", { count: rejectCount })
              : t("reject.body", { count: rejectCount })
        }
        confirm={t("reject.confirm")}
        cancel={t("confirm.cancel")}
        critical
        onConfirm={() => rejecting && reject(rejecting)}
        onClose={closeRejecting}
      />
    </s-page>
  );
}
