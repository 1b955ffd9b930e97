import { describe, expect, it } from "vitest";
import { memberView, progress } from "../src/position";
import { inLocale, parseState } from "../src/state";
import { PROGRAM, stateFor } from "./fixtures";

describe("the state Liquid renders", () => {
  it("reads a member's metafields, the tier 'none' meaning no tier", () => {
    const state = stateFor({ first_name: "Ada", points: "1350", tier: "none", status: null });
    expect(state.customer).toEqual({ first_name: "Ada", points: 1350, tier: null, status: null });
  });

  it("survives a page without the program or with a broken state", () => {
    expect(parseState(null).customer).toBeNull();
    expect(parseState({ program: "nonsense", customer: 3 }).program).toBeNull();
  });

  it("picks the French text for any fr locale, English otherwise", () => {
    expect(inLocale({ en: "Gold", fr: "Or" }, "fr-CA")).toBe("Or");
    expect(inLocale({ en: "Gold", fr: "Or" }, "de")).toBe("Gold");
  });
});

describe("a member's position", () => {
  const status = (pending: number, measure: string) => ({ pending, tier_measure: measure, referral: null });

  it("counts as spendable the pending lots that matured since the status was written", () => {
    const lots = { pending: 300, tier_measure: "0", referral: null, pending_lots: [[100, "2026-01-10T00:00:00+00:00"], [200, "2026-02-10T00:00:00+00:00"]] };
    const state = stateFor({ first_name: null, points: 1000, tier: null, status: lots });
    expect(memberView(state, new Date("2026-01-01T00:00:00Z"))).toMatchObject({ spendable: 700, pending: 300 });
    expect(memberView(state, new Date("2026-01-20T00:00:00Z"))).toMatchObject({ spendable: 800, pending: 200 });
    expect(memberView(state, new Date("2026-03-01T00:00:00Z"))).toMatchObject({ spendable: 1000, pending: 0 });
  });

  it("splits the balance into spendable and pending points", () => {
    const view = memberView(stateFor({ first_name: null, points: 1350, tier: "silver", status: status(150, "1350") }));
    expect(view?.spendable).toBe(1200);
    expect(view?.pending).toBe(150);
    expect(view?.tierName).toBe("Silver");
  });

  it("offers exactly the rewards the spendable points cover", () => {
    const view = memberView(stateFor({ first_name: null, points: 700, tier: null, status: status(250, "700") }));
    const redeemable = view?.rewards.filter((reward) => reward.redeemable).map((reward) => reward.key);
    expect(redeemable).toEqual(["free_shipping"]); // 450 spendable
    expect(view?.rewards.find((reward) => reward.key === "five_off")?.missing).toBe(50);
  });

  it("never offers store credit, which the app cannot redeem from the storefront", () => {
    const program = { ...PROGRAM, rewards: [{ key: "credit", kind: "store_credit", cost: 10, label: "€10 credit" }] };
    const view = memberView(stateFor({ first_name: null, points: 100, tier: null, status: null }, { program }));
    expect(view?.rewards[0]?.redeemable).toBe(false);
  });

  it("measures the way from the current tier to the next", () => {
    const tiers = PROGRAM.tiers;
    expect(progress(tiers, 3000, "en")).toEqual({ name: "Gold", remaining: 2000, percent: 50 });
    expect(progress(tiers, 250, "fr")).toEqual({ name: "Argent", remaining: 750, percent: 25 });
    expect(progress(tiers, 5000, "en")).toBeNull();
  });

  it("says a VIP at the top tier has reached it", () => {
    const view = memberView(stateFor({ first_name: null, points: 9000, tier: "gold", status: status(0, "9000") }));
    expect(view?.topTier).toBe(true);
    expect(view?.next).toBeNull();
  });

  it("shows no progress it cannot know (the status metafield not written yet)", () => {
    const view = memberView(stateFor({ first_name: null, points: 100, tier: null, status: null }));
    expect(view?.next).toBeNull();
    expect(view?.topTier).toBe(false);
  });
});
