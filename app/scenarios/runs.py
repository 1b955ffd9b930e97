"""Scenario runs: starting, stopping, advancing, and finding the steps that are due.

Runs are row-locked FOR NO KEY UPDATE: it keeps two decisions about one run apart but lets
rows that merely reference the run (timeline entries, conversions: their foreign-key check
takes FOR KEY SHARE) be written meanwhile. Every transaction locks the customer first (if at
all), then runs, then messages (app/messaging/delivery.py follows the same order)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.prepared import Prepared, begun_driver
from app.messaging.approval import withdraw_held_for_shop, withdraw_pending
from app.models import ScenarioRun
from app.scenarios import holdout, timeline

ACTIVE = "active"
COMPLETED = "completed"
STOPPED = "stopped"


@dataclass(frozen=True)
class DueStep:
    """A step to run at `due_at`; the job id makes every (run, step, due time) unique, so the
    deferred job and the cron scan that finds the same step enqueue one job between them."""

    run_id: int
    step_index: int
    due_at: datetime

    @property
    def job_id(self) -> str:
        return f"scenario-step:{self.run_id}:{self.step_index}:{int(self.due_at.timestamp())}"


async def start_or_get(
    session: AsyncSession,
    *,
    shop_id: int,
    scenario: str,
    subject_key: str,
    customer_id: int | None,
    email: str | None,
    anchor_at: datetime,
    first_step_at: datetime,
) -> tuple[ScenarioRun, bool]:
    """The run for (shop, scenario, subject), created if absent; True when this call made it
    and it is to run. A subject in the scenario's holdout group (app/scenarios/holdout.py) gets
    a run that is stopped from the start, for the reason "holdout" on the timeline, and False:
    every caller then leaves it alone, so it is never messaged."""
    out = holdout.held_out(
        shop_id, scenario, subject_key, await holdout.holdout_percent(session, shop_id, scenario)
    )
    created_id = await session.scalar(
        insert(ScenarioRun)
        .values(
            shop_id=shop_id,
            scenario=scenario,
            subject_key=subject_key,
            customer_id=customer_id,
            email=email,
            status=STOPPED if out else ACTIVE,
            stop_reason=holdout.HOLDOUT if out else None,
            step_index=0,
            anchor_at=anchor_at,
            next_step_at=None if out else first_step_at,
            finished_at=func.now() if out else None,
            issued_codes=[],
        )
        .on_conflict_do_nothing(index_elements=["shop_id", "scenario", "subject_key"])
        .returning(ScenarioRun.id)
    )
    run = await locked(session, shop_id=shop_id, scenario=scenario, subject_key=subject_key)
    if out and created_id is not None:
        await timeline.record(
            session,
            shop_id=shop_id,
            customer_id=customer_id,
            run_id=run.id,
            scenario=scenario,
            kind="held_out",
            reason=holdout.HOLDOUT,
        )
        return run, False
    return run, created_id is not None


async def lock_by_subject(
    session: AsyncSession, *, shop_id: int, scenario: str, subject_key: str
) -> ScenarioRun | None:
    """The run for (shop, scenario, subject), row-locked until the transaction ends."""
    run: ScenarioRun | None = await session.scalar(
        select(ScenarioRun)
        .where(
            ScenarioRun.shop_id == shop_id,
            ScenarioRun.scenario == scenario,
            ScenarioRun.subject_key == subject_key,
        )
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    return run


async def locked(
    session: AsyncSession, *, shop_id: int, scenario: str, subject_key: str
) -> ScenarioRun:
    run = await lock_by_subject(
        session, shop_id=shop_id, scenario=scenario, subject_key=subject_key
    )
    if run is None:
        raise LookupError(f"no {scenario} run for {subject_key}")
    return run


async def lock_by_id(session: AsyncSession, run_id: int) -> ScenarioRun | None:
    result: ScenarioRun | None = await session.scalar(
        select(ScenarioRun)
        .where(ScenarioRun.id == run_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    return result


async def stop_run(
    session: AsyncSession, run: ScenarioRun, reason: str, now: datetime, **detail: Any
) -> None:
    """Stop a (locked) run for `reason`, on the customer's timeline at the step it was about
    to take (1-based, as the admin shows steps). The one way a run stops."""
    run.status = STOPPED
    run.stop_reason = reason
    run.finished_at = now
    run.next_step_at = None
    await withdraw_pending(
        session,
        shop_id=run.shop_id,
        scenario=run.scenario,
        subject_key=run.subject_key,
        reason=reason,
        now=now,
    )
    await _record_stop(
        session,
        shop_id=run.shop_id,
        customer_id=run.customer_id,
        run_id=run.id,
        scenario=run.scenario,
        step_index=run.step_index,
        reason=reason,
        now=now,
        **detail,
    )


async def end_for_order(
    session: AsyncSession, run: ScenarioRun, reason: str, now: datetime, **detail: Any
) -> None:
    """An order ends a (locked) run: a running one stops; one that has taken its last step,
    whose email still waits for the merchant's approval, has that email withdrawn."""
    if run.status == ACTIVE:
        await stop_run(session, run, reason, now, **detail)
    elif run.status == COMPLETED:
        await withdraw_pending(
            session,
            shop_id=run.shop_id,
            scenario=run.scenario,
            subject_key=run.subject_key,
            reason=reason,
            now=now,
        )


