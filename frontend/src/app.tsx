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
import { AdvancedSettings, ShopSettings } from "./views/ShopSettings";
import { ScenarioSettingsView } from "./views/ScenarioSettings";
import { Templates } from "./views/Templates";
import { CustomerView } from "./views/Customer";
import { Customers } from "./views/Customers";

// The dashboard and its charting library load only when the merchant opens it.
const Analytics = lazy(() => import("./views/Analytics").then((m) => ({ default: m.Analytics })));

// The app's menu, drawn by the admin in its sidebar (App Bridge's ui-nav-menu), not in the page:
// the first link is the app's home (the app's name in the sidebar leads there); the admin marks
// the item of the current page.
const MENU: { key: MessageKey; href: string }[] = [
  { key: "nav.customers", href: href.customers() },
  { key: "nav.kpis", href: href.kpis() },
  { key: "nav.approvals", href: href.approvals() },
  { key: "nav.messages", href: href.messages() },
  { key: "nav.loyalty", href: href.loyalty() },
  { key: "nav.referrals", href: href.referrals() },
  { key: "nav.reviews", href: href.reviews() },
  { key: "nav.settings", href: href.shopSettings() },
];

function NavMenu() {
  const { t } = useI18n();
  return (
    <ui-nav-menu>
      <a href={href.overview()} rel="home">
        {t("nav.overview")}
      </a>
      {MENU.map((item) => (
        <a key={item.key} href={item.href}>
          {t(item.key)}
        </a>
      ))}
    </ui-nav-menu>
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
    case "shopSettings":
      return <ShopSettings />;
    case "advanced":
      return <AdvancedSettings />;
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
        <NavMenu />
        <PauseBanner route={route} />
        <View route={route} />
      </ServerLabels>
    </SessionContext.Provider>
  );
}
