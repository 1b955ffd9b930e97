// One widget on the page (the launcher's panel or the rewards page): paints from the state
// Liquid rendered, then handles the shopper's actions: open and close the panel (a modal
// dialog: focus moves in, Tab stays in, Escape closes, focus returns to the launcher), redeem
// (one click: the code shown and copied), copy, refresh.

import { readableOn, readableText } from "./contrast";
import { fill, formatNumber } from "./position";
import { ProxyError, redeem, refresh, type Fetch } from "./proxy";
import { renderBody, type Outcome } from "./render";
import { parseState, type WidgetState } from "./state";

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]), [tabindex]:not([tabindex="-1"])';

let counter = 0;
const STATE_EVENT = "boomerang:loyalty-state";

function requestKey(): string {
  const random = globalThis.crypto?.randomUUID?.();
  return random ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

/** Text colours that read on the merchant's colours (block settings). */
export function applyTheme(root: HTMLElement): void {
  const style = getComputedStyle(root);
  const accent = style.getPropertyValue("--bl-accent").trim() || "#1d4e89";
  const surface = style.getPropertyValue("--bl-surface").trim() || "#ffffff";
  const text = style.getPropertyValue("--bl-text").trim() || "#1a1a1a";
  root.style.setProperty("--bl-on-accent", readableOn(accent));
  root.style.setProperty("--bl-text-readable", readableText(text, surface));
  // The accent as a text colour (links, figures) must read on the surface too.
  root.style.setProperty("--bl-accent-text", readableText(accent, surface));
}

export class Widget {
  state: WidgetState;
  outcome: Outcome | null = null;
  busy: string | null = null;
  linkCopied = false;
  readonly id: string;
  private readonly body: HTMLElement;
  private readonly panel: HTMLElement | null;
  private readonly opener: HTMLElement | null;
  private readonly pendingKeys = new Map<string, string>();

  constructor(
    readonly root: HTMLElement,
    private readonly fetcher: Fetch = (input, init) => fetch(input, init),
  ) {
    const script = root.querySelector("script[data-boomerang-state]");
    let raw: unknown = null;
    try {
      raw = JSON.parse(script?.textContent ?? "null");
    } catch {
      raw = null;
    }
    this.state = parseState(raw);
    this.id = `boomerang-${++counter}`;
    this.body = root.querySelector<HTMLElement>("[data-boomerang-body]") ?? root;
    this.panel = root.querySelector<HTMLElement>("[data-boomerang-panel]");
    this.opener = root.querySelector<HTMLElement>("[data-boomerang-open]");
    root.addEventListener("click", (event) => void this.onClick(event));
    // Another widget on the page (the launcher's panel, the rewards page) redeemed or
    // refreshed: show the same position.
    document.addEventListener(STATE_EVENT, (event) => {
      const detail = (event as CustomEvent<{ from: string; state: WidgetState }>).detail;
      if (detail.from === this.id) return;
      this.state = { ...this.state, program: detail.state.program, customer: detail.state.customer };
      this.paint();
    });
    root.addEventListener("keydown", (event) => this.onKeydown(event));
    this.paint();
  }

  paint(focus?: string): void {
    this.body.replaceChildren(
      ...renderBody({
        state: this.state,
        outcome: this.outcome,
        busy: this.busy,
        id: this.id,
        linkCopied: this.linkCopied,
      }),
    );
    const points = this.root.querySelector("[data-boomerang-launcher-points]");
    const template = this.state.strings.launcher_points;
    if (points && template && this.state.customer) {
      points.textContent = fill(template, {
        points: formatNumber(this.state.customer.points, this.state.locale),
      });
    }
    if (focus) this.body.querySelector<HTMLElement>(focus)?.focus();
  }

  private announce(): void {
    document.dispatchEvent(
      new CustomEvent(STATE_EVENT, { detail: { from: this.id, state: this.state } }),
    );
  }

  get isOpen(): boolean {
    return this.panel !== null && !this.panel.hidden;
  }

  open(): void {
    if (!this.panel) return;
    this.panel.hidden = false;
    this.opener?.setAttribute("aria-expanded", "true");
    this.panel.querySelector<HTMLElement>(FOCUSABLE)?.focus();
  }

  close(): void {
    if (!this.panel) return;
    this.panel.hidden = true;
    this.opener?.setAttribute("aria-expanded", "false");
    this.opener?.focus();
  }

  private onKeydown(event: KeyboardEvent): void {
    if (!this.isOpen || !this.panel) return;
    if (event.key === "Escape") {
      event.preventDefault();
      this.close();
      return;
    }
    if (event.key !== "Tab") return;
    const focusable = [...this.panel.querySelectorAll<HTMLElement>(FOCUSABLE)];
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    if (!first || !last) return;
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  }

  private async onClick(event: Event): Promise<void> {
    const target = (event.target as HTMLElement | null)?.closest<HTMLElement>(
      "[data-boomerang-open],[data-boomerang-close],[data-boomerang-redeem],[data-boomerang-copy],[data-boomerang-refresh]",
    );
    if (!target) return;
    if (target.hasAttribute("data-boomerang-open")) return this.isOpen ? this.close() : this.open();
    if (target.hasAttribute("data-boomerang-close")) return this.close();
    const reward = target.getAttribute("data-boomerang-redeem");
    if (reward) return this.redeem(reward);
    const text = target.getAttribute("data-boomerang-copy");
    if (text) {
      const copied = await copyText(text);
      if (copied && this.outcome?.kind === "code" && this.outcome.code === text) {
        this.outcome = { ...this.outcome, copied: true };
        this.paint("[data-boomerang-code]");
      } else if (copied && text === this.state.customer?.status?.referral?.link) {
        this.linkCopied = true;
        this.paint(`[data-boomerang-copy="${CSS.escape(text)}"]`);
      }
      return;
    }
    if (target.hasAttribute("data-boomerang-refresh")) return this.refresh();
  }

  async redeem(rewardKey: string): Promise<void> {
    if (this.busy) return;
    const reward = this.state.program?.rewards.find((candidate) => candidate.key === rewardKey);
    const label = reward ? (typeof reward.label === "string" ? reward.label : this.state.locale.startsWith("fr") ? reward.label.fr : reward.label.en) : rewardKey;
    // A retry of a failed click keeps its key: the app debits the points once per key.
    const key = this.pendingKeys.get(rewardKey) ?? requestKey();
    this.pendingKeys.set(rewardKey, key);
    this.busy = rewardKey;
    this.outcome = null;
    this.paint(`[data-boomerang-redeem="${rewardKey}"]`);
    try {
      const answer = await redeem(this.state, rewardKey, key, this.fetcher);
      this.pendingKeys.delete(rewardKey);
      if (answer.status === "issued" || answer.status === "pending") {
        const customer = this.state.customer;
        if (customer) this.state = { ...this.state, customer: { ...customer, points: customer.points - answer.cost } };
      }
      if (answer.status === "issued" && answer.code) {
        const copied = await copyText(answer.code);
        this.outcome = { kind: "code", code: answer.code, reward: label, copied };
      } else if (answer.status === "issued" && reward?.kind === "store_credit") {
        this.outcome = { kind: "credit", reward: label };
      } else {
        this.outcome = { kind: "message", text: answer.message };
      }
    } catch (error) {
      const detail = error instanceof ProxyError && error.message ? error.message : "";
      this.outcome = { kind: "error", text: detail || (this.state.strings.error ?? "") };
    } finally {
      this.busy = null;
    }
    this.paint(this.outcome?.kind === "code" ? "[data-boomerang-code]" : "[data-boomerang-outcome] [tabindex]");
    this.announce();
  }

  async refresh(): Promise<void> {
    if (this.busy) return;
    this.busy = "refresh";
    this.paint("[data-boomerang-refresh]");
    try {
      this.state = await refresh(this.state, this.fetcher);
      this.outcome = null;
      this.announce();
    } catch (error) {
      const detail = error instanceof ProxyError && error.message ? error.message : "";
      this.outcome = { kind: "error", text: detail || (this.state.strings.error ?? "") };
    } finally {
      this.busy = null;
    }
    this.paint("[data-boomerang-refresh]");
  }
}

export function mountAll(doc: Document = document): Widget[] {
  return [...doc.querySelectorAll<HTMLElement>("[data-boomerang-widget]")]
    .filter((root) => !root.hasAttribute("data-boomerang-mounted"))
    .map((root) => {
      root.setAttribute("data-boomerang-mounted", "");
      applyTheme(root);
      return new Widget(root);
    });
}
