"""The seam between the inbox and the topic handlers: one handler per topic, each given the
job's open session and the parsed delivery, and run inside the job's transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class WebhookDelivery:
    """A stored, verified delivery as a handler sees it."""

    event_row_id: int
    shop_id: int
    shop_domain: str
    topic: str
    webhook_id: str
    event_id: str | None
    triggered_at: datetime | None
    api_version: str | None
    payload: dict[str, Any]


TopicHandler = Callable[[AsyncSession, WebhookDelivery], Awaitable[None]]

_HANDLERS: dict[str, TopicHandler] = {}


def handles(*topics: str) -> Callable[[TopicHandler], TopicHandler]:
    """Register the decorated coroutine as the handler of `topics` (one handler per topic)."""

    def register(handler: TopicHandler) -> TopicHandler:
        for topic in topics:
            if topic in _HANDLERS:
                raise RuntimeError(f"{topic} already has a handler: {_HANDLERS[topic].__name__}")
            _HANDLERS[topic] = handler
        return handler

    return register


def handler_for(topic: str) -> TopicHandler | None:
    import webhooks.topics  # noqa: F401  (importing the package registers every handler)

    return _HANDLERS.get(topic)
