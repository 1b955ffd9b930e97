// Hash routes (#/approvals, #/scenarios/abandoned_cart/settings, …): the embedded app keeps
// Shopify's query string (shop, host, locale) untouched while the merchant moves around.

import { useEffect, useState } from "react";

export type Route =
  | { view: "overview" }
  | { view: "kpis" }
  | { view: "settings"; scenario: string }
  | { view: "runs"; scenario: string }
  | { view: "templates"; scenario: string; step: number; locale: string }
  | { view: "customers" }
  | { view: "customer"; customerId: number }
  | { view: "approvals" }
  | { view: "messages" }
  | { view: "delivery" }
  | { view: "shopSettings" }
  | { view: "advanced" }
  | { view: "loyalty" }
  | { view: "loyaltySettings" }
  | { view: "loyaltyCustomer"; customerId: number }
  | { view: "referrals" }
  | { view: "reviews" }
  | { view: "sender" };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  const [first, second, third, fourth, fifth] = parts;
  switch (first) {
    case "scenarios":
      if (second && third === "settings") return { view: "settings", scenario: second };
      if (second && third === "runs") return { view: "runs", scenario: second };
      if (second && third === "templates") {
        return {
          view: "templates",
          scenario: second,
          step: Number(fourth) || 1,
          locale: fifth === "fr" ? "fr" : "en",
        };
      }
      return { view: "overview" };
    case "customers":
      return Number(second) ? { view: "customer", customerId: Number(second) } : { view: "customers" };
    case "kpis":
      return { view: "kpis" };
    case "approvals":
      return { view: "approvals" };
    case "messages":
      return { view: "messages" };
    // Settings: the sender, delivery, and under Advanced the store updates that failed and
    // the customers' data requests (their former addresses still lead there).
    case "settings":
      if (second === "delivery") return { view: "delivery" };
      if (second === "sender") return { view: "sender" };
      if (second === "advanced") return { view: "advanced" };
      return { view: "shopSettings" };
    case "delivery":
      return { view: "delivery" };
    case "webhooks":
    case "data-requests":
      return { view: "advanced" };
    case "loyalty":
      if (second === "settings") return { view: "loyaltySettings" };
      if (second === "customers" && Number(third)) return { view: "loyaltyCustomer", customerId: Number(third) };
      return { view: "loyalty" };
    case "referrals":
      return { view: "referrals" };
    case "reviews":
      return { view: "reviews" };
    case "sender":
      return { view: "sender" };
    default:
      return { view: "overview" };
  }
}

export const href = {
  overview: () => "#/",
  kpis: () => "#/kpis",
  settings: (scenario: string) => `#/scenarios/${scenario}/settings`,
  runs: (scenario: string) => `#/scenarios/${scenario}/runs`,
  templates: (scenario: string, step = 1, locale = "en") =>
    `#/scenarios/${scenario}/templates/${step}/${locale}`,
  customers: () => "#/customers",
  // A customer's page: who they are, their orders, messages and the timeline of decisions.
  customer: (customerId: number) => `#/customers/${customerId}`,
  timeline: (customerId: number) => `#/customers/${customerId}`,
  approvals: () => "#/approvals",
  messages: () => "#/messages",
  delivery: () => "#/settings/delivery",
  shopSettings: () => "#/settings",
  advanced: () => "#/settings/advanced",
  referrals: () => "#/referrals",
  loyalty: () => "#/loyalty",
  loyaltySettings: () => "#/loyalty/settings",
  loyaltyCustomer: (customerId: number) => `#/loyalty/customers/${customerId}`,
  reviews: () => "#/reviews",
  sender: () => "#/settings/sender",
};

export function go(to: string): void {
  window.location.hash = to;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return route;
}
