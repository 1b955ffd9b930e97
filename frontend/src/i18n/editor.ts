// The simple forms of an email (the template editor's fields, the approval queue's edit form),
// their desktop and mobile previews and the "Advanced" parts, in English and French (spread
// into messages.ts).

export const editorEn = {
  "editor.subject": "Subject",
  "editor.preheader": "Preview text",
  "editor.preheader.details": "Shown after the subject in most inboxes.",
  "editor.heading": "Heading",
  "editor.body": "Text",
  "editor.body.details": "Leave an empty line between paragraphs.",
  "editor.button": "Button label",
  "editor.showCode": "Show the discount code",
  "editor.showCode.details": "When the step gives a code, it is written out with the day it ends.",
  "editor.variables":
    "You can use {{ first_name }}, {{ shop_name }}, {{ cart_total | money }} and the other variables listed under Advanced.",
  "editor.advanced": "Advanced",
  "editor.advanced.template": "Edit the template (Jinja and HTML)",
  "editor.advanced.message": "Edit the raw HTML and text",
  "editor.preview.desktop": "Desktop preview",
  "editor.preview.mobile": "Mobile preview",
  "editor.preview.updating": "Updating the preview…",
  "editor.preview.failed": "The preview could not be updated: {detail}",
  "editor.mode.default": "Boomerang's default wording. Change any field to make it yours.",
  "editor.mode.structured": "Your version, made with the fields below.",
  "editor.mode.advanced":
    "This template was edited under Advanced, so the simple form no longer applies. Keep editing it there, or reset it to Boomerang's default to use the simple form again.",
  "editor.noSimpleForm": "This email has no simple form yet: edit it under Advanced.",
  "editor.reset": "Reset to default",
  "editor.reset.done": "Template reset to Boomerang's default",
  "editor.save": "Save",
  "editor.saved": "Template saved",
  "editor.approval.heading": "Edit this email",
  "editor.approval.note":
    "Your words replace this email only; the shop's layout, the customer's cart and code, and the unsubscribe footer stay.",
  "editor.approval.saved": "Email updated: it will be sent as you wrote it once approved",
  "editor.approval.saveRaw": "Save the raw HTML",
  "editor.approval.editedAsHtml":
    "This email was edited as raw HTML under Advanced. The fields show the template's words: saving them replaces that edit.",
} as const;

export const editorFr: { readonly [K in keyof typeof editorEn]: string } = {
  "editor.subject": "Objet",
  "editor.preheader": "Texte d'aperçu",
  "editor.preheader.details": "Affiché après l'objet dans la plupart des boîtes de réception.",
  "editor.heading": "Titre",
  "editor.body": "Texte",
  "editor.body.details": "Laissez une ligne vide entre les paragraphes.",
  "editor.button": "Libellé du bouton",
  "editor.showCode": "Afficher le code de réduction",
  "editor.showCode.details": "Quand l'étape offre un code, il est écrit en toutes lettres avec sa date de fin.",
  "editor.variables":
    "Vous pouvez utiliser {{ first_name }}, {{ shop_name }}, {{ cart_total | money }} et les autres variables listées dans la partie Avancé.",
  "editor.advanced": "Avancé",
  "editor.advanced.template": "Modifier le modèle (Jinja et HTML)",
  "editor.advanced.message": "Modifier le HTML et le texte bruts",
  "editor.preview.desktop": "Aperçu sur ordinateur",
  "editor.preview.mobile": "Aperçu sur mobile",
  "editor.preview.updating": "Mise à jour de l'aperçu…",
  "editor.preview.failed": "L'aperçu n'a pas pu être mis à jour : {detail}",
  "editor.mode.default": "Texte par défaut de Boomerang. Modifiez un champ pour l'adapter.",
  "editor.mode.structured": "Votre version, faite avec les champs ci-dessous.",
  "editor.mode.advanced":
    "Ce modèle a été modifié dans la partie Avancé : le formulaire simple ne s'applique plus. Continuez à le modifier là, ou rétablissez le modèle par défaut de Boomerang pour retrouver le formulaire simple.",
  "editor.noSimpleForm": "Cet e-mail n'a pas encore de formulaire simple : modifiez-le dans la partie Avancé.",
  "editor.reset": "Rétablir le modèle par défaut",
  "editor.reset.done": "Modèle par défaut de Boomerang rétabli",
  "editor.save": "Enregistrer",
  "editor.saved": "Modèle enregistré",
  "editor.approval.heading": "Modifier cet e-mail",
  "editor.approval.note":
    "Votre texte remplace celui de cet e-mail seulement ; la mise en page de la boutique, le panier et le code du client et le pied de page de désabonnement restent.",
  "editor.approval.saved": "E-mail modifié : il partira tel que vous l'avez écrit une fois validé",
  "editor.approval.saveRaw": "Enregistrer le HTML brut",
  "editor.approval.editedAsHtml":
    "Cet e-mail a été modifié en HTML brut dans la partie Avancé. Les champs montrent le texte du modèle : les enregistrer remplace cette modification.",
};
