// Answers to customers/data_request: what Boomerang holds on each customer who asked,
// viewable here and downloadable as JSON for the merchant to send them (Settings → Advanced).

import { useState } from "react";

import { get, type DataRequest } from "../api";
import { ErrorBanner, Loading, useLoad } from "../components/common";
import { EmptyState } from "../components/EmptyState";
import { useI18n } from "../i18n";

function download(request: DataRequest): void {
  const blob = new Blob([JSON.stringify(request.export, null, 2)], { type: "application/json" });
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = `data-request-${request.data_request_id}.json`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function RequestCard({ request }: { request: DataRequest }) {
  const { t, when } = useI18n();
  const [open, setOpen] = useState(false);
  const heading = t("data.customer", { email: request.customer_email ?? `#${request.customer_shopify_id ?? "?"}` });
  return (
    <s-section heading={heading}>
      <s-text>{t("data.requested", { at: when(request.requested_at) })}</s-text>
      <s-text>
        {t("data.orders", {
          orders: request.orders_requested.length ? request.orders_requested.join(", ") : t("data.noOrders"),
        })}
      </s-text>
      <s-stack direction="inline" gap="base">
        <s-button onClick={() => setOpen(!open)}>{open ? t("data.hideExport") : t("data.view")}</s-button>
        <s-button onClick={() => download(request)}>{t("data.download")}</s-button>
      </s-stack>
      {open && (
        <pre className="body-text" aria-label={t("data.view")}>
          {JSON.stringify(request.export, null, 2)}
        </pre>
      )}
    </s-section>
  );
}

/** The customers' data requests: a section of Settings → Advanced. */
export function DataRequestsSection() {
  const { t } = useI18n();
  const requests = useLoad(() => get<DataRequest[]>("/api/compliance/data-requests"), []);
  return (
    <s-section heading={t("data.heading")}>
      <s-paragraph>{t("advanced.data.intro")}</s-paragraph>
      {requests.error && <ErrorBanner error={requests.error} onRetry={requests.reload} />}
      {!requests.data && !requests.error && <Loading />}
      {requests.data?.length === 0 && (
        <EmptyState
          heading={t("data.empty")}
          body={t("advanced.data.emptyBody")}
          action={{ label: t("advanced.checkAgain"), onClick: requests.reload }}
        />
      )}
      {requests.data?.map((r) => (
        <RequestCard key={r.id} request={r} />
      ))}
    </s-section>
  );
}
