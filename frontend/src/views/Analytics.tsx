// The KPI dashboard (definitions: docs/kpis.md). Every card and chart loads on its own, so a
// slow figure never holds the others back; every chart has its table; every table downloads
// as CSV.

import { useState } from "react";

import {
  downloadCsv,
  get,
  patch as patchSettings,
  query,
  type Figure,
  type KpiLift,
  type KpiLoyalty,
  type KpiReferrals,
  type KpiReviews,
  type KpiScenarios,
  type KpiSeries,
  type KpiSteps,
  type KpiStore,
  type Cohort,
} from "../api";
import { Chart } from "../components/Chart";
import {
  ErrorBanner,
  Loading,
  errorText,
  fieldChecked,
  fieldValue,
  toast,
  useLoad,
  type Loaded,
} from "../components/common";
import { useI18n, type I18n } from "../i18n";
import type { MessageKey } from "../i18n/messages";
import { useSession } from "../session";
import { scenarioName } from "./labels";

interface Period {
  from: string;
  to: string;
}

const DAY = 86_400_000;

function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

type Preset = "last7" | "last30" | "last90" | "thisMonth" | "lastMonth" | "custom";
const PRESETS: Preset[] = ["last7", "last30", "last90", "thisMonth", "lastMonth", "custom"];

/** Today in the shop's timezone (the API counts days there), as YYYY-MM-DD. */
function shopToday(timezone: string | null): string {
  try {
    // en-CA writes dates as YYYY-MM-DD.
    return new Intl.DateTimeFormat("en-CA", { timeZone: timezone ?? undefined }).format(new Date());
  } catch {
    return isoDay(new Date());
  }
}

function shiftDays(day: string, days: number): string {
  return isoDay(new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY));
}

function presetPeriod(preset: Preset, today: string): Period | null {
  const monthStart = `${today.slice(0, 8)}01`;
  switch (preset) {
    case "last7":
      return { from: shiftDays(today, -6), to: today };
    case "last30":
      return { from: shiftDays(today, -29), to: today };
    case "last90":
      return { from: shiftDays(today, -89), to: today };
    case "thisMonth":
      return { from: monthStart, to: today };
    case "lastMonth": {
      const lastDay = shiftDays(monthStart, -1);
      return { from: `${lastDay.slice(0, 8)}01`, to: lastDay };
    }
    case "custom":
      return null;
  }
}

function defaultPeriod(timezone: string | null): Period {
  return presetPeriod("last30", shopToday(timezone)) ?? { from: "", to: "" };
}

/** A local day (YYYY-MM-DD) as the merchant reads dates. */
function showDay(day: string, i18n: I18n): string {
  const date = new Date(`${day}T00:00:00Z`);
  if (Number.isNaN(date.getTime())) return day;
  const tag = i18n.locale === "fr" ? "fr-FR" : "en-US";
  return new Intl.DateTimeFormat(tag, { dateStyle: "medium", timeZone: "UTC" }).format(date);
}

type Kind = "count" | "money" | "rate" | "ratio";

function show(value: string | number | null | undefined, kind: Kind, i18n: I18n, currency: string | null): string {
  if (value === null || value === undefined) return "—";
  const n = Number(value);
  const tag = i18n.locale === "fr" ? "fr-FR" : "en-US";
  if (kind === "money") return i18n.money(n, currency);
  if (kind === "rate") return new Intl.NumberFormat(tag, { style: "percent", maximumFractionDigits: 1 }).format(n);
  if (kind === "ratio") return new Intl.NumberFormat(tag, { maximumFractionDigits: 2 }).format(n);
  return new Intl.NumberFormat(tag, { maximumFractionDigits: 0 }).format(n);
}

function Section<T>({ heading, loaded, csv, children }: {
  heading: string;
  loaded: Loaded<T>;
  csv?: { path: string; name: string };
  children: (data: T) => React.ReactNode;
}) {
  const { t } = useI18n();
  return (
    <s-section heading={heading}>
      {loaded.error && <ErrorBanner error={loaded.error} onRetry={loaded.reload} />}
      {!loaded.data && !loaded.error && <Loading />}
      {loaded.data !== undefined && children(loaded.data)}
      {csv && loaded.data !== undefined && (
        <s-button
          variant="tertiary"
          onClick={() => downloadCsv(csv.path, csv.name).catch((e: unknown) => toast(errorText(e), true))}
        >
          {t("kpis.csv")}
        </s-button>
      )}
    </s-section>
  );
}

