// The setup guide's, the sender page's and the pause banner's strings, in English and French
// (merged into messages.ts's catalogs; `onboardingFr` is typed by `onboardingEn`'s keys).

export const onboardingEn = {
  "nav.sender": "Sender",
  "pause.banner.heading": "All sending is paused",
  "pause.banner.body":
    "No email leaves while the pause is on: due messages wait and go out once you lift it.",
  "pause.banner.link": "Delivery settings",
  "guide.heading": "Set up Boomerang",
  "guide.intro":
    "Nothing is sent until you turn a scenario on. These steps take a few minutes and show you exactly what your customers will get.",
  "guide.progress": "{done} of {total} steps done",
  "guide.progressLabel": "Setup progress",
  "guide.done": "Done",
  "guide.todo": "To do",
  "guide.step.sender": "Check who your emails come from",
  "guide.step.sender.details":
    "Your shop's name, the address replies go to, your logo and colour. Your shop's postal address is added to every email, as anti-spam law requires.",
  "guide.step.sender.action": "Review the sender",
  "guide.step.preview": "Preview an email on a real customer",
  "guide.step.preview.details":
    "Open a template and pick one of your customers: the preview shows their name, cart and the values left as samples.",
  "guide.step.preview.action": "Open the cart reminder",
  "guide.step.test": "Send yourself a test",
  "guide.step.test.details": "From the same page, a test goes to your shop's email address.",
  "guide.step.test.action": "Send a test",
  "guide.step.turn_on": "Turn a scenario on",
  "guide.step.turn_on.details":
    "Start safely if you like: in approval mode every email waits for your click; in dry run everything is computed and shown, nothing is sent and no code is created.",
  "guide.step.turn_on.action": "Choose the cart reminder's mode",
  "guide.discounts.heading": "The Boomerang discounts in your Shopify admin",
  "guide.discounts.body":
    "When a scenario offers a discount, Boomerang creates it in Shopify, so it appears under Discounts. Its title names Boomerang and the scenario (for example \"Boomerang: abandoned cart\") and its codes with your code prefix. Each code is for one customer and ends on its own date. Leave these discounts in place: deleting or deactivating one stops the email that carries its code. Pre-created pools of codes keep sends from waiting on Shopify.",
  "guide.dismiss": "Dismiss the guide",
  "guide.show": "Show the setup guide",
  "guide.complete": "You are set up: your first scenario is on.",
  "sender.heading": "Sender",
  "sender.section.identity": "Who your emails come from",
  "sender.name": "Sender name",
  "sender.name.details": "Empty: your shop's name ({name}).",
  "sender.replyTo": "Reply-to address",
  "sender.replyTo.details": "Where customers' replies go. Empty: your shop's email address.",
  "sender.address": "Sender address",
  "sender.address.verified": "On a verified domain: {domains}. Empty: the app's address, under your shop's name.",
  "sender.address.none":
    "No domain is verified for sending yet: leave this empty, and your emails go from the app's address, under your shop's name, with your reply-to.",
  "sender.authentication":
    "Why a verified domain: mail services check that a message really comes from the domain in its From address. SPF lists the servers allowed to send for the domain, DKIM signs each message with a key published in the domain's DNS, and DMARC tells receivers what to do when those checks fail. Without them, mail from your address would land in spam or be refused, so Boomerang uses your address only on a domain your app's operator has set up all three for.",
  "sender.section.brand": "Logo and colour",
  "sender.logo": "Logo image address",
  "sender.logo.details": "An https:// address, e.g. your logo's link in Shopify's Files. Empty: your shop's name as a heading.",
  "sender.color": "Brand colour",
  "sender.color.details": "# and six hexadecimal digits, e.g. #1f6feb: the buttons and heading of your emails.",
  "sender.section.preview": "What customers see",
  "sender.from": "From",
  "sender.replyToHeader": "Reply-To",
  "sender.ownAddress": "Your own address",
  "sender.appAddress": "The app's address, under your shop's name",
  "sender.section.postal": "Postal address in every email",
  "sender.postal.details":
    "Read from your Shopify store details (Settings → Store details): change it there. Anti-spam laws require a postal address in marketing emails.",
  "sender.postal.missing":
    "Shopify has not given a postal address for your shop: add one in Settings → Store details, then reopen the app.",
  "sender.save": "Save sender",
  "sender.saved": "Sender saved",
  "sender.invalid": "Some fields need your attention.",
  "sender.validation.email": "Write an email address such as name@example.com.",
  "sender.validation.color": "Write # and six hexadecimal digits, e.g. #1f6feb.",
  "sender.validation.logo": "Use an image address that starts with https://.",
  "turnOn.title": "Turn on {scenario}?",
  "turnOn.live":
    "Live: its emails go to your customers within your delivery rules, and the discount codes it offers are created in Shopify.",
  "turnOn.approval":
    "In approval mode: each email waits in Approvals until you approve it; the discount codes it offers are created in Shopify.",
  "turnOn.dry_run":
    "In dry run: every email is computed and shown under Messages; nothing is sent and no discount code is created.",
  "turnOn.confirm": "Turn on",
  "turnOn.cancel": "Cancel",
  "dryRun.note":
    "Dry run: this is exactly the email live would send; the discount code is a labelled placeholder, since a dry run creates no code.",
} as const;