async def _record_stop(
    session: AsyncSession,
    *,
    shop_id: int,
    customer_id: int | None,
    run_id: int,
    scenario: str,
    step_index: int,
    reason: str,
    now: datetime,
    **detail: Any,
) -> None:
    await timeline.record(
        session,
        shop_id=shop_id,
        customer_id=customer_id,
        run_id=run_id,
        scenario=scenario,
        kind="stopped",
        step=step_index + 1,
        reason=reason,
        at=now,
        **detail,
    )


def complete(run: ScenarioRun, now: datetime) -> None:
    run.status = COMPLETED
    run.finished_at = now
    run.next_step_at = None


@dataclass(frozen=True)
class ScanPosition:
    """Where a page of the due-step scan ended: the next page starts after it."""

    due_at: datetime
    run_id: int


async def due_steps(
    session: AsyncSession, now: datetime, limit: int = 1000, after: ScanPosition | None = None
) -> list[DueStep]:
    """One page of active runs whose next step is due, oldest first, after `after` (keyset
    pagination on (next_step_at, id), served by ix_scenario_runs_due)."""
    statement = (
        select(ScenarioRun.id, ScenarioRun.step_index, ScenarioRun.next_step_at)
        .where(ScenarioRun.status == ACTIVE, ScenarioRun.next_step_at <= now)
        .order_by(ScenarioRun.next_step_at, ScenarioRun.id)
        .limit(limit)
    )
    if after is not None:
        statement = statement.where(
            tuple_(ScenarioRun.next_step_at, ScenarioRun.id) > tuple_(after.due_at, after.run_id)
        )
    rows = await session.execute(statement)
    return [DueStep(run_id, step, due) for run_id, step, due in rows if due is not None]


@dataclass(frozen=True)
class StoppedRun:
    run_id: int
    scenario: str
    customer_id: int | None
    step_index: int


async def stop_active_for_shop(
    session: AsyncSession, shop_id: int, reason: str, now: datetime, scenario: str | None = None
) -> list[StoppedRun]:
    """Stop every active run of a shop (uninstall, pause) at once (of one scenario, or all),
    and withdraw the emails still waiting for approval, as `stop_run` does for one run."""
    statement = (
        update(ScenarioRun)
        .where(ScenarioRun.shop_id == shop_id, ScenarioRun.status == ACTIVE)
        .values(status=STOPPED, stop_reason=reason, finished_at=now, next_step_at=None)
        .returning(
            ScenarioRun.id, ScenarioRun.scenario, ScenarioRun.customer_id, ScenarioRun.step_index
        )
    )
    if scenario is not None:
        statement = statement.where(ScenarioRun.scenario == scenario)
    stopped = [StoppedRun(*row) for row in (await session.execute(statement)).all()]
    # Runs, then messages: the lock order every transaction keeps (see the module's doc).
    await withdraw_held_for_shop(
        session, shop_id=shop_id, reason=reason, now=now, scenario=scenario
    )
    return stopped


