// The referral program: its figures, its settings, the referrals with their status and the
// evidence of each flagged one (approve or reject), and the top advocates.

import { useEffect, useState } from "react";

import {
  ApiError,
  get,
  post,
  patch as patchSettings,
  type Mode,
  type Referral,
  type ReferralAdvocate,
  type ReferralFigures,
  type ReferralSettings,
} from "../api";
import { ErrorBanner, Loading, fieldValue, toast, useLoad } from "../components/common";
import { EmptyState } from "../components/EmptyState";
import { useI18n } from "../i18n";
import type { MessageKey } from "../i18n/messages";
import { useSession } from "../session";
import { MODES, ModeBadge } from "./labels";

const STATUSES = ["pending", "flagged", "qualified", "rewarded", "rejected", "void"] as const;

const NUMBERS = [
  "friend_percent",
  "friend_minimum_subtotal",
  "hold_days",
  "reward_points",
  "monthly_reward_cap",
  "max_referrals_per_day",
  "max_orders_per_ip",
] as const;
type NumberField = (typeof NUMBERS)[number];

interface Draft {
  mode: Mode;
  issue_on: ReferralSettings["issue_on"];
  reward_kind: ReferralSettings["reward_kind"];
  reward_code_value: string;
  fields: Record<NumberField, string>;
}

function toDraft(s: ReferralSettings): Draft {
  const fields = {} as Record<NumberField, string>;
  for (const key of NUMBERS) fields[key] = s[key] === null ? "" : String(s[key]);
  return {
    mode: s.mode,
    issue_on: s.issue_on,
    reward_kind: s.reward_kind,
    reward_code_value: String(s.reward_code.value),
    fields,
  };
}

function Kpi({ label, value }: { label: string; value: string | number }) {
  return (
    <div className="kpi" role="group" aria-label={label}>
      <s-text color="subdued">{label}</s-text>
      <strong>{value}</strong>
    </div>
  );
}

function Figures({ figures }: { figures: ReferralFigures }) {
  const { t, money } = useI18n();
  const { currency } = useSession();
  const counts: [MessageKey, number][] = [
    ["referrals.kpi.codes", figures.codes_issued],
    ["referrals.kpi.visits", figures.link_visits],
    ["referrals.kpi.used", figures.codes_used],
    ["referrals.kpi.pending", figures.pending],
    ["referrals.kpi.flagged", figures.flagged],
    ["referrals.kpi.qualified", figures.qualified],
    ["referrals.kpi.rewarded", figures.rewarded],
    ["referrals.kpi.rejected", figures.rejected],
  ];
  return (
    <div className="kpis">
      {counts.map(([key, value]) => (
        <Kpi key={key} label={t(key)} value={value} />
      ))}
      <Kpi label={t("referrals.kpi.revenue")} value={money(figures.referred_revenue, currency)} />
    </div>
  );
}