export type OnboardingKey = keyof typeof onboardingEn;

export const onboardingFr: { readonly [K in OnboardingKey]: string } = {
  "nav.sender": "Expéditeur",
  "pause.banner.heading": "Tous les envois sont en pause",
  "pause.banner.body":
    "Aucun e-mail ne part tant que la pause est active : les messages dus attendent et partiront dès que vous la lèverez.",
  "pause.banner.link": "Réglages d'envoi",
  "guide.heading": "Configurer Boomerang",
  "guide.intro":
    "Rien n'est envoyé tant que vous n'activez pas un scénario. Ces étapes prennent quelques minutes et vous montrent exactement ce que recevront vos clients.",
  "guide.progress": "{done} étapes sur {total} terminées",
  "guide.progressLabel": "Progression de la configuration",
  "guide.done": "Fait",
  "guide.todo": "À faire",
  "guide.step.sender": "Vérifier l'expéditeur de vos e-mails",
  "guide.step.sender.details":
    "Le nom de votre boutique, l'adresse qui reçoit les réponses, votre logo et votre couleur. L'adresse postale de votre boutique figure dans chaque e-mail, comme l'exige la loi anti-spam.",
  "guide.step.sender.action": "Vérifier l'expéditeur",
  "guide.step.preview": "Prévisualiser un e-mail sur un vrai client",
  "guide.step.preview.details":
    "Ouvrez un modèle et choisissez l'un de vos clients : l'aperçu montre son prénom, son panier et les valeurs laissées en exemple.",
  "guide.step.preview.action": "Ouvrir la relance de panier",
  "guide.step.test": "Vous envoyer un test",
  "guide.step.test.details": "Depuis la même page, un test part à l'adresse e-mail de votre boutique.",
  "guide.step.test.action": "Envoyer un test",
  "guide.step.turn_on": "Activer un scénario",
  "guide.step.turn_on.details":
    "Commencez prudemment si vous le souhaitez : en mode validation, chaque e-mail attend votre clic ; en simulation, tout est calculé et affiché, rien n'est envoyé et aucun code n'est créé.",
  "guide.step.turn_on.action": "Choisir le mode de la relance de panier",
  "guide.discounts.heading": "Les réductions Boomerang dans votre administration Shopify",
  "guide.discounts.body":
    "Quand un scénario offre une réduction, Boomerang la crée dans Shopify : elle apparaît donc dans Réductions. Son titre nomme Boomerang et le scénario (par exemple « Boomerang : panier abandonné ») et ses codes par votre préfixe. Chaque code est réservé à un client et expire à sa propre date. Laissez ces réductions en place : en supprimer ou en désactiver une arrête l'e-mail qui porte son code. Des réserves de codes créés à l'avance évitent aux envois d'attendre Shopify.",
  "guide.dismiss": "Masquer le guide",
  "guide.show": "Afficher le guide de configuration",
  "guide.complete": "Configuration terminée : votre premier scénario est actif.",
  "sender.heading": "Expéditeur",
  "sender.section.identity": "De qui viennent vos e-mails",
  "sender.name": "Nom de l'expéditeur",
  "sender.name.details": "Vide : le nom de votre boutique ({name}).",
  "sender.replyTo": "Adresse de réponse",
  "sender.replyTo.details":
    "Où arrivent les réponses de vos clients. Vide : l'adresse e-mail de votre boutique.",
  "sender.address": "Adresse d'expédition",
  "sender.address.verified":
    "Sur un domaine vérifié : {domains}. Vide : l'adresse de l'application, au nom de votre boutique.",
  "sender.address.none":
    "Aucun domaine n'est encore vérifié pour l'envoi : laissez ce champ vide, vos e-mails partent alors de l'adresse de l'application, au nom de votre boutique, avec votre adresse de réponse.",
  "sender.authentication":
    "Pourquoi un domaine vérifié : les messageries contrôlent qu'un e-mail vient bien du domaine de son adresse d'expédition. SPF liste les serveurs autorisés à envoyer pour le domaine, DKIM signe chaque message avec une clé publiée dans le DNS du domaine, et DMARC indique aux destinataires que faire quand ces contrôles échouent. Sans eux, un e-mail envoyé depuis votre adresse finirait en spam ou serait refusé : Boomerang n'utilise donc votre adresse que sur un domaine pour lequel l'opérateur de l'application a configuré les trois.",
  "sender.section.brand": "Logo et couleur",
  "sender.logo": "Adresse de l'image du logo",
  "sender.logo.details":
    "Une adresse en https://, par exemple le lien de votre logo dans les Fichiers de Shopify. Vide : le nom de votre boutique en titre.",
  "sender.color": "Couleur de marque",
  "sender.color.details":
    "# suivi de six chiffres hexadécimaux, par exemple #1f6feb : les boutons et le titre de vos e-mails.",
  "sender.section.preview": "Ce que voient vos clients",
  "sender.from": "De",
  "sender.replyToHeader": "Répondre à",
  "sender.ownAddress": "Votre propre adresse",
  "sender.appAddress": "L'adresse de l'application, au nom de votre boutique",
  "sender.section.postal": "Adresse postale dans chaque e-mail",
  "sender.postal.details":
    "Lue dans les informations de votre boutique Shopify (Paramètres → Informations sur la boutique) : modifiez-la là. Les lois anti-spam exigent une adresse postale dans les e-mails marketing.",
  "sender.postal.missing":
    "Shopify n'a pas fourni d'adresse postale pour votre boutique : ajoutez-en une dans Paramètres → Informations sur la boutique, puis rouvrez l'application.",
  "sender.save": "Enregistrer l'expéditeur",
  "sender.saved": "Expéditeur enregistré",
  "sender.invalid": "Certains champs demandent votre attention.",
  "sender.validation.email": "Écrivez une adresse e-mail comme nom@exemple.fr.",
  "sender.validation.color": "Écrivez # suivi de six chiffres hexadécimaux, par exemple #1f6feb.",
  "sender.validation.logo": "Utilisez une adresse d'image qui commence par https://.",
  "turnOn.title": "Activer {scenario} ?",
  "turnOn.live":
    "Mode réel : ses e-mails partent vers vos clients dans le respect de vos règles d'envoi, et les codes promo qu'il offre sont créés dans Shopify.",
  "turnOn.approval":
    "Mode validation : chaque e-mail attend dans Validations que vous le validiez ; les codes promo qu'il offre sont créés dans Shopify.",
  "turnOn.dry_run":
    "Simulation : chaque e-mail est calculé et affiché dans Messages ; rien n'est envoyé et aucun code promo n'est créé.",
  "turnOn.confirm": "Activer",
  "turnOn.cancel": "Annuler",
  "dryRun.note":
    "Simulation : voici exactement l'e-mail qu'enverrait le mode réel ; le code promo est un espace réservé signalé, car une simulation ne crée aucun code.",
};
