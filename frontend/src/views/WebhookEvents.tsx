// Webhook deliveries that kept failing, with a replay for each.

import { useState } from "react";

import { get, post, type WebhookEvent } from "../api";
import { ErrorBanner, Loading, toast, useLoad } from "../components/common";
import { useI18n } from "../i18n";

export function WebhookEvents() {
  const { t, when } = useI18n();
  const events = useLoad(() => get<{ events: WebhookEvent[] }>("/api/webhook-events?status=failed"), []);
  const [failure, setFailure] = useState<Error>();
  const [busy, setBusy] = useState<number>();

  async function replay(id: number) {
    setBusy(id);
    setFailure(undefined);
    try {
      await post(`/api/webhook-events/${id}/replay`);
      toast(t("webhooks.replayed"));
      events.reload();
    } catch (e) {
      setFailure(e instanceof Error ? e : new Error(String(e)));
    } finally {
      setBusy(undefined);
    }
  }

  const list = events.data?.events ?? [];
  return (
    <s-page heading={t("webhooks.heading")}>
      {failure && <ErrorBanner error={failure} />}
      {events.error && <ErrorBanner error={events.error} onRetry={events.reload} />}
      {!events.data && !events.error && <Loading />}
      {events.data && list.length === 0 && <s-paragraph>{t("webhooks.empty")}</s-paragraph>}
      {list.length > 0 && (
        <s-section>
          <s-table>
            <s-table-header-row>
              <s-table-header listSlot="primary">{t("webhooks.topic")}</s-table-header>
              <s-table-header listSlot="kicker">{t("webhooks.received")}</s-table-header>
              <s-table-header>{t("webhooks.attempts")}</s-table-header>
              <s-table-header>{t("webhooks.error")}</s-table-header>
              <s-table-header listSlot="inline" />
            </s-table-header-row>
            <s-table-body>
              {list.map((event) => (
                <s-table-row key={event.id}>
                  <s-table-cell>{event.topic}</s-table-cell>
                  <s-table-cell>{when(event.received_at)}</s-table-cell>
                  <s-table-cell>{event.attempts}</s-table-cell>
                  <s-table-cell>{event.last_error ?? ""}</s-table-cell>
                  <s-table-cell>
                    <s-button
                      loading={busy === event.id}
                      accessibilityLabel={`${t("webhooks.replay")}: ${event.topic} ${event.webhook_id}`}
                      onClick={() => void replay(event.id)}
                    >
                      {t("webhooks.replay")}
                    </s-button>
                  </s-table-cell>
                </s-table-row>
              ))}
            </s-table-body>
          </s-table>
        </s-section>
      )}
    </s-page>
  );
}