function Card({ label, figure, kind, lowerIsBetter = false, note }: {
  label: string;
  figure: Figure | undefined;
  kind: Kind;
  // Bounces, suppressions, costs: a fall is the good news.
  lowerIsBetter?: boolean;
  note?: string;
}) {
  const i18n = useI18n();
  const { currency } = useSession();
  const change = figure?.change === null || figure?.change === undefined ? null : Number(figure.change);
  const better = change !== null && (lowerIsBetter ? change < 0 : change > 0);
  return (
    <div className="kpi" role="group" aria-label={label}>
      <s-text color="subdued">{label}</s-text>
      <strong>{show(figure?.value, kind, i18n, currency)}</strong>
      <s-text color="subdued">
        {i18n.t("kpis.previous", { value: show(figure?.previous, kind, i18n, currency) })}
        {change !== null && (
          <span className={change === 0 ? "change-flat" : better ? "change-up" : "change-down"}>
            {" "}
            {change >= 0 ? "▲" : "▼"} {show(Math.abs(change), "rate", i18n, currency)}
          </span>
        )}
      </s-text>
      {note && <s-text color="subdued">{note}</s-text>}
    </div>
  );
}

// What it earned and how often it worked first; the counts behind the rates after.
const SCENARIO_CARDS: [string, MessageKey, Kind][] = [
  ["revenue", "kpis.revenue", "money"],
  ["conversion_rate", "kpis.conversionRate", "rate"],
  ["conversions", "kpis.conversions", "count"],
  ["open_rate", "kpis.openRate", "rate"],
  ["click_rate", "kpis.clickRate", "rate"],
  ["revenue_per_recipient", "kpis.revenuePerRecipient", "money"],
  ["roi", "kpis.roi", "ratio"],
  ["discount_cost", "kpis.discountCost", "money"],
  ["runs_started", "kpis.entered", "count"],
  ["recipients", "kpis.recipients", "count"],
  ["sent", "kpis.sent", "count"],
  ["delivered", "kpis.delivered", "count"],
  ["bounced", "kpis.bounced", "count"],
  ["suppressed", "kpis.suppressed", "count"],
  ["machine_only_opens", "kpis.machineOpens", "count"],
  ["machine_only_clicks", "kpis.machineClicks", "count"],
];
const LOWER_IS_BETTER = new Set(["bounced", "discount_cost"]);
// Counts shown with their share of the messages sent.
const SHARE_OF_SENT = new Set(["delivered", "bounced", "suppressed"]);

function shareOfSent(figures: Record<string, Figure>, metric: string, i18n: I18n): string | undefined {
  const sent = Number(figures.sent?.value ?? 0);
  const part = Number(figures[metric]?.value ?? 0);
  if (!sent) return undefined;
  return i18n.t("rates.ofSent", { rate: show(part / sent, "rate", i18n, null) });
}

/** The figures a merchant looks for first, across every automation, and the period they
 * are compared with. */
