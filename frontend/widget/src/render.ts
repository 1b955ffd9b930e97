// The panel's content for a member, a guest, or a closed program: built from the state and
// the last action's outcome (a code, a message, an error), in the storefront's language.

import { h } from "./dom";
import { fill, formatNumber, memberView, type MemberView, type RewardView } from "./position";
import { shareTargets } from "./share";
import { inLocale, type WidgetState } from "./state";

export type Outcome =
  | { kind: "code"; code: string; reward: string; copied: boolean }
  | { kind: "credit"; reward: string }
  | { kind: "message"; text: string }
  | { kind: "error"; text: string };

export interface RenderContext {
  state: WidgetState;
  outcome: Outcome | null;
  linkCopied?: boolean;
  busy: string | null; // the reward being redeemed, or "refresh"
  id: string; // unique per widget on the page, for ids
}

function t(ctx: RenderContext, key: string, values: Record<string, string | number> = {}): string {
  return fill(ctx.state.strings[key] ?? key, values);
}

function num(ctx: RenderContext, value: number): string {
  return formatNumber(value, ctx.state.locale);
}

function section(ctx: RenderContext, key: string, title: string, ...children: Node[]): HTMLElement {
  const heading = `${ctx.id}-${key}`;
  return h(
    "section",
    { class: `boomerang-loyalty__section boomerang-loyalty__section--${key}`, "aria-labelledby": heading },
    h("h3", { id: heading, class: "boomerang-loyalty__subtitle" }, title),
    ...children,
  );
}

function outcomeBox(ctx: RenderContext): HTMLElement {
  const outcome = ctx.outcome;
  const box = h("div", {
    class: "boomerang-loyalty__outcome",
    role: outcome?.kind === "error" ? "alert" : "status",
    "aria-live": outcome?.kind === "error" ? "assertive" : "polite",
    "data-boomerang-outcome": outcome?.kind ?? "",
  });
  if (!outcome) return box;
  if (outcome.kind === "code") {
    box.append(
      h("p", { class: "boomerang-loyalty__code-label" }, t(ctx, "your_code")),
      h(
        "p",
        { class: "boomerang-loyalty__code-row" },
        h("code", { class: "boomerang-loyalty__code", "data-boomerang-code": outcome.code, tabindex: -1 }, outcome.code),
        h(
          "button",
          { type: "button", class: "boomerang-loyalty__button boomerang-loyalty__button--secondary", "data-boomerang-copy": outcome.code },
          t(ctx, "copy"),
        ),
      ),
    );
    if (outcome.copied) box.append(h("p", {}, t(ctx, "copied", { code: outcome.code })));
  } else if (outcome.kind === "credit") {
    box.append(h("p", { tabindex: -1 }, t(ctx, "credit_added", { reward: outcome.reward })));
  } else {
    box.append(h("p", { tabindex: -1 }, outcome.text));
  }
  return box;
}

function rewardItem(ctx: RenderContext, reward: RewardView, member: boolean): HTMLElement {
  const cost = t(ctx, "reward_cost", { cost: num(ctx, reward.cost) });
  let action: Node | null = null;
  if (member && reward.redeemable) {
    const busy = ctx.busy === reward.key;
    action = h(
      "button",
      {
        type: "button",
        class: "boomerang-loyalty__button",
        "data-boomerang-redeem": reward.key,
        "aria-label": t(ctx, "redeem_label", { reward: reward.label, cost: num(ctx, reward.cost) }),
        "aria-busy": busy ? "true" : null,
        // aria-disabled, not disabled: the clicked button keeps the keyboard focus.
        "aria-disabled": ctx.busy !== null ? "true" : null,
      },
      busy ? t(ctx, "redeeming") : t(ctx, "redeem"),
    );
  } else if (member && reward.missing > 0) {
    action = h("span", { class: "boomerang-loyalty__missing" }, t(ctx, "points_missing", { points: num(ctx, reward.missing) }));
  }
  return h(
    "li",
    { class: "boomerang-loyalty__reward", "data-reward": reward.key },
    h("span", { class: "boomerang-loyalty__reward-label" }, reward.label),
    h("span", { class: "boomerang-loyalty__reward-cost" }, cost),
    action,
  );
}

