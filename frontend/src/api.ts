// The admin API, called with App Bridge's global fetch (which adds the session token) and
// the merchant's language, so API errors come back in it.

import { currentLocale } from "./i18n/locale";

export interface ApiErrorBody {
  error?: string;
  detail?: unknown;
  part?: string;
  line?: number | null;
  problems?: Problem[];
}

/** One refused field: `message` in the API's words; `code` and `params` for the form to say
 * it in the merchant's (app/scenarios/config.py's Problem). */
export interface Problem {
  field: string;
  message: string;
  code?: string;
  params?: Record<string, string | number>;
}

export class ApiError extends Error {
  readonly status: number;
  readonly body: ApiErrorBody;

  constructor(status: number, body: ApiErrorBody) {
    super(describe(body, status));
    this.status = status;
    this.body = body;
  }
}

function describe(body: ApiErrorBody, status: number): string {
  if (typeof body.detail === "string") return body.detail;
  // FastAPI's own 422: a list of {loc, msg}.
  if (Array.isArray(body.detail)) {
    return body.detail
      .map((d: { loc?: unknown[]; msg?: string }) => `${(d.loc ?? []).slice(1).join(".")}: ${d.msg ?? ""}`)
      .join("; ");
  }
  return `HTTP ${status}`;
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {
    Accept: "application/json",
    "Accept-Language": currentLocale,
  };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON (a proxy's or server's plain error page): keep its status.
    if (response.ok) throw new ApiError(response.status, { detail: `HTTP ${response.status}` });
  }
  if (!response.ok) {
    const body = parsed && typeof parsed === "object" ? (parsed as ApiErrorBody) : {};
    throw new ApiError(response.status, body);
  }
  return parsed as T;
}

export const get = <T,>(path: string) => api<T>("GET", path);
export const put = <T,>(path: string, body: unknown) => api<T>("PUT", path, body);
/** Changes only the fields sent (settings: a scenario's, the delivery rules). */
export const patch = <T,>(path: string, body: unknown) => api<T>("PATCH", path, body);
export const del = <T,>(path: string) => api<T>("DELETE", path);
export const post = <T,>(path: string, body?: unknown) => api<T>("POST", path, body ?? {});

export function query(params: Record<string, string | number | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== "") search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

// -- the API's shapes ----------------------------------------------------------------------

export type Mode = "live" | "approval" | "dry_run" | "paused";

export interface Session {
  shop: string;
  name: string | null;
  locale: string | null;
  currency: string | null;
  timezone: string | null;
}

export interface CombinesWith {
  order_discounts: boolean;
  product_discounts: boolean;
  shipping_discounts: boolean;
}

export interface Discount {
  kind: "percentage" | "fixed_amount" | "free_shipping";
  value: string;
  valid_hours: number;
  minimum_subtotal: string | null;
  use_pool: boolean;
  // Which other discounts an order may stack with the code (Shopify's combinesWith).
  combines_with: CombinesWith;
}

export interface Step {
  // The step's name in patches and on the timeline; fixed by the scenario.
  key: string;
  enabled: boolean;
  delay_seconds: number;
  discount: Discount | null;
}

export interface ScenarioSettings {
  mode: Mode;
  transactional: boolean;
  code_prefix: string;
  attribution_window_days: number;
  steps: Step[];
  // Win-back's own (app/scenarios/winback/settings.py).
  lapsed_after_days?: number;
  median_multiplier?: string;
  min_orders_for_rhythm?: number;
  min_lapse_days?: number;
  cooldown_days?: number;
  // The welcome series' own (app/scenarios/welcome/settings.py).
  best_sellers_count?: number;
  // The review request's own (app/scenarios/review_request/settings.py).
  timing?: ReviewTiming;
  delivery_wait_seconds?: number;
}

export type ReviewTiming = "after_fulfilment" | "after_delivery";

/** Opens or clicks of a scenario's messages: people's apart from machines' (Apple's privacy
 * proxy, link scanners). */
