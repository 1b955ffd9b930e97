// One customer's page: who they are (with the way to them in Shopify's admin), their orders,
// every message with its opens and clicks (a person's apart from a machine's), their running
// sequences, where they stand in the loyalty and referral programs, and the timeline of every
// decision with the order it was about.

import { get, type CustomerMessage, type CustomerProfile } from "../api";
import { ErrorBanner, Loading, useLoad } from "../components/common";
import { useI18n } from "../i18n";
import type { MessageKey } from "../i18n/messages";
import { href } from "../route";
import { useSession } from "../session";
import { StatusBadge, scenarioName } from "./labels";
import { TimelineSection } from "./Timeline";

// Shopify's financial statuses, in the merchant's words (others show as Shopify names them).
const FINANCIAL: Record<string, MessageKey> = {
  paid: "customer.financial.paid",
  pending: "customer.financial.pending",
  authorized: "customer.financial.authorized",
  partially_paid: "customer.financial.partially_paid",
  refunded: "customer.financial.refunded",
  partially_refunded: "customer.financial.partially_refunded",
  voided: "customer.financial.voided",
};

function Fact({ label, value }: { label: string; value: string }) {
  return (
    <s-stack direction="block" gap="none">
      <s-text color="subdued">{label}</s-text>
      <s-text type="strong">{value}</s-text>
    </s-stack>
  );
}

function Engagement({ message }: { message: CustomerMessage }) {
  const { t, when } = useI18n();
  const e = message.engagement;
  return (
    <s-stack direction="block" gap="none">
      <s-text>{t("customer.opens", { count: e.opens })}</s-text>
      <s-text>{t("customer.clicks", { count: e.clicks })}</s-text>
      {(e.machine_opens > 0 || e.machine_clicks > 0) && (
        <s-text color="subdued">
          {t("customer.machine", { opens: e.machine_opens, clicks: e.machine_clicks })}
        </s-text>
      )}
      {e.first_clicked_at && <s-text color="subdued">{t("customer.firstClick", { at: when(e.first_clicked_at) })}</s-text>}
    </s-stack>
  );
}

function Messages({ messages }: { messages: CustomerMessage[] }) {
  const i18n = useI18n();
  const { t, when, reason } = i18n;
  if (messages.length === 0) return <s-paragraph>{t("customer.noMessages")}</s-paragraph>;
  return (
    <s-table>
      <s-table-header-row>
        <s-table-header listSlot="primary">{t("message.subject")}</s-table-header>
        <s-table-header listSlot="kicker">{t("messages.when")}</s-table-header>
        <s-table-header listSlot="inline">{t("messages.status")}</s-table-header>
        <s-table-header>{t("customer.engagement")}</s-table-header>
      </s-table-header-row>
      <s-table-body>
        {messages.map((m) => (
          <s-table-row key={m.id}>
            <s-table-cell>
              {m.subject}
              <br />
              <s-text color="subdued">{t("message.step", { scenario: scenarioName(m.scenario, i18n), step: m.step })}</s-text>
            </s-table-cell>
            <s-table-cell>{when(m.sent_at ?? m.scheduled_at)}</s-table-cell>
            <s-table-cell>
              <StatusBadge status={m.status} />
              {m.status_reason && (
                <>
                  <br />
                  <s-text color="subdued">{reason(m.status_reason)}</s-text>
                </>
              )}
            </s-table-cell>
            <s-table-cell>
              <Engagement message={m} />
            </s-table-cell>
          </s-table-row>
        ))}
      </s-table-body>
    </s-table>
  );
}