function rewardsSection(ctx: RenderContext, rewards: RewardView[], member: boolean): HTMLElement {
  return section(
    ctx,
    "rewards",
    t(ctx, "rewards_title"),
    rewards.length
      ? h("ul", { class: "boomerang-loyalty__list", role: "list" }, ...rewards.map((reward) => rewardItem(ctx, reward, member)))
      : h("p", {}, t(ctx, "no_rewards")),
    outcomeBox(ctx),
  );
}

function earnSection(ctx: RenderContext): HTMLElement | null {
  const program = ctx.state.program;
  if (!program || program.ways_to_earn.length === 0) return null;
  const note = program.pending_note ? inLocale(program.pending_note, ctx.state.locale) : "";
  return section(
    ctx,
    "earn",
    t(ctx, "earn_title"),
    h("ul", { class: "boomerang-loyalty__list", role: "list" }, ...program.ways_to_earn.map((way) => h("li", {}, inLocale(way.label, ctx.state.locale)))),
    ...(note ? [h("p", { class: "boomerang-loyalty__note" }, note)] : []),
  );
}

function referralSection(ctx: RenderContext, link: string | null, member: boolean): HTMLElement | null {
  const referral = ctx.state.program?.referral;
  if (!referral || !referral.enabled) return null;
  const offer = t(ctx, "referral_offer", { offer: referral.offer, reward: referral.reward });
  const children: Node[] = [h("p", {}, offer)];
  if (member && link) {
    const input = `${ctx.id}-referral-link`;
    const message = t(ctx, "share_message", { offer: referral.offer });
    const labels: Record<string, string> = {
      email: t(ctx, "share_email"),
      x: t(ctx, "share_x"),
      facebook: t(ctx, "share_facebook"),
      whatsapp: t(ctx, "share_whatsapp"),
    };
    children.push(
      h("label", { for: input, class: "boomerang-loyalty__label" }, t(ctx, "referral_link_label")),
      h(
        "p",
        { class: "boomerang-loyalty__code-row" },
        h("input", { id: input, class: "boomerang-loyalty__input", type: "text", readonly: true, value: link, "data-boomerang-referral-link": link }),
        h("button", { type: "button", class: "boomerang-loyalty__button boomerang-loyalty__button--secondary", "data-boomerang-copy": link }, t(ctx, "referral_copy")),
      ),
      h("p", { class: "boomerang-loyalty__note", role: "status" }, ctx.linkCopied ? t(ctx, "referral_copied") : ""),
      h(
        "ul",
        { class: "boomerang-loyalty__share", role: "list" },
        ...shareTargets(link, message).map((target) =>
          h("li", {}, h("a", { href: target.href, target: "_blank", rel: "noopener noreferrer", class: "boomerang-loyalty__share-link", "data-share": target.key }, labels[target.key] ?? target.key)),
        ),
      ),
    );
  } else if (member) {
    children.push(h("p", { class: "boomerang-loyalty__note" }, t(ctx, "referral_none")));
  }
  return section(ctx, "referral", t(ctx, "referral_title"), ...children);
}

function balance(ctx: RenderContext, view: MemberView): HTMLElement {
  const unit = t(ctx, "points_unit");
  return h(
    "dl",
    { class: "boomerang-loyalty__balance" },
    h("div", { class: "boomerang-loyalty__figure" }, h("dt", {}, t(ctx, "spendable")), h("dd", { "data-boomerang-spendable": view.spendable }, `${num(ctx, view.spendable)} ${unit}`)),
    h("div", { class: "boomerang-loyalty__figure" }, h("dt", {}, t(ctx, "pending")), h("dd", { "data-boomerang-pending": view.pending }, `${num(ctx, view.pending)} ${unit}`)),
    h("div", { class: "boomerang-loyalty__figure" }, h("dt", {}, t(ctx, "tier")), h("dd", { "data-boomerang-tier": view.tierName ?? "" }, view.tierName ?? t(ctx, "no_tier"))),
  );
}

