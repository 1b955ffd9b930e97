// The loyalty program's settings: on or off, the earn rules and their values (orders, sign-up,
// birthday), the pending period, points expiry and its warning, the emails (which go, the
// digest's pace, their mode), VIP tiers, the rewards catalogue and store credit. Turning store
// credit on first asks the merchant to grant its optional scopes (App Bridge's Scopes API).
// Saving sends the form whole (tiers and rewards are replaced whole by the API); refused values
// come back per field (`rewards.0.value`) and are shown next to it, in the merchant's language.
// Unsaved changes show the admin's save bar, which asks before the merchant leaves.

import { useEffect, useState } from "react";

import {
  ApiError,
  get,
  patch,
  type LoyaltyReward,
  type LoyaltySettings,
  type LoyaltyTier,
  type Mode,
  type RewardKind,
} from "../api";
import { ErrorBanner, Loading, fieldChecked, fieldValue, toast, useLoad } from "../components/common";
import { SaveBar } from "../components/SaveBar";
import { grantOptionalScopes } from "../components/scopes";
import { useI18n } from "../i18n";
import type { MessageKey } from "../i18n/messages";
import { MODES } from "./labels";

const KINDS: RewardKind[] = ["fixed_amount", "percentage", "free_shipping", "store_credit"];

/** A whole number typed in a field: the number, or the text as typed (the API then says
 * what is wrong with it, next to the field). */
function whole(text: string): number | string {
  const value = Number(text);
  return text.trim() !== "" && Number.isInteger(value) ? value : text;
}

const NEW_TIER: LoyaltyTier = { key: "", name_en: "", name_fr: "", threshold: "0", multiplier: "1", entry_reward: null };
const PERK_KINDS = ["fixed_amount", "percentage", "free_shipping"] as const;
const NEW_PERK = { kind: "fixed_amount" as const, value: "5.00", minimum_subtotal: null, valid_days: 30 };
const NEW_REWARD: LoyaltyReward = {
  key: "",
  cost: 500,
  kind: "fixed_amount",
  value: "5.00",
  minimum_subtotal: null,
  valid_days: 90,
};

type Editable = Omit<LoyaltySettings, "currency" | "store_credit_scopes">;

function editable(settings: LoyaltySettings): Editable {
  const rest: LoyaltySettings = { ...settings };
  delete rest.currency;
  delete rest.store_credit_scopes;
  return rest;
}

function TierEditor({ index, tier, errors, onChange, onRemove }: {
  index: number;
  tier: LoyaltyTier;
  errors: Record<string, string>;
  onChange: (tier: LoyaltyTier) => void;
  onRemove: () => void;
}) {
  const { t } = useI18n();
  const base = `tiers.${index}`;
  return (
    <s-section heading={t("loyalty.tier", { number: index + 1 })}>
      <s-stack direction="inline" gap="base" alignItems="start">
        <s-text-field label={t("loyalty.tier.key")} value={tier.key} error={errors[`${base}.key`]}
          onInput={(e) => onChange({ ...tier, key: fieldValue(e) })} />
        <s-text-field label={t("loyalty.tier.nameEn")} value={tier.name_en} error={errors[`${base}.name_en`]}
          onInput={(e) => onChange({ ...tier, name_en: fieldValue(e) })} />
        <s-text-field label={t("loyalty.tier.nameFr")} value={tier.name_fr} error={errors[`${base}.name_fr`]}
          onInput={(e) => onChange({ ...tier, name_fr: fieldValue(e) })} />
        <s-text-field label={t("loyalty.tier.threshold")} value={tier.threshold} error={errors[`${base}.threshold`]}
          onInput={(e) => onChange({ ...tier, threshold: fieldValue(e) })} />
        <s-text-field label={t("loyalty.tier.multiplier")} value={tier.multiplier}
          error={errors[`${base}.multiplier`]} onInput={(e) => onChange({ ...tier, multiplier: fieldValue(e) })} />
      </s-stack>
      <s-stack direction="inline" gap="base" alignItems="start">
        <s-select label={t("loyalty.tier.perk")} value={tier.entry_reward?.kind ?? "none"}
          details={t("loyalty.tier.perk.details")} error={errors[`${base}.entry_reward.kind`]}
          onChange={(e) => {
            const kind = fieldValue(e);
            onChange({
              ...tier,
              entry_reward: kind === "none"
                ? null
                : { ...(tier.entry_reward ?? NEW_PERK), kind: kind as NonNullable<LoyaltyTier["entry_reward"]>["kind"] },
            });
          }}>
          <s-option value="none">{t("loyalty.tier.perk.none")}</s-option>
          {PERK_KINDS.map((kind) => (
            <s-option key={kind} value={kind}>{t(`loyalty.rewardKind.${kind}`)}</s-option>
          ))}
        </s-select>
        {tier.entry_reward && tier.entry_reward.kind !== "free_shipping" && (
          <s-text-field label={t("loyalty.tier.perk.value")} value={tier.entry_reward.value}
            error={errors[`${base}.entry_reward.value`]}
            onInput={(e) => onChange({ ...tier, entry_reward: { ...(tier.entry_reward ?? NEW_PERK), value: fieldValue(e) } })} />
        )}
      </s-stack>
      <s-button variant="secondary" onClick={onRemove}>{t("loyalty.removeTier")}</s-button>
    </s-section>
  );
}