async def stop_running_sequences(
    session: AsyncSession, shop_id: int, reason: str, now: datetime, scenario: str | None = None
) -> int:
    """Stop a shop's running sequences at once (uninstall; pausing a scenario), each with a
    timeline entry saying why; their emails still waiting for approval are withdrawn.
    Returns how many stopped."""
    stopped = await stop_active_for_shop(session, shop_id, reason, now, scenario)
    for run in stopped:
        await _record_stop(
            session,
            shop_id=shop_id,
            customer_id=run.customer_id,
            run_id=run.run_id,
            scenario=run.scenario,
            step_index=run.step_index,
            reason=reason,
            now=now,
        )
    return len(stopped)


async def stop_step(
    session: AsyncSession, run_id: int, step_index: int, reason: str, now: datetime, **detail: Any
) -> bool:
    """Stop a run at the step it was about to take, for a failure no retry can fix (the shop's
    token refused, the discount refused), with a timeline entry saying why. False when the
    run has moved on meanwhile."""
    run = await lock_by_id(session, run_id)
    if run is None or run.status != ACTIVE or run.step_index != step_index:
        return False
    await stop_run(session, run, reason, now, **detail)
    return True


@dataclass(frozen=True)
class SeenRun:
    """A run as a shopper's probe saw it, unlocked: whoever acts on it locks it first."""

    id: int
    scenario: str
    subject_key: str
    status: str


# Every run of any scenario that a shopper's event may concern, in one indexed statement:
# the runs of the subjects it names (any status: an order still attributes to a finished
# run), and the shopper's runs by customer id or email that are running or sent or were
# engaged with since `since` (a repeat customer's old history is left out). Each branch is one
# index: the (shop, scenario, subject) key, (shop, customer_id) and (shop, lower(email)).
# Its parameters are a ShopperProbe's; the orders handler runs it inside its order's upsert.
SHOPPER_RUNS_SQL = """
SELECT r.id, r.scenario, r.subject_key, r.status
FROM unnest(CAST(:runs_scenarios AS text[]), CAST(:runs_subject_keys AS text[]))
     AS s(scenario, subject_key)
JOIN scenario_runs AS r
  ON r.shop_id = :runs_shop_id AND r.scenario = s.scenario AND r.subject_key = s.subject_key
UNION
SELECT r.id, r.scenario, r.subject_key, r.status
FROM scenario_runs AS r
WHERE r.shop_id = :runs_shop_id AND r.customer_id = CAST(:runs_customer_id AS bigint)
  AND (r.status = 'active' OR r.engaged_at >= :runs_since OR r.last_step_sent_at >= :runs_since)
UNION
SELECT r.id, r.scenario, r.subject_key, r.status
FROM scenario_runs AS r
WHERE r.shop_id = :runs_shop_id AND lower(r.email) = CAST(:runs_email AS text)
  AND (r.status = 'active' OR r.engaged_at >= :runs_since OR r.last_step_sent_at >= :runs_since)
"""
_SHOPPER_RUNS = Prepared(text(SHOPPER_RUNS_SQL))


@dataclass(frozen=True)
class ShopperProbe:
    """What SHOPPER_RUNS_SQL looks for: the runs of `subjects` ((scenario, subject key)
    pairs), and the shopper's runs running, sent or engaged with since `since`."""

    shop_id: int
    customer_id: int | None
    email: str | None
    subjects: Sequence[tuple[str, str]]
    since: datetime

    def params(self) -> dict[str, Any]:
        return {
            "runs_shop_id": self.shop_id,
            "runs_customer_id": self.customer_id,
            # As app.scenarios.abandoned_cart.queries.same_shopper compares them.
            "runs_email": self.email.lower() if self.email else None,
            "runs_scenarios": [scenario for scenario, _ in self.subjects],
            "runs_subject_keys": [key for _, key in self.subjects],
            "runs_since": self.since,
        }


async def runs_of_shopper(session: AsyncSession, probe: ShopperProbe) -> list[SeenRun]:
    """The runs the probe looks for; unlocked, one round trip."""
    rows = await _SHOPPER_RUNS.fetch(await begun_driver(session), **probe.params())
    return [SeenRun(r["id"], r["scenario"], r["subject_key"], r["status"]) for r in rows]
