// The UI's strings and formats in the merchant's language, through a React context; the
// labels of the backend's reason and timeline-kind codes come from the backend itself.

import { createContext, useContext, useEffect, useMemo, useState, type ReactNode } from "react";

import { get } from "../api";
import { useSession } from "../session";
import { intlTag, type Locale } from "./locale";
import { en, fr, type MessageKey } from "./messages";
import { kindLabel, reasonLabel, type LabelCatalog } from "./reasons";

export type Params = Record<string, string | number>;

export interface I18n {
  locale: Locale;
  t: (key: MessageKey, params?: Params) => string;
  money: (amount: string | number, currency: string | null | undefined) => string;
  when: (iso: string | null | undefined) => string;
  /** A calendar day (YYYY-MM-DD, already a day of the shop's) in the page's language. */
  day: (isoDay: string) => string;
  /** A recorded reason (`code` or `code:detail`) as the merchant reads it. */
  reason: (code: string | null | undefined) => string;
  /** A timeline kind as the merchant reads it. */
  kind: (code: string) => string;
}

/** Dates and times in the page's language and the shop's IANA timezone (the shop's clock, not
 * the browser's); an unknown zone falls back to UTC rather than the browser's. */
function dateFormat(tag: string, timeZone: string | null | undefined): Intl.DateTimeFormat {
  const options: Intl.DateTimeFormatOptions = { dateStyle: "medium", timeStyle: "short" };
  try {
    return new Intl.DateTimeFormat(tag, { ...options, timeZone: timeZone || "UTC" });
  } catch {
    return new Intl.DateTimeFormat(tag, { ...options, timeZone: "UTC" });
  }
}

export function makeI18n(locale: Locale, labels?: LabelCatalog, timeZone?: string | null): I18n {
  const catalog = locale === "fr" ? fr : en;
  const tag = intlTag(locale);
  const dates = dateFormat(tag, timeZone);
  // The day is the shop's already: formatted as it stands, whatever the zones.
  const days = new Intl.DateTimeFormat(tag, { dateStyle: "medium", timeZone: "UTC" });
  return {
    locale,
    t: (key, params) =>
      catalog[key].replace(/\{(\w+)\}/g, (whole, name: string) =>
        params && name in params ? String(params[name]) : whole,
      ),
    money: (amount, currency) => {
      const value = Number(amount);
      if (!currency) return new Intl.NumberFormat(tag).format(value);
      return new Intl.NumberFormat(tag, { style: "currency", currency }).format(value);
    },
    when: (iso) => (iso ? dates.format(new Date(iso)) : ""),
    day: (isoDay) => (/^\d{4}-\d{2}-\d{2}$/.test(isoDay) ? days.format(new Date(`${isoDay}T00:00:00Z`)) : isoDay),
    reason: (code) => reasonLabel(code, labels),
    kind: (code) => kindLabel(code, labels),
  };
}

const Context = createContext<I18n>(makeI18n("en"));

/** Strings and formats; reasons show as recorded until a ServerLabels below loads theirs. */
export function I18nProvider({ locale, children }: { locale: Locale; children: ReactNode }) {
  const value = useMemo(() => makeI18n(locale), [locale]);
  return <Context.Provider value={value}>{children}</Context.Provider>;
}

// One request per page load and language; a failed one is asked again at the next mount.
const catalogs = new Map<Locale, Promise<LabelCatalog>>();

function loadCatalog(locale: Locale): Promise<LabelCatalog> {
  let pending = catalogs.get(locale);
  if (!pending) {
    pending = get<LabelCatalog>(`/api/scenarios/labels?locale=${locale}`);
    pending.catch(() => catalogs.delete(locale));
    catalogs.set(locale, pending);
  }
  return pending;
}

/** The backend's labels for its codes, in the merchant's language, and dates on the shop's
 * clock. Mounted once the shop's
 * session is known (the first API call installs the shop; this one must not race it). Until
 * the catalog arrives, or if it cannot, codes show as recorded. */
export function ServerLabels({ children }: { children: ReactNode }) {
  const { locale } = useContext(Context);
  const { timezone } = useSession();
  const [labels, setLabels] = useState<LabelCatalog>();
  useEffect(() => {
    let current = true;
    loadCatalog(locale).then(
      (catalog) => current && setLabels(catalog),
      (error: unknown) => console.warn("reason labels unavailable", error),
    );
    return () => {
      current = false;
    };
  }, [locale]);
  const value = useMemo(() => makeI18n(locale, labels, timezone), [locale, labels, timezone]);
  return <Context.Provider value={value}>{children}</Context.Provider>;
}

export function useI18n(): I18n {
  return useContext(Context);
}
