// One outbox message as the merchant reads it: who it is for, when, why it is where it is,
// and its content (HTML in a sandboxed frame, the plain-text part below).

import type { ReactNode } from "react";

import type { OutboxMessage } from "../api";
import { useI18n } from "../i18n";
import { href } from "../route";
import { StatusBadge, scenarioName } from "../views/labels";
import { EmailPreview } from "./common";

export function MessageMeta({ message }: { message: OutboxMessage }) {
  const i18n = useI18n();
  const { t, when, reason } = i18n;
  return (
    <s-stack direction="inline" gap="base">
      <StatusBadge status={message.status} />
      <s-text>{t("message.step", { scenario: scenarioName(message.scenario, i18n), step: message.step })}</s-text>
      {message.to && <s-text>{t("message.to", { to: message.to })}</s-text>}
      {message.customer_id !== null ? (
        <s-link href={href.customer(message.customer_id)}>
          {t("message.customer", { name: message.customer_name ?? message.to ?? t("message.unknownCustomer") })}
        </s-link>
      ) : (
        <s-text>{t("message.customer", { name: message.customer_name ?? t("message.unknownCustomer") })}</s-text>
      )}
      <s-text color="subdued">
        {message.sent_at
          ? t("message.sent", { at: when(message.sent_at) })
          : t("message.scheduled", { at: when(message.scheduled_at) })}
      </s-text>
      {message.status_reason && <s-text color="subdued">{reason(message.status_reason)}</s-text>}
    </s-stack>
  );
}

export function MessageContent({ message }: { message: OutboxMessage }) {
  const { t } = useI18n();
  return (
    <s-stack direction="block" gap="base">
      {message.status === "draft" && <s-text color="subdued">{t("dryRun.note")}</s-text>}
      <EmailPreview html={message.html} title={`${t("message.preview")}: ${message.subject}`} />
      <pre className="body-text" aria-label={t("message.text")}>
        {message.text}
      </pre>
    </s-stack>
  );
}

export function MessageCard({ message, actions }: { message: OutboxMessage; actions?: ReactNode }) {
  return (
    <s-section heading={message.subject}>
      <MessageMeta message={message} />
      <MessageContent message={message} />
      {actions}
    </s-section>
  );
}
