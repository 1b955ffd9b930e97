"""Admin API for delivery controls: per-scenario mode and transactional choice, and the
shop's global pause, frequency cap, quiet hours and whether unsubscribes are written back
to Shopify."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, time

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from app.messaging import controls
from app.messaging.controls import DeliveryMode, SendingPolicy
from app.scenarios.runs import stop_running_sequences
from app.web.auth import CurrentShop
from app.web.deps import ResourcesDep

router = APIRouter(prefix="/api/messaging", tags=["messaging"])


class ScenarioDeliveryIn(BaseModel):
    model_config = ConfigDict(strict=True)

    mode: DeliveryMode = Field(strict=False)
    transactional: bool = False


class _PolicyFields(BaseModel):
    model_config = ConfigDict(strict=True)

    paused: bool
    max_per_day: int = Field(ge=0, le=50)
    max_per_week: int = Field(ge=0, le=200)
    quiet_start: time = Field(strict=False)
    quiet_end: time = Field(strict=False)


class PolicyOut(_PolicyFields):
    consent_write_back: bool


class PolicyIn(_PolicyFields):
    # Left out: keep the shop's current choice (a client that predates the setting must not
    # turn it back on by saving the rest).
    consent_write_back: bool | None = None


@router.put("/scenarios/{scenario}")
async def set_scenario(
    scenario: str, body: ScenarioDeliveryIn, shop: CurrentShop, resources: ResourcesDep
) -> dict[str, object]:
    async with resources.sessions.begin() as session:
        await controls.set_scenario_delivery(
            session, shop.id, scenario, mode=body.mode, transactional=body.transactional
        )
        if body.mode is DeliveryMode.PAUSED:
            await stop_running_sequences(
                session, shop.id, "scenario_paused", datetime.now(UTC), scenario
            )
    return {"scenario": scenario, "mode": body.mode.value, "transactional": body.transactional}


@router.get("/settings")
async def get_policy(shop: CurrentShop, resources: ResourcesDep) -> PolicyOut:
    async with resources.sessions.begin() as session:
        policy = await controls.sending_policy(session, shop.id)
    return PolicyOut(**asdict(policy))


@router.put("/settings")
async def set_policy(body: PolicyIn, shop: CurrentShop, resources: ResourcesDep) -> PolicyOut:
    async with resources.sessions.begin() as session:
        values = body.model_dump()
        if body.consent_write_back is None:
            current = await controls.sending_policy(session, shop.id)
            values["consent_write_back"] = current.consent_write_back
        policy = SendingPolicy(**values)
        await controls.set_sending_policy(session, shop.id, policy)
    return PolicyOut(**asdict(policy))