function tierProgress(ctx: RenderContext, view: MemberView): HTMLElement | null {
  if (view.topTier) return h("p", { class: "boomerang-loyalty__progress-text" }, t(ctx, "top_tier"));
  const next = view.next;
  if (!next) return null;
  const spend = ctx.state.program?.tier_basis === "amount_spent";
  const remaining = spend
    ? new Intl.NumberFormat(ctx.state.locale, { style: "currency", currency: ctx.state.program?.currency || "USD" }).format(next.remaining)
    : num(ctx, next.remaining);
  const text = t(ctx, spend ? "to_next_tier_spend" : "to_next_tier", { remaining, tier: next.name });
  const label = `${ctx.id}-progress`;
  return h(
    "div",
    { class: "boomerang-loyalty__progress" },
    h("p", { id: label, class: "boomerang-loyalty__progress-text" }, text),
    h(
      "div",
      {
        class: "boomerang-loyalty__bar",
        role: "progressbar",
        "aria-label": t(ctx, "progress_label", { tier: next.name }),
        "aria-valuemin": 0,
        "aria-valuemax": 100,
        "aria-valuenow": next.percent,
        "aria-describedby": label,
      },
      h("span", { class: "boomerang-loyalty__bar-fill", style: `width: ${next.percent}%` }),
    ),
  );
}

function refreshButton(ctx: RenderContext): HTMLElement {
  const busy = ctx.busy === "refresh";
  return h(
    "button",
    {
      type: "button",
      class: "boomerang-loyalty__link-button",
      "data-boomerang-refresh": true,
      "aria-disabled": ctx.busy !== null ? "true" : null,
      "aria-busy": busy ? "true" : null,
    },
    busy ? t(ctx, "refreshing") : t(ctx, "refresh"),
  );
}

function member(ctx: RenderContext, view: MemberView): Node[] {
  const greeting = view.firstName ? t(ctx, "greeting", { name: view.firstName }) : t(ctx, "greeting_anonymous");
  return [
    h("p", { class: "boomerang-loyalty__greeting" }, greeting),
    balance(ctx, view),
    tierProgress(ctx, view),
    rewardsSection(ctx, view.rewards, true),
    referralSection(ctx, view.referralLink, true),
    earnSection(ctx),
    h("p", { class: "boomerang-loyalty__footer" }, refreshButton(ctx)),
  ].filter((node): node is HTMLElement => node !== null);
}

function guest(ctx: RenderContext): Node[] {
  const program = ctx.state.program;
  const rewards = program ? program.rewards.map((reward) => ({ key: reward.key, kind: reward.kind, cost: reward.cost, label: inLocale(reward.label, ctx.state.locale), redeemable: false, missing: 0 })) : [];
  return [
    h("p", { class: "boomerang-loyalty__lead" }, t(ctx, "guest_title")),
    h("p", {}, t(ctx, "guest_intro")),
    h(
      "ol",
      { class: "boomerang-loyalty__steps" },
      h("li", {}, t(ctx, "guest_step_join")),
      h("li", {}, t(ctx, "guest_step_earn")),
      h("li", {}, t(ctx, "guest_step_redeem")),
    ),
    h(
      "p",
      { class: "boomerang-loyalty__actions" },
      h("a", { class: "boomerang-loyalty__button", href: ctx.state.register_url, "data-boomerang-join": true }, t(ctx, "guest_join")),
      h("a", { class: "boomerang-loyalty__link", href: ctx.state.login_url }, t(ctx, "guest_login")),
    ),
    earnSection(ctx),
    rewards.length ? rewardsSection(ctx, rewards, false) : null,
    referralSection(ctx, null, false),
  ].filter((node): node is HTMLElement => node !== null);
}

/** The body of the panel (or page) for the state as it stands. */
export function renderBody(ctx: RenderContext): Node[] {
  const program = ctx.state.program;
  if (program && !program.enabled) return [h("p", {}, t(ctx, "closed"))];
  if (ctx.state.customer) {
    const view = memberView(ctx.state);
    if (view) return member(ctx, view);
  }
  return guest(ctx);
}

export { memberView };
