"""Typed errors of the service, each with the HTTP status it maps to."""

from __future__ import annotations


class BoomerangError(Exception):
    """Base of every expected failure; rendered as {"error": ClassName, "detail": message}."""

    status_code = 500

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


class ShopTokenInvalid(BoomerangError):
    """Shopify answered 401: the shop's token is revoked or expired. Final for jobs: the shop's
    work stops until it reinstalls or its token is refreshed; retrying cannot help."""

    status_code = 401


class ShopifyUnavailable(ServiceUnavailable):
    """Shopify kept failing (network, 5xx, 429) after our retries: run the job again later."""


class ThrottledByShopify(ServiceUnavailable):
    """The shop's rate limit stayed exhausted for longer than we wait inline: retry later."""


class ShopifyQueryError(BoomerangError):
    """Shopify refused the GraphQL document itself (syntax, schema, scope): a bug or a missing
    scope on our side; fix the query or ask the merchant to approve the scope."""

    status_code = 502


class ShopifyUserErrors(BoomerangError):
    """A mutation answered userErrors: Shopify refused the input; `errors` says why."""

    status_code = 422

    def __init__(self, detail: str, errors: list[tuple[str, str | None, str]]) -> None:
        super().__init__(detail)
        # (field path, code, message)
        self.errors = errors


class PoolEmpty(ServiceUnavailable):
    """No code is available in the scenario's pool right now; a refill has been requested,
    so try again in a few seconds (or fall back to a one-off code)."""
