"""The merchant's delivery controls: each scenario's mode (live, approval, dry_run, paused)
and transactional choice, the shop's guard rails (global pause, frequency cap, quiet hours)
and its consent write-back choice. Read through these functions so the scenario engine can
extend the stored options."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import MessagingSettings, ScenarioSetting


class DeliveryMode(enum.StrEnum):
    LIVE = "live"
    # Messages wait in pending_approval until the merchant approves them.
    APPROVAL = "approval"
    # Everything computed and stored as draft; nothing is ever sent.
    DRY_RUN = "dry_run"
    # New messages are suppressed with reason scenario_paused.
    PAUSED = "paused"


# The stricter mode wins when the scenario and the merchant disagree.
_STRICTNESS = [DeliveryMode.LIVE, DeliveryMode.APPROVAL, DeliveryMode.DRY_RUN, DeliveryMode.PAUSED]


def strictest(*modes: DeliveryMode | None) -> DeliveryMode:
    present = [m for m in modes if m is not None]
    return max(present, key=_STRICTNESS.index) if present else DeliveryMode.LIVE


@dataclass(frozen=True)
class ScenarioDelivery:
    mode: DeliveryMode
    # The merchant's legal choice to send this scenario to customers without marketing consent
    # (e.g. cart reminders as service messages). Off unless they turn it on.
    transactional: bool
    options: dict[str, Any]


@dataclass(frozen=True)
class SendingPolicy:
    paused: bool
    max_per_day: int
    max_per_week: int
    quiet_start: time
    quiet_end: time
    # Unsubscribes through our link are also written to the shopper's consent in Shopify
    # (customerEmailMarketingConsentUpdate), so the merchant's other tools stop too.
    consent_write_back: bool = True
    # Quiet hours' off switch: off, messages go at any hour (start and end are kept).
    quiet_hours_enabled: bool = True

    def quiet_window(self) -> tuple[time, time] | None:
        """The quiet hours in force (shop's local start, end), or None when there are none:
        switched off, or a window of no length (start = end, how it was said before the
        switch)."""
        if not self.quiet_hours_enabled or self.quiet_start == self.quiet_end:
            return None
        return self.quiet_start, self.quiet_end


DEFAULT_POLICY = SendingPolicy(
    paused=False,
    max_per_day=1,
    max_per_week=3,
    quiet_start=time(21, 0),
    quiet_end=time(8, 0),
    consent_write_back=True,
    quiet_hours_enabled=True,
)


async def scenario_delivery(session: AsyncSession, shop_id: int, scenario: str) -> ScenarioDelivery:
    row = await session.scalar(
        select(ScenarioSetting).where(
            ScenarioSetting.shop_id == shop_id, ScenarioSetting.scenario == scenario
        )
    )
    if row is None:
        return ScenarioDelivery(mode=DeliveryMode.LIVE, transactional=False, options={})
    return ScenarioDelivery(
        mode=DeliveryMode(row.mode), transactional=row.transactional, options=dict(row.options)
    )


async def set_scenario_delivery(
    session: AsyncSession,
    shop_id: int,
    scenario: str,
    *,
    mode: DeliveryMode,
    transactional: bool,
) -> None:
    statement = insert(ScenarioSetting).values(
        shop_id=shop_id, scenario=scenario, mode=mode.value, transactional=transactional, options={}
    )
    await session.execute(
        statement.on_conflict_do_update(
            constraint="uq_scenario_settings_shop_id_scenario",
            set_={"mode": mode.value, "transactional": transactional},
        )
    )


async def sending_policy(session: AsyncSession, shop_id: int) -> SendingPolicy:
    row = await session.scalar(
        select(MessagingSettings).where(MessagingSettings.shop_id == shop_id)
    )
    if row is None:
        return DEFAULT_POLICY
    return SendingPolicy(
        paused=row.paused,
        max_per_day=row.max_per_day,
        max_per_week=row.max_per_week,
        quiet_start=row.quiet_start,
        quiet_end=row.quiet_end,
        consent_write_back=row.consent_write_back,
        quiet_hours_enabled=row.quiet_hours_enabled,
    )


async def set_sending_policy(session: AsyncSession, shop_id: int, policy: SendingPolicy) -> None:
    values = {
        "paused": policy.paused,
        "max_per_day": policy.max_per_day,
        "max_per_week": policy.max_per_week,
        "quiet_start": policy.quiet_start,
        "quiet_end": policy.quiet_end,
        "consent_write_back": policy.consent_write_back,
        "quiet_hours_enabled": policy.quiet_hours_enabled,
    }
    statement = insert(MessagingSettings).values(shop_id=shop_id, **values)
    await session.execute(
        statement.on_conflict_do_update(constraint="uq_messaging_settings_shop_id", set_=values)
    )
