// The approval queue's compact index (selection, bulk actions, grouped steps, side preview),
// in English and French (spread into messages.ts).

export const approvalsEn = {
  "approvals.selectAll": "Select every message",
  "approvals.select": "Select {subject} for {who}",
  "approvals.approveSelected": "Approve selected ({count})",
  "approvals.rejectSelected": "Reject selected ({count})",
  "approvals.col.customer": "Customer",
  "approvals.col.message": "Email",
  "approvals.col.planned": "Planned",
  "approvals.preview": "Preview",
  "approvals.previewOf": "Preview: {subject}",
  "approvals.laterStep": "then step {step}",
  "approvals.waitsForEarlier": "Goes after the earlier steps of this cart, in order.",
} as const;

export const approvalsFr: { readonly [K in keyof typeof approvalsEn]: string } = {
  "approvals.selectAll": "Sélectionner tous les messages",
  "approvals.select": "Sélectionner {subject} pour {who}",
  "approvals.approveSelected": "Valider la sélection ({count})",
  "approvals.rejectSelected": "Refuser la sélection ({count})",
  "approvals.col.customer": "Client",
  "approvals.col.message": "E-mail",
  "approvals.col.planned": "Prévu",
  "approvals.preview": "Aperçu",
  "approvals.previewOf": "Aperçu : {subject}",
  "approvals.laterStep": "puis étape {step}",
  "approvals.waitsForEarlier": "Part après les étapes précédentes de ce panier, dans l'ordre.",
};
