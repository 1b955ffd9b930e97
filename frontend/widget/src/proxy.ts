// The app proxy (`/apps/boomerang/…`, forwarded and signed by Shopify): called only to redeem
// a reward or to refresh the position. Every request names the storefront's locale, so the
// app answers in the shopper's language.

import { isObject, parseProgram, type WidgetState } from "./state";

export class ProxyError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

function url(state: WidgetState, path: string): string {
  return `${state.proxy}${path}?locale=${encodeURIComponent(state.locale)}`;
}

async function json(response: Response): Promise<Record<string, unknown>> {
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok && response.status !== 202) {
    // The app's errors are {"error": "<Class>", "detail": "<what to do>"} in the shopper's language.
    const detail = isObject(body) && typeof body.detail === "string" ? body.detail : "";
    throw new ProxyError(detail, response.status);
  }
  return isObject(body) ? body : {};
}

export interface Redemption {
  status: string;
  code: string | null;
  cost: number;
  message: string;
}

export async function redeem(
  state: WidgetState,
  reward: string,
  key: string,
  fetcher: Fetch = fetch,
): Promise<Redemption> {
  const body = await json(
    await fetcher(url(state, "/loyalty/redemptions"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ reward, key }),
    }),
  );
  return {
    status: typeof body.status === "string" ? body.status : "",
    code: typeof body.code === "string" ? body.code : null,
    cost: typeof body.cost === "number" ? body.cost : 0,
    message: typeof body.message === "string" ? body.message : "",
  };
}

/** The position as the app has it now (`GET /loyalty` and `GET /referral`), as new state. */
export async function refresh(state: WidgetState, fetcher: Fetch = fetch): Promise<WidgetState> {
  const init: RequestInit = { credentials: "same-origin", headers: { accept: "application/json" } };
  const [loyalty, referral] = await Promise.all([
    fetcher(url(state, "/loyalty"), init).then(json),
    fetcher(url(state, "/referral"), init).then(json),
  ]);
  return fromProxy(state, loyalty, referral);
}

export function fromProxy(
  state: WidgetState,
  loyalty: Record<string, unknown>,
  referral: Record<string, unknown>,
): WidgetState {
  const raw = isObject(loyalty.program) ? loyalty.program : {};
  const offer = isObject(referral.program) ? referral.program : null;
  const program = parseProgram({
    ...raw,
    referral: offer
      ? { enabled: offer.enabled, offer: offer.friend_offer, reward: offer.reward }
      : null,
  });
  const customer = isObject(loyalty.customer) ? loyalty.customer : null;
  const own = isObject(referral.customer) ? referral.customer : null;
  const tier = customer && isObject(customer.tier) ? customer.tier : null;
  return {
    ...state,
    program,
    customer: customer
      ? {
          first_name: typeof customer.first_name === "string" ? customer.first_name : null,
          points: Number(customer.balance) || 0,
          tier: tier && typeof tier.key === "string" ? tier.key : null,
          status: {
            pending: Number(customer.pending) || 0,
            pending_lots: [],
            tier_measure: typeof customer.tier_measure === "string" ? customer.tier_measure : "0",
            referral:
              own && typeof own.link === "string"
                ? { code: String(own.code ?? ""), link: own.link }
                : null,
          },
        }
      : state.customer,
  };
}