export interface Engagement {
  human: number;
  machine: number;
  // Distinct messages with at least one human event.
  messages: number;
}

export interface Report {
  scenario: string;
  runs_started: number;
  runs_active: number;
  runs_stopped: Record<string, number>;
  // Accepted by the mail server.
  messages_sent: number;
  messages_awaiting_approval: number;
  messages_drafted: number;
  messages_suppressed: number;
  messages_failed: number;
  // Handed to the mail server, the answer lost with a stopped worker.
  messages_unconfirmed: number;
  opens: Engagement;
  clicks: Engagement;
  orders_recovered: number;
  revenue: string;
  discount_cost: string;
}

export interface ScenarioSummary {
  key: string;
  settings: ScenarioSettings;
  report: Report;
}

export interface OutboxMessage {
  id: number;
  scenario: string;
  step: number;
  // What it is about within its scenario (a cart's checkout): one subject's steps go together.
  subject_key: string;
  customer_id: number | null;
  customer_name: string | null;
  to: string | null;
  locale: string;
  status: string;
  status_reason: string | null;
  mode: string;
  transactional: boolean;
  subject: string;
  html: string;
  text: string;
  requested_at: string;
  scheduled_at: string;
  sent_at: string | null;
  approved_at: string | null;
  edited_at: string | null;
}

export interface OutboxPage {
  messages: OutboxMessage[];
  next_before_id: number | null;
}

export interface Template {
  scenario: string;
  step: number;
  locale: string;
  subject: string;
  html: string;
  text: string;
  customized: boolean;
  // default (Boomerang's), structured (the merchant's fields) or advanced (hand-written).
  mode: "default" | "structured" | "advanced";
  // The simple form's fields (null: hand-written, or the step has no simple form).
  fields: EmailFields | null;
  default_fields: EmailFields | null;
  // This version failed on a real shopper's data; the default wording went instead.
  send_error?: { detail: string; at: string } | null;
}

/** An email's simple form (app/messaging/structured.py). */
export interface EmailFields {
  subject: string;
  preheader: string;
  heading: string;
  body: string;
  button_label: string;
  show_code: boolean;
}

/** A held message's simple form in the approval queue. */
export interface MessageForm {
  fields: EmailFields;
  edited: boolean;
  // Edited as raw HTML: the form shows the template's words, and saving it replaces that edit.
  edited_as_html: boolean;
}

export interface Rendered {
  subject: string;
  html: string;
  text: string;
}

export interface Preview extends Rendered {
  // Variables shown with a sample value rather than the customer's own, with a note why.
  samples: { variable: string; note: string }[];
}

export interface Customer {
  id: number;
  shopify_id: number;
  first_name: string | null;
  last_name: string | null;
  email: string | null;
  locale: string | null;
  email_marketing_state: string | null;
  orders_count: number;
  total_spent: string;
  // Running sequences.
  open_runs: number;
  tier: string | null;
  points: number | null;
  // The customer in Shopify's admin (App Bridge's shopify://admin/… link).
  admin_url: string;
}

export interface CustomerIndexPage {
  customers: Customer[];
  // Pass as `cursor` (same sort and direction) for the next page.
  next_cursor: string | null;
}

export interface CustomerOrder {
  id: number;
  name: string | null;
  placed_at: string | null;
  total_price: string | null;
  currency: string | null;
  financial_status: string | null;
  fulfillment_status: string | null;
  cancelled_at: string | null;
  admin_url: string;
}

export interface MessageEngagement {
  opens: number;
  machine_opens: number;
  clicks: number;
  machine_clicks: number;
  first_opened_at: string | null;
  first_clicked_at: string | null;
  clicked_urls: string[];
}

export interface CustomerMessage {
  id: number;
  scenario: string;
  step: number;
  subject: string;
  to: string | null;
  status: string;
  status_reason: string | null;
  mode: string;
  scheduled_at: string;
  sent_at: string | null;
  engagement: MessageEngagement;
}

