// The loyalty program's page: what it owes (points outstanding valued in the shop's currency,
// with the definition of a point's value), its figures so far, and a customer finder leading
// to each customer's balance and ledger.

import { useState } from "react";

import { get, query, type Customer, type LoyaltyLiability } from "../api";
import { ErrorBanner, Loading, fieldValue, useLoad } from "../components/common";
import { useI18n } from "../i18n";
import { href } from "../route";

function Figure({ label, value }: { label: string; value: string }) {
  return (
    <s-stack direction="block" gap="none">
      <s-text color="subdued">{label}</s-text>
      <s-text type="strong">{value}</s-text>
    </s-stack>
  );
}

function customerName(c: Customer): string {
  const name = [c.first_name, c.last_name].filter(Boolean).join(" ");
  return name ? `${name} <${c.email ?? ""}>` : (c.email ?? `#${c.id}`);
}

function CustomerFinder() {
  const { t } = useI18n();
  const [search, setSearch] = useState("");
  const found = useLoad(() => get<Customer[]>(`/api/customers${query({ search, limit: 20 })}`), [search]);
  return (
    <s-section heading={t("loyalty.findCustomer")}>
      <s-text-field
        label={t("loyalty.findCustomer")}
        details={t("loyalty.findCustomer.details")}
        value={search}
        onInput={(e) => setSearch(fieldValue(e))}
      />
      <ul>
        {(found.data ?? []).map((c) => (
          <li key={c.id}>
            <s-link href={href.loyaltyCustomer(c.id)}>{t("loyalty.openCustomer", { name: customerName(c) })}</s-link>
          </li>
        ))}
      </ul>
    </s-section>
  );
}

export function Liability({ data }: { data: LoyaltyLiability }) {
  const { t, money, locale } = useI18n();
  const count = (n: number) => new Intl.NumberFormat(locale === "fr" ? "fr-FR" : "en-US").format(n);
  const reward = data.point_value_reward;
  return (
    <>
      <s-section heading={t("loyalty.liability.heading")}>
        <s-stack direction="inline" gap="large">
          <Figure label={t("loyalty.outstanding")} value={count(data.outstanding)} />
          <Figure
            label={t("loyalty.pointValue")}
            value={data.point_value === null ? "—" : money(data.point_value, data.currency)}
          />
          <Figure
            label={t("loyalty.liability")}
            value={data.liability === null ? "—" : money(data.liability, data.currency)}
          />
        </s-stack>
        <s-paragraph>{t("loyalty.outstanding.pending", { count: count(data.pending) })}</s-paragraph>
        {data.negative < 0 && <s-paragraph>{t("loyalty.negative", { count: count(data.negative) })}</s-paragraph>}
        <s-paragraph>
          {reward
            ? t("loyalty.definition", {
                reward: `${reward.key} (${t(`loyalty.rewardKind.${reward.kind}`)})`,
                value: money(reward.value, data.currency),
                cost: count(reward.cost),
              })
            : t("loyalty.noValue", { currency: data.currency })}
        </s-paragraph>
      </s-section>
      <s-section heading={t("loyalty.figures")}>
        <s-stack direction="inline" gap="large">
          <Figure label={t("loyalty.members")} value={count(data.members)} />
          <Figure label={t("loyalty.issued")} value={count(data.issued)} />
          <Figure label={t("loyalty.redeemed")} value={count(data.redeemed)} />
          <Figure label={t("loyalty.takenBack")} value={count(data.taken_back)} />
          <Figure label={t("loyalty.adjusted")} value={count(data.adjusted)} />
          <Figure label={t("loyalty.rewardsRedeemed")} value={count(data.rewards_redeemed)} />
          <Figure
            label={t("loyalty.storeCredits")}
            value={t("loyalty.storeCredits.value", { count: count(data.store_credits), total: data.store_credit_total, currency: data.currency })}
          />
        </s-stack>
        <s-text type="strong">{t("loyalty.tiers.count")}</s-text>
        {Object.keys(data.tiers).length === 0 ? (
          <s-paragraph>{t("loyalty.tiers.none")}</s-paragraph>
        ) : (
          <ul>
            {Object.entries(data.tiers).map(([tier, n]) => (
              <li key={tier}>{t("loyalty.tierCount", { tier, count: count(n) })}</li>
            ))}
          </ul>
        )}
      </s-section>
    </>
  );
}

export function LoyaltyOverview() {
  const { t } = useI18n();
  const loaded = useLoad(() => get<LoyaltyLiability>("/api/loyalty/liability"), []);
  return (
    <s-page heading={t("loyalty.heading")}>
      <s-paragraph>
        <s-link href={href.loyaltySettings()}>{t("loyalty.settingsLink")}</s-link>
      </s-paragraph>
      {loaded.error && <ErrorBanner error={loaded.error} onRetry={loaded.reload} />}
      {!loaded.data && !loaded.error && <Loading />}
      {loaded.data && !loaded.data.enabled && <s-banner tone="warning">{t("loyalty.off")}</s-banner>}
      {loaded.data && <Liability data={loaded.data} />}
      <CustomerFinder />
    </s-page>
  );
}
