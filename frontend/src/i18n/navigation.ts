// The app's menu in the admin's sidebar, Settings and its Advanced page, the title bars' actions,
// the empty states of the lists, in English and French.

export const navigationEn = {
  "nav.settings": "Settings",
  "shopSettings.heading": "Settings",
  "shopSettings.sender.details":
    "Who your emails come from: the sender's name and address, the reply-to address, your logo and brand colour.",
  "shopSettings.delivery.details":
    "Pause every email at once, limit how many emails a customer gets, set quiet hours and how unsubscribes reach Shopify.",
  "shopSettings.advanced": "Advanced",
  "shopSettings.advanced.details":
    "Store updates Boomerang couldn't process, and your customers' requests for the data held about them.",
  "advanced.heading": "Advanced settings",
  "advanced.webhooks.intro":
    "Shopify tells Boomerang about every checkout, order and customer change. When one of these updates keeps failing, it is listed here: once the cause is fixed, try it again.",
  "advanced.webhooks.emptyHeading": "Every store update was processed",
  "advanced.webhooks.emptyBody":
    "Nothing to do. If an update from your store keeps failing, it will show here so you can try it again.",
  "advanced.data.intro":
    "When a customer asks your store for the data held about them, Shopify passes the request on. Here is what Boomerang holds on each of them, ready to download and send.",
  "advanced.data.emptyBody":
    "Requests made through Shopify will show here with what Boomerang holds on the customer, to download and send to them.",
  "advanced.checkAgain": "Check again",
  "webhooks.topic.checkouts/create": "Checkout started",
  "webhooks.topic.checkouts/update": "Checkout updated",
  "webhooks.topic.orders/create": "New order",
  "webhooks.topic.orders/paid": "Order paid",
  "webhooks.topic.orders/updated": "Order updated",
  "webhooks.topic.orders/fulfilled": "Order fulfilled",
  "webhooks.topic.orders/cancelled": "Order cancelled",
  "webhooks.topic.orders/edited": "Order edited",
  "webhooks.topic.fulfillments/update": "Shipment updated",
  "webhooks.topic.fulfillment_events/create": "Delivery news",
  "webhooks.topic.refunds/create": "Refund",
  "webhooks.topic.customers/create": "New customer",
  "webhooks.topic.customers/update": "Customer updated",
  "webhooks.topic.customers_email_marketing_consent/update": "Email consent changed",
  "webhooks.topic.app/uninstalled": "App uninstalled",
  "webhooks.topic.shop/update": "Store details updated",
  "webhooks.topic.customers/data_request": "Customer data request",
  "webhooks.topic.customers/redact": "Customer data erasure",
  "webhooks.topic.shop/redact": "Store data erasure",
  "webhooks.errorDetail": "Detail for support: {error}",
  "titleBar.exportCsv": "Export CSV",
  "empty.customers.heading": "No customers yet",
  "empty.customers.body":
    "Customers show here as soon as they start a checkout, place an order or sign up in your store.",
  "empty.customers.action": "Open the setup guide",
  "empty.customers.noMatchHeading": "No customers match",
  "empty.customers.noMatchBody": "Try another name or email address, or clear the filters.",
  "empty.clearFilters": "Clear filters",
  "empty.messages.heading": "No emails yet",
  "empty.messages.body":
    "Emails show here once a scenario is on and a customer qualifies: sent, waiting for your approval, or drafted in dry run.",
  "empty.messages.action": "Turn on a scenario",
  "empty.messages.filteredHeading": "No emails with this status",
  "empty.messages.showAll": "Show every email",
  "empty.approvals.heading": "Nothing to approve",
  "empty.approvals.body":
    "When a scenario is in approval mode, its emails wait here for your go-ahead before they are sent.",
  "empty.approvals.action": "Choose a scenario's mode",
  "empty.runs.heading": "No sequences yet",
  "empty.runs.body": "A sequence starts when a customer qualifies for this scenario while it is on.",
  "empty.runs.action": "Scenario settings",
  "empty.runs.filteredHeading": "No sequences with this status",
  "empty.runs.showAll": "Show every sequence",
  "empty.reviews.heading": "No reviews yet",
  "empty.reviews.body":
    "Reviews show here as customers send them from the review request email, ready for you to publish or hide.",
  "empty.reviews.action": "Review request settings",
  "empty.referrals.heading": "No referrals yet",
  "empty.referrals.body":
    "When a customer's friend orders with their referral code, the referral shows here with its reward.",
  "empty.referrals.action": "Referral program settings",
  "empty.timeline.heading": "Nothing has happened yet",
  "empty.timeline.body":
    "Every decision a scenario makes for this customer will be listed here, with its reason.",
  "empty.timeline.action": "See the scenarios",
} as const;

export type NavigationKey = keyof typeof navigationEn;