function Headline({ period }: { period: Period }) {
  const i18n = useI18n();
  const scenariosPath = `/api/kpis/scenarios${query({ from: period.from, to: period.to })}`;
  const stepsPath = `/api/kpis/scenarios/abandoned_cart/steps${query({ from: period.from, to: period.to })}`;
  const loaded = useLoad(
    () => Promise.all([get<KpiScenarios>(scenariosPath), get<KpiSteps>(stepsPath)]),
    [scenariosPath, stepsPath],
  );
  return (
    <Section heading={i18n.t("headline.heading")} loaded={loaded}>
      {([scenarios, steps]) => {
        const sum = (pick: (f: Figure | undefined) => string | null | undefined) =>
          scenarios.scenarios.reduce((total, s) => total + Number(pick(s.figures.revenue) ?? 0), 0);
        const value = sum((f) => f?.value);
        const previous = sum((f) => f?.previous);
        const revenue: Figure = {
          value: String(value),
          previous: String(previous),
          change: previous ? String((value - previous) / Math.abs(previous)) : null,
        };
        const cart = steps.steps.find((s) => s.step === 0)?.figures ?? {};
        const p = scenarios.period;
        return (
          <>
            <s-paragraph>
              {i18n.t("period.compared", {
                from: showDay(p.from, i18n),
                to: showDay(p.to, i18n),
                previousFrom: showDay(p.previous_from, i18n),
                previousTo: showDay(p.previous_to, i18n),
              })}
            </s-paragraph>
            <div className="kpis kpis-headline">
              <Card label={i18n.t("headline.revenue")} figure={revenue} kind="money" />
              <Card label={i18n.t("headline.recovered")} figure={cart.recovered} kind="count" />
              <Card label={i18n.t("headline.recoveryRate")} figure={cart.recovery_rate} kind="rate" />
              <Card label={i18n.t("headline.recoveredRevenue")} figure={cart.recovered_revenue} kind="money" />
            </div>
          </>
        );
      }}
    </Section>
  );
}

function ScenarioCards({ period }: { period: Period }) {
  const i18n = useI18n();
  const path = `/api/kpis/scenarios${query({ from: period.from, to: period.to })}`;
  const loaded = useLoad(() => get<KpiScenarios>(path), [path]);
  return (
    <Section heading={i18n.t("kpis.scenarios")} loaded={loaded} csv={{ path: `${path}&format=csv`, name: "kpis-scenarios.csv" }}>
      {(data) =>
        data.scenarios.map((s) => (
          <div key={s.scenario}>
            <s-heading>{scenarioName(s.scenario, i18n)}</s-heading>
            <div className="kpis">
              {SCENARIO_CARDS.map(([metric, key, kind]) => (
                <Card
                  key={metric}
                  label={i18n.t(key)}
                  figure={s.figures[metric]}
                  kind={kind}
                  lowerIsBetter={LOWER_IS_BETTER.has(metric)}
                  note={SHARE_OF_SENT.has(metric) ? shareOfSent(s.figures, metric, i18n) : undefined}
                />
              ))}
            </div>
            {Object.keys(s.suppressed_by_reason).length > 0 && (
              <s-text color="subdued">
                {i18n.t("kpis.suppressedBy", {
                  reasons: Object.entries(s.suppressed_by_reason)
                    .map(([reason, count]) => `${i18n.reason(reason)} ${show(count, "count", i18n, null)}`)
                    .join(", "),
                })}
              </s-text>
            )}
            <Lift scenario={s.scenario} period={period} />
          </div>
        ))
      }
    </Section>
  );
}

function Lift({ scenario, period }: { scenario: string; period: Period }) {
  const i18n = useI18n();
  const { currency } = useSession();
  const path = `/api/kpis/scenarios/${scenario}/lift${query({ from: period.from, to: period.to })}`;
  const lift = useLoad(() => get<KpiLift>(path), [path]);
  if (lift.error) return <ErrorBanner error={lift.error} onRetry={lift.reload} />;
  if (!lift.data) return <Loading />;
  const d = lift.data;
  if (d.holdout.subjects === 0) return <s-paragraph>{i18n.t("kpis.lift.off")}</s-paragraph>;
  if (d.verdict === "too_small" || !d.rate_lift || !d.incremental_revenue) {
    return (
      <s-paragraph>
        {i18n.t("kpis.lift.tooSmall", { treated: d.treated.subjects, holdout: d.holdout.subjects })}
      </s-paragraph>
    );
  }
  const pts = (x: number) => show(x, "rate", i18n, currency);
  const money = (x: number) => i18n.money(x, currency);
  return (
    <>
      <s-paragraph>
        {i18n.t(`kpis.lift.${d.verdict}` as MessageKey)}{" "}
        {i18n.t("kpis.lift.figures", {
          rate: pts(d.rate_lift.estimate),
          rateLow: pts(d.rate_lift.low),
          rateHigh: pts(d.rate_lift.high),
          revenue: money(d.incremental_revenue.estimate),
          revenueLow: money(d.incremental_revenue.low),
          revenueHigh: money(d.incremental_revenue.high),
          treated: d.treated.subjects,
          holdout: d.holdout.subjects,
        })}
      </s-paragraph>
      <s-button
        variant="tertiary"
        onClick={() => downloadCsv(`${path}&format=csv`, `kpis-${scenario}-lift.csv`).catch((e: unknown) => toast(errorText(e), true))}
      >
        {i18n.t("kpis.lift.csv")}
      </s-button>
    </>
  );
}

