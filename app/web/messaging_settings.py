"""Admin API for the shop's delivery guard rails: the global pause, frequency cap and quiet
hours. A scenario's mode and transactional choice change through PUT /api/scenarios/{key}
(app/web/scenarios.py), the one way to change a scenario."""

from __future__ import annotations

from datetime import time

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from app.messaging import controls
from app.messaging.controls import SendingPolicy
from app.web.auth import CurrentShop
from app.web.deps import ResourcesDep

router = APIRouter(prefix="/api/messaging", tags=["messaging"])


class PolicyBody(BaseModel):
    model_config = ConfigDict(strict=True)

    paused: bool
    max_per_day: int = Field(ge=0, le=50)
    max_per_week: int = Field(ge=0, le=200)
    quiet_start: time = Field(strict=False)
    quiet_end: time = Field(strict=False)


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
