// Settings: where the shop's own settings live (the scenarios' are on their cards): the sender,
// delivery, and Advanced, which holds the store updates that failed and the customers' data
// requests, in the merchant's words.

import { useI18n } from "../i18n";
import { href } from "../route";
import { DataRequestsSection } from "./DataRequests";
import { WebhookEventsSection } from "./WebhookEvents";

export function ShopSettings() {
  const { t } = useI18n();
  const entries = [
    { heading: t("nav.sender"), details: t("shopSettings.sender.details"), to: href.sender() },
    { heading: t("nav.delivery"), details: t("shopSettings.delivery.details"), to: href.delivery() },
    { heading: t("shopSettings.advanced"), details: t("shopSettings.advanced.details"), to: href.advanced() },
  ];
  return (
    <s-page heading={t("shopSettings.heading")}>
      {entries.map((entry) => (
        <s-section key={entry.to} heading={entry.heading}>
          <s-paragraph>{entry.details}</s-paragraph>
          <s-link href={entry.to}>{entry.heading}</s-link>
        </s-section>
      ))}
    </s-page>
  );
}

export function AdvancedSettings() {
  const { t } = useI18n();
  return (
    <s-page heading={t("advanced.heading")}>
      <s-link slot="breadcrumb-actions" href={href.shopSettings()}>
        {t("shopSettings.heading")}
      </s-link>
      <WebhookEventsSection />
      <DataRequestsSection />
    </s-page>
  );
}