function RevenueChart({ period }: { period: Period }) {
  const i18n = useI18n();
  const { currency } = useSession();
  const path = `/api/kpis/series${query({ metric: "revenue", from: period.from, to: period.to })}`;
  const loaded = useLoad(() => get<KpiSeries>(path), [path]);
  return (
    <Section heading={i18n.t("kpis.revenueByScenario")} loaded={loaded} csv={{ path: `${path}&format=csv`, name: "kpis-revenue.csv" }}>
      {(data) => {
        const sources = [...new Set(data.points.flatMap((p) => Object.keys(p.values)))].filter((s) => s !== "store");
        return (
          <Chart
            kind="stacked"
            title={i18n.t("kpis.revenueByScenarioChart", { timezone: data.timezone })}
            labels={data.points.map((p) => p.day)}
            series={sources.map((s) => ({
              label: scenarioName(s, i18n),
              values: data.points.map((p) => Number(p.values[s] ?? 0)),
            }))}
            format={(v) => i18n.money(v, currency)}
          />
        );
      }}
    </Section>
  );
}

const FUNNEL: [string, MessageKey][] = [
  ["sent", "kpis.sent"],
  ["delivered", "kpis.delivered"],
  ["unique_human_opens", "kpis.opened"],
  ["unique_human_clicks", "kpis.clicked"],
  ["conversions", "kpis.conversions"],
];

function CartFunnel({ period }: { period: Period }) {
  const i18n = useI18n();
  const path = `/api/kpis/scenarios/abandoned_cart/steps${query({ from: period.from, to: period.to })}`;
  const loaded = useLoad(() => get<KpiSteps>(path), [path]);
  return (
    <Section heading={i18n.t("kpis.funnel")} loaded={loaded} csv={{ path: `${path}&format=csv`, name: "kpis-cart-steps.csv" }}>
      {(data) => {
        const whole = data.steps.find((s) => s.step === 0)?.figures ?? {};
        const value = (f: Record<string, Figure>, m: string) => Number(f[m]?.value ?? 0);
        return (
          <>
            <div className="kpis">
              <Card label={i18n.t("kpis.recovered")} figure={whole.recovered} kind="count" />
              <Card label={i18n.t("kpis.recoveryRate")} figure={whole.recovery_rate} kind="rate" />
              <Card label={i18n.t("kpis.recoveredRevenue")} figure={whole.recovered_revenue} kind="money" />
              <Card label={i18n.t("kpis.abandoned")} figure={whole.runs_started} kind="count" />
              <Card label={i18n.t("kpis.reminded")} figure={whole.recipients} kind="count" />
            </div>
            <Chart
              kind="bar"
              title={i18n.t("kpis.funnelChart")}
              labels={[
                i18n.t("kpis.abandoned"),
                i18n.t("kpis.reminded"),
                i18n.t("kpis.opened"),
                i18n.t("kpis.clicked"),
                i18n.t("kpis.recovered"),
              ]}
              series={[
                {
                  label: i18n.t("kpis.checkouts"),
                  values: [
                    value(whole, "runs_started"),
                    value(whole, "recipients"),
                    value(whole, "unique_human_opens"),
                    value(whole, "unique_human_clicks"),
                    value(whole, "recovered"),
                  ],
                },
              ]}
            />
            <Chart
              kind="bar"
              title={i18n.t("kpis.funnelByStep")}
              labels={FUNNEL.map(([, key]) => i18n.t(key))}
              series={data.steps
                .filter((s) => s.step > 0)
                .map((s) => ({
                  label: i18n.t("kpis.step", { step: s.step }),
                  values: FUNNEL.map(([metric]) => value(s.figures, metric)),
                }))}
            />
          </>
        );
      }}
    </Section>
  );
}