export interface CustomerProfile {
  customer: {
    id: number;
    shopify_id: number;
    first_name: string | null;
    last_name: string | null;
    email: string | null;
    locale: string | null;
    email_marketing_state: string | null;
    orders_count: number;
    total_spent: string;
    tags: string[];
    signed_up_at: string | null;
    erased: boolean;
    admin_url: string;
  };
  orders: CustomerOrder[];
  messages: CustomerMessage[];
  open_runs: { id: number; scenario: string; next_step: number; next_step_at: string | null; started_at: string }[];
  loyalty: { balance: number; pending: number; tier: string | null } | null;
  referrals: { code: string | null; visits: number; referrals: Record<string, number> } | null;
}

export interface Run {
  id: number;
  subject: string;
  customer_id: number | null;
  email: string | null;
  status: string;
  next_step: number;
  next_step_at: string | null;
  stop_reason: string | null;
  // An order was attributed to this run (a reminder that was sent brought the customer back).
  converted: boolean;
  started_at: string;
}

export interface TimelineEntry {
  at: string;
  scenario: string;
  kind: string;
  kind_label: string;
  step: number | null;
  reason: string;
  reason_label: string;
  detail: Record<string, unknown>;
  run_id: number | null;
  // The order number the entry is about (#1001), when it is about one.
  order: string | null;
}

export interface Timeline {
  customer: { id: number; first_name: string | null };
  entries: TimelineEntry[];
}

export interface DeliveryPolicy {
  paused: boolean;
  max_per_day: number;
  max_per_week: number;
  // Off: messages go at any hour (start and end are kept).
  quiet_hours_enabled: boolean;
  quiet_start: string;
  quiet_end: string;
  // Unsubscribes through Boomerang's link also set the customer's consent in Shopify.
  consent_write_back: boolean;
}

export interface WebhookEvent {
  id: number;
  topic: string;
  webhook_id: string;
  status: string;
  attempts: number;
  last_error: string | null;
  received_at: string;
  processed_at: string | null;
}

export interface DataRequest {
  id: number;
  data_request_id: number;
  customer_shopify_id: number | null;
  customer_email: string | null;
  orders_requested: number[];
  requested_at: string;
  export: Record<string, unknown>;
}

// -- loyalty (app/web/loyalty.py) ------------------------------------------------------------

export type RewardKind = "fixed_amount" | "percentage" | "free_shipping" | "store_credit";

export interface TierPerk {
  kind: "fixed_amount" | "percentage" | "free_shipping";
  value: string;
  minimum_subtotal: string | null;
  valid_days: number;
}

export interface LoyaltyTier {
  key: string;
  name_en: string;
  name_fr: string;
  threshold: string;
  multiplier: string;
  // A single-use code on reaching the tier (none: null).
  entry_reward?: TierPerk | null;
}

export interface LoyaltyReward {
  key: string;
  cost: number;
  kind: RewardKind;
  value: string;
  minimum_subtotal: string | null;
  valid_days: number;
}

export interface LoyaltySettings {
  enabled: boolean;
  per_currency: { enabled: boolean; points: string };
  signup: { enabled: boolean; points: number };
  birthday: { enabled: boolean; points: number };
  expiry: { enabled: boolean; inactive_months: number; warning_days: number };
  notices: {
    points_digest: boolean;
    digest_hours: number;
    tier_reached: boolean;
    reward_reachable: boolean;
    expiry_warning: boolean;
  };
  // The mode of the program's emails, as every scenario has.
  email_mode: Mode;
  pending_days: number;
  tier_basis: "points_earned" | "amount_spent";
  tier_window_months: number;
  tiers: LoyaltyTier[];
  rewards: LoyaltyReward[];
  store_credit_enabled: boolean;
  // Read only: the shop's currency and the optional scopes store credit needs.
  currency?: string;
  store_credit_scopes?: string[];
}

