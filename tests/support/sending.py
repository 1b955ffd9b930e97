"""The sending policy tests set: no quiet hours, so a test does not depend on the hour it
runs at (the default holds emails from 21:00 to 08:00), and whatever else it changes."""

from __future__ import annotations

from dataclasses import replace
from datetime import time
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.messaging.controls import DEFAULT_POLICY, set_sending_policy


async def send_at_any_hour(session: AsyncSession, shop_id: int, **changes: Any) -> None:
    """The shop's policy: the default without quiet hours, with `changes` (max_per_day=20,
    paused=True...)."""
    await set_sending_policy(
        session,
        shop_id,
        replace(DEFAULT_POLICY, quiet_start=time(0), quiet_end=time(0), **changes),
    )
