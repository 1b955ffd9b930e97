"""Admin API for the setup guide on the home page: its steps (each read from what really
happened) and whether the merchant dismissed it."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from app.setup_guide.progress import Progress, progress, set_dismissed
from app.web.auth import CurrentShop
from app.web.deps import ResourcesDep

router = APIRouter(prefix="/api", tags=["setup guide"])


class StepOut(BaseModel):
    key: str
    done: bool


class GuideOut(BaseModel):
    steps: list[StepOut]
    done: int
    total: int
    complete: bool
    dismissed: bool
    # The scenarios that are on, with their mode (live, approval, dry_run).
    on: dict[str, str]


class GuideIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    dismissed: bool


def _out(found: Progress) -> GuideOut:
    return GuideOut(
        steps=[StepOut(key=step.value, done=done) for step, done in found.done.items()],
        done=sum(found.done.values()),
        total=len(found.done),
        complete=found.complete,
        dismissed=found.dismissed,
        on={key: mode.value for key, mode in found.modes.items() if mode != "paused"},
    )


@router.get("/setup-guide")
async def get_guide(shop: CurrentShop, resources: ResourcesDep) -> GuideOut:
    async with resources.sessions.begin() as session:
        return _out(await progress(session, shop.id, resources.platform.catalog))


@router.put("/setup-guide")
async def put_guide(body: GuideIn, shop: CurrentShop, resources: ResourcesDep) -> GuideOut:
    async with resources.sessions.begin() as session:
        await set_dismissed(session, shop.id, body.dismissed, datetime.now(UTC))
        return _out(await progress(session, shop.id, resources.platform.catalog))
