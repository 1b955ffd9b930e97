// One customer's loyalty: balance (spendable and pending apart; negative after a clawback),
// tier, the ledger newest first, a manual adjustment with its required reason, a reward
// redeemed for the customer (a code, or store credit at Shopify) and their redemptions. Each
// submission carries its own key, so a retried one adjusts or redeems once.

import { useState } from "react";

import {
  ApiError,
  get,
  post,
  type Adjusted,
  type LedgerLine,
  type LoyaltyPosition,
  type Redeemed,
  type RedemptionLine,
} from "../api";
import { ErrorBanner, Loading, fieldValue, toast, useLoad } from "../components/common";
import { useI18n } from "../i18n";
import type { MessageKey } from "../i18n/messages";

const KINDS = ["earn", "redeem", "clawback", "expire", "adjust", "bonus"];
// Every program's ledger sources: loyalty's own (app/loyalty), reviews' (app/reviews/rewards.py),
// referrals' (app/referrals/rewards.py), birthdays' and expiry's (app/loyalty/birthdays.py, expiry.py).
const SOURCES = [
  "order",
  "order_edit",
  "refund",
  "manual",
  "redemption",
  "redemption_return",
  "signup",
  "review",
  "review_photo",
  "referral",
  "birthday",
  "inactivity",
];

