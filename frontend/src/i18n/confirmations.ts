// The confirmations asked in the admin's modal before an action that changes what customers
// receive (the global pause, a transactional scenario, rejecting held messages), in English
// and French (spread into messages.ts).

export const confirmationsEn = {
  "pause.on.title": "Pause every email?",
  "pause.on.body":
    "While the pause is on, no email from Boomerang leaves, in any scenario: due messages wait, and go out once you resume sending.",
  "pause.on.confirm": "Pause sending",
  "pause.off.title": "Resume sending?",
  "pause.off.body":
    "Emails resume: the messages held during the pause go out within about 15 minutes, within your frequency cap and quiet hours, and new ones follow as planned.",
  "pause.off.confirm": "Resume sending",
  "confirm.cancel": "Cancel",
  "transactional.title": "Send {scenario} as transactional messages?",
  "transactional.body":
    "Its emails then go to customers who have not accepted marketing emails (never to anyone who unsubscribed). Only do this for emails the law treats as transactional, such as an order or account message, never for promotions.",
  "transactional.confirm": "Send as transactional",
  "reject.title": "Reject {count} message(s)?",
  "reject.body": "{count} message(s) will be rejected: they will not be sent, and this cannot be undone.",
  "reject.all.title": "Reject every message waiting?",
  "reject.all.more":
    "Every message waiting for approval will be rejected (more than {count}): none of them will be sent, and this cannot be undone.",
  "reject.confirm": "Reject",
  "reject.one.title": "Reject this message?",
  "reject.one.body": "“{subject}” to {who} will be rejected: it will not be sent, and this cannot be undone.",
} as const;

export const confirmationsFr: { readonly [K in keyof typeof confirmationsEn]: string } = {
  "pause.on.title": "Suspendre tous les e-mails ?",
  "pause.on.body":
    "Tant que la pause est active, aucun e-mail de Boomerang ne part, quel que soit le scénario : les messages dus attendent et partent dès que vous reprenez les envois.",
  "pause.on.confirm": "Suspendre les envois",
  "pause.off.title": "Reprendre les envois ?",
  "pause.off.body":
    "Les e-mails reprennent : les messages retenus pendant la pause partent dans les 15 minutes environ, dans la limite de fréquence et hors des heures calmes, et les nouveaux suivent comme prévu.",
  "pause.off.confirm": "Reprendre les envois",
  "confirm.cancel": "Annuler",
  "transactional.title": "Envoyer {scenario} comme messages transactionnels ?",
  "transactional.body":
    "Ses e-mails partent alors aussi aux clients qui n'ont pas accepté les e-mails marketing (jamais à ceux qui se sont désabonnés). À réserver aux e-mails que la loi considère comme transactionnels, comme un message de commande ou de compte, jamais aux promotions.",
  "transactional.confirm": "Envoyer comme transactionnel",
  "reject.title": "Refuser {count} message(s) ?",
  "reject.body": "{count} message(s) seront refusés : ils ne seront pas envoyés, et c'est définitif.",
  "reject.all.title": "Refuser tous les messages en attente ?",
  "reject.all.more":
    "Tous les messages en attente de validation seront refusés (plus de {count}) : aucun ne sera envoyé, et c'est définitif.",
  "reject.confirm": "Refuser",
  "reject.one.title": "Refuser ce message ?",
  "reject.one.body": "« {subject} » pour {who} sera refusé : il ne sera pas envoyé, et c'est définitif.",
};