function RewardEditor({ index, reward, currency, errors, onChange, onRemove }: {
  index: number;
  reward: LoyaltyReward;
  currency: string;
  errors: Record<string, string>;
  onChange: (reward: LoyaltyReward) => void;
  onRemove: () => void;
}) {
  const { t } = useI18n();
  const base = `rewards.${index}`;
  return (
    <s-section heading={t("loyalty.reward", { number: index + 1 })}>
      <s-stack direction="inline" gap="base" alignItems="start">
        <s-text-field label={t("loyalty.reward.key")} value={reward.key} error={errors[`${base}.key`]}
          onInput={(e) => onChange({ ...reward, key: fieldValue(e) })} />
        <s-text-field label={t("loyalty.reward.cost")} value={String(reward.cost)} error={errors[`${base}.cost`]}
          onInput={(e) => onChange({ ...reward, cost: whole(fieldValue(e)) as number })} />
        <s-select label={t("loyalty.reward.kind")} value={reward.kind} error={errors[`${base}.kind`]}
          onChange={(e) => onChange({ ...reward, kind: fieldValue(e) as RewardKind })}>
          {KINDS.map((kind) => (
            <s-option key={kind} value={kind}>{t(`loyalty.rewardKind.${kind}`)}</s-option>
          ))}
        </s-select>
        {reward.kind !== "free_shipping" && (
          <s-text-field label={t("loyalty.reward.value")} value={reward.value}
            suffix={reward.kind === "percentage" ? "%" : currency} error={errors[`${base}.value`]}
            onInput={(e) => onChange({ ...reward, value: fieldValue(e) })} />
        )}
        <s-text-field label={t("loyalty.reward.minimum", { currency })} value={reward.minimum_subtotal ?? ""}
          error={errors[`${base}.minimum_subtotal`]}
          onInput={(e) => onChange({ ...reward, minimum_subtotal: fieldValue(e).trim() || null })} />
        <s-text-field label={t("loyalty.reward.validDays")} value={String(reward.valid_days)}
          error={errors[`${base}.valid_days`]}
          onInput={(e) => onChange({ ...reward, valid_days: whole(fieldValue(e)) as number })} />
      </s-stack>
      <s-button variant="secondary" onClick={onRemove}>{t("loyalty.removeReward")}</s-button>
    </s-section>
  );
}

