// The backend's reason and timeline-kind codes, labelled by the backend itself
// (GET /api/scenarios/labels, app/scenarios/labels.py): the UI keeps no catalog of its own,
// only the way a recorded reason is shown. A reason may carry a detail after a colon
// (`no_marketing_consent:not_subscribed`, `smtp_transient: 451 …`), shown after its label.

import type { Locale } from "./locale";

/** The answer of GET /api/scenarios/labels. */
export interface LabelCatalog {
  locale: Locale;
  kinds: Record<string, string>;
  reasons: Record<string, string>;
}

/** A recorded reason split into its code and the detail after the first colon. */
export function splitReason(reason: string): { code: string; detail: string } {
  const colon = reason.indexOf(":");
  if (colon < 0) return { code: reason.trim(), detail: "" };
  return { code: reason.slice(0, colon).trim(), detail: reason.slice(colon + 1).trim() };
}

/** The label with the recorded reason's detail, if it has one: "label (detail)". */
export function withDetail(label: string, recorded: string | null | undefined): string {
  const detail = recorded ? splitReason(recorded).detail : "";
  return detail ? `${label} (${detail})` : label;
}

/** The merchant-facing sentence for a recorded reason; a code the catalog does not know (or
 * a catalog not loaded yet) is shown as recorded. */
export function reasonLabel(reason: string | null | undefined, catalog: LabelCatalog | undefined): string {
  if (!reason) return "";
  const label = catalog?.reasons[splitReason(reason).code];
  return label === undefined ? reason : withDetail(label, reason);
}

/** The label of a timeline kind, or the code when the catalog does not know it. */
export function kindLabel(kind: string, catalog: LabelCatalog | undefined): string {
  return catalog?.kinds[kind] ?? kind;
}
