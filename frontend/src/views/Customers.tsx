// The customer index (Polaris' index table: s-table with its search and filters slot and its
// previous/next pagination): find a customer by name or email, narrow by consent, a running
// sequence or a loyalty tier, sort, and open their page. Pages follow the API's cursor, so the
// hundredth page costs what the first does.

import { useEffect, useRef, useState } from "react";

import { get, query, type CustomerIndexPage } from "../api";
import { ErrorBanner, fieldValue, useLoad } from "../components/common";
import { EmptyState } from "../components/EmptyState";
import { useI18n } from "../i18n";
import type { MessageKey } from "../i18n/messages";
import { href } from "../route";
import { useSession } from "../session";

type Sort = "created" | "name" | "email" | "orders" | "spent";
type Direction = "asc" | "desc";
type YesNo = "" | "true" | "false";

// Each choice of the sort menu: a key and the direction that reads naturally for it.
interface SortChoice {
  value: string;
  sort: Sort;
  direction: Direction;
  label: MessageKey;
}

const NEWEST: SortChoice = { value: "created-desc", sort: "created", direction: "desc", label: "customers.sort.newest" };
const SORTS: SortChoice[] = [
  NEWEST,
  { value: "created-asc", sort: "created", direction: "asc", label: "customers.sort.oldest" },
  { value: "name-asc", sort: "name", direction: "asc", label: "customers.sort.nameAsc" },
  { value: "name-desc", sort: "name", direction: "desc", label: "customers.sort.nameDesc" },
  { value: "email-asc", sort: "email", direction: "asc", label: "customers.sort.emailAsc" },
  { value: "orders-desc", sort: "orders", direction: "desc", label: "customers.sort.mostOrders" },
  { value: "spent-desc", sort: "spent", direction: "desc", label: "customers.sort.mostSpent" },
  { value: "spent-asc", sort: "spent", direction: "asc", label: "customers.sort.leastSpent" },
];

const PAGE_SIZE = 25;

interface Tier {
  key: string;
  name_en: string;
  name_fr: string;
}