function PointsChart({ period }: { period: Period }) {
  const i18n = useI18n();
  const base = { source: "loyalty", from: period.from, to: period.to };
  const issuedPath = `/api/kpis/series${query({ ...base, metric: "points_issued" })}`;
  const loaded = useLoad(
    () =>
      Promise.all([
        get<KpiSeries>(issuedPath),
        get<KpiSeries>(`/api/kpis/series${query({ ...base, metric: "points_redeemed" })}`),
      ]),
    [issuedPath],
  );
  const redeemedPath = `/api/kpis/series${query({ ...base, metric: "points_redeemed" })}`;
  return (
    <Section heading={i18n.t("kpis.points")} loaded={loaded} csv={{ path: `${issuedPath}&format=csv`, name: "kpis-points-issued.csv" }}>
      {([issued, redeemed]) => (
        <>
          <Chart
            kind="line"
            title={i18n.t("kpis.pointsChart")}
            labels={issued.points.map((p) => p.day)}
            series={[
              { label: i18n.t("kpis.pointsIssued"), values: issued.points.map((p) => Number(p.values.loyalty ?? 0)) },
              { label: i18n.t("kpis.pointsRedeemed"), values: redeemed.points.map((p) => Number(p.values.loyalty ?? 0)) },
            ]}
          />
          <s-button
            variant="tertiary"
            onClick={() => downloadCsv(`${redeemedPath}&format=csv`, "kpis-points-redeemed.csv").catch((e: unknown) => toast(errorText(e), true))}
          >
            {i18n.t("kpis.csvRedeemed")}
          </s-button>
        </>
      )}
    </Section>
  );
}

function Loyalty({ period }: { period: Period }) {
  const i18n = useI18n();
  const { currency } = useSession();
  const path = `/api/kpis/loyalty${query({ from: period.from, to: period.to })}`;
  const loaded = useLoad(() => get<KpiLoyalty>(path), [path]);
  return (
    <Section heading={i18n.t("kpis.loyalty")} loaded={loaded} csv={{ path: `${path}&format=csv`, name: "kpis-loyalty.csv" }}>
      {(data) => {
        const state = data.state;
        return (
          <>
            <div className="kpis">
              <Card label={i18n.t("kpis.pointsIssued")} figure={data.figures.points_issued} kind="count" />
              <Card label={i18n.t("kpis.pointsRedeemed")} figure={data.figures.points_redeemed} kind="count" />
              <Card label={i18n.t("kpis.pointsExpired")} figure={data.figures.points_expired} kind="count" />
              <Card label={i18n.t("kpis.rewards")} figure={data.figures.rewards_distributed} kind="count" />
              <Card label={i18n.t("kpis.memberRevenue")} figure={data.member_revenue.member_revenue} kind="money" />
              <Card label={i18n.t("kpis.nonMemberRevenue")} figure={data.member_revenue.nonmember_revenue} kind="money" />
            </div>
            {state ? (
              <>
                <s-paragraph>
                  {i18n.t("kpis.loyaltyState", {
                    participation: show(state.participation, "rate", i18n, currency),
                    outstanding: show(state.points_outstanding, "count", i18n, currency),
                    liability: show(state.liability, "money", i18n, state.currency ?? currency),
                    rewards: state.rewards_distributed,
                    redemption: show(state.redemption_rate, "rate", i18n, currency),
                  })}
                </s-paragraph>
                <Chart
                  kind="doughnut"
                  title={i18n.t("kpis.tiers")}
                  labels={state.members_per_tier.map((t) => t.tier ?? i18n.t("kpis.noTier"))}
                  series={[{ label: i18n.t("kpis.members"), values: state.members_per_tier.map((t) => t.members) }]}
                />
              </>
            ) : (
              <s-paragraph>{i18n.t("kpis.notYet")}</s-paragraph>
            )}
          </>
        );
      }}
    </Section>
  );
}

