"""Admin API for delivery controls: per-scenario mode and transactional choice, and the
shop's global pause, frequency cap and quiet hours."""

from __future__ import annotations

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


class PolicyBody(BaseModel):
    model_config = ConfigDict(strict=True)

    paused: bool
    max_per_day: int = Field(ge=0, le=50)
    max_per_week: int = Field(ge=0, le=200)
    quiet_start: time = Field(strict=False)
    quiet_end: time = Field(strict=False)


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
async def get_policy(shop: CurrentShop, resources: ResourcesDep) -> PolicyBody:
    async with resources.sessions.begin() as session:
        policy = await controls.sending_policy(session, shop.id)
    return PolicyBody(**policy.__dict__)


@router.put("/settings")
async def set_policy(body: PolicyBody, shop: CurrentShop, resources: ResourcesDep) -> PolicyBody:
    async with resources.sessions.begin() as session:
        await controls.set_sending_policy(session, shop.id, SendingPolicy(**body.model_dump()))
    return body
