"""Typed messaging errors, each with a message that tells the merchant what to do."""

from __future__ import annotations

from typing import Any

from app.errors import BoomerangError, InvalidRequest, NotFound
from app.i18n import Locale, Text


class UnknownTemplate(NotFound):
    """No template exists for this scenario and step."""


class UnsupportedLocale(InvalidRequest):
    pass


class TemplateInvalid(InvalidRequest):
    """A merchant's template does not compile or render; shown at save time with the line."""

    def __init__(self, text: Text, *, part: str, line: int | None) -> None:
        super().__init__(text)
        self.part = part
        self.line = line

    def body_fields(self, locale: Locale) -> dict[str, Any]:
        return {"part": self.part, "line": self.line}


class MessageNotFound(NotFound):
    pass


class MessageNotPending(BoomerangError):
    """Approve, reject or edit asked for a message that no longer waits for approval."""

    status_code = 409


class MessageWithdrawn(MessageNotPending):
    """Approve, reject or edit asked for a held message that its sequence's end took out of
    the queue (an order, an unsubscribe, the scenario paused, the app uninstalled)."""

    def __init__(self, text: Text, *, reason: str) -> None:
        super().__init__(text)
        self.reason = reason

    def body_fields(self, locale: Locale) -> dict[str, Any]:
        return {"reason": self.reason}


class ShopHasNoEmail(InvalidRequest):
    pass


class CustomerNotFound(NotFound):
    pass


class NoSimpleForm(InvalidRequest):
    """The email has no structured fields (its step declares none): edit it as a template."""


class FieldTooLong(InvalidRequest):
    """A structured field is longer than the form accepts."""
