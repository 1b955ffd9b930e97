// A scenario's sequences (runs): who, when, where it stands or why it stopped, and a way to
// each customer's page. A page holds 100; older ones load on demand (never cut off silently).

import { useState } from "react";

import { get, query, type Run } from "../api";
import { ErrorBanner, Loading, fieldValue, useLoad } from "../components/common";
import { useI18n } from "../i18n";
import { href } from "../route";
import { OutcomeBadge, scenarioName } from "./labels";

const RUN_STATUSES = ["active", "completed", "stopped"] as const;
const PAGE = 100;

export function Runs({ scenario }: { scenario: string }) {
  const i18n = useI18n();
  const { t, when, reason } = i18n;
  const [status, setStatus] = useState("");
  const [older, setOlder] = useState<Run[]>([]);
  const [more, setMore] = useState(false);
  const runs = useLoad(async () => {
    const first = await get<Run[]>(`/api/scenarios/${scenario}/runs${query({ status, limit: PAGE })}`);
    setOlder([]);
    setMore(first.length === PAGE);
    return first;
  }, [scenario, status]);
  const shown = [...(runs.data ?? []), ...older];

  async function loadOlder() {
    const last = shown[shown.length - 1];
    if (!last) return;
    const next = await get<Run[]>(
      `/api/scenarios/${scenario}/runs${query({ status, limit: PAGE, before_id: last.id })}`,
    );
    setOlder((o) => [...o, ...next]);
    setMore(next.length === PAGE);
  }
  const statusName = (s: string) =>
    (RUN_STATUSES as readonly string[]).includes(s) ? t(`runs.status.${s as (typeof RUN_STATUSES)[number]}`) : s;
  return (
    <s-page heading={t("runs.heading", { scenario: scenarioName(scenario, i18n) })}>
      <s-section>
        <s-select label={t("runs.status")} value={status} onChange={(e) => setStatus(fieldValue(e))}>
          <s-option value="">{t("runs.allStatuses")}</s-option>
          {RUN_STATUSES.map((s) => (
            <s-option key={s} value={s}>
              {statusName(s)}
            </s-option>
          ))}
        </s-select>
        {runs.error && <ErrorBanner error={runs.error} onRetry={runs.reload} />}
        {runs.loading && !runs.data && <Loading />}
        {runs.data?.length === 0 && <s-paragraph>{t("runs.empty")}</s-paragraph>}
        {shown.length > 0 && (
          <s-table>
            <s-table-header-row>
              <s-table-header listSlot="kicker">{t("runs.started")}</s-table-header>
              <s-table-header listSlot="primary">{t("runs.who")}</s-table-header>
              <s-table-header listSlot="inline">{t("runs.status")}</s-table-header>
              <s-table-header>{t("runs.next")}</s-table-header>
              <s-table-header>{t("outcome.whyEnded")}</s-table-header>
              <s-table-header listSlot="inline" />
            </s-table-header-row>
            <s-table-body>
              {shown.map((run) => (
                <s-table-row key={run.id}>
                  <s-table-cell>{when(run.started_at)}</s-table-cell>
                  <s-table-cell>
                    {run.customer_id !== null ? (
                      <s-link href={href.customer(run.customer_id)}>{run.email ?? t("message.unknownCustomer")}</s-link>
                    ) : (
                      (run.email ?? "—")
                    )}
                  </s-table-cell>
                  <s-table-cell>
                    <OutcomeBadge run={run} />
                  </s-table-cell>
                  <s-table-cell>
                    {run.next_step_at ? t("runs.nextAt", { step: run.next_step, at: when(run.next_step_at) }) : "—"}
                  </s-table-cell>
                  <s-table-cell>{reason(run.stop_reason) || "—"}</s-table-cell>
                  <s-table-cell>
                    {run.customer_id !== null && (
                      <s-link
                        href={href.timeline(run.customer_id)}
                        accessibilityLabel={t("runs.timelineFor", { who: run.email ?? run.customer_id })}
                      >
                        {t("runs.timeline")}
                      </s-link>
                    )}
                  </s-table-cell>
                </s-table-row>
              ))}
            </s-table-body>
          </s-table>
        )}
        {more && <s-button onClick={() => void loadOlder()}>{t("runs.older")}</s-button>}
      </s-section>
    </s-page>
  );
}
