"""Admin API for the shop's delivery guard rails: the global pause, frequency cap, quiet hours
(with their off switch) and whether unsubscribes are written back to Shopify. PATCH (and
PUT, the same, for clients written before PATCH) changes only the fields sent, as
PATCH /api/scenarios/{key} does; a refusal answers 400 with `problems`, every field at once. A
scenario's mode and transactional choice change through /api/scenarios/{key}
(app/web/scenarios.py), the one way to change a scenario."""

from __future__ import annotations

from dataclasses import asdict
from datetime import time
from typing import Any

from fastapi import APIRouter, Body, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from app.errors import InvalidRequest
from app.i18n import Text, request_locale
from app.messaging import controls
from app.messaging.policy_change import apply_change
from app.scenarios.config import InvalidSettings
from app.web.auth import CurrentShop
from app.web.deps import ResourcesDep
from app.web.settings_errors import invalid_settings_response

router = APIRouter(prefix="/api/messaging", tags=["messaging"])


class PolicyOut(BaseModel):
    paused: bool
    max_per_day: int
    max_per_week: int
    quiet_hours_enabled: bool
    quiet_start: time
    quiet_end: time
    consent_write_back: bool


@router.get("/settings")
async def get_policy(shop: CurrentShop, resources: ResourcesDep) -> PolicyOut:
    async with resources.sessions.begin() as session:
        policy = await controls.sending_policy(session, shop.id)
    return PolicyOut(**asdict(policy))


@router.patch("/settings", response_model=None)
@router.put("/settings", response_model=None)
async def change_policy(
    request: Request,
    shop: CurrentShop,
    resources: ResourcesDep,
    change: Any = Body(...),  # noqa: B008  (FastAPI's way to take a free-form body)
) -> PolicyOut | JSONResponse:
    """Only the fields sent change, e.g. {"quiet_hours_enabled": false}."""
    if not isinstance(change, dict):
        raise InvalidRequest(
            Text(
                en='Send a JSON object with the settings to change, e.g. {"max_per_day": 2}.',
                fr="Envoyez un objet JSON avec les réglages à modifier, par exemple "
                '{"max_per_day": 2}.',
            )
        )
    try:
        async with resources.sessions.begin() as session:
            current = await controls.sending_policy(session, shop.id)
            policy = apply_change(current, change)
            await controls.set_sending_policy(session, shop.id, policy)
    except InvalidSettings as exc:
        return invalid_settings_response(exc, request_locale(request))
    return PolicyOut(**asdict(policy))
