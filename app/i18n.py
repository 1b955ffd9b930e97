"""Merchant-facing strings in English and French, picked by `locale` or Accept-Language."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

Locale = Literal["en", "fr"]
DEFAULT_LOCALE: Locale = "en"

CATALOG: dict[str, dict[Locale, str]] = {
    "app.title": {"en": "Boomerang", "fr": "Boomerang"},
    "app.loading": {"en": "Loading Boomerang…", "fr": "Chargement de Boomerang…"},
    "app.not_built": {
        "en": "Boomerang's admin interface is not built on this server: run "
        "./scripts/build-frontend, then reload this page.",
        "fr": "L'interface d'administration de Boomerang n'est pas construite sur ce serveur : "
        "lancez ./scripts/build-frontend, puis rechargez la page.",
    },
    "install.failed": {
        "en": "The installation could not be completed: open Boomerang again from your "
        "Shopify admin.",
        "fr": "L'installation n'a pas pu aboutir : ouvrez de nouveau Boomerang depuis "
        "l'administration Shopify.",
    },
    "install.error_title": {"en": "Installation problem", "fr": "Problème d'installation"},
}


@dataclass(frozen=True, slots=True)
class Text:
    """One user-facing sentence in every language Boomerang speaks, written side by side where
    it is raised or shown, so a string cannot ship in English alone (mypy sees a missing `fr`)."""

    en: str
    fr: str

    def in_locale(self, locale: Locale) -> str:
        return self.fr if locale == "fr" else self.en

    def __str__(self) -> str:
        return self.en


def pick_locale(query_locale: str | None, accept_language: str | None) -> Locale:
    """The `locale` query parameter first (Shopify adds it to embedded URLs), then the first
    supported language of Accept-Language, then English."""
    candidates = [query_locale or ""]
    for part in (accept_language or "").split(","):
        candidates.append(part.split(";")[0])
    for candidate in candidates:
        language = candidate.strip().lower()[:2]
        if language == "fr":
            return "fr"
        if language == "en":
            return "en"
    return DEFAULT_LOCALE


def t(message_id: str, locale: Locale) -> str:
    entry = CATALOG[message_id]
    return entry.get(locale, entry[DEFAULT_LOCALE])


class _HasQueryAndHeaders(Protocol):
    @property
    def query_params(self) -> Mapping[str, str]: ...

    @property
    def headers(self) -> Mapping[str, str]: ...


def request_locale(request: _HasQueryAndHeaders) -> Locale:
    """The language to answer a request in: Shopify's `locale` parameter (the embedded admin
    adds it), then Accept-Language (the admin UI sends the merchant's), then English."""
    return pick_locale(request.query_params.get("locale"), request.headers.get("accept-language"))
