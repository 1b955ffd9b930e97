// Store updates (Shopify's webhooks) that kept failing, each with a way to try it again: a
// section of Settings → Advanced, in the merchant's words.

import { useState } from "react";

import { get, post, type WebhookEvent } from "../api";
import { ErrorBanner, Loading, toast, useLoad } from "../components/common";
import { EmptyState } from "../components/EmptyState";
import { useI18n, type I18n } from "../i18n";
import { en, type MessageKey } from "../i18n/messages";

/** What the update was about, as the merchant says it (the topic itself when unknown). */
export function topicLabel(topic: string, { t }: I18n): string {
  // A topic the catalogue names (i18n/navigation.ts) is worded there; any other shows as is.
  const key = `webhooks.topic.${topic}`;
  return key in en ? t(key as MessageKey) : topic;
}

export function WebhookEventsSection() {
  const i18n = useI18n();
  const { t, when } = i18n;
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
    <s-section heading={t("webhooks.heading")}>
      <s-paragraph>{t("advanced.webhooks.intro")}</s-paragraph>
      {failure && <ErrorBanner error={failure} />}
      {events.error && <ErrorBanner error={events.error} onRetry={events.reload} />}
      {!events.data && !events.error && <Loading />}
      {events.data && list.length === 0 && (
        <EmptyState
          heading={t("advanced.webhooks.emptyHeading")}
          body={t("advanced.webhooks.emptyBody")}
          action={{ label: t("advanced.checkAgain"), onClick: events.reload }}
        />
      )}
      {list.length > 0 && (
        <s-table>
          <s-table-header-row>
            <s-table-header listSlot="primary">{t("webhooks.topic")}</s-table-header>
            <s-table-header listSlot="kicker">{t("webhooks.received")}</s-table-header>
            <s-table-header format="numeric">{t("webhooks.attempts")}</s-table-header>
            <s-table-header>{t("webhooks.error")}</s-table-header>
            <s-table-header listSlot="inline" />
          </s-table-header-row>
          <s-table-body>
            {list.map((event) => (
              <s-table-row key={event.id}>
                <s-table-cell>{topicLabel(event.topic, i18n)}</s-table-cell>
                <s-table-cell>{when(event.received_at)}</s-table-cell>
                <s-table-cell>{event.attempts}</s-table-cell>
                <s-table-cell>
                  {/* The technical cause, for whoever helps the merchant. */}
                  {event.last_error && (
                    <s-text color="subdued">{t("webhooks.errorDetail", { error: event.last_error })}</s-text>
                  )}
                </s-table-cell>
                <s-table-cell>
                  <s-button
                    loading={busy === event.id}
                    accessibilityLabel={`${t("webhooks.replay")}: ${topicLabel(event.topic, i18n)} ${when(event.received_at)}`}
                    onClick={() => void replay(event.id)}
                  >
                    {t("webhooks.replay")}
                  </s-button>
                </s-table-cell>
              </s-table-row>
            ))}
          </s-table-body>
        </s-table>
      )}
    </s-section>
  );
}
