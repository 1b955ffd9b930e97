// On every page while the shop's global pause is on: nothing leaves, and where to lift it.

import { useEffect } from "react";

import { get, type DeliveryPolicy } from "../api";
import { useI18n } from "../i18n";
import { href, type Route } from "../route";
import { useLoad } from "./common";

/** Dispatched on window when the delivery settings are saved: the banner reads them again. */
export const POLICY_SAVED = "boomerang:policy-saved";

export function PauseBanner({ route }: { route: Route }) {
  const { t } = useI18n();
  // Read again on each move: a pause set on the delivery page shows on the next one.
  const policy = useLoad(() => get<DeliveryPolicy>("/api/messaging/settings"), [route]);
  const { reload } = policy;
  useEffect(() => {
    window.addEventListener(POLICY_SAVED, reload);
    return () => window.removeEventListener(POLICY_SAVED, reload);
  }, [reload]);
  if (!policy.data?.paused) return null;
  return (
    <div className="pause-banner">
      <s-banner tone="warning" heading={t("pause.banner.heading")}>
        <s-paragraph>{t("pause.banner.body")}</s-paragraph>
        <s-link href={href.delivery()}>{t("pause.banner.link")}</s-link>
      </s-banner>
    </div>
  );
}