function Page({ data }: { data: CustomerProfile }) {
  const i18n = useI18n();
  const { t, when, money } = i18n;
  const financialStatus = (status: string) => {
    const key = FINANCIAL[status];
    return key ? t(key) : status;
  };
  const { currency } = useSession();
  const c = data.customer;
  const referred = Object.values(data.referrals?.referrals ?? {}).reduce((a, b) => a + b, 0);
  return (
    <>
      <s-section heading={t("customer.about")}>
        <s-stack direction="inline" gap="large">
          <Fact label={t("customers.col.email")} value={c.email ?? "—"} />
          <Fact
            label={t("customers.col.consent")}
            value={c.email_marketing_state === "subscribed" ? t("customers.subscribed") : t("customers.notSubscribed")}
          />
          <Fact label={t("customers.col.orders")} value={String(c.orders_count)} />
          <Fact label={t("customers.col.spent")} value={money(c.total_spent, currency)} />
        </s-stack>
        {c.erased && <s-paragraph>{t("customer.erased")}</s-paragraph>}
        <s-link href={c.admin_url} target="_top">
          {t("customer.inShopify")}
        </s-link>
      </s-section>
      {(data.loyalty || data.referrals) && (
        <s-section heading={t("customer.programs")}>
          <s-stack direction="inline" gap="large">
            {data.loyalty && (
              <Fact label={t("customer.points")} value={String(data.loyalty.balance)} />
            )}
            {data.loyalty && <Fact label={t("customer.tier")} value={data.loyalty.tier ?? "—"} />}
            {data.referrals && <Fact label={t("customer.referralCode")} value={data.referrals.code ?? "—"} />}
            {data.referrals && <Fact label={t("customer.referred")} value={String(referred)} />}
          </s-stack>
          {data.loyalty && (
            <s-link href={href.loyaltyCustomer(c.id)}>{t("customer.loyaltyDetails")}</s-link>
          )}
        </s-section>
      )}
      {data.open_runs.length > 0 && (
        <s-section heading={t("customer.openRuns")}>
          <ul>
            {data.open_runs.map((r) => (
              <li key={r.id}>
                {t("customer.openRun", {
                  scenario: scenarioName(r.scenario, i18n),
                  step: r.next_step,
                  at: when(r.next_step_at),
                })}
              </li>
            ))}
          </ul>
        </s-section>
      )}
      <s-section heading={t("customer.orders")}>
        {data.orders.length === 0 ? (
          <s-paragraph>{t("customer.noOrders")}</s-paragraph>
        ) : (
          <s-table>
            <s-table-header-row>
              <s-table-header listSlot="primary">{t("customer.order")}</s-table-header>
              <s-table-header listSlot="kicker">{t("customer.placed")}</s-table-header>
              <s-table-header format="currency">{t("customer.total")}</s-table-header>
              <s-table-header listSlot="inline">{t("customer.payment")}</s-table-header>
            </s-table-header-row>
            <s-table-body>
              {data.orders.map((o) => (
                <s-table-row key={o.id}>
                  <s-table-cell>
                    <s-link href={o.admin_url} target="_top">
                      {o.name ?? `#${o.id}`}
                    </s-link>
                  </s-table-cell>
                  <s-table-cell>{when(o.placed_at)}</s-table-cell>
                  <s-table-cell>{o.total_price === null ? "—" : money(o.total_price, o.currency)}</s-table-cell>
                  <s-table-cell>
                    {o.cancelled_at
                      ? t("customer.cancelled")
                      : o.financial_status
                        ? financialStatus(o.financial_status)
                        : "—"}
                  </s-table-cell>
                </s-table-row>
              ))}
            </s-table-body>
          </s-table>
        )}
      </s-section>
      <s-section heading={t("customer.messages")}>
        <Messages messages={data.messages} />
      </s-section>
      <TimelineSection customerId={c.id} />
    </>
  );
}

export function CustomerView({ customerId }: { customerId: number }) {
  const { t } = useI18n();
  const profile = useLoad(() => get<CustomerProfile>(`/api/customers/${customerId}`), [customerId]);
  const c = profile.data?.customer;
  const name = c ? [c.first_name, c.last_name].filter(Boolean).join(" ") || c.email : null;
  return (
    <s-page heading={name ?? t("timeline.customer", { id: customerId })}>
      <s-link slot="breadcrumb-actions" href={href.customers()}>
        {t("customers.heading")}
      </s-link>
      {profile.error && <ErrorBanner error={profile.error} onRetry={profile.reload} />}
      {!profile.data && !profile.error && <Loading />}
      {profile.data && <Page data={profile.data} />}
    </s-page>
  );
}