function newKey(): string {
  return `admin-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

function Line({ line }: { line: LedgerLine }) {
  const { t, when } = useI18n();
  const kind = KINDS.includes(line.kind) ? t(`loyalty.kind.${line.kind}` as MessageKey) : line.kind;
  const source = SOURCES.includes(line.source_type)
    ? t(`loyalty.source.${line.source_type}` as MessageKey)
    : line.source_type;
  const actor = line.actor.startsWith("user:")
    ? t("loyalty.by.user", { id: line.actor.slice(5) })
    : t("loyalty.by.system");
  return (
    <li>
      <s-stack direction="block" gap="none">
        <s-text type="strong">
          {line.delta > 0 ? `+${line.delta}` : String(line.delta)} · {kind}
        </s-text>
        <s-text>
          {source}
          {line.reason ? ` — ${line.reason}` : ""}
        </s-text>
        <s-text color="subdued">
          {when(line.at)} · {actor}
          {line.pending_until ? ` · ${t("loyalty.pendingUntil", { at: when(line.pending_until) })}` : ""}
        </s-text>
      </s-stack>
    </li>
  );
}

function AdjustForm({ customerId, onDone }: { customerId: number; onDone: () => void }) {
  const { t } = useI18n();
  const [points, setPoints] = useState("");
  const [reason, setReason] = useState("");
  const [key, setKey] = useState(newKey);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<string>();
  const [saving, setSaving] = useState(false);

  async function submit() {
    setErrors({});
    setProblem(undefined);
    setSaving(true);
    try {
      const done = await post<Adjusted>(`/api/loyalty/customers/${customerId}/adjustments`, {
        points: Number.parseInt(points, 10) || 0,
        reason,
        key,
      });
      toast(done.applied ? t("loyalty.adjust.done") : t("loyalty.adjust.repeat"));
      setPoints("");
      setReason("");
      setKey(newKey());
      onDone();
    } catch (error) {
      if (error instanceof ApiError && error.body.problems) {
        const byField: Record<string, string> = {};
        for (const p of error.body.problems) byField[p.field] = p.message;
        setErrors(byField);
      } else {
        setProblem(error instanceof Error ? error.message : String(error));
      }
    } finally {
      setSaving(false);
    }
  }

  return (
    <s-section heading={t("loyalty.adjust.heading")}>
      {problem && <s-banner tone="critical" heading={problem} />}
      <s-stack direction="inline" gap="base" alignItems="start">
        <s-number-field
          label={t("loyalty.adjust.points")}
          value={points}
          error={errors.points}
          onInput={(e) => setPoints(fieldValue(e))}
        />
        <s-text-field
          label={t("loyalty.adjust.reason")}
          details={t("loyalty.adjust.reason.details")}
          value={reason}
          error={errors.reason}
          onInput={(e) => setReason(fieldValue(e))}
        />
      </s-stack>
      <s-button variant="primary" loading={saving} onClick={() => void submit()}>
        {t("loyalty.adjust.submit")}
      </s-button>
    </s-section>
  );
}

function RedeemForm({ customerId, rewards, onDone }: {
  customerId: number;
  rewards: LoyaltyPosition["rewards"];
  onDone: () => void;
}) {
  const { t } = useI18n();
  const [reward, setReward] = useState(rewards[0]?.key ?? "");
  const [key, setKey] = useState(newKey);
  const [problem, setProblem] = useState<string>();
  const [saving, setSaving] = useState(false);

  async function submit() {
    setProblem(undefined);
    setSaving(true);
    try {
      const done = await post<Redeemed>(`/api/loyalty/customers/${customerId}/redemptions`, { reward, key });
      toast(
        done.status === "issued"
          ? done.kind === "store_credit" ? t("loyalty.redeem.credited") : t("loyalty.redeem.code", { code: done.code ?? "" })
          : t("loyalty.redeem.pending"),
      );
      setKey(newKey());
      onDone();
    } catch (error) {
      setProblem(error instanceof ApiError || error instanceof Error ? error.message : String(error));
      setKey(newKey());
      onDone();
    } finally {
      setSaving(false);
    }
  }

  if (rewards.length === 0) return null;
  return (
    <s-section heading={t("loyalty.redeem.heading")}>
      {problem && <s-banner tone="critical" heading={problem} />}
      <s-select label={t("loyalty.redeem.reward")} value={reward} onChange={(e) => setReward(fieldValue(e))}>
        {rewards.map((r) => (
          <s-option key={r.key} value={r.key}>
            {`${r.key} · ${t(`loyalty.rewardKind.${r.kind}`)} · ${t("loyalty.redeem.cost", { cost: r.cost })}`}
          </s-option>
        ))}
      </s-select>
      <s-button variant="secondary" loading={saving} onClick={() => void submit()}>
        {t("loyalty.redeem.submit")}
      </s-button>
    </s-section>
  );
}

function Redemption({ line }: { line: RedemptionLine }) {
  const { t, when } = useI18n();
  const what = line.kind === "store_credit"
    ? t("loyalty.redemption.credit", { value: line.value })
    : line.code ?? "";
  return (
    <li>
      <s-stack direction="block" gap="none">
        <s-text type="strong">
          {line.reward} · {t(`loyalty.redemption.status.${line.status}`)} · {String(-line.cost)}
        </s-text>
        {what && <s-text>{what}</s-text>}
        {line.returned_because && <s-text>{line.returned_because}</s-text>}
        <s-text color="subdued">{when(line.at)}</s-text>
      </s-stack>
    </li>
  );
}

export function LoyaltyCustomerView({ customerId }: { customerId: number }) {
  const { t } = useI18n();
  const loaded = useLoad(() => get<LoyaltyPosition>(`/api/loyalty/customers/${customerId}`), [customerId]);
  const data = loaded.data;
  const name = data
    ? [data.customer.first_name, data.customer.last_name].filter(Boolean).join(" ") ||
      (data.customer.email ?? `#${customerId}`)
    : `#${customerId}`;
  return (
    <s-page heading={t("loyalty.customer.heading", { name })}>
      {loaded.error && <ErrorBanner error={loaded.error} onRetry={loaded.reload} />}
      {!data && !loaded.error && <Loading />}
      {data && (
        <>
          {!data.enabled && <s-banner tone="warning">{t("loyalty.off")}</s-banner>}
          <s-section>
            <s-stack direction="inline" gap="large">
              <s-stack direction="block" gap="none">
                <s-text color="subdued">{t("loyalty.balance")}</s-text>
                <s-text type="strong" aria-label={t("loyalty.balance")}>
                  {String(data.balance)}
                </s-text>
              </s-stack>
              <s-stack direction="block" gap="none">
                <s-text color="subdued">{t("loyalty.spendable")}</s-text>
                <s-text type="strong">{String(data.spendable)}</s-text>
              </s-stack>
              <s-stack direction="block" gap="none">
                <s-text color="subdued">{t("loyalty.pending")}</s-text>
                <s-text type="strong">{String(data.pending)}</s-text>
              </s-stack>
              <s-stack direction="block" gap="none">
                <s-text color="subdued">{t("loyalty.currentTier")}</s-text>
                <s-text type="strong">{data.tier ? data.tier.name : t("loyalty.noTier")}</s-text>
              </s-stack>
            </s-stack>
            {data.balance < 0 && <s-paragraph>{t("loyalty.negativeNote")}</s-paragraph>}
          </s-section>
          <AdjustForm customerId={customerId} onDone={loaded.reload} />
          <RedeemForm customerId={customerId} rewards={data.rewards} onDone={loaded.reload} />
          {data.perks.length > 0 && (
            <s-section heading={t("loyalty.perks")}>
              <ul>
                {data.perks.map((perk) => (
                  <li key={perk.code}>{t("loyalty.perk.line", { tier: perk.tier, code: perk.code })}</li>
                ))}
              </ul>
            </s-section>
          )}
          {data.redemptions.length > 0 && (
            <s-section heading={t("loyalty.redemptions")}>
              <ul>
                {data.redemptions.map((line) => (
                  <Redemption key={line.id} line={line} />
                ))}
              </ul>
            </s-section>
          )}
          <s-section heading={t("loyalty.ledger")}>
            {data.ledger.length === 0 ? (
              <s-paragraph>{t("loyalty.ledger.empty")}</s-paragraph>
            ) : (
              <ul>
                {data.ledger.map((line) => (
                  <Line key={line.id} line={line} />
                ))}
              </ul>
            )}
          </s-section>
        </>
      )}
    </s-page>
  );
}