const RETENTION: [string, MessageKey, Kind][] = [
  ["repeat_purchase_rate", "kpis.repeatRate", "rate"],
  ["median_days_first_to_second_order", "kpis.secondOrderDays", "ratio"],
  ["lifetime_days_mean", "kpis.lifetimeDays", "ratio"],
  ["lifetime_value", "kpis.ltv", "money"],
  ["active_customers", "kpis.active", "count"],
  ["lapsed_customers", "kpis.lapsed", "count"],
];

function Retention({ period }: { period: Period }) {
  const i18n = useI18n();
  const { currency } = useSession();
  const path = `/api/kpis/store${query({ from: period.from, to: period.to })}`;
  const loaded = useLoad(() => get<KpiStore>(path), [path]);
  return (
    <Section heading={i18n.t("kpis.retention")} loaded={loaded} csv={{ path: `${path}&format=csv`, name: "kpis-store.csv" }}>
      {(data) => (
        <>
          <div className="kpis">
            <Card label={i18n.t("kpis.orders")} figure={data.figures.orders} kind="count" />
            <Card label={i18n.t("kpis.storeRevenue")} figure={data.figures.revenue} kind="money" />
          </div>
          {data.retention ? (
            <div className="kpis">
              {RETENTION.map(([metric, key, kind]) => (
                <div key={metric} className="kpi" role="group" aria-label={i18n.t(key)}>
                  <s-text color="subdued">{i18n.t(key)}</s-text>
                  <strong>{show(data.retention?.[metric] as string | number | null, kind, i18n, currency)}</strong>
                </div>
              ))}
            </div>
          ) : (
            <s-paragraph>{i18n.t("kpis.notYet")}</s-paragraph>
          )}
          <Cohorts />
        </>
      )}
    </Section>
  );
}

function Cohorts() {
  const i18n = useI18n();
  const loaded = useLoad(() => get<{ cohorts: Cohort[] }>("/api/kpis/cohorts"), []);
  if (loaded.error) return <ErrorBanner error={loaded.error} onRetry={loaded.reload} />;
  if (!loaded.data) return <Loading />;
  const cohorts = loaded.data.cohorts;
  const depth = Math.max(0, ...cohorts.map((c) => c.retained.length));
  const rate = (x: number) => show(x, "rate", i18n, null);
  // Month 0 is the cohort itself (100 %); a month not yet lived is no cell at all.
  const share = (c: Cohort, month: number) => (month < c.retained.length && c.size ? (c.retained[month] ?? 0) / c.size : NaN);
  return (
    <>
      <Chart
        kind="triangle"
        title={i18n.t("kpis.cohortsChart")}
        labels={cohorts.map((c) => c.cohort)}
        series={Array.from({ length: depth }, (_, month) => ({
          label: i18n.t("kpis.month", { month }),
          values: cohorts.map((c) => share(c, month)),
        }))}
        format={rate}
        describe={(row, month) => {
          const c = cohorts[row];
          if (!c) return "";
          return `${c.cohort}, ${i18n.t("kpis.month", { month })}: ${i18n.t("kpis.cohortsShare", {
            share: rate(share(c, month)),
            size: c.size,
            count: c.retained[month] ?? 0,
          })}`;
        }}
      />
      <s-button
        variant="tertiary"
        onClick={() => downloadCsv("/api/kpis/cohorts?format=csv", "kpis-cohorts.csv").catch((e: unknown) => toast(errorText(e), true))}
      >
        {i18n.t("kpis.csv")}
      </s-button>
    </>
  );
}

const REFERRAL_CARDS: [string, MessageKey, Kind][] = [
  ["link_visits", "kpis.ref.linkVisits", "count"],
  ["codes_issued", "kpis.ref.codesIssued", "count"],
  ["codes_used", "kpis.ref.codesUsed", "count"],
  ["conversion_rate", "kpis.ref.conversionRate", "ratio"],
  ["flagged", "kpis.ref.flagged", "count"],
  ["qualified", "kpis.ref.qualified", "count"],
  ["rewarded", "kpis.ref.rewarded", "count"],
  ["voided", "kpis.ref.voided", "count"],
  ["rejected", "kpis.ref.rejected", "count"],
  ["referred_revenue", "kpis.ref.revenue", "money"],
];

