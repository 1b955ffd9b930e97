// What the settings forms say about a value: refusals (the API's problem codes, worded for the
// merchant, a delay in the unit they chose) and warnings about values that are valid but
// risky, in English and French (spread into messages.ts).

export const formsEn = {
  "problem.min": "Enter {limit} or more.",
  "problem.max": "Enter {limit} or less.",
  "problem.more_than": "Enter more than {limit}.",
  "problem.less_than": "Enter less than {limit}.",
  "problem.number": "Enter a number, for example 10 or 12.50.",
  "problem.whole_number": "Enter a whole number, without decimals.",
  "problem.required": "This field is required.",
  "problem.too_short": "Enter at least {limit} characters.",
  "problem.too_long": "Enter at most {limit} characters.",
  "problem.code_pattern": "Use only capital letters A–Z and digits 0–9, for example COMEBACK.",
  "problem.key_pattern": "Use only lowercase letters a–z, digits and _, for example gold.",
  "problem.percentage_range": "A percentage discount is between 1 and 100.",
  "problem.amount_positive": "Enter an amount above 0.",
  "problem.time": "Enter a time as HH:MM, for example 21:00.",
  "problem.one_of": "Choose one of the options offered.",
  "problem.true_or_false": "Choose on or off.",
  "problem.unknown": "This page does not know this setting: reload the page and try again.",
  "problem.invalid": "This value can't be saved: check it and try again.",
  "problem.delay.min": "Enter a delay of at least {limit}.",
  "problem.delay.max": "Enter a delay of at most {limit}.",
  "problem.delay.order":
    "This step must come after step {before} (sent {limit} after the start): enter a longer delay, or turn one of them off.",
  "problem.elsewhere": "{field}: {problem}",
  "warning.heading": "Valid, but check before saving",
  "warning.fullDiscount": "A 100 % discount makes the whole order free.",
  "warning.quickReminder":
    "Under 30 minutes, many shoppers are still paying: the reminder may reach them before they finish.",
  "warning.dailyAboveWeekly":
    "The daily cap ({day}) is above the weekly cap ({week}): no customer gets more than {week} a week.",
  "delivery.quietOn": "Hold emails during quiet hours",
  "delivery.quietOn.details": "Off: emails go at any hour. The hours below are kept for when you turn it back on.",
} as const;

export const formsFr: { readonly [K in keyof typeof formsEn]: string } = {
  "problem.min": "Saisissez {limit} ou plus.",
  "problem.max": "Saisissez {limit} ou moins.",
  "problem.more_than": "Saisissez plus de {limit}.",
  "problem.less_than": "Saisissez moins de {limit}.",
  "problem.number": "Saisissez un nombre, par exemple 10 ou 12,50.",
  "problem.whole_number": "Saisissez un nombre entier, sans décimales.",
  "problem.required": "Ce champ est obligatoire.",
  "problem.too_short": "Saisissez au moins {limit} caractères.",
  "problem.too_long": "Saisissez au plus {limit} caractères.",
  "problem.code_pattern":
    "Utilisez uniquement des lettres majuscules A–Z et des chiffres 0–9, par exemple COMEBACK.",
  "problem.key_pattern":
    "Utilisez uniquement des lettres minuscules a–z, des chiffres et _, par exemple gold.",
  "problem.percentage_range": "Une remise en pourcentage est comprise entre 1 et 100.",
  "problem.amount_positive": "Saisissez un montant supérieur à 0.",
  "problem.time": "Saisissez une heure au format HH:MM, par exemple 21:00.",
  "problem.one_of": "Choisissez l'une des options proposées.",
  "problem.true_or_false": "Choisissez activé ou désactivé.",
  "problem.unknown": "Cette page ne connaît pas ce réglage : rechargez la page et réessayez.",
  "problem.invalid": "Cette valeur ne peut pas être enregistrée : vérifiez-la et réessayez.",
  "problem.delay.min": "Saisissez un délai d'au moins {limit}.",
  "problem.delay.max": "Saisissez un délai d'au plus {limit}.",
  "problem.delay.order":
    "Cette étape doit venir après l'étape {before} (envoyée {limit} après le début) : saisissez un délai plus long, ou désactivez l'une des deux.",
  "problem.elsewhere": "{field} : {problem}",
  "warning.heading": "Valide, mais à vérifier avant d'enregistrer",
  "warning.fullDiscount": "Une remise de 100 % rend toute la commande gratuite.",
  "warning.quickReminder":
    "En moins de 30 minutes, beaucoup de clients sont encore en train de payer : la relance peut leur arriver avant la fin.",
  "warning.dailyAboveWeekly":
    "Le plafond quotidien ({day}) dépasse le plafond hebdomadaire ({week}) : aucun client ne reçoit plus de {week} e-mails par semaine.",
  "delivery.quietOn": "Retenir les e-mails pendant les heures calmes",
  "delivery.quietOn.details":
    "Désactivé : les e-mails partent à toute heure. Les heures ci-dessous sont conservées pour quand vous le réactiverez.",
};
