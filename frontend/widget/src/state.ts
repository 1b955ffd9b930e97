// The widget's state: what Liquid rendered into the page (the program and the customer's
// position from the $app:loyalty metafields, the words in the storefront's language), read
// once, and what the app proxy answers on a refresh mapped onto the same shape.

export type Localized = { en: string; fr: string };
export type Text = string | Localized;

export interface ProgramTier {
  key: string;
  name: Text;
  threshold: string;
}

export interface ProgramReward {
  key: string;
  kind: string;
  cost: number;
  label: Text;
}

export interface WayToEarn {
  key: string;
  points: string;
  label: Text;
}

export interface Referral {
  enabled: boolean;
  offer: string;
  reward: string;
}

export interface Program {
  enabled: boolean;
  currency: string;
  tier_basis: "points_earned" | "amount_spent";
  tiers: ProgramTier[];
  rewards: ProgramReward[];
  ways_to_earn: WayToEarn[];
  pending_note: Text | null;
  referral: Referral | null;
}

export interface CustomerStatus {
  pending: number;
  // [points, spendable from (ISO 8601)]: each pending lot, so the widget sees it mature.
  pending_lots: [number, string][];
  tier_measure: string;
  referral: { code: string; link: string } | null;
}

export interface Customer {
  first_name: string | null;
  points: number;
  tier: string | null;
  status: CustomerStatus | null;
}

export type Strings = Record<string, string>;

export interface WidgetState {
  locale: string;
  proxy: string;
  login_url: string;
  register_url: string;
  program: Program | null;
  customer: Customer | null;
  strings: Strings;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function str(value: unknown, fallback = ""): string {
  return typeof value === "string" ? value : fallback;
}

function int(value: unknown): number {
  const number = typeof value === "number" ? value : Number.parseInt(str(value), 10);
  return Number.isFinite(number) ? Math.trunc(number) : 0;
}

function list(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isObject) : [];
}

function text(value: unknown): Text {
  if (isObject(value)) return { en: str(value.en), fr: str(value.fr, str(value.en)) };
  return str(value);
}

/** The text in the shopper's language: French for any `fr…` locale, English otherwise. */
export function inLocale(value: Text, locale: string): string {
  if (typeof value === "string") return value;
  return locale.toLowerCase().startsWith("fr") ? value.fr || value.en : value.en;
}

export function parseProgram(raw: unknown): Program | null {
  if (!isObject(raw)) return null;
  const referral = isObject(raw.referral)
    ? {
        enabled: raw.referral.enabled === true,
        offer: str(raw.referral.offer),
        reward: str(raw.referral.reward),
      }
    : null;
  return {
    enabled: raw.enabled === true,
    currency: str(raw.currency),
    tier_basis: raw.tier_basis === "amount_spent" ? "amount_spent" : "points_earned",
    tiers: list(raw.tiers).map((tier) => ({
      key: str(tier.key),
      name: text(tier.name),
      threshold: str(tier.threshold, "0"),
    })),
    rewards: list(raw.rewards).map((reward) => ({
      key: str(reward.key),
      kind: str(reward.kind),
      cost: int(reward.cost),
      label: text(reward.label),
    })),
    ways_to_earn: list(raw.ways_to_earn).map((way) => ({
      key: str(way.key),
      points: str(way.points),
      label: text(way.label),
    })),
    pending_note: raw.pending_note == null ? null : text(raw.pending_note),
    referral,
  };
}

function parseStatus(raw: unknown): CustomerStatus | null {
  if (!isObject(raw)) return null;
  const referral = isObject(raw.referral)
    ? { code: str(raw.referral.code), link: str(raw.referral.link) }
    : null;
  const lots: [number, string][] = Array.isArray(raw.pending_lots)
    ? raw.pending_lots
        .filter((lot): lot is unknown[] => Array.isArray(lot) && lot.length === 2)
        .map((lot) => [int(lot[0]), str(lot[1])])
    : [];
  return {
    pending: Math.max(int(raw.pending), 0),
    pending_lots: lots,
    tier_measure: str(raw.tier_measure, "0"),
    referral: referral && referral.link ? referral : null,
  };
}

export function parseState(raw: unknown): WidgetState {
  const data = isObject(raw) ? raw : {};
  const customer = isObject(data.customer) ? data.customer : null;
  const strings: Strings = {};
  if (isObject(data.strings)) {
    for (const [key, value] of Object.entries(data.strings)) strings[key] = str(value);
  }
  const tier = customer ? str(customer.tier) : "";
  return {
    locale: str(data.locale, "en"),
    proxy: str(data.proxy, "/apps/boomerang"),
    login_url: str(data.login_url, "/account/login"),
    register_url: str(data.register_url, "/account/register"),
    program: parseProgram(data.program),
    customer: customer
      ? {
          first_name: customer.first_name == null ? null : str(customer.first_name),
          points: int(customer.points),
          // The app writes "none" for a customer who left every tier (a metafield can't be blank).
          tier: tier && tier !== "none" ? tier : null,
          status: parseStatus(customer.status),
        }
      : null,
    strings,
  };
}
