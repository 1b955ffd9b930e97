"""The locales shoppers and merchants read, and every user-facing string in each of them."""

from __future__ import annotations

from datetime import date
from typing import Literal

Locale = Literal["en", "fr"]
SUPPORTED: tuple[Locale, ...] = ("en", "fr")


def normalize_locale(value: str | None) -> Locale | None:
    """ "fr-CA" → "fr"; None when the language is one we do not write in."""
    if not value:
        return None
    language = value.replace("_", "-").split("-", 1)[0].lower()
    if language == "fr":
        return "fr"
    if language == "en":
        return "en"
    return None


def resolve_locale(customer_locale: str | None, shop_locale: str | None) -> Locale:
    """The customer's language, else the shop's, else English."""
    return normalize_locale(customer_locale) or normalize_locale(shop_locale) or "en"


_STRINGS: dict[str, dict[Locale, str]] = {
    "footer.unsubscribe": {
        "en": "Unsubscribe from these emails",
        "fr": "Se désabonner de ces e-mails",
    },
    "footer.why": {
        "en": "You receive this email because you shopped at {shop}.",
        "fr": "Vous recevez cet e-mail car vous avez fait des achats chez {shop}.",
    },
    "dry_run.code_placeholder": {
        "en": "[DISCOUNT CODE: created when this email is sent live]",
        "fr": "[CODE DE RÉDUCTION : créé à l'envoi réel de cet e-mail]",
    },
    "unsubscribe.title": {"en": "Unsubscribe", "fr": "Désabonnement"},
    "unsubscribe.question": {
        "en": "Stop receiving marketing emails from {shop}?",
        "fr": "Ne plus recevoir les e-mails marketing de {shop} ?",
    },
    "unsubscribe.button": {"en": "Unsubscribe", "fr": "Me désabonner"},
    "unsubscribe.done": {
        "en": "You are unsubscribed. {shop} will not send you marketing emails any more.",
        "fr": "Vous êtes désabonné(e). {shop} ne vous enverra plus d'e-mails marketing.",
    },
    "unsubscribe.not_found": {
        "en": "This unsubscribe link is not valid. Use the link from the latest email.",
        "fr": "Ce lien de désabonnement n'est pas valide. Utilisez le lien du dernier e-mail reçu.",
    },
    "template.invalid": {
        "en": "The {part} of this template has an error on line {line}: {error}. "
        "Fix it and save again.",
        "fr": "Le champ {part} de ce modèle contient une erreur à la ligne {line} : {error}. "
        "Corrigez-la puis enregistrez à nouveau.",
    },
    "template.too_large": {
        "en": "The {part} of this template has {size} characters; the limit is {limit}. "
        "Shorten it and save again.",
        "fr": "Le champ {part} de ce modèle compte {size} caractères ; la limite est de "
        "{limit}. Raccourcissez-le et enregistrez de nouveau.",
    },
    "template.over_limit": {
        "en": "The {part} of this template was stopped: {limit}.",
        "fr": "Le rendu du champ {part} de ce modèle a été interrompu : {limit}.",
    },
    "template.part.subject": {"en": "subject", "fr": "objet"},
    "template.part.html": {"en": "HTML body", "fr": "corps HTML"},
    "template.part.text": {"en": "plain-text body", "fr": "corps texte"},
}

_MONTHS: dict[Locale, tuple[str, ...]] = {
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    "fr": (
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ),
}


def t(key: str, locale: Locale, **values: object) -> str:
    """The string `key` in `locale`, with {placeholders} filled."""
    return _STRINGS[key][locale].format(**values)


def format_date(value: date, locale: Locale) -> str:
    month = _MONTHS[locale][value.month - 1]
    if locale == "fr":
        day = "1er" if value.day == 1 else str(value.day)
        return f"{day} {month} {value.year}"
    return f"{month} {value.day}, {value.year}"
