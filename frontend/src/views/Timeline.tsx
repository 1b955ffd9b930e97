// One customer's journey: every automated decision, newest first, with its reason and the
// order it is about (shown on the customer's page, views/Customer.tsx).

import { get, type Timeline, type TimelineEntry } from "../api";
import { ErrorBanner, Loading, useLoad } from "../components/common";
import { useI18n } from "../i18n";
import { splitReason, withDetail } from "../i18n/reasons";
import { ModeBadge, StatusBadge, endedWithPurchase, scenarioName } from "./labels";

function str(value: unknown): string | undefined {
  return typeof value === "string" && value ? value : undefined;
}

/** The entry's reason is a code, labelled by the API; the message's own reason may add a
 * detail after a colon (the mail server's answer, the consent state). */
function reasonText(entry: TimelineEntry): string {
  const recorded = str(entry.detail.status_reason);
  const sameCode = recorded !== undefined && splitReason(recorded).code === entry.reason;
  return withDetail(entry.reason_label, sameCode ? recorded : undefined);
}

function Entry({ entry }: { entry: TimelineEntry }) {
  const i18n = useI18n();
  const { t, when, money } = i18n;
  const d = entry.detail;
  const mode = str(d.mode);
  const status = str(d.message_status);
  const code = str(d.code);
  const currency = str(d.currency);
  // A sequence that ended because the customer bought, and an order brought back, read as the
  // successes they are.
  const ordered = entry.kind === "stopped" && endedWithPurchase(entry.reason);
  const recovered = entry.kind === "recovered";
  const good = ordered || recovered;
  return (
    <li data-tone={good ? "success" : undefined}>
      <s-stack direction="block" gap="none">
        <s-text type="strong">
          {ordered ? t("outcome.timeline.ordered") : entry.kind_label}
          {entry.step !== null && entry.kind !== "started" ? ` (${t("timeline.step", { step: entry.step })})` : ""}
        </s-text>
        <s-text>{reasonText(entry)}</s-text>
        <s-stack direction="inline" gap="base">
          <s-text color="subdued">
            {when(entry.at)} · {scenarioName(entry.scenario, i18n)}
          </s-text>
          {mode && ["live", "approval", "dry_run", "paused"].includes(mode) && (
            <ModeBadge mode={mode as "live" | "approval" | "dry_run" | "paused"} />
          )}
          {good && <s-badge tone="success">{t(recovered ? "outcome.recovered" : "outcome.ordered")}</s-badge>}
          {status && <StatusBadge status={status} />}
          {entry.order && <s-text>{t("timeline.order", { order: entry.order })}</s-text>}
          {code && <s-text>{t("timeline.code", { code })}</s-text>}
          {str(d.until) && <s-text>{t("timeline.until", { at: when(str(d.until)) })}</s-text>}
          {str(d.cart_value) && (
            <s-text>{t("timeline.cart", { amount: money(str(d.cart_value) ?? "0", currency) })}</s-text>
          )}
          {str(d.revenue) && (
            <s-text>
              {t("timeline.revenue", {
                amount: money(str(d.revenue) ?? "0", currency),
                cost: money(str(d.discount_cost) ?? "0", currency),
              })}
            </s-text>
          )}
        </s-stack>
      </s-stack>
    </li>
  );
}

/** The timeline as a section of the customer's page. */
export function TimelineSection({ customerId }: { customerId: number }) {
  const { t } = useI18n();
  const timeline = useLoad(() => get<Timeline>(`/api/customers/${customerId}/timeline`), [customerId]);
  return (
    <s-section heading={t("customer.timeline")}>
      {timeline.error && <ErrorBanner error={timeline.error} onRetry={timeline.reload} />}
      {!timeline.data && !timeline.error && <Loading />}
      {timeline.data &&
        (timeline.data.entries.length === 0 ? (
          <s-paragraph>{t("timeline.empty")}</s-paragraph>
        ) : (
          <ol className="timeline">
            {timeline.data.entries.map((entry, i) => (
              <Entry key={`${entry.at}-${i}`} entry={entry} />
            ))}
          </ol>
        ))}
    </s-section>
  );
}
