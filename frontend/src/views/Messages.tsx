// The outbox: every message with its status and why (dry-run drafts, messages not sent and
// the reason, deferrals), filtered by status, newest first.

import { useState } from "react";

import { get, query, type OutboxMessage, type OutboxPage } from "../api";
import { ErrorBanner, Loading, fieldValue, useLoad } from "../components/common";
import { MessageContent } from "../components/MessageCard";
import { useI18n } from "../i18n";
import { href } from "../route";
import { STATUSES, StatusBadge, scenarioName, statusLabel } from "./labels";

function Row({ message }: { message: OutboxMessage }) {
  const i18n = useI18n();
  const { t, when, reason } = i18n;
  const [open, setOpen] = useState(false);
  return (
    <>
      <s-table-row>
        <s-table-cell>{when(message.sent_at ?? message.scheduled_at)}</s-table-cell>
        <s-table-cell>
          {message.customer_id !== null ? (
            <s-link href={href.customer(message.customer_id)}>
              {message.customer_name ?? message.to ?? t("message.unknownCustomer")}
            </s-link>
          ) : (
            (message.customer_name ?? t("message.unknownCustomer"))
          )}
          {message.to && (
            <>
              <br />
              <s-text color="subdued">{message.to}</s-text>
            </>
          )}
        </s-table-cell>
        <s-table-cell>
          {message.subject}
          <br />
          <s-text color="subdued">
            {t("message.step", { scenario: scenarioName(message.scenario, i18n), step: message.step })}
          </s-text>
        </s-table-cell>
        <s-table-cell>
          <StatusBadge status={message.status} />
        </s-table-cell>
        <s-table-cell>{reason(message.status_reason)}</s-table-cell>
        <s-table-cell>
          <s-button variant="tertiary" onClick={() => setOpen(!open)}
            accessibilityLabel={`${open ? t("messages.hide") : t("messages.show")}: ${message.subject}`}>
            {open ? t("messages.hide") : t("messages.show")}
          </s-button>
        </s-table-cell>
      </s-table-row>
      {open && (
        <s-table-row>
          <s-table-cell>
            <MessageContent message={message} />
          </s-table-cell>
        </s-table-row>
      )}
    </>
  );
}

export function Messages() {
  const i18n = useI18n();
  const { t } = i18n;
  const [status, setStatus] = useState("");
  const [older, setOlder] = useState<OutboxMessage[]>([]);
  const [next, setNext] = useState<number | null>(null);
  const page = useLoad(async () => {
    const first = await get<OutboxPage>(`/api/messages${query({ status })}`);
    setOlder([]);
    setNext(first.next_before_id);
    return first;
  }, [status]);

  async function loadOlder() {
    if (next === null) return;
    const more = await get<OutboxPage>(`/api/messages${query({ status, before_id: next })}`);
    setOlder((o) => [...o, ...more.messages]);
    setNext(more.next_before_id);
  }

  const messages = [...(page.data?.messages ?? []), ...older];
  return (
    <s-page heading={t("messages.heading")}>
      <s-section>
        <s-select label={t("messages.status")} value={status} onChange={(e) => setStatus(fieldValue(e))}>
          <s-option value="">{t("messages.allStatuses")}</s-option>
          {STATUSES.map((s) => (
            <s-option key={s} value={s}>
              {statusLabel(s, i18n)}
            </s-option>
          ))}
        </s-select>
        {page.error && <ErrorBanner error={page.error} onRetry={page.reload} />}
        {page.loading && !page.data && <Loading />}
        {page.data && messages.length === 0 && <s-paragraph>{t("messages.empty")}</s-paragraph>}
        {messages.length > 0 && (
          <s-table>
            <s-table-header-row>
              <s-table-header listSlot="kicker">{t("messages.when")}</s-table-header>
              <s-table-header listSlot="primary">{t("runs.who")}</s-table-header>
              <s-table-header listSlot="secondary">{t("message.subject")}</s-table-header>
              <s-table-header listSlot="inline">{t("messages.status")}</s-table-header>
              <s-table-header>{t("messages.reason")}</s-table-header>
              <s-table-header listSlot="inline" />
            </s-table-header-row>
            <s-table-body>
              {messages.map((m) => (
                <Row key={m.id} message={m} />
              ))}
            </s-table-body>
          </s-table>
        )}
        {next !== null && <s-button onClick={() => void loadOlder()}>{t("messages.older")}</s-button>}
      </s-section>
    </s-page>
  );
}