/** The search as typed, handed on once the merchant stops typing for a moment. */
function useSettled(value: string, ms = 250): string {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = window.setTimeout(() => setSettled(value), ms);
    return () => window.clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

function customerName(c: { first_name: string | null; last_name: string | null }): string {
  return [c.first_name, c.last_name].filter(Boolean).join(" ");
}

export function Customers() {
  const { t, money, locale } = useI18n();
  const { currency } = useSession();
  const [typed, setTyped] = useState("");
  const search = useSettled(typed.trim());
  const [subscribed, setSubscribed] = useState<YesNo>("");
  const [openRun, setOpenRun] = useState<YesNo>("");
  const [tier, setTier] = useState("");
  const [sortValue, setSortValue] = useState(NEWEST.value);
  // The cursors of the pages before this one: previous pops, next pushes.
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const cursor = cursors[cursors.length - 1];
  const chosen = SORTS.find((s) => s.value === sortValue) ?? NEWEST;

  // A new search, filter or sort starts again from the first page.
  useEffect(() => setCursors([null]), [search, subscribed, openRun, tier, sortValue]);

  const page = useLoad(
    () =>
      get<CustomerIndexPage>(
        `/api/customers${query({
          search,
          subscribed,
          open_run: openRun,
          tier,
          sort: chosen.sort,
          direction: chosen.direction,
          cursor,
          limit: PAGE_SIZE,
        })}`,
      ),
    [search, subscribed, openRun, tier, chosen.sort, chosen.direction, cursor],
  );
  const tiers = useLoad(
    () =>
      get<{ enabled: boolean; tiers: Tier[] }>("/api/loyalty/settings").then((s) =>
        s.enabled ? s.tiers : [],
      ),
    [],
  );

  const table = useRef<HTMLElementTagNameMap["s-table"]>(null);
  const next = page.data?.next_cursor ?? null;
  useEffect(() => {
    const element = table.current;
    if (!element) return;
    const onNext = () => next && setCursors((c) => [...c, next]);
    const onPrevious = () => setCursors((c) => (c.length > 1 ? c.slice(0, -1) : c));
    element.addEventListener("nextpage", onNext);
    element.addEventListener("previouspage", onPrevious);
    return () => {
      element.removeEventListener("nextpage", onNext);
      element.removeEventListener("previouspage", onPrevious);
    };
  }, [next]);

  const yesNo = (label: string, value: YesNo, set: (v: YesNo) => void, yes: string, no: string) => (
    <s-select label={label} value={value} onChange={(e) => set(fieldValue(e) as YesNo)}>
      <s-option value="">{t("customers.filter.any")}</s-option>
      <s-option value="true">{yes}</s-option>
      <s-option value="false">{no}</s-option>
    </s-select>
  );
  const rows = page.data?.customers ?? [];
  const tierName = (key: string | null) => {
    const found = (tiers.data ?? []).find((x) => x.key === key);
    return found ? (locale === "fr" ? found.name_fr : found.name_en) : (key ?? "—");
  };
  const filtered = Boolean(search || subscribed || openRun || tier);

  return (
    <s-page heading={t("customers.heading")}>
      <s-section>
        {page.error && <ErrorBanner error={page.error} onRetry={page.reload} />}
        <s-table
          ref={table}
          paginate
          hasPreviousPage={cursors.length > 1}
          hasNextPage={next !== null}
          loading={page.loading}
        >
          <s-stack slot="filters" direction="inline" gap="base" alignItems="end">
            <s-search-field
              label={t("customers.search")}
              labelAccessibilityVisibility="exclusive"
              placeholder={t("customers.search.placeholder")}
              value={typed}
              onInput={(e) => setTyped(fieldValue(e))}
            />
            {yesNo(
              t("customers.filter.consent"),
              subscribed,
              setSubscribed,
              t("customers.filter.subscribed"),
              t("customers.filter.notSubscribed"),
            )}
            {yesNo(
              t("customers.filter.openRun"),
              openRun,
              setOpenRun,
              t("customers.filter.openRun.yes"),
              t("customers.filter.openRun.no"),
            )}
            {(tiers.data?.length ?? 0) > 0 && (
              <s-select label={t("customers.filter.tier")} value={tier} onChange={(e) => setTier(fieldValue(e))}>
                <s-option value="">{t("customers.filter.any")}</s-option>
                {(tiers.data ?? []).map((x) => (
                  <s-option key={x.key} value={x.key}>
                    {locale === "fr" ? x.name_fr : x.name_en}
                  </s-option>
                ))}
              </s-select>
            )}
            <s-select label={t("customers.sort")} value={sortValue} onChange={(e) => setSortValue(fieldValue(e))}>
              {SORTS.map((s) => (
                <s-option key={s.value} value={s.value}>
                  {t(s.label)}
                </s-option>
              ))}
            </s-select>
          </s-stack>
          <s-table-header-row>
            <s-table-header listSlot="primary">{t("customers.col.name")}</s-table-header>
            <s-table-header listSlot="secondary">{t("customers.col.email")}</s-table-header>
            <s-table-header listSlot="inline">{t("customers.col.consent")}</s-table-header>
            <s-table-header format="numeric">{t("customers.col.orders")}</s-table-header>
            <s-table-header format="currency">{t("customers.col.spent")}</s-table-header>
            <s-table-header format="numeric">{t("customers.col.openRuns")}</s-table-header>
            <s-table-header>{t("customers.col.loyalty")}</s-table-header>
          </s-table-header-row>
          <s-table-body>
            {rows.map((c) => (
              <s-table-row key={c.id}>
                <s-table-cell>
                  <s-link href={href.customer(c.id)}>{customerName(c) || c.email || t("customers.noName")}</s-link>
                </s-table-cell>
                <s-table-cell>{c.email ?? "—"}</s-table-cell>
                <s-table-cell>
                  {c.email_marketing_state === "subscribed" ? (
                    <s-badge tone="success">{t("customers.subscribed")}</s-badge>
                  ) : (
                    <s-badge>{t("customers.notSubscribed")}</s-badge>
                  )}
                </s-table-cell>
                <s-table-cell>{c.orders_count}</s-table-cell>
                <s-table-cell>{money(c.total_spent, currency)}</s-table-cell>
                <s-table-cell>{c.open_runs}</s-table-cell>
                <s-table-cell>
                  {c.points === null ? "—" : t("customers.points", { points: c.points, tier: tierName(c.tier) })}
                </s-table-cell>
              </s-table-row>
            ))}
          </s-table-body>
        </s-table>
        {page.data &&
          rows.length === 0 &&
          (filtered ? (
            <EmptyState
              heading={t("empty.customers.noMatchHeading")}
              body={t("empty.customers.noMatchBody")}
              action={{
                label: t("empty.clearFilters"),
                onClick: () => {
                  setTyped("");
                  setSubscribed("");
                  setOpenRun("");
                  setTier("");
                },
              }}
            />
          ) : (
            <EmptyState
              heading={t("empty.customers.heading")}
              body={t("empty.customers.body")}
              action={{ label: t("empty.customers.action"), href: href.overview() }}
            />
          ))}
      </s-section>
    </s-page>
  );
}