export const navigationFr: { readonly [K in NavigationKey]: string } = {
  "nav.settings": "Réglages",
  "shopSettings.heading": "Réglages",
  "shopSettings.sender.details":
    "Qui envoie vos e-mails : le nom et l'adresse de l'expéditeur, l'adresse de réponse, votre logo et la couleur de votre marque.",
  "shopSettings.delivery.details":
    "Mettre tous les envois en pause d'un coup, limiter le nombre d'e-mails par client, définir des heures calmes et la façon dont les désabonnements remontent à Shopify.",
  "shopSettings.advanced": "Avancé",
  "shopSettings.advanced.details":
    "Les mises à jour de la boutique que Boomerang n'a pas pu traiter, et les demandes de vos clients sur les données qui les concernent.",
  "advanced.heading": "Réglages avancés",
  "advanced.webhooks.intro":
    "Shopify informe Boomerang de chaque paiement commencé, commande et modification de client. Quand l'une de ces mises à jour échoue à répétition, elle apparaît ici : une fois la cause corrigée, réessayez-la.",
  "advanced.webhooks.emptyHeading": "Toutes les mises à jour de la boutique ont été traitées",
  "advanced.webhooks.emptyBody":
    "Rien à faire. Si une mise à jour de votre boutique échoue à répétition, elle apparaîtra ici pour que vous puissiez la réessayer.",
  "advanced.data.intro":
    "Quand un client demande à votre boutique les données qu'elle détient sur lui, Shopify transmet la demande. Voici ce que Boomerang détient sur chacun, prêt à être téléchargé et envoyé.",
  "advanced.data.emptyBody":
    "Les demandes faites via Shopify apparaîtront ici avec ce que Boomerang détient sur le client, à télécharger et à lui envoyer.",
  "advanced.checkAgain": "Vérifier de nouveau",
  "webhooks.topic.checkouts/create": "Paiement commencé",
  "webhooks.topic.checkouts/update": "Paiement modifié",
  "webhooks.topic.orders/create": "Nouvelle commande",
  "webhooks.topic.orders/paid": "Commande payée",
  "webhooks.topic.orders/updated": "Commande modifiée",
  "webhooks.topic.orders/fulfilled": "Commande expédiée",
  "webhooks.topic.orders/cancelled": "Commande annulée",
  "webhooks.topic.orders/edited": "Commande éditée",
  "webhooks.topic.fulfillments/update": "Expédition mise à jour",
  "webhooks.topic.fulfillment_events/create": "Suivi de livraison",
  "webhooks.topic.refunds/create": "Remboursement",
  "webhooks.topic.customers/create": "Nouveau client",
  "webhooks.topic.customers/update": "Client modifié",
  "webhooks.topic.customers_email_marketing_consent/update": "Consentement e-mail modifié",
  "webhooks.topic.app/uninstalled": "Application désinstallée",
  "webhooks.topic.shop/update": "Informations de la boutique modifiées",
  "webhooks.topic.customers/data_request": "Demande de données d'un client",
  "webhooks.topic.customers/redact": "Effacement des données d'un client",
  "webhooks.topic.shop/redact": "Effacement des données de la boutique",
  "webhooks.errorDetail": "Détail pour le support : {error}",
  "titleBar.exportCsv": "Exporter en CSV",
  "empty.customers.heading": "Aucun client pour l'instant",
  "empty.customers.body":
    "Les clients apparaissent ici dès qu'ils commencent un paiement, passent commande ou s'inscrivent dans votre boutique.",
  "empty.customers.action": "Ouvrir le guide de configuration",
  "empty.customers.noMatchHeading": "Aucun client ne correspond",
  "empty.customers.noMatchBody": "Essayez un autre nom ou une autre adresse e-mail, ou effacez les filtres.",
  "empty.clearFilters": "Effacer les filtres",
  "empty.messages.heading": "Aucun e-mail pour l'instant",
  "empty.messages.body":
    "Les e-mails apparaissent ici dès qu'un scénario est activé et qu'un client est concerné : envoyés, en attente de votre validation ou préparés en simulation.",
  "empty.messages.action": "Activer un scénario",
  "empty.messages.filteredHeading": "Aucun e-mail avec ce statut",
  "empty.messages.showAll": "Afficher tous les e-mails",
  "empty.approvals.heading": "Rien à valider",
  "empty.approvals.body":
    "Quand un scénario est en mode validation, ses e-mails attendent ici votre accord avant d'être envoyés.",
  "empty.approvals.action": "Choisir le mode d'un scénario",
  "empty.runs.heading": "Aucune séquence pour l'instant",
  "empty.runs.body": "Une séquence démarre quand un client est concerné par ce scénario alors qu'il est activé.",
  "empty.runs.action": "Réglages du scénario",
  "empty.runs.filteredHeading": "Aucune séquence avec ce statut",
  "empty.runs.showAll": "Afficher toutes les séquences",
  "empty.reviews.heading": "Aucun avis pour l'instant",
  "empty.reviews.body":
    "Les avis apparaissent ici quand les clients les envoient depuis l'e-mail de demande d'avis, prêts à être publiés ou masqués.",
  "empty.reviews.action": "Réglages de la demande d'avis",
  "empty.referrals.heading": "Aucun parrainage pour l'instant",
  "empty.referrals.body":
    "Quand l'ami d'un client commande avec son code de parrainage, le parrainage apparaît ici avec sa récompense.",
  "empty.referrals.action": "Réglages du programme de parrainage",
  "empty.timeline.heading": "Rien ne s'est encore passé",
  "empty.timeline.body":
    "Chaque décision qu'un scénario prend pour ce client apparaîtra ici, avec sa raison.",
  "empty.timeline.action": "Voir les scénarios",
};
