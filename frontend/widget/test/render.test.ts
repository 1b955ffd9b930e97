import { describe, expect, it } from "vitest";
import { fromProxy } from "../src/proxy";
import { renderBody, type RenderContext } from "../src/render";
import { shareTargets } from "../src/share";
import { stateFor } from "./fixtures";

function body(ctx: Partial<RenderContext> & Pick<RenderContext, "state">): HTMLElement {
  const root = document.createElement("div");
  root.append(...renderBody({ outcome: null, busy: null, id: "w", ...ctx }));
  return root;
}

const member = {
  first_name: "Ada",
  points: 1350,
  tier: "silver",
  status: { pending: 150, tier_measure: "3000", referral: { code: "ADA-1", link: "https://app.test/r/ADA-1" } },
};

describe("the panel", () => {
  it("shows a guest how it works and where to sign up, with no redeem button", () => {
    const root = body({ state: stateFor(null) });
    expect(root.querySelector("[data-boomerang-join]")?.getAttribute("href")).toBe("/account/register");
    expect(root.querySelectorAll("[data-boomerang-redeem]")).toHaveLength(0);
    expect(root.querySelectorAll(".boomerang-loyalty__steps li")).toHaveLength(3);
  });

  it("shows a member their figures, their progress and a button per redeemable reward", () => {
    const root = body({ state: stateFor(member) });
    expect(root.querySelector("[data-boomerang-spendable]")?.textContent).toBe("1,200 points");
    expect(root.querySelector("[data-boomerang-pending]")?.textContent).toBe("150 points");
    expect(root.querySelector("[data-boomerang-tier]")?.textContent).toBe("Silver");
    const bar = root.querySelector("[role=progressbar]");
    expect(bar?.getAttribute("aria-valuenow")).toBe("50");
    expect([...root.querySelectorAll("[data-boomerang-redeem]")].map((b) => b.getAttribute("data-boomerang-redeem"))).toEqual([
      "free_shipping",
      "five_off",
      "ten_percent",
    ]);
    expect(root.querySelector("[data-boomerang-redeem=five_off]")?.getAttribute("aria-label")).toBe("Redeem €5.00 off for 500 points");
  });

  it("speaks French on a French storefront", () => {
    const root = body({ state: stateFor(member, { locale: "fr" }) });
    expect(root.querySelector(".boomerang-loyalty__greeting")?.textContent).toBe("Bonjour Ada");
    expect(root.querySelector("[data-boomerang-tier]")?.textContent).toBe("Argent");
    expect(root.querySelector(".boomerang-loyalty__progress-text")?.textContent).toBe("Encore 2\u202f000 points pour atteindre Or");
  });

  it("shows the code of a redemption with a copy button, announced politely", () => {
    const root = body({ state: stateFor(member), outcome: { kind: "code", code: "LOYAL-AB12", reward: "€5.00 off", copied: true } });
    const outcome = root.querySelector("[data-boomerang-outcome]");
    expect(outcome?.getAttribute("role")).toBe("status");
    expect(outcome?.querySelector("[data-boomerang-code]")?.textContent).toBe("LOYAL-AB12");
    expect(outcome?.textContent).toContain("Code LOYAL-AB12 copied.");
  });

  it("shares the member's referral link on every network, and only theirs", () => {
    const root = body({ state: stateFor(member) });
    const links = [...root.querySelectorAll<HTMLAnchorElement>("[data-share]")];
    expect(links.map((link) => link.getAttribute("data-share"))).toEqual(["email", "x", "facebook", "whatsapp"]);
    for (const link of links) expect(link.getAttribute("href")).toContain(encodeURIComponent("https://app.test/r/ADA-1"));
    expect(shareTargets("https://a.test/r/X", "Hi & bye")[0]?.href).toBe(
      "mailto:?subject=Hi%20%26%20bye&body=Hi%20%26%20bye%20https%3A%2F%2Fa.test%2Fr%2FX",
    );
  });

  it("says a paused program is paused", () => {
    const root = body({ state: stateFor(member, { program: { enabled: false } }) });
    expect(root.textContent).toBe("Our rewards program is paused for now.");
  });
});

describe("a refresh through the app proxy", () => {
  it("maps the proxy's answers onto the state the panel paints", () => {
    const before = stateFor({ first_name: "Ada", points: 10, tier: null, status: null });
    const loyalty = {
      program: {
        enabled: true,
        currency: "EUR",
        tier_basis: "points_earned",
        ways_to_earn: [],
        tiers: [{ key: "silver", name: "Silver", threshold: "1000" }],
        rewards: [{ key: "five_off", kind: "fixed_amount", cost: 500, label: "€5.00 off" }],
        pending_note: null,
      },
      logged_in: true,
      customer: { first_name: "Ada", balance: 800, pending: 100, spendable: 700, tier: null, tier_measure: "800" },
    };
    const referral = {
      program: { enabled: true, friend_offer: "10 %", reward: "500 points" },
      customer: { code: "ADA-1", link: "https://app.test/r/ADA-1", visits: 0 },
    };
    const after = fromProxy(before, loyalty, referral);
    expect(after.customer).toEqual({
      first_name: "Ada",
      points: 800,
      tier: null,
      status: { pending: 100, pending_lots: [], tier_measure: "800", referral: { code: "ADA-1", link: "https://app.test/r/ADA-1" } },
    });
    expect(after.program?.referral).toEqual({ enabled: true, offer: "10 %", reward: "500 points" });
    expect(after.strings).toBe(before.strings);
  });
});
