"""Typed errors of the service, each with the HTTP status it maps to."""

from __future__ import annotations

from typing import ClassVar


class BoomerangError(Exception):
    """Base of every expected failure; rendered as {"error": ClassName, "detail": message}."""

    status_code = 500
    # Extra response headers a client relies on (e.g. App Bridge's retry signal).
    headers: ClassVar[dict[str, str]] = {}

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(BoomerangError):
    status_code = 404


class InvalidRequest(BoomerangError):
    status_code = 400


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


class InvalidShopDomain(InvalidRequest):
    """A `shop` parameter that is not a `*.myshopify.com` domain: never redirected to."""


class InvalidOAuthCallback(InvalidRequest):
    """The OAuth callback's hmac, state, timestamp or shop does not check out."""


class ShopifyAuthError(BoomerangError):
    """Shopify refused to issue or refresh a token (bad code, revoked refresh token…)."""

    status_code = 502


class ShopifyUnavailable(ServiceUnavailable):
    """Shopify could not be reached or answered 5xx; the caller may retry later."""


class ShopifyGraphQLError(BoomerangError):
    """The Admin GraphQL API answered with top-level errors."""

    status_code = 502


class ShopifyTokenInvalid(ShopifyAuthError):
    """The shop's token was refused (401) and refreshing did not help: reinstall needed."""


class ShopifyTokenRejected(ShopifyAuthError):
    """The Admin API answered 401 to this access token (expired, revoked or uninstalled)."""


class ShopifyThrottled(ServiceUnavailable):
    """The Admin API's cost bucket is empty (THROTTLED or 429); retry after a pause."""


class UnknownShop(NotFound):
    """A delivery names a shop Boomerang has no row for (or another shop's id)."""
