// Widget state as snippets/boomerang-state.liquid renders it, with the program as the app
// writes it to the shop metafield $app:loyalty.program (app/loyalty/storefront_program.py).
import type { WidgetState } from "../src/state";
import { parseState } from "../src/state";
import en from "../../../extensions/loyalty-widget/locales/en.default.json";
import fr from "../../../extensions/loyalty-widget/locales/fr.json";

type Catalog = typeof en;

// The strings Liquid puts in the state: every `loyalty.*` key, flattened as the snippet names them.
function strings(catalog: Catalog): Record<string, string> {
  const l = catalog.loyalty;
  return {
    title: l.title,
    launcher_points: l.launcher_points.replace("{{ points }}", "{points}"),
    error: l.error,
    closed: l.closed,
    refresh: l.refresh,
    refreshing: l.refreshing,
    guest_title: l.guest.title,
    guest_intro: l.guest.intro,
    guest_step_join: l.guest.step_join,
    guest_step_earn: l.guest.step_earn,
    guest_step_redeem: l.guest.step_redeem,
    guest_join: l.guest.join,
    guest_login: l.guest.login,
    greeting: l.member.greeting,
    greeting_anonymous: l.member.greeting_anonymous,
    spendable: l.member.spendable,
    pending: l.member.pending,
    points_unit: l.member.points_unit,
    tier: l.member.tier,
    no_tier: l.member.no_tier,
    to_next_tier: l.member.to_next_tier,
    to_next_tier_spend: l.member.to_next_tier_spend,
    top_tier: l.member.top_tier,
    progress_label: l.member.progress_label,
    rewards_title: l.rewards.title,
    reward_cost: l.rewards.cost,
    redeem: l.rewards.redeem,
    redeem_label: l.rewards.redeem_label,
    redeeming: l.rewards.redeeming,
    points_missing: l.rewards.points_missing,
    no_rewards: l.rewards.none,
    your_code: l.rewards.your_code,
    copy: l.rewards.copy,
    copied: l.rewards.copied,
    credit_added: l.rewards.credit_added,
    referral_title: l.referral.title,
    referral_offer: l.referral.offer,
    referral_link_label: l.referral.link_label,
    referral_copy: l.referral.copy,
    referral_copied: l.referral.copied,
    referral_none: l.referral.none,
    share_email: l.referral.share_email,
    share_x: l.referral.share_x,
    share_facebook: l.referral.share_facebook,
    share_whatsapp: l.referral.share_whatsapp,
    share_message: l.referral.share_message,
    earn_title: l.earn.title,
  };
}

export const PROGRAM = {
  v: 1,
  enabled: true,
  currency: "EUR",
  tier_basis: "points_earned",
  tiers: [
    { key: "silver", name: { en: "Silver", fr: "Argent" }, threshold: "1000" },
    { key: "gold", name: { en: "Gold", fr: "Or" }, threshold: "5000" },
  ],
  rewards: [
    { key: "free_shipping", kind: "free_shipping", cost: 300, label: { en: "Free shipping", fr: "Livraison offerte" } },
    { key: "five_off", kind: "fixed_amount", cost: 500, label: { en: "€5.00 off", fr: "5,00 € de réduction" } },
    { key: "ten_percent", kind: "percentage", cost: 1000, label: { en: "10% off", fr: "10 % de réduction" } },
  ],
  ways_to_earn: [
    { key: "per_currency", points: "1", label: { en: "1 points for each 1 EUR spent", fr: "1 points par 1 EUR dépensé" } },
  ],
  pending_note: null,
  referral: { enabled: true, offer: "10 %", reward: "500 points" },
};

export function stateFor(
  customer: Record<string, unknown> | null,
  { locale = "en", program = PROGRAM as unknown }: { locale?: string; program?: unknown } = {},
): WidgetState {
  return parseState({
    locale,
    proxy: "/apps/boomerang",
    login_url: "/account/login",
    register_url: "/account/register",
    program,
    customer,
    strings: strings(locale === "fr" ? (fr as Catalog) : en),
  });
}