function SettingsForm({ saved, onSaved }: { saved: ReferralSettings; onSaved: () => void }) {
  const { t } = useI18n();
  const [draft, setDraft] = useState(() => toDraft(saved));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<Error>();
  const [saving, setSaving] = useState(false);
  useEffect(() => setDraft(toDraft(saved)), [saved]);

  async function save() {
    setSaving(true);
    setErrors({});
    setFailure(undefined);
    const patch: Record<string, unknown> = {
      mode: draft.mode,
      issue_on: draft.issue_on,
      reward_kind: draft.reward_kind,
      reward_code: { value: draft.reward_code_value.trim() },
    };
    for (const key of NUMBERS) {
      const value = draft.fields[key].trim();
      if (key === "friend_minimum_subtotal" || key === "friend_percent") {
        patch[key] = value === "" ? null : value;
      } else {
        patch[key] = Number(value);
      }
    }
    try {
      await patchSettings<ReferralSettings>("/api/referrals/settings", patch);
      toast(t("referrals.saved"));
      onSaved();
    } catch (e) {
      if (e instanceof ApiError && e.body.problems) {
        setErrors(Object.fromEntries(e.body.problems.map((p) => [p.field, p.message])));
      } else {
        setFailure(e instanceof Error ? e : new Error(String(e)));
      }
    } finally {
      setSaving(false);
    }
  }

  const number = (key: NumberField) => (
    <s-text-field
      key={key}
      label={t(`referrals.field.${key}`)}
      value={draft.fields[key]}
      error={errors[key]}
      onInput={(e) => setDraft({ ...draft, fields: { ...draft.fields, [key]: fieldValue(e) } })}
    />
  );

  return (
    <s-section id="referral-settings" heading={t("referrals.settings")}>
      {failure && <ErrorBanner error={failure} />}
      <s-select
        label={t("settings.mode")}
        value={draft.mode}
        error={errors.mode}
        onChange={(e) => setDraft({ ...draft, mode: fieldValue(e) as Mode })}
      >
        {MODES.map((mode) => (
          <s-option key={mode} value={mode}>
            {t(`mode.${mode}`)}
          </s-option>
        ))}
      </s-select>
      <s-paragraph>{t("referrals.paused.details")}</s-paragraph>
      <s-select
        label={t("referrals.field.issue_on")}
        details={t("referrals.issueOn.details")}
        value={draft.issue_on}
        onChange={(e) =>
          setDraft({ ...draft, issue_on: fieldValue(e) as ReferralSettings["issue_on"] })
        }
      >
        <s-option value="first_paid_order">{t("referrals.issueOn.first_paid_order")}</s-option>
        <s-option value="sign_up">{t("referrals.issueOn.sign_up")}</s-option>
      </s-select>
      {number("friend_percent")}
      {number("friend_minimum_subtotal")}
      {number("hold_days")}
      <s-select
        label={t("referrals.field.reward_kind")}
        value={draft.reward_kind}
        onChange={(e) =>
          setDraft({ ...draft, reward_kind: fieldValue(e) as ReferralSettings["reward_kind"] })
        }
      >
        <s-option value="points">{t("referrals.rewardKind.points")}</s-option>
        <s-option value="code">{t("referrals.rewardKind.code")}</s-option>
      </s-select>
      {draft.reward_kind === "points" ? (
        number("reward_points")
      ) : (
        <s-text-field
          label={t("referrals.field.reward_code_value")}
          value={draft.reward_code_value}
          error={errors["reward_code.value"]}
          onInput={(e) => setDraft({ ...draft, reward_code_value: fieldValue(e) })}
        />
      )}
      {number("monthly_reward_cap")}
      {number("max_referrals_per_day")}
      {number("max_orders_per_ip")}
      <s-button variant="primary" loading={saving} onClick={() => void save()}>
        {t("referrals.save")}
      </s-button>
    </s-section>
  );
}

function Evidence({ referral }: { referral: Referral }) {
  const { t, reason } = useI18n();
  if (referral.evidence.length === 0) return null;
  return (
    <s-unordered-list>
      {referral.evidence.map((item) => (
        <s-list-item key={item.rule}>
          {t("referrals.evidence", {
            rule: reason(item.rule),
            friend: item.friend,
            referrer: item.referrer || "—",
          })}
        </s-list-item>
      ))}
    </s-unordered-list>
  );
}

function List({ onDecided }: { onDecided: () => void }) {
  const { t, money, when, reason } = useI18n();
  const [status, setStatus] = useState("");
  const page = useLoad(
    () => get<Referral[]>(`/api/referrals${status ? `?status=${status}` : ""}`),
    [status],
  );
  const [failure, setFailure] = useState<Error>();
  const [busy, setBusy] = useState<number>();

  async function decide(id: number, decision: "approve" | "reject") {
    setBusy(id);
    setFailure(undefined);
    try {
      await post(`/api/referrals/${id}/${decision}`);
      toast(t(decision === "approve" ? "referrals.approved" : "referrals.rejected"));
      page.reload();
      onDecided();
    } catch (e) {
      setFailure(e instanceof Error ? e : new Error(String(e)));
    } finally {
      setBusy(undefined);
    }
  }

  const rows = page.data ?? [];
  return (
    <s-section heading={t("referrals.list")}>
      <s-select label={t("referrals.status")} value={status} onChange={(e) => setStatus(fieldValue(e))}>
        <s-option value="">{t("referrals.allStatuses")}</s-option>
        {STATUSES.map((s) => (
          <s-option key={s} value={s}>
            {t(`referrals.status.${s}`)}
          </s-option>
        ))}
      </s-select>
      {failure && <ErrorBanner error={failure} />}
      {page.error && <ErrorBanner error={page.error} onRetry={page.reload} />}
      {!page.data && !page.error && <Loading />}
      {page.data && rows.length === 0 && (
        <EmptyState
          heading={t("empty.referrals.heading")}
          body={t("empty.referrals.body")}
          action={{
            label: t("empty.referrals.action"),
            onClick: () => document.getElementById("referral-settings")?.scrollIntoView({ behavior: "smooth" }),
          }}
        />
      )}
      {rows.length > 0 && (
        <s-table>
          <s-table-header-row>
            <s-table-header listSlot="primary">{t("referrals.col.advocate")}</s-table-header>
            <s-table-header>{t("referrals.col.friend")}</s-table-header>
            <s-table-header>{t("referrals.col.order")}</s-table-header>
            <s-table-header listSlot="inline">{t("referrals.col.status")}</s-table-header>
            <s-table-header>{t("referrals.col.evidence")}</s-table-header>
            <s-table-header listSlot="inline" />
          </s-table-header-row>
          <s-table-body>
            {rows.map((r) => (
              <s-table-row key={r.id}>
                <s-table-cell>
                  {r.referrer_email ?? r.referrer_id} ({r.code})
                </s-table-cell>
                <s-table-cell>{r.friend_email ?? ""}</s-table-cell>
                <s-table-cell>
                  {r.order_name ?? r.order_id}
                  {r.order_total !== null && ` · ${money(r.order_total, r.currency)}`}
                  {` · ${when(r.created_at)}`}
                </s-table-cell>
                <s-table-cell>
                  <s-badge tone={r.status === "flagged" ? "warning" : r.status === "rewarded" ? "success" : "info"}>
                    {t(`referrals.status.${r.status}`)}
                  </s-badge>
                  {r.reason && <s-text color="subdued"> {reason(r.reason)}</s-text>}
                </s-table-cell>
                <s-table-cell>
                  <Evidence referral={r} />
                </s-table-cell>
                <s-table-cell>
                  {r.status === "flagged" && (
                    <s-stack direction="inline" gap="base">
                      <s-button
                        variant="primary"
                        loading={busy === r.id}
                        accessibilityLabel={`${t("referrals.approve")}: ${r.order_name ?? r.order_id}`}
                        onClick={() => void decide(r.id, "approve")}
                      >
                        {t("referrals.approve")}
                      </s-button>
                      <s-button
                        tone="critical"
                        loading={busy === r.id}
                        accessibilityLabel={`${t("referrals.reject")}: ${r.order_name ?? r.order_id}`}
                        onClick={() => void decide(r.id, "reject")}
                      >
                        {t("referrals.reject")}
                      </s-button>
                    </s-stack>
                  )}
                </s-table-cell>
              </s-table-row>
            ))}
          </s-table-body>
        </s-table>
      )}
    </s-section>
  );
}