export interface LedgerLine {
  id: number;
  at: string;
  kind: string;
  delta: number;
  source_type: string;
  source_id: string;
  reason: string | null;
  actor: string;
  order_id: number | null;
  pending_until: string | null;
}

export interface LoyaltyPosition {
  customer: { id: number; first_name: string | null; last_name: string | null; email: string | null };
  enabled: boolean;
  balance: number;
  spendable: number;
  pending: number;
  tier: { key: string; name: string } | null;
  ledger: LedgerLine[];
  redemptions: RedemptionLine[];
  // The rewards the merchant can redeem for the customer.
  rewards: { key: string; kind: RewardKind; cost: number }[];
  // The codes of the tier perks the customer received.
  perks: { tier: string; code: string }[];
}

export interface RedemptionLine {
  id: number;
  at: string;
  reward: string;
  kind: RewardKind;
  value: string;
  cost: number;
  status: "pending" | "issued" | "returned";
  code: string | null;
  store_credit_transaction_id: string | null;
  returned_because: string | null;
}

export interface Redeemed {
  redemption_id: number;
  status: "pending" | "issued" | "returned";
  kind: RewardKind;
  code: string | null;
  cost: number;
  store_credit_transaction_id: string | null;
}

export interface Adjusted {
  entry_id: number | null;
  applied: boolean;
  balance: number;
  spendable: number;
  pending: number;
}

export interface LoyaltyLiability {
  currency: string;
  enabled: boolean;
  members: number;
  issued: number;
  redeemed: number;
  taken_back: number;
  expired: number;
  adjusted: number;
  outstanding: number;
  pending: number;
  negative: number;
  point_value: string | null;
  point_value_reward: { key: string; kind: RewardKind; cost: number; value: string } | null;
  liability: string | null;
  tiers: Record<string, number>;
  rewards_redeemed: number;
  store_credits: number;
  store_credit_total: string;
}

export interface ReferralSettings {
  mode: Mode;
  transactional: boolean;
  issue_on: "first_paid_order" | "sign_up";
  code_prefix: string;
  friend_percent: string;
  friend_minimum_subtotal: string | null;
  friend_code_valid_days: number | null;
  hold_days: number;
  reward_kind: "points" | "code";
  reward_points: number;
  reward_code: { kind: "percentage" | "fixed_amount"; value: string; valid_days: number };
  monthly_reward_cap: number;
  max_referrals_per_day: number;
  max_orders_per_ip: number;
}

export interface ReferralEvidence {
  rule: string;
  friend: string;
  referrer: string;
}

export interface Referral {
  id: number;
  status: "pending" | "flagged" | "qualified" | "rewarded" | "rejected" | "void";
  reason: string | null;
  code: string;
  referrer_id: number;
  referrer_email: string | null;
  friend_id: number | null;
  friend_email: string | null;
  order_id: number;
  order_name: string | null;
  order_total: string | null;
  currency: string | null;
  evidence: ReferralEvidence[];
  created_at: string;
  due_at: string;
  rewarded_at: string | null;
  reward_kind: string | null;
  reward_points: number | null;
  reward_code: string | null;
  decided_by: string | null;
}

export interface ReferralFigures {
  codes_issued: number;
  link_visits: number;
  codes_used: number;
  pending: number;
  flagged: number;
  qualified: number;
  rewarded: number;
  rejected: number;
  void: number;
  referred_revenue: string;
}

export interface ReferralAdvocate {
  customer_id: number;
  email: string | null;
  first_name: string | null;
  last_name: string | null;
  code: string | null;
  visits: number;
  referrals: number;
  rewarded: number;
  revenue: string;
}

// -- KPIs (docs/kpis.md): figures travel as strings, rates as fractions ------------------------

export interface Figure {
  value: string | null;
  previous: string | null;
  change: string | null;
}

export type Figures = Record<string, Figure>;

export interface KpiPeriod {
  from: string;
  to: string;
  previous_from: string;
  previous_to: string;
}

