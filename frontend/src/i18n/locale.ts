// The UI's language: Shopify adds `locale` (e.g. "fr", "fr-FR", "en-US") to the embedded URL.

export type Locale = "en" | "fr";

export function localeFrom(search: string): Locale {
  const value = new URLSearchParams(search).get("locale") ?? "";
  return value.toLowerCase().startsWith("fr") ? "fr" : "en";
}

export const currentLocale: Locale = localeFrom(window.location.search);

/** The BCP 47 tag for Intl formatting. */
export function intlTag(locale: Locale): string {
  return locale === "fr" ? "fr-FR" : "en-US";
}