const SHOWN_TOP = new Set([
  "enabled",
  "per_currency",
  "per_currency.enabled",
  "per_currency.points",
  "signup.enabled",
  "signup.points",
  "birthday.enabled",
  "birthday.points",
  "expiry.enabled",
  "expiry.inactive_months",
  "expiry.warning_days",
  "notices.points_digest",
  "notices.digest_hours",
  "notices.tier_reached",
  "notices.reward_reachable",
  "notices.expiry_warning",
  "email_mode",
  "pending_days",
  "tier_basis",
  "tier_window_months",
  "store_credit_enabled",
]);
const TIER_FIELDS = ["key", "name_en", "name_fr", "threshold", "multiplier", "entry_reward"];
const REWARD_FIELDS = ["key", "cost", "kind", "value", "minimum_subtotal", "valid_days"];

function shown(field: string, edited: Editable): boolean {
  if (SHOWN_TOP.has(field)) return true;
  const [list, index, key] = field.split(".");
  const i = Number(index);
  if (list === "tiers" && i < edited.tiers.length) return TIER_FIELDS.includes(key ?? "");
  if (list === "rewards" && i < edited.rewards.length) return REWARD_FIELDS.includes(key ?? "");
  return false;
}

function SettingsForm({ saved, onSaved }: { saved: LoyaltySettings; onSaved: (s: LoyaltySettings) => void }) {
  const { t } = useI18n();
  const currency = saved.currency ?? "";
  const [edited, setEdited] = useState<Editable>(() => editable(saved));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<string>();
  const [saving, setSaving] = useState(false);
  useEffect(() => setEdited(editable(saved)), [saved]);
  const elsewhere = Object.entries(errors).filter(([field]) => !shown(field, edited));
  const dirty = JSON.stringify(edited) !== JSON.stringify(editable(saved));
  const discard = () => {
    setEdited(editable(saved));
    setErrors({});
    setProblem(undefined);
  };

  async function save() {
    setErrors({});
    setProblem(undefined);
    setSaving(true);
    try {
      if (edited.store_credit_enabled && !saved.store_credit_enabled) {
        const granted = await grantOptionalScopes(saved.store_credit_scopes ?? []);
        if (!granted) {
          setErrors({ store_credit_enabled: t("loyalty.storeCredit.declined") });
          setProblem(t("settings.invalid"));
          return;
        }
      }
      const result = await patch<LoyaltySettings>("/api/loyalty/settings", edited);
      toast(t("settings.saved"));
      onSaved(result);
    } catch (error) {
      if (error instanceof ApiError && error.body.problems) {
        const byField: Record<string, string> = {};
        for (const p of error.body.problems) byField[p.field] = p.message;
        setErrors(byField);
        setProblem(t("settings.invalid"));
      } else {
        setProblem(error instanceof Error ? error.message : String(error));
      }
    } finally {
      setSaving(false);
    }
  }

  const setTier = (index: number, tier: LoyaltyTier) =>
    setEdited({ ...edited, tiers: edited.tiers.map((x, i) => (i === index ? tier : x)) });
  const setReward = (index: number, reward: LoyaltyReward) =>
    setEdited({ ...edited, rewards: edited.rewards.map((x, i) => (i === index ? reward : x)) });

  return (
    <>
      <SaveBar id="loyalty-save-bar" dirty={dirty} saving={saving} onSave={() => void save()} onDiscard={discard} />
      {problem && (
        <s-banner tone="critical" heading={problem}>
          {elsewhere.map(([field, message]) => (
            <s-paragraph key={field}>{field ? `${field}: ${message}` : message}</s-paragraph>
          ))}
        </s-banner>
      )}
      <s-section>
        <s-checkbox label={t("loyalty.enabled")} details={t("loyalty.enabled.details")} checked={edited.enabled}
          error={errors.enabled} onChange={(e) => setEdited({ ...edited, enabled: fieldChecked(e) })} />
      </s-section>
      <s-section heading={t("loyalty.earn")}>
        <s-checkbox label={t("loyalty.perCurrency.enabled")} checked={edited.per_currency.enabled}
          error={errors["per_currency.enabled"]}
          onChange={(e) => setEdited({ ...edited, per_currency: { ...edited.per_currency, enabled: fieldChecked(e) } })} />
        <s-text-field label={t("loyalty.perCurrency.points", { currency })}
          details={t("loyalty.perCurrency.details", { currency })} value={edited.per_currency.points}
          error={errors["per_currency.points"] ?? errors.per_currency}
          onInput={(e) => setEdited({ ...edited, per_currency: { ...edited.per_currency, points: fieldValue(e) } })} />
        <s-checkbox label={t("loyalty.signup.enabled")} checked={edited.signup.enabled} error={errors["signup.enabled"]}
          onChange={(e) => setEdited({ ...edited, signup: { ...edited.signup, enabled: fieldChecked(e) } })} />
        <s-text-field label={t("loyalty.signup.points")} value={String(edited.signup.points)}
          error={errors["signup.points"]}
          onInput={(e) => setEdited({ ...edited, signup: { ...edited.signup, points: whole(fieldValue(e)) as number } })} />
        <s-checkbox label={t("loyalty.birthday.enabled")} details={t("loyalty.birthday.details")}
          checked={edited.birthday.enabled} error={errors["birthday.enabled"]}
          onChange={(e) => setEdited({ ...edited, birthday: { ...edited.birthday, enabled: fieldChecked(e) } })} />
        <s-text-field label={t("loyalty.birthday.points")} value={String(edited.birthday.points)}
          error={errors["birthday.points"]}
          onInput={(e) => setEdited({ ...edited, birthday: { ...edited.birthday, points: whole(fieldValue(e)) as number } })} />
        <s-text-field label={t("loyalty.pendingDays")} details={t("loyalty.pendingDays.details")}
          value={String(edited.pending_days)} error={errors.pending_days}
          onInput={(e) => setEdited({ ...edited, pending_days: whole(fieldValue(e)) as number })} />
      </s-section>
      <s-section heading={t("loyalty.expiry")}>
        <s-checkbox label={t("loyalty.expiry.enabled")} details={t("loyalty.expiry.details")}
          checked={edited.expiry.enabled} error={errors["expiry.enabled"]}
          onChange={(e) => setEdited({ ...edited, expiry: { ...edited.expiry, enabled: fieldChecked(e) } })} />
        <s-stack direction="inline" gap="base" alignItems="start">
          <s-text-field label={t("loyalty.expiry.months")} value={String(edited.expiry.inactive_months)}
            error={errors["expiry.inactive_months"]}
            onInput={(e) => setEdited({ ...edited, expiry: { ...edited.expiry, inactive_months: whole(fieldValue(e)) as number } })} />
          <s-text-field label={t("loyalty.expiry.warningDays")} details={t("loyalty.expiry.warningDays.details")}
            value={String(edited.expiry.warning_days)} error={errors["expiry.warning_days"]}
            onInput={(e) => setEdited({ ...edited, expiry: { ...edited.expiry, warning_days: whole(fieldValue(e)) as number } })} />
        </s-stack>
      </s-section>
      <s-section heading={t("loyalty.emails")}>
        <s-select label={t("loyalty.emails.mode")} value={edited.email_mode} error={errors.email_mode}
          details={t(`mode.${edited.email_mode}.details` as MessageKey)}
          onChange={(e) => setEdited({ ...edited, email_mode: fieldValue(e) as Mode })}>
          {MODES.map((mode) => (
            <s-option key={mode} value={mode}>{t(`mode.${mode}`)}</s-option>
          ))}
        </s-select>
        <s-checkbox label={t("loyalty.notices.points_digest")} checked={edited.notices.points_digest}
          error={errors["notices.points_digest"]}
          onChange={(e) => setEdited({ ...edited, notices: { ...edited.notices, points_digest: fieldChecked(e) } })} />
        <s-text-field label={t("loyalty.notices.digest_hours")} details={t("loyalty.notices.digest_hours.details")}
          value={String(edited.notices.digest_hours)} error={errors["notices.digest_hours"]}
          onInput={(e) => setEdited({ ...edited, notices: { ...edited.notices, digest_hours: whole(fieldValue(e)) as number } })} />
        <s-checkbox label={t("loyalty.notices.tier_reached")} checked={edited.notices.tier_reached}
          error={errors["notices.tier_reached"]}
          onChange={(e) => setEdited({ ...edited, notices: { ...edited.notices, tier_reached: fieldChecked(e) } })} />
        <s-checkbox label={t("loyalty.notices.reward_reachable")} checked={edited.notices.reward_reachable}
          error={errors["notices.reward_reachable"]}
          onChange={(e) => setEdited({ ...edited, notices: { ...edited.notices, reward_reachable: fieldChecked(e) } })} />
        <s-checkbox label={t("loyalty.notices.expiry_warning")} details={t("loyalty.notices.expiry_warning.details")}
          checked={edited.notices.expiry_warning} error={errors["notices.expiry_warning"]}
          onChange={(e) => setEdited({ ...edited, notices: { ...edited.notices, expiry_warning: fieldChecked(e) } })} />
      </s-section>
      <s-section heading={t("loyalty.tiers")}>
        <s-stack direction="inline" gap="base" alignItems="start">
          <s-select label={t("loyalty.tierBasis")} value={edited.tier_basis} error={errors.tier_basis}
            onChange={(e) => setEdited({ ...edited, tier_basis: fieldValue(e) as Editable["tier_basis"] })}>
            <s-option value="points_earned">{t("loyalty.tierBasis.points_earned")}</s-option>
            <s-option value="amount_spent">{t("loyalty.tierBasis.amount_spent")}</s-option>
          </s-select>
          <s-text-field label={t("loyalty.tierWindow")} value={String(edited.tier_window_months)}
            error={errors.tier_window_months}
            onInput={(e) => setEdited({ ...edited, tier_window_months: whole(fieldValue(e)) as number })} />
        </s-stack>
        {errors.tiers && <s-banner tone="critical">{errors.tiers}</s-banner>}
      </s-section>
      {edited.tiers.map((tier, index) => (
        <TierEditor key={index} index={index} tier={tier} errors={errors} onChange={(next) => setTier(index, next)}
          onRemove={() => setEdited({ ...edited, tiers: edited.tiers.filter((_, i) => i !== index) })} />
      ))}
      <s-button variant="secondary" onClick={() => setEdited({ ...edited, tiers: [...edited.tiers, NEW_TIER] })}>
        {t("loyalty.addTier")}
      </s-button>
      <s-section heading={t("loyalty.rewards")}>
        <s-checkbox label={t("loyalty.storeCredit")}
          details={t("loyalty.storeCredit.details", { scope: (saved.store_credit_scopes ?? []).join(", ") })}
          checked={edited.store_credit_enabled} error={errors.store_credit_enabled}
          onChange={(e) => setEdited({ ...edited, store_credit_enabled: fieldChecked(e) })} />
        {errors.rewards && <s-banner tone="critical">{errors.rewards}</s-banner>}
      </s-section>
      {edited.rewards.map((reward, index) => (
        <RewardEditor key={index} index={index} reward={reward} currency={currency} errors={errors}
          onChange={(next) => setReward(index, next)}
          onRemove={() => setEdited({ ...edited, rewards: edited.rewards.filter((_, i) => i !== index) })} />
      ))}
      <s-stack direction="inline" gap="base">
        <s-button variant="secondary"
          onClick={() => setEdited({ ...edited, rewards: [...edited.rewards, NEW_REWARD] })}>
          {t("loyalty.addReward")}
        </s-button>
        <s-button variant="primary" loading={saving} onClick={() => void save()}>
          {t("settings.save")}
        </s-button>
      </s-stack>
    </>
  );
}

export function LoyaltySettingsView() {
  const { t } = useI18n();
  const loaded = useLoad(() => get<LoyaltySettings>("/api/loyalty/settings"), []);
  const [saved, setSaved] = useState<LoyaltySettings>();
  const current = saved ?? loaded.data;
  return (
    <s-page heading={t("loyalty.settings.heading")}>
      {loaded.error && <ErrorBanner error={loaded.error} onRetry={loaded.reload} />}
      {!current && !loaded.error && <Loading />}
      {current && <SettingsForm saved={current} onSaved={setSaved} />}
    </s-page>
  );
}
