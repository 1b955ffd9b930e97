// The member's position as the widget shows it, derived from the state alone (no request):
// spendable and pending points, the tier and the progress to the next one, and which rewards
// a click can redeem now.

import {
  inLocale,
  type CustomerStatus,
  type Program,
  type ProgramReward,
  type ProgramTier,
  type WidgetState,
} from "./state";

// Rewards the app cannot redeem from the storefront (app/loyalty/redemptions.py refuses them).
const NOT_REDEEMABLE_KINDS = new Set(["store_credit"]);

export interface RewardView {
  key: string;
  kind: string;
  cost: number;
  label: string;
  redeemable: boolean;
  missing: number;
}

export interface TierProgress {
  name: string;
  remaining: number;
  // 0..100, how far the member is from the current tier's threshold to the next one's.
  percent: number;
}

export interface MemberView {
  firstName: string | null;
  spendable: number;
  pending: number;
  tierName: string | null;
  next: TierProgress | null;
  topTier: boolean;
  rewards: RewardView[];
  referralLink: string | null;
}

function tierName(tier: ProgramTier | undefined, locale: string): string | null {
  return tier ? inLocale(tier.name, locale) : null;
}

export function rewardView(reward: ProgramReward, spendable: number, locale: string): RewardView {
  return {
    key: reward.key,
    kind: reward.kind,
    cost: reward.cost,
    label: inLocale(reward.label, locale),
    redeemable: reward.cost <= spendable && !NOT_REDEEMABLE_KINDS.has(reward.kind),
    missing: Math.max(reward.cost - spendable, 0),
  };
}

/** Where the tiers put a measure (points earned or amount spent in the window): the next
 * tier above it, what it still needs, and how far along the way from the current one. */
export function progress(
  tiers: ProgramTier[],
  measure: number,
  locale: string,
): TierProgress | null {
  const sorted = [...tiers].sort((a, b) => Number(a.threshold) - Number(b.threshold));
  const next = sorted.find((tier) => Number(tier.threshold) > measure);
  if (!next) return null;
  const below = sorted.filter((tier) => Number(tier.threshold) <= measure);
  const floor = below.length ? Number(below[below.length - 1]!.threshold) : 0;
  const ceiling = Number(next.threshold);
  const span = ceiling - floor;
  const percent = span > 0 ? Math.round(((measure - floor) / span) * 100) : 0;
  return {
    name: inLocale(next.name, locale),
    remaining: Math.ceil((ceiling - measure) * 100) / 100,
    percent: Math.min(Math.max(percent, 0), 100),
  };
}

// Before the app has written the program's description, a member still sees their points.
const NO_PROGRAM: Program = {
  enabled: true,
  currency: "",
  tier_basis: "points_earned",
  tiers: [],
  rewards: [],
  ways_to_earn: [],
  pending_note: null,
  referral: null,
};

/** The points still pending at `now`: the lots not yet spendable (the status written earlier
 * may hold lots that have matured since), else the status's own figure. */
export function pendingAt(status: CustomerStatus | null, now: Date): number {
  if (!status) return 0;
  if (!status.pending_lots.length) return status.pending;
  return status.pending_lots
    .filter(([, at]) => !(Date.parse(at) <= now.getTime()))
    .reduce((sum, [points]) => sum + points, 0);
}

export function memberView(state: WidgetState, now: Date = new Date()): MemberView | null {
  const { customer, locale } = state;
  const program = state.program ?? NO_PROGRAM;
  if (!customer) return null;
  const pending = Math.max(
    Math.min(pendingAt(customer.status, now), Math.max(customer.points, 0)),
    0,
  );
  const spendable = Math.max(customer.points - pending, 0);
  const tier = program.tiers.find((candidate) => candidate.key === customer.tier);
  const measure = customer.status ? Number(customer.status.tier_measure) : null;
  const next =
    measure === null || Number.isNaN(measure) ? null : progress(program.tiers, measure, locale);
  return {
    firstName: customer.first_name,
    spendable,
    pending,
    tierName: tierName(tier, locale),
    next,
    topTier: program.tiers.length > 0 && measure !== null && next === null,
    rewards: program.rewards.map((reward) => rewardView(reward, spendable, locale)),
    referralLink: customer.status?.referral?.link ?? null,
  };
}

/** Fill `{name}` placeholders of a storefront string. */
export function fill(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in values ? String(values[name]) : whole,
  );
}

export function formatNumber(value: number, locale: string): string {
  return new Intl.NumberFormat(locale || "en").format(value);
}
