// The "Rewards" page in customer accounts (target customer-account.page.render): the member's
// points (spendable and pending), tier and progress, the rewards a click redeems (the code
// shown, with a copy button), the referral link and the ways to earn. The same content as the
// storefront widget, asked of the app (GET /customer-account/rewards) with the extension's
// session token; the customer is the token's `sub`.
import "@shopify/ui-extensions/preact";
import { render } from "preact";
import { useCallback, useEffect, useState } from "preact/hooks";

import { APP_URL } from "./config.js";

export default async () => {
  render(<RewardsPage />, document.body);
};

async function call(path, init = {}) {
  const token = await shopify.sessionToken.get();
  const locale = shopify.localization.language.value.isoCode;
  const response = await fetch(`${APP_URL}/customer-account${path}?locale=${encodeURIComponent(locale)}`, {
    ...init,
    headers: { ...(init.headers || {}), Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.detail || "");
  return body;
}

function requestKey() {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

function RewardsPage() {
  const t = shopify.i18n.translate;
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(null);
  const [outcome, setOutcome] = useState(null);

  const load = useCallback(async () => {
    setError(null);
    try {
      setData(await call("/rewards"));
    } catch (failure) {
      setError(failure.message || t("error"));
    }
  }, [t]);

  useEffect(() => {
    load();
  }, [load]);

  async function redeem(reward) {
    setBusy(reward.key);
    setOutcome(null);
    try {
      const answer = await call("/rewards/redemptions", {
        method: "POST",
        body: JSON.stringify({ reward: reward.key, key: requestKey() }),
      });
      setOutcome({ tone: "success", code: answer.code, text: answer.message });
      await load();
    } catch (failure) {
      setOutcome({ tone: "critical", text: failure.message || t("error") });
    } finally {
      setBusy(null);
    }
  }

  if (error) {
    return (
      <s-page heading={t("title")}>
        <s-banner tone="critical">
          <s-text>{error}</s-text>
          <s-button onClick={load}>{t("retry")}</s-button>
        </s-banner>
      </s-page>
    );
  }
  if (!data) {
    return (
      <s-page heading={t("title")}>
        <s-spinner accessibilityLabel={t("loading")} />
      </s-page>
    );
  }

  const { program, customer } = data.loyalty;
  const referral = data.referral;
  if (!program.enabled) {
    return (
      <s-page heading={t("title")}>
        <s-text>{t("closed")}</s-text>
      </s-page>
    );
  }

  return (
    <s-page heading={t("title")}>
      {customer && (
        <s-section>
          <s-grid gridTemplateColumns="1fr 1fr 1fr" gap="base">
            <Figure label={t("spendable")} value={customer.spendable} />
            <Figure label={t("pending")} value={customer.pending} />
            <Figure label={t("tier")} value={customer.tier ? customer.tier.name : t("noTier")} />
          </s-grid>
          <s-text>
            {customer.next_tier
              ? toNextTier(program, customer)
              : program.tiers.length > 0
                ? t("topTier")
                : ""}
          </s-text>
        </s-section>
      )}

      <s-section heading={t("rewardsTitle")}>
        {outcome && (
          <s-banner tone={outcome.tone}>
            <s-stack gap="small-200">
              <s-text>{outcome.text}</s-text>
              {outcome.code && (
                <s-stack direction="inline" gap="base">
                  <s-text type="strong">{t("yourCode")}: {outcome.code}</s-text>
                  <s-clipboard-item id="reward-code" text={outcome.code} />
                  <s-button commandFor="reward-code">{t("copy")}</s-button>
                </s-stack>
              )}
            </s-stack>
          </s-banner>
        )}
        <s-stack gap="base">
          {(customer ? customer.rewards : program.rewards).map((reward) => (
            <s-stack key={reward.key} direction="inline" gap="base" alignItems="center">
              <s-text type="strong">{reward.label}</s-text>
              <s-text>{t("cost", { cost: reward.cost })}</s-text>
              {customer && reward.redeemable ? (
                <s-button
                  loading={busy === reward.key}
                  disabled={busy !== null}
                  accessibilityLabel={t("redeemLabel", { reward: reward.label, cost: reward.cost })}
                  onClick={() => redeem(reward)}
                >
                  {t("redeem")}
                </s-button>
              ) : (
                customer && reward.points_missing > 0 && <s-text>{t("missing", { points: reward.points_missing })}</s-text>
              )}
            </s-stack>
          ))}
        </s-stack>
      </s-section>

      {referral.program.enabled && (
        <s-section heading={t("referralTitle")}>
          <s-text>
            {t("referralOffer", { offer: referral.program.friend_offer, reward: referral.program.reward })}
          </s-text>
          {referral.customer ? (
            <s-stack direction="inline" gap="base">
              <s-text-field label={t("referralLink")} value={referral.customer.link} readOnly />
              <s-clipboard-item id="referral-link" text={referral.customer.link} />
              <s-button commandFor="referral-link">{t("copyLink")}</s-button>
            </s-stack>
          ) : (
            <s-text>{t("referralNone")}</s-text>
          )}
        </s-section>
      )}

      {program.ways_to_earn.length > 0 && (
        <s-section heading={t("earnTitle")}>
          <s-unordered-list>
            {program.ways_to_earn.map((way) => (
              <s-list-item key={way.key}>{way.label}</s-list-item>
            ))}
          </s-unordered-list>
          {program.pending_note && <s-text>{program.pending_note}</s-text>}
        </s-section>
      )}
    </s-page>
  );
}

// What is left to the next tier: points, or, when tiers count spending (tier_basis
// "amount_spent"), an amount the app gives in the shop's currency, formatted in the
// customer's locale as the storefront widget does.
function toNextTier(program, customer) {
  const { translate: t, formatCurrency } = shopify.i18n;
  const tier = customer.next_tier.name;
  if (program.tier_basis === "amount_spent") {
    const remaining = formatCurrency(Number(customer.to_next_tier), { currency: program.currency || "USD" });
    return t("toNextTierSpend", { remaining, tier });
  }
  return t("toNextTier", { remaining: customer.to_next_tier, tier });
}

function Figure({ label, value }) {
  return (
    <s-stack gap="small-300">
      <s-text>{label}</s-text>
      <s-heading>{String(value)}</s-heading>
    </s-stack>
  );
}