function Advocates({ advocates }: { advocates: ReferralAdvocate[] }) {
  const { t, money } = useI18n();
  const { currency } = useSession();
  return (
    <s-section heading={t("referrals.advocates")}>
      {advocates.length === 0 ? (
        <s-paragraph>{t("referrals.advocates.empty")}</s-paragraph>
      ) : (
        <s-table>
          <s-table-header-row>
            <s-table-header listSlot="primary">{t("referrals.col.advocate")}</s-table-header>
            <s-table-header format="numeric">{t("referrals.kpi.visits")}</s-table-header>
            <s-table-header>{t("referrals.kpi.used")}</s-table-header>
            <s-table-header>{t("referrals.kpi.rewarded")}</s-table-header>
            <s-table-header>{t("referrals.kpi.revenue")}</s-table-header>
          </s-table-header-row>
          <s-table-body>
            {advocates.map((a) => (
              <s-table-row key={a.customer_id}>
                <s-table-cell>
                  {[a.first_name, a.last_name].filter(Boolean).join(" ") || a.email} ({a.code})
                </s-table-cell>
                <s-table-cell>{a.visits}</s-table-cell>
                <s-table-cell>{a.referrals}</s-table-cell>
                <s-table-cell>{a.rewarded}</s-table-cell>
                <s-table-cell>{money(a.revenue, currency)}</s-table-cell>
              </s-table-row>
            ))}
          </s-table-body>
        </s-table>
      )}
    </s-section>
  );
}

export function Referrals() {
  const { t } = useI18n();
  const settings = useLoad(() => get<ReferralSettings>("/api/referrals/settings"), []);
  const figures = useLoad(() => get<ReferralFigures>("/api/referrals/figures"), []);
  const advocates = useLoad(() => get<ReferralAdvocate[]>("/api/referrals/advocates"), []);
  const refresh = () => {
    figures.reload();
    advocates.reload();
  };
  return (
    <s-page heading={t("referrals.heading")}>
      {settings.data && (
        <s-stack direction="inline" gap="base">
          <s-text>{t("settings.mode")}</s-text>
          <ModeBadge mode={settings.data.mode} />
        </s-stack>
      )}
      {figures.error && <ErrorBanner error={figures.error} onRetry={figures.reload} />}
      {figures.data && <Figures figures={figures.data} />}
      <List onDecided={refresh} />
      {advocates.data && <Advocates advocates={advocates.data} />}
      {settings.error && <ErrorBanner error={settings.error} onRetry={settings.reload} />}
      {!settings.data && !settings.error && <Loading />}
      {settings.data && <SettingsForm saved={settings.data} onSaved={settings.reload} />}
    </s-page>
  );
}
