"""Typed errors of the service, each with the HTTP status it maps to."""

from __future__ import annotations

from typing import Any, ClassVar

from app.i18n import Locale, Text


class BoomerangError(Exception):
    """Base of every expected failure; rendered as {"error": ClassName, "detail": message}, the
    message in the requester's language (`locale` query parameter, then Accept-Language)."""

    status_code = 500
    # Extra response headers a client relies on (e.g. App Bridge's retry signal).
    headers: ClassVar[dict[str, str]] = {}

    def __init__(self, text: Text) -> None:
        self.text = text
        super().__init__(text.en)

    @property
    def detail(self) -> str:
        """The English message: for logs and stored errors."""
        return self.text.en

    def detail_in(self, locale: Locale) -> str:
        return self.text.in_locale(locale)

    def body_fields(self, locale: Locale) -> dict[str, Any]:
        """More fields for the error's JSON body (where in a template, which field…)."""
        return {}


class NotFound(BoomerangError):
    status_code = 404


class InvalidRequest(BoomerangError):
    status_code = 400


class UnstorableValue(BoomerangError):
    """A value in the request that the database cannot hold (app/db/bad_values.py)."""

    status_code = 422


class Unauthorized(BoomerangError):
    status_code = 401


class ShopNotInstalled(BoomerangError):
    status_code = 403


class ServiceUnavailable(BoomerangError):
    status_code = 503


class InvalidSessionToken(Unauthorized):
    """The App Bridge session token is missing, forged, expired or for another app.
    The header tells App Bridge to fetch a fresh token and retry once."""

    headers: ClassVar[dict[str, str]] = {"X-Shopify-Retry-Invalid-Session-Request": "1"}


class InvalidProxyRequest(Unauthorized):
    """An app proxy request whose signature or timestamp does not check out: not forwarded
    by Shopify, tampered with, or replayed."""


class InvalidShopDomain(InvalidRequest):
    """A `shop` parameter that is not a `*.myshopify.com` domain: never redirected to."""


class InvalidOAuthCallback(InvalidRequest):
    """The OAuth callback's hmac, state, timestamp or shop does not check out."""


class ShopifyAuthError(BoomerangError):
    """Shopify refused to issue or refresh a token (bad code, revoked refresh token…)."""

    status_code = 502


class ShopifyUnavailable(ServiceUnavailable):
    """Shopify could not be reached or kept answering 5xx/429 after our retries: run the job
    again later."""


class ShopTokenInvalid(BoomerangError):
    """Shopify answered 401: the shop's token is revoked or expired. Final for jobs: the shop's
    work stops until it reinstalls or its token is refreshed; retrying cannot help."""

    status_code = 401


class ThrottledByShopify(ShopifyUnavailable):
    """The shop's rate limit stayed exhausted for longer than we wait inline: retry later (a
    ShopifyUnavailable, so every job that retries an unreachable Shopify retries this too)."""


class ShopifyQueryError(BoomerangError):
    """Shopify refused the GraphQL document itself (syntax, schema, scope): a bug or a missing
    scope on our side; fix the query or ask the merchant to approve the scope."""

    status_code = 502


class UnknownShop(NotFound):
    """A delivery names a shop Boomerang has no row for (or another shop's id)."""


class ShopifyUserErrors(BoomerangError):
    """A mutation answered userErrors: Shopify refused the input; `errors` says why."""

    status_code = 422

    def __init__(self, text: Text, errors: list[tuple[str, str | None, str]]) -> None:
        super().__init__(text)
        # (field path, code, message)
        self.errors = errors
