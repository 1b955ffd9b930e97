"""A scenario that starts on a schedule: a small journey declared here (VIP customers get a
nudge), walked by the worker's schedule job over every installed shop, page by page, starting
one run per (shop, scenario, subject) and queueing its first step when the page commits."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import Customer, ScenarioRun, ScenarioSetting, Shop, TimelineEntry
from app.platform.composition import compose
from app.platform.resources import Resources, build_resources
from app.queue import JobContext
from app.queue.interface import JobStatus
from app.scenarios import runs
from app.scenarios.config import ScenarioSettings
from app.scenarios.engine import (
    Catalog,
    Scenario,
    ScheduleTrigger,
    StepContext,
    StepPlan,
    Subject,
)
from app.scenarios.scheduling import step_job
from app.settings import Settings
from jobs.scenarios import run_schedules, walk_schedule
from tests.support.shops import create_shop

KEY = "vip_nudge"
PAGE = 2
_shopify_ids = itertools.count(1)


class NudgeSettings(ScenarioSettings):
    pass


async def vip_page(
    session: AsyncSession, shop_id: int, after: Any, limit: int, now: datetime
) -> Sequence[Subject]:
    """The shop's VIP customers, by id (keyset on the primary key)."""
    statement = (
        select(Customer.id, Customer.email)
        .where(Customer.shop_id == shop_id, Customer.tags.contains(["vip"]))
        .order_by(Customer.id)
        .limit(limit)
    )
    if after is not None:
        statement = statement.where(Customer.id > after)
    rows = (await session.execute(statement)).all()
    return [Subject(f"customer:{cid}", cid, email, position=cid) for cid, email in rows]


async def nothing(context: StepContext[NudgeSettings, None]) -> None:
    return None


NUDGE: Scenario[NudgeSettings, None] = Scenario(
    key=KEY,
    settings_model=NudgeSettings,
    steps=lambda settings: [StepPlan("nudge", timedelta(hours=1), True)],
    action=nothing,
    schedule=ScheduleTrigger(
        every=timedelta(days=1), select_page=vip_page, reason="vip_selected", page_size=PAGE
    ),
)


@pytest.fixture
async def resources(settings: Settings) -> AsyncIterator[Resources]:
    built = await build_resources(settings, platform=compose(Catalog([NUDGE])))
    yield built
    await built.close()


async def _customers(
    sessions: async_sessionmaker[AsyncSession], shop: Shop, tags: list[list[str]]
) -> list[int]:
    async with sessions.begin() as session:
        made = [
            Customer(shop_id=shop.id, shopify_id=next(_shopify_ids), email=f"c{n}@x.test", tags=t)
            for n, t in enumerate(tags)
        ]
        session.add_all(made)
        await session.flush()
        return [c.id for c in made]


async def _runs(sessions: async_sessionmaker[AsyncSession]) -> list[ScenarioRun]:
    async with sessions.begin() as session:
        return list(await session.scalars(select(ScenarioRun).order_by(ScenarioRun.id)))


async def test_a_schedule_starts_one_run_per_selected_subject_of_installed_shops(
    resources: Resources,
) -> None:
    sessions = resources.sessions
    shop = await create_shop(sessions, domain="live.myshopify.com")
    gone = await create_shop(sessions, domain="gone.myshopify.com", uninstalled=True)
    paused = await create_shop(sessions, domain="paused.myshopify.com")
    vips = await _customers(sessions, shop, [["vip"], ["vip"], [], ["vip", "x"], ["vip"], ["vip"]])
    await _customers(sessions, gone, [["vip"], ["vip"]])
    await _customers(sessions, paused, [["vip"]])
    async with sessions.begin() as session:
        session.add(
            ScenarioSetting(
                shop_id=paused.id, scenario=KEY, mode="paused", transactional=False, options={}
            )
        )
    now = datetime.now(UTC).replace(microsecond=0)

    report = await walk_schedule(resources, NUDGE, now)

    expected = [vip for n, vip in enumerate(vips) if n != 2]
    assert (report.shops, report.selected, report.started) == (1, 5, 5)
    started = await _runs(sessions)
    assert [(r.shop_id, r.customer_id, r.subject_key) for r in started] == [
        (shop.id, cid, f"customer:{cid}") for cid in expected
    ]
    assert {(r.status, r.step_index, r.next_step_at) for r in started} == {
        (runs.ACTIVE, 0, now + timedelta(hours=1))
    }
    # Each run's first step is queued for its time, once its page committed.
    jobs = [step_job(runs.DueStep(r.id, 0, now + timedelta(hours=1))).job_id for r in started]
    states = await resources.queue.job_states(jobs)
    assert {state.status for state in states.values()} == {JobStatus.QUEUED}
    async with sessions.begin() as session:
        entries = list(await session.scalars(select(TimelineEntry)))
    assert sorted((e.customer_id, e.kind, e.reason) for e in entries) == [
        (cid, "started", "vip_selected") for cid in expected
    ]

    # Walked again (the next period, or a second worker): the same subjects start nothing.
    again = await walk_schedule(resources, NUDGE, now + timedelta(days=1))
    assert (again.selected, again.started) == (5, 0)
    assert len(await _runs(sessions)) == 5


async def test_the_cron_job_walks_each_schedule_once_per_period(resources: Resources) -> None:
    sessions = resources.sessions
    shop = await create_shop(sessions)
    await _customers(sessions, shop, [["vip"]])
    context = JobContext("cron:run_schedules", 1, resources)

    assert await run_schedules(context) == 1
    await _customers(sessions, shop, [["vip"]] * 2)
    assert await run_schedules(context) == 0  # this period was walked already
    assert len(await _runs(sessions)) == 1


async def test_an_uninstalled_shops_schedule_does_nothing(resources: Resources) -> None:
    sessions = resources.sessions
    shop = await create_shop(sessions, uninstalled=True)
    await _customers(sessions, shop, [["vip"]] * 3)

    report = await walk_schedule(resources, NUDGE, datetime.now(UTC))

    assert (report.shops, report.selected, report.started) == (0, 0, 0)
    assert await _runs(sessions) == []
