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
