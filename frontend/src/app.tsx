// The admin UI: the shop's session first (who we are, its currency), then the backend's
// labels for its codes and the section the hash names.

import { lazy, Suspense } from "react";

import { get, type Session } from "./api";
import { ErrorBanner, Loading, useLoad } from "./components/common";
import { PauseBanner } from "./components/PauseBanner";
import { useLeaveGuard } from "./components/SaveBar";
import { ServerLabels, useI18n } from "./i18n";
import type { MessageKey } from "./i18n/messages";
import { href, useRoute, type Route } from "./route";
import { SessionContext } from "./session";
import { Approvals } from "./views/Approvals";
import { DataRequests } from "./views/DataRequests";
import { LoyaltyCustomerView } from "./views/LoyaltyCustomer";
import { LoyaltyOverview } from "./views/LoyaltyOverview";
import { LoyaltySettingsView } from "./views/LoyaltySettings";
import { Delivery } from "./views/Delivery";
import { Messages } from "./views/Messages";
import { Overview } from "./views/Overview";
import { Referrals } from "./views/Referrals";
import { Reviews } from "./views/Reviews";
import { Runs } from "./views/Runs";
import { Sender } from "./views/Sender";
import { ScenarioSettingsView } from "./views/ScenarioSettings";
import { Templates } from "./views/Templates";
import { CustomerView } from "./views/Customer";
import { Customers } from "./views/Customers";
import { WebhookEvents } from "./views/WebhookEvents";

// The dashboard and its charting library load only when the merchant opens it.
const Analytics = lazy(() => import("./views/Analytics").then((m) => ({ default: m.Analytics })));

const SECTIONS: { key: MessageKey; href: string; views: Route["view"][] }[] = [
  { key: "nav.overview", href: href.overview(), views: ["overview", "settings", "runs", "templates"] },
  { key: "nav.customers", href: href.customers(), views: ["customers", "customer"] },
  { key: "nav.kpis", href: href.kpis(), views: ["kpis"] },
  { key: "nav.approvals", href: href.approvals(), views: ["approvals"] },
  { key: "nav.messages", href: href.messages(), views: ["messages"] },
  { key: "nav.loyalty", href: href.loyalty(), views: ["loyalty", "loyaltySettings", "loyaltyCustomer"] },
  { key: "nav.referrals", href: href.referrals(), views: ["referrals"] },
  { key: "nav.reviews", href: href.reviews(), views: ["reviews"] },
  { key: "nav.delivery", href: href.delivery(), views: ["delivery"] },
  { key: "nav.sender", href: href.sender(), views: ["sender"] },
  { key: "nav.webhooks", href: href.webhooks(), views: ["webhooks"] },
  { key: "nav.dataRequests", href: href.dataRequests(), views: ["dataRequests"] },
];

function Nav({ route }: { route: Route }) {
  const { t } = useI18n();
  return (
    <nav className="nav" aria-label={t("nav.label")}>
      {SECTIONS.map((section) => (
        <s-link
          key={section.key}
          href={section.href}
          aria-current={section.views.includes(route.view) ? "page" : undefined}
        >
          {t(section.key)}
        </s-link>
      ))}
    </nav>
  );
}

function View({ route }: { route: Route }) {
  switch (route.view) {
    case "overview":
      return <Overview />;
    case "settings":
      return <ScenarioSettingsView scenario={route.scenario} />;
    case "runs":
      return <Runs scenario={route.scenario} />;
    case "templates":
      return <Templates scenario={route.scenario} step={route.step} locale={route.locale} />;
    case "customers":
      return <Customers />;
    case "customer":
      return <CustomerView customerId={route.customerId} />;
    case "kpis":
      return (
        <Suspense fallback={<Loading />}>
          <Analytics />
        </Suspense>
      );
    case "approvals":
      return <Approvals />;
    case "messages":
      return <Messages />;
    case "delivery":
      return <Delivery />;
    case "webhooks":
      return <WebhookEvents />;
    case "dataRequests":
      return <DataRequests />;
    case "loyalty":
      return <LoyaltyOverview />;
    case "loyaltySettings":
      return <LoyaltySettingsView />;
    case "loyaltyCustomer":
      return <LoyaltyCustomerView customerId={route.customerId} />;
    case "referrals":
      return <Referrals />;
    case "reviews":
      return <Reviews />;
    case "sender":
      return <Sender />;
  }
}

export function App() {
  const route = useRoute();
  useLeaveGuard();
  const session = useLoad(() => get<Session>("/api/session"), []);
  if (session.error) {
    return (
      <s-page heading="Boomerang">
        <ErrorBanner error={session.error} onRetry={session.reload} />
      </s-page>
    );
  }
  if (!session.data) {
    return (
      <s-page heading="Boomerang">
        <Loading />
      </s-page>
    );
  }
  return (
    <SessionContext.Provider value={session.data}>
      <ServerLabels>
        <Nav route={route} />
        <PauseBanner route={route} />
        <View route={route} />
      </ServerLabels>
    </SessionContext.Provider>
  );
}