export interface KpiScenarios {
  period: KpiPeriod;
  scenarios: { scenario: string; figures: Figures; suppressed_by_reason: Record<string, string> }[];
}

export interface KpiSteps {
  period: KpiPeriod;
  scenario: string;
  steps: { step: number; figures: Figures; suppressed_by_reason: Record<string, string> }[];
}

export interface KpiSeries {
  period: KpiPeriod;
  metric: string;
  timezone: string;
  points: { day: string; values: Record<string, string> }[];
}

export interface Interval {
  estimate: number;
  low: number;
  high: number;
}

export interface LiftGroup {
  subjects: number;
  converted: number;
  revenue: string;
}

export interface KpiLift {
  scenario: string;
  treated: LiftGroup;
  holdout: LiftGroup;
  verdict: "too_small" | "no_difference_detected" | "positive" | "negative";
  rate_lift: Interval | null;
  revenue_per_subject_lift: Interval | null;
  incremental_revenue: Interval | null;
}

export interface KpiReferrals {
  period: KpiPeriod;
  currency: string | null;
  figures: Figures;
}

export interface KpiReviews {
  period: KpiPeriod;
  figures: Figures;
  all_time: {
    reviews: number;
    average_rating: string | null;
    reviews_with_photos: number;
    photo_share: string | null;
    published: number;
    awaiting_moderation: number;
  } | null;
}

export interface Cohort {
  cohort: string;
  size: number;
  retained: number[];
}

export interface KpiStore {
  figures: Figures;
  retention: Record<string, string | number | null | Cohort[]> | null;
}

export interface KpiLoyalty {
  figures: Figures;
  member_revenue: Figures;
  state: {
    participation: string | null;
    points_outstanding: number;
    liability: string | null;
    currency: string | null;
    rewards_distributed: number;
    redemption_rate: string | null;
    members_per_tier: { tier: string | null; members: number }[];
  } | null;
}

/** Downloads an API answer as CSV through App Bridge's fetch (it carries the session token). */
export async function downloadCsv(path: string, filename: string): Promise<void> {
  const response = await fetch(path, { headers: { Accept: "text/csv", "Accept-Language": currentLocale } });
  if (!response.ok) throw new ApiError(response.status, {});
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  link.click();
  URL.revokeObjectURL(url);
}

export interface Review {
  id: number;
  status: "pending" | "published" | "hidden" | "spam";
  product_id: number;
  product_title: string;
  order_name: string | null;
  rating: number;
  title: string;
  body: string;
  author_name: string | null;
  verified_buyer: boolean;
  locale: string;
  held_because: string | null;
  submitted_at: string;
  edited_at: string | null;
  published_at: string | null;
  reply: string | null;
  replied_at: string | null;
  photos: string[];
  reward: Record<string, unknown>;
}

export interface ReviewSettings {
  auto_publish: boolean;
  auto_publish_min_rating: number;
  review_points: number;
  photo_bonus_points: number;
  code_percent: number;
  code_valid_days: number;
  syndicate_to_shopify: boolean;
  // The mode of the program's email (the review's code, loyalty off).
  email_mode: Mode;
  // Read only: the optional scopes syndication needs.
  syndication_scopes?: string[];
}

// -- onboarding: the setup guide and the sender (app/web/setup_guide.py, app/web/sender.py) --

export type GuideStepKey = "sender" | "preview" | "test" | "turn_on";

export interface SetupGuide {
  steps: { key: GuideStepKey; done: boolean }[];
  done: number;
  total: number;
  complete: boolean;
  dismissed: boolean;
  // The scenarios that are on, with their mode.
  on: Record<string, Mode>;
}

export interface SenderFields {
  name: string | null;
  reply_to: string | null;
  address: string | null;
  logo_url: string | null;
  brand_color: string | null;
}

export interface SenderSettings extends SenderFields {
  from_header: string;
  reply_to_header: string | null;
  own_address: boolean;
  default_name: string;
  verified_domains: string[];
  postal_address: string[];
}
