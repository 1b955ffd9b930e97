// Overview: per scenario, its mode and what it did and earned.

import { get, type ScenarioSummary } from "../api";
import { ErrorBanner, Loading, useLoad } from "../components/common";
import { useI18n } from "../i18n";
import type { MessageKey } from "../i18n/messages";
import { href } from "../route";
import { useSession } from "../session";
import { ModeBadge, endedWithPurchase, scenarioName } from "./labels";
import { SetupGuideCard } from "./SetupGuide";

function Kpi({ label, value, note }: { label: string; value: string | number; note?: string }) {
  return (
    <div className="kpi" role="group" aria-label={label}>
      <s-text color="subdued">{label}</s-text>
      <strong>{value}</strong>
      {note && <s-text color="subdued">{note}</s-text>}
    </div>
  );
}

/** part ÷ whole as a percentage in the merchant's language; "—" when there is no whole. */
function rate(part: number, whole: number, locale: string): string | null {
  if (!whole) return null;
  const tag = locale === "fr" ? "fr-FR" : "en-US";
  return new Intl.NumberFormat(tag, { style: "percent", maximumFractionDigits: 1 }).format(part / whole);
}

function ScenarioCard({ summary }: { summary: ScenarioSummary }) {
  const i18n = useI18n();
  const { t, money, reason, locale } = i18n;
  const { currency } = useSession();
  const r = summary.report;
  const name = scenarioName(summary.key, i18n);
  const isCart = summary.key === "abandoned_cart";
  const ofSent = (n: number) => {
    const value = rate(n, r.messages_sent, locale);
    return value === null ? undefined : t("rates.ofSent", { rate: value });
  };
  // The headline first (what it earned, what came back), then rates, then the counts.
  const recoveryRate = rate(r.orders_recovered, r.runs_started, locale);
  const counts: [MessageKey, number][] = [
    ["overview.runs", r.runs_started],
    ["overview.active", r.runs_active],
    ["overview.sent", r.messages_sent],
    ["overview.awaiting", r.messages_awaiting_approval],
    ["overview.drafted", r.messages_drafted],
    ["overview.notSent", r.messages_suppressed],
    ["overview.failed", r.messages_failed],
    ["overview.unconfirmed", r.messages_unconfirmed],
  ];
  const ended = Object.entries(r.runs_stopped).sort((a, b) => b[1] - a[1]);
  const endedWell = ended.filter(([code]) => endedWithPurchase(code));
  const endedOther = ended.filter(([code]) => !endedWithPurchase(code));
  return (
    <s-section heading={name}>
      <s-stack direction="inline" gap="base">
        <s-text>{t("settings.mode")}</s-text>
        <ModeBadge mode={summary.settings.mode} />
      </s-stack>
      <div className="kpis kpis-headline">
        {/* A cart is recovered; the other scenarios bring orders. */}
        <Kpi label={t(isCart ? "overview.revenue" : "overview.revenueAttributed")} value={money(r.revenue, currency)} />
        <Kpi
          label={t(isCart ? "overview.recovered" : "overview.ordersAttributed")}
          value={r.orders_recovered}
          note={recoveryRate === null ? undefined : t("rates.ofStarted", { rate: recoveryRate })}
        />
        {/* People's opens and clicks; machines' (privacy proxies, link scanners) apart. */}
        <Kpi label={t("rates.openRate")} value={rate(r.opens.messages, r.messages_sent, locale) ?? t("rates.none")} />
        <Kpi label={t("rates.clickRate")} value={rate(r.clicks.messages, r.messages_sent, locale) ?? t("rates.none")} />
      </div>
      <div className="kpis">
        {counts.map(([key, value]) => (
          <Kpi
            key={key}
            label={t(key)}
            value={value}
            note={key === "overview.notSent" || key === "overview.failed" ? ofSent(value) : undefined}
          />
        ))}
        <Kpi
          label={t("overview.opens")}
          value={r.opens.human}
          note={t("overview.machines", { count: r.opens.machine })}
        />
        <Kpi
          label={t("overview.clicks")}
          value={r.clicks.human}
          note={t("overview.machines", { count: r.clicks.machine })}
        />
        <Kpi label={t("overview.discountCost")} value={money(r.discount_cost, currency)} />
      </div>
      <s-heading>{t("outcome.ended")}</s-heading>
      {ended.length === 0 ? (
        <s-text color="subdued">{t("overview.stoppedNone")}</s-text>
      ) : (
        <div className="ended">
          {endedWell.length > 0 && (
            <div role="group" aria-label={t("outcome.endedWell")} data-tone="success">
              <s-text type="strong">{t("outcome.endedWell")}</s-text>
              <s-unordered-list>
                {endedWell.map(([code, count]) => (
                  <s-list-item key={code}>{t("overview.stoppedCount", { reason: reason(code), count })}</s-list-item>
                ))}
              </s-unordered-list>
            </div>
          )}
          {endedOther.length > 0 && (
            <div role="group" aria-label={t("outcome.endedOther")}>
              <s-text type="strong">{t("outcome.endedOther")}</s-text>
              <s-unordered-list>
                {endedOther.map(([code, count]) => (
                  <s-list-item key={code}>{t("overview.stoppedCount", { reason: reason(code), count })}</s-list-item>
                ))}
              </s-unordered-list>
            </div>
          )}
        </div>
      )}
      <s-stack direction="inline" gap="base">
        <s-link href={href.settings(summary.key)}>{t("overview.settings")}</s-link>
        <s-link href={href.runs(summary.key)}>{t("overview.runsLink")}</s-link>
        <s-link href={href.templates(summary.key, 1, i18n.locale)}>{t("overview.templates")}</s-link>
      </s-stack>
    </s-section>
  );
}

export function Overview() {
  const { t } = useI18n();
  const scenarios = useLoad(() => get<ScenarioSummary[]>("/api/scenarios"), []);
  return (
    <s-page heading={t("overview.heading")}>
      <SetupGuideCard />
      {scenarios.error && <ErrorBanner error={scenarios.error} onRetry={scenarios.reload} />}
      {!scenarios.data && !scenarios.error && <Loading />}
      {scenarios.data?.length === 0 && <s-paragraph>{t("overview.empty")}</s-paragraph>}
      {scenarios.data?.map((summary) => (
        <ScenarioCard key={summary.key} summary={summary} />
      ))}
    </s-page>
  );
}
