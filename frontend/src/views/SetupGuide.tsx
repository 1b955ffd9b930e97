// The setup guide on the home page: from a fresh install (every scenario off) to the first
// scenario on, each step's state read from the backend (what really happened), with what
// the Boomerang discounts in Shopify's Discounts list are. It can be dismissed and shown again.

import { useState } from "react";

import { get, put, type GuideStepKey, type SetupGuide } from "../api";
import { ErrorBanner, errorText, toast, useLoad } from "../components/common";
import { useI18n } from "../i18n";
import type { MessageKey } from "../i18n/messages";
import { href } from "../route";

const CART = "abandoned_cart";

function stepLink(key: GuideStepKey, locale: string): string {
  switch (key) {
    case "sender":
      return href.sender();
    case "preview":
    case "test":
      return href.templates(CART, 1, locale);
    case "turn_on":
      return href.settings(CART);
  }
}

export function SetupGuideCard() {
  const { t, locale } = useI18n();
  const guide = useLoad(() => get<SetupGuide>("/api/setup-guide"), []);
  const [saving, setSaving] = useState(false);

  async function setDismissed(dismissed: boolean) {
    setSaving(true);
    try {
      await put<SetupGuide>("/api/setup-guide", { dismissed });
      guide.reload();
    } catch (e) {
      toast(errorText(e), true);
    } finally {
      setSaving(false);
    }
  }

  if (guide.error) return <ErrorBanner error={guide.error} onRetry={guide.reload} />;
  const data = guide.data;
  if (!data) return null;
  if (data.dismissed) {
    return (
      <s-stack direction="inline" gap="base">
        <s-button variant="tertiary" loading={saving} onClick={() => void setDismissed(false)}>
          {t("guide.show")}
        </s-button>
      </s-stack>
    );
  }
  return (
    <s-section heading={t("guide.heading")}>
      <s-paragraph>{data.complete ? t("guide.complete") : t("guide.intro")}</s-paragraph>
      <div className="guide-progress">
        <progress max={data.total} value={data.done} aria-label={t("guide.progressLabel")} />
        <s-text>{t("guide.progress", { done: data.done, total: data.total })}</s-text>
      </div>
      <ol className="guide-steps">
        {data.steps.map((step) => {
          const title = `guide.step.${step.key}` as MessageKey;
          return (
            <li key={step.key} aria-label={t(title)} data-done={step.done ? "true" : "false"}>
              <s-stack direction="inline" gap="base">
                <s-badge tone={step.done ? "success" : "neutral"}>
                  {step.done ? t("guide.done") : t("guide.todo")}
                </s-badge>
                <strong>{t(title)}</strong>
              </s-stack>
              <s-paragraph>{t(`guide.step.${step.key}.details` as MessageKey)}</s-paragraph>
              <s-link href={stepLink(step.key, locale)}>
                {t(`guide.step.${step.key}.action` as MessageKey)}
              </s-link>
            </li>
          );
        })}
      </ol>
      <s-heading>{t("guide.discounts.heading")}</s-heading>
      <s-paragraph>{t("guide.discounts.body")}</s-paragraph>
      <s-button variant="tertiary" loading={saving} onClick={() => void setDismissed(true)}>
        {t("guide.dismiss")}
      </s-button>
    </s-section>
  );
}
