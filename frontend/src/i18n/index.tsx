// The UI's strings and formats in the merchant's language, through a React context.

import { createContext, useContext, useMemo, type ReactNode } from "react";

import { intlTag, type Locale } from "./locale";
import { en, fr, type MessageKey } from "./messages";
import { reasonLabel } from "./reasons";

export type Params = Record<string, string | number>;

export interface I18n {
  locale: Locale;
  t: (key: MessageKey, params?: Params) => string;
  money: (amount: string | number, currency: string | null | undefined) => string;
  when: (iso: string | null | undefined) => string;
  reason: (code: string | null | undefined) => string;
}

export function makeI18n(locale: Locale): I18n {
  const catalog = locale === "fr" ? fr : en;
  const tag = intlTag(locale);
  const dates = new Intl.DateTimeFormat(tag, { dateStyle: "medium", timeStyle: "short" });
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
    reason: (code) => reasonLabel(code, locale),
  };
}

const Context = createContext<I18n>(makeI18n("en"));

export function I18nProvider({ locale, children }: { locale: Locale; children: ReactNode }) {
  const value = useMemo(() => makeI18n(locale), [locale]);
  return <Context.Provider value={value}>{children}</Context.Provider>;
}

export function useI18n(): I18n {
  return useContext(Context);
}