function Referrals({ period }: { period: Period }) {
  const i18n = useI18n();
  const path = `/api/kpis/referrals${query({ from: period.from, to: period.to })}`;
  const loaded = useLoad(() => get<KpiReferrals>(path), [path]);
  return (
    <Section heading={i18n.t("kpis.referrals")} loaded={loaded} csv={{ path: `${path}&format=csv`, name: "kpis-referrals.csv" }}>
      {(data) => {
        const value = (metric: string) => Number(data.figures[metric]?.value ?? 0);
        const funnel: [string, MessageKey][] = [
          ["link_visits", "kpis.ref.linkVisits"],
          ["codes_used", "kpis.ref.codesUsed"],
          ["qualified", "kpis.ref.qualified"],
          ["rewarded", "kpis.ref.rewarded"],
        ];
        return (
          <>
            <div className="kpis">
              {REFERRAL_CARDS.map(([metric, key, kind]) => (
                <Card key={metric} label={i18n.t(key)} figure={data.figures[metric]} kind={kind} />
              ))}
            </div>
            <Chart
              kind="bar"
              title={i18n.t("kpis.ref.funnel")}
              labels={funnel.map(([, key]) => i18n.t(key))}
              series={[{ label: i18n.t("kpis.ref.count"), values: funnel.map(([metric]) => value(metric)) }]}
            />
          </>
        );
      }}
    </Section>
  );
}

const REVIEW_CARDS: [string, MessageKey, Kind][] = [
  ["requests", "kpis.rev.requests", "count"],
  ["response_rate", "kpis.rev.responseRate", "rate"],
  ["reviews", "kpis.rev.reviews", "count"],
  ["average_rating", "kpis.rev.averageRating", "ratio"],
  ["photo_share", "kpis.rev.photoShare", "rate"],
];

function Reviews({ period }: { period: Period }) {
  const i18n = useI18n();
  const path = `/api/kpis/reviews${query({ from: period.from, to: period.to })}`;
  const loaded = useLoad(() => get<KpiReviews>(path), [path]);
  return (
    <Section heading={i18n.t("kpis.reviews")} loaded={loaded} csv={{ path: `${path}&format=csv`, name: "kpis-reviews.csv" }}>
      {(data) => {
        const overall = data.all_time;
        const stars = [5, 4, 3, 2, 1];
        return (
          <>
            <div className="kpis">
              {REVIEW_CARDS.map(([metric, key, kind]) => (
                <Card key={metric} label={i18n.t(key)} figure={data.figures[metric]} kind={kind} />
              ))}
            </div>
            <Chart
              kind="bar"
              title={i18n.t("kpis.rev.ratings")}
              labels={stars.map((n) => i18n.t("kpis.rev.stars", { stars: n }))}
              series={[
                {
                  label: i18n.t("kpis.rev.reviews"),
                  values: stars.map((n) => Number(data.figures[`rating_${n}`]?.value ?? 0)),
                },
              ]}
            />
            {overall ? (
              <s-paragraph>
                {i18n.t("kpis.rev.allTime", {
                  reviews: show(overall.reviews, "count", i18n, null),
                  rating: show(overall.average_rating, "ratio", i18n, null),
                  photos: show(overall.photo_share, "rate", i18n, null),
                  published: show(overall.published, "count", i18n, null),
                  waiting: show(overall.awaiting_moderation, "count", i18n, null),
                })}
              </s-paragraph>
            ) : (
              <s-paragraph>{i18n.t("kpis.notYet")}</s-paragraph>
            )}
          </>
        );
      }}
    </Section>
  );
}

interface AnalyticsSettings {
  attribution_window_days: number;
  holdouts: Record<string, string>;
  default_holdout_percent: string;
}

