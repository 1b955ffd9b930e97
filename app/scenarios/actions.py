"""What a scenario step may do to the world, as an interface the engine calls: hand out a
discount code, queue an email. The edges implement it (code pools and the GraphQL client,
the outbox); tests and dry runs see the same calls."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Shop
from app.scenarios.config import DiscountSettings
from app.scenarios.modes import Mode


@dataclass(frozen=True)
class IssuedCode:
    code: str
    expires_at: datetime


@dataclass(frozen=True)
class EmailRequest:
    shop: Shop
    scenario: str
    step: int
    # The natural key of the message with scenario and step: never sent twice.
    subject_key: str
    customer_id: int | None
    locale: str
    context: dict[str, Any]
    mode: Mode
    transactional: bool
    scheduled_at: datetime


class StepActions(Protocol):
    async def issue_code(
        self,
        session: AsyncSession,
        *,
        shop: Shop,
        scenario: str,
        idempotency_key: str,
        customer_id: int | None,
        discount: DiscountSettings,
        now: datetime,
    ) -> IssuedCode: ...

    async def queue_email(self, session: AsyncSession, request: EmailRequest) -> str:
        """Queue the message; returns its status (queued, pending_approval, draft, suppressed)."""
        ...
