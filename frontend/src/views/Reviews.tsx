// Reviews to moderate: filter by status, publish, hide, reject as spam (its reward is taken
// back), reply; export every review as CSV or JSON; the auto-publish rule and the rewards.
// Review text is the customer's own: it is always rendered as text, never as HTML.

import { useState } from "react";

import { get, patch, post, query, type Mode, type Review, type ReviewSettings } from "../api";
import { ErrorBanner, Loading, errorText, fieldChecked, fieldValue, toast, useLoad } from "../components/common";
import { grantOptionalScopes } from "../components/scopes";
import { EmptyState } from "../components/EmptyState";
import { useI18n } from "../i18n";
import { href } from "../route";
import { MODES } from "./labels";
import type { MessageKey } from "../i18n/messages";

const STATUSES = ["pending", "published", "hidden", "spam"] as const;

async function download(format: "csv" | "json"): Promise<void> {
  // App Bridge's fetch carries the session token; a plain link would not.
  const response = await fetch(`/api/reviews/export?format=${format}`);
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = `reviews.${format}`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function Stars({ rating }: { rating: number }) {
  return (
    <span className="stars" aria-label={`${rating}/5`}>
      {"★".repeat(rating)}
      {"☆".repeat(5 - rating)}
    </span>
  );
}

function ReviewCard({ review, onChange }: { review: Review; onChange: (r: Review) => void }) {
  const { t, when } = useI18n();
  const [reply, setReply] = useState(review.reply ?? "");
  const [busy, setBusy] = useState(false);

  async function act(action: "publish" | "hide" | "spam" | "reply") {
    setBusy(true);
    try {
      const body = action === "reply" ? { text: reply } : undefined;
      onChange(await post<Review>(`/api/reviews/${review.id}/${action}`, body));
      toast(t(`reviews.done.${action}` as MessageKey));
    } catch (error) {
      toast(errorText(error), true);
    } finally {
      setBusy(false);
    }
  }

  return (
    <s-section heading={review.product_title}>
      <s-paragraph>
        <Stars rating={review.rating} /> {review.title && <strong>{review.title}</strong>}
      </s-paragraph>
      {review.body && <p className="body-text">{review.body}</p>}
      <s-text>
        {t("reviews.by", {
          author: review.author_name ?? t("reviews.anonymous"),
          order: review.order_name ?? "—",
          at: when(review.submitted_at),
        })}
        {review.verified_buyer ? ` · ${t("reviews.verified")}` : ""}
      </s-text>
      <s-paragraph>
        {t(`reviews.status.${review.status}` as MessageKey)}
        {review.held_because ? ` — ${t(`reviews.held.${review.held_because}` as MessageKey)}` : ""}
      </s-paragraph>
      {review.photos.length > 0 && (
        <s-stack direction="inline" gap="base">
          {review.photos.map((src) => (
            <a key={src} href={src} target="_blank" rel="noreferrer">
              <img src={src} alt={t("reviews.photo")} width={96} height={96} style={{ objectFit: "cover" }} />
            </a>
          ))}
        </s-stack>
      )}
      <s-stack direction="inline" gap="base">
        {review.status !== "published" && (
          <s-button variant="primary" disabled={busy} onClick={() => void act("publish")}>
            {t("reviews.publish")}
          </s-button>
        )}
        {review.status !== "hidden" && review.status !== "spam" && (
          <s-button disabled={busy} onClick={() => void act("hide")}>
            {t("reviews.hide")}
          </s-button>
        )}
        {review.status !== "spam" && (
          <s-button tone="critical" disabled={busy} onClick={() => void act("spam")}>
            {t("reviews.spam")}
          </s-button>
        )}
      </s-stack>
      <s-text-area label={t("reviews.reply")} value={reply} onInput={(e) => setReply(fieldValue(e))} />
      <s-button disabled={busy || !reply.trim()} onClick={() => void act("reply")}>
        {t("reviews.sendReply")}
      </s-button>
    </s-section>
  );
}

function SettingsCard() {
  const { t } = useI18n();
  const loaded = useLoad(() => get<ReviewSettings>("/api/reviews/settings"), []);
  const [draft, setDraft] = useState<ReviewSettings | null>(null);
  const [saved, setSaved] = useState<ReviewSettings | null>(null);
  const settings = draft ?? loaded.data;
  const syndicatingNow = (saved ?? loaded.data)?.syndicate_to_shopify ?? false;
  if (loaded.error) return <ErrorBanner error={loaded.error} onRetry={loaded.reload} />;
  if (!settings) return <Loading />;
  const change = (patch: Partial<ReviewSettings>) => setDraft({ ...settings, ...patch });
  const number = (key: keyof ReviewSettings, label: MessageKey, min: number, max: number) => (
    <s-number-field
      label={t(label)}
      value={String(settings[key])}
      min={min}
      max={max}
      onInput={(e) => {
        const value = Number(fieldValue(e));
        if (Number.isInteger(value)) change({ [key]: value } as Partial<ReviewSettings>);
      }}
    />
  );
  async function save() {
    if (!settings) return;
    const edited: ReviewSettings = { ...settings };
    delete edited.syndication_scopes;
    try {
      if (edited.syndicate_to_shopify && !syndicatingNow) {
        // Syndication's optional scopes, asked of the merchant before it is turned on.
        const granted = await grantOptionalScopes(settings.syndication_scopes ?? []);
        if (!granted) {
          toast(t("reviews.syndicateDeclined"), true);
          setDraft({ ...settings, syndicate_to_shopify: false });
          return;
        }
      }
      const stored = await patch<ReviewSettings>("/api/reviews/settings", edited);
      setDraft(stored);
      setSaved(stored);
      toast(t("reviews.saved"));
    } catch (error) {
      toast(errorText(error), true);
      // Shopify refused the syndication (a scope not granted, an app it has not approved): it
      // stays as it was.
      if (settings.syndicate_to_shopify !== syndicatingNow) {
        setDraft({ ...settings, syndicate_to_shopify: syndicatingNow });
      }
    }
  }
  return (
    <s-section heading={t("reviews.settings")}>
      <s-checkbox
        label={t("reviews.autoPublish")}
        checked={settings.auto_publish}
        onChange={(e) => change({ auto_publish: fieldChecked(e) })}
      />
      {number("auto_publish_min_rating", "reviews.minRating", 1, 5)}
      {number("review_points", "reviews.points", 0, 100000)}
      {number("photo_bonus_points", "reviews.photoPoints", 0, 100000)}
      {number("code_percent", "reviews.codePercent", 0, 100)}
      <s-select
        label={t("reviews.emailMode")}
        value={settings.email_mode}
        details={t(`mode.${settings.email_mode}.details` as MessageKey)}
        onChange={(e) => change({ email_mode: fieldValue(e) as Mode })}
      >
        {MODES.map((mode) => (
          <s-option key={mode} value={mode}>
            {t(`mode.${mode}`)}
          </s-option>
        ))}
      </s-select>
      <s-paragraph>{t("reviews.rewardsNote")}</s-paragraph>
      <s-checkbox
        label={t("reviews.syndicate")}
        details={t("reviews.syndicateNote")}
        checked={settings.syndicate_to_shopify}
        onChange={(e) => change({ syndicate_to_shopify: fieldChecked(e) })}
      />
      <s-button variant="primary" onClick={() => void save()}>
        {t("reviews.save")}
      </s-button>
    </s-section>
  );
}

export function Reviews() {
  const { t } = useI18n();
  const [status, setStatus] = useState<string>("pending");
  const list = useLoad(() => get<Review[]>(`/api/reviews${query({ status })}`), [status]);
  const [changed, setChanged] = useState<Record<number, Review>>({});
  const reviews = (list.data ?? []).map((r) => changed[r.id] ?? r);
  return (
    <s-page heading={t("reviews.heading")}>
      <s-section>
        <s-stack direction="inline" gap="base" alignItems="end">
          <s-select label={t("reviews.filter")} value={status} onChange={(e) => setStatus(fieldValue(e))}>
            <s-option value="">{t("reviews.all")}</s-option>
            {STATUSES.map((s) => (
              <s-option key={s} value={s}>
                {t(`reviews.status.${s}` as MessageKey)}
              </s-option>
            ))}
          </s-select>
          <s-button onClick={() => void download("csv").catch((e: unknown) => toast(errorText(e), true))}>
            {t("reviews.exportCsv")}
          </s-button>
          <s-button onClick={() => void download("json").catch((e: unknown) => toast(errorText(e), true))}>
            {t("reviews.exportJson")}
          </s-button>
        </s-stack>
      </s-section>
      {list.error && <ErrorBanner error={list.error} onRetry={list.reload} />}
      {list.loading && !list.data && <Loading />}
      {list.data && reviews.length === 0 && (
        <s-section>
          <EmptyState
            heading={t("empty.reviews.heading")}
            body={t("empty.reviews.body")}
            action={{ label: t("empty.reviews.action"), href: href.settings("review_request") }}
          />
        </s-section>
      )}
      {reviews.map((review) => (
        <ReviewCard
          key={review.id}
          review={review}
          onChange={(r) => setChanged((c) => ({ ...c, [r.id]: r }))}
        />
      ))}
      <SettingsCard />
    </s-page>
  );
}