/** The attribution window and each scenario's holdout group (docs/kpis.md). */
function Settings({ scenarios }: { scenarios: string[] }) {
  const i18n = useI18n();
  const loaded = useLoad(() => get<AnalyticsSettings>("/api/kpis/settings"), []);
  const [saving, setSaving] = useState(false);
  const save = (patch: Partial<{ attribution_window_days: number; holdouts: Record<string, number | boolean> }>) => {
    setSaving(true);
    patchSettings<AnalyticsSettings>("/api/kpis/settings", patch)
      .then(() => {
        toast(i18n.t("kpis.settings.saved"));
        loaded.reload();
      })
      .catch((e: unknown) => toast(errorText(e), true))
      .finally(() => setSaving(false));
  };
  return (
    <Section heading={i18n.t("kpis.settings")} loaded={loaded}>
      {(data) => (
        <>
          <s-number-field
            label={i18n.t("kpis.settings.window")}
            details={i18n.t("kpis.settings.window.details")}
            value={String(data.attribution_window_days)}
            min={1}
            max={30}
            disabled={saving}
            onChange={(e) => {
              const days = Number(fieldValue(e));
              if (Number.isInteger(days) && days !== data.attribution_window_days) save({ attribution_window_days: days });
            }}
          />
          {scenarios.map((key) => (
            <s-checkbox
              key={key}
              label={i18n.t("kpis.settings.holdout", { scenario: scenarioName(key, i18n), percent: data.holdouts[key] ?? data.default_holdout_percent })}
              details={i18n.t("kpis.settings.holdout.details")}
              checked={key in data.holdouts}
              disabled={saving}
              onChange={(e) => save({ holdouts: { [key]: fieldChecked(e) } })}
            />
          ))}
        </>
      )}
    </Section>
  );
}

/** The period: a preset (in the shop's timezone) or two dates, compared with the same
 * number of days just before. */
function PeriodPicker({ period, onChange }: { period: Period; onChange: (p: Period) => void }) {
  const i18n = useI18n();
  const { timezone } = useSession();
  const [preset, setPreset] = useState<Preset>("last30");
  const [draft, setDraft] = useState<Period>(period);
  const valid = /^\d{4}-\d{2}-\d{2}$/.test(draft.from) && /^\d{4}-\d{2}-\d{2}$/.test(draft.to) && draft.from <= draft.to;
  const choose = (value: string) => {
    const next = (PRESETS as string[]).includes(value) ? (value as Preset) : "custom";
    setPreset(next);
    const range = presetPeriod(next, shopToday(timezone));
    if (range) {
      setDraft(range);
      onChange(range);
    }
  };
  return (
    <s-section>
      <div className="period">
        <s-select label={i18n.t("period.label")} value={preset} onChange={(e) => choose(fieldValue(e))}>
          {PRESETS.map((p) => (
            <s-option key={p} value={p}>
              {i18n.t(`period.${p}`)}
            </s-option>
          ))}
        </s-select>
        {preset === "custom" && (
          <>
            <s-date-field
              label={i18n.t("period.from")}
              value={draft.from}
              error={valid || !draft.from || !draft.to ? undefined : i18n.t("period.invalid")}
              onInput={(e) => setDraft({ ...draft, from: fieldValue(e) })}
              onChange={(e) => setDraft({ ...draft, from: fieldValue(e) })}
            />
            <s-date-field
              label={i18n.t("period.to")}
              value={draft.to}
              onInput={(e) => setDraft({ ...draft, to: fieldValue(e) })}
              onChange={(e) => setDraft({ ...draft, to: fieldValue(e) })}
            />
            <s-button disabled={!valid} onClick={() => onChange(draft)}>
              {i18n.t("kpis.apply")}
            </s-button>
          </>
        )}
      </div>
      <s-text color="subdued">{i18n.t("kpis.periodNote")}</s-text>
    </s-section>
  );
}

export function Analytics() {
  const i18n = useI18n();
  const { timezone } = useSession();
  const [period, setPeriod] = useState<Period>(() => defaultPeriod(timezone));
  return (
    <s-page heading={i18n.t("kpis.heading")}>
      <PeriodPicker period={period} onChange={setPeriod} />
      <Headline period={period} />
      <ScenarioCards period={period} />
      <CartFunnel period={period} />
      <RevenueChart period={period} />
      <PointsChart period={period} />
      <Loyalty period={period} />
      <Referrals period={period} />
      <Reviews period={period} />
      <Retention period={period} />
      <Settings scenarios={["abandoned_cart", "welcome", "winback", "review_request"]} />
    </s-page>
  );
}
