"""The scenario engine every scenario runs on. A scenario declares its key, the facts that start
it and the facts that stop it, its steps (each with its delay, whether it is on, and the
scenario's condition and action) and its hooks into the outbox; it registers itself here. The
engine holds what they all share: one run per (shop, scenario, subject), each step run at most
once under the run's row lock after a live re-check, the run advanced or stopped, and every
decision written to the customer's timeline.

Plain Python over the database session: no FastAPI, arq or httpx here."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from app.messaging.guards import Engaged, Guard, OutcomeListener, SubjectLock, Unsubscribed
from app.models import ScenarioRun, Shop
from app.scenarios import runs, timeline
from app.scenarios.actions import CodeRequest, IssuedCode, StepActions

S = TypeVar("S", bound=BaseModel)  # the scenario's settings model
T = TypeVar("T")  # what its condition and action read about the run's subject


@dataclass(frozen=True)
class StepPlan:
    """One step of a run as the shop's settings make it."""

    key: str
    # Counted from the run's anchor (for a cart: when the checkout was last changed).
    delay: timedelta
    enabled: bool


@dataclass(frozen=True)
class StepNeeds:
    """What a step's action needs from Shopify, fetched before its transaction opens and with
    no lock held (a job waiting on Shopify with a run locked would stall the webhooks that
    wait on that run)."""

    shop_id: int
    shop_domain: str
    code: CodeRequest | None = None
    # Product variants whose images the message shows.
    variant_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class StepInputs:
    """What was fetched for the step: its code, and image URLs by variant id."""

    code: IssuedCode | None = None
    images: Mapping[int, str] = field(default_factory=dict)


@dataclass
class StepContext(Generic[S, T]):
    """Everything a step's condition and action see, inside the step's transaction."""

    session: AsyncSession
    run: ScenarioRun
    shop: Shop
    settings: S
    subject: T
    step_index: int
    step: StepPlan | None
    now: datetime
    actions: StepActions
    inputs: StepInputs


# A fact handler: the scenario's decision about a fact, returning the steps to schedule.
FactHandler = Callable[[AsyncSession, Any, datetime], Awaitable[list[runs.DueStep]]]


@dataclass(frozen=True)
class Hooks:
    """The scenario's hooks into the outbox (see app/messaging/guards.py)."""

    # The outbox's last check, in the transaction that claims the message.
    guard: Guard | None = None
    # Takes the scenario's lock on the message's subject before the outbox locks the message,
    # so both sides lock in one order: customer, run, message.
    lock_subject: SubjectLock | None = None
    on_engaged: Engaged | None = None
    on_unsubscribed: Unsubscribed | None = None
    # What became of a message: sent, suppressed, deferred, failed, rejected…
    on_send_outcome: OutcomeListener | None = None


@dataclass(frozen=True)
class Scenario(Generic[S, T]):
    key: str
    settings_model: type[S]
    load_settings: Callable[[AsyncSession, int], Awaitable[S]]
    # Facts that may start a run (their handler may also re-time or stop it)…
    starts_on: Mapping[type[Any], FactHandler]
    # …and facts that only stop runs (and may attribute a conversion).
    stops_on: Mapping[type[Any], FactHandler]
    # The steps for a shop's settings, in order.
    steps: Callable[[S], Sequence[StepPlan]]
    # Reads the run's subject (a checkout and its customer) once per step.
    load_subject: Callable[[AsyncSession, ScenarioRun, Shop], Awaitable[T]]
    # The live re-check before each step: a reason to stop the run, or None to go on.
    condition: Callable[[StepContext[S, T]], Awaitable[str | None]]
    # What a step needs fetched beforehand (codes, images); None when it needs nothing.
    prepare: Callable[[AsyncSession, ScenarioRun, Shop, S, int], Awaitable[StepNeeds | None]]
    # What an enabled step does (queue a message), in the step's transaction. None lets the
    # engine advance the run; a list of steps to schedule instead means the step runs again
    # (see retry_step).
    action: Callable[[StepContext[S, T]], Awaitable[list[runs.DueStep] | None]]
    hooks: Hooks = Hooks()


_REGISTRY: dict[str, Scenario[Any, Any]] = {}


class UnknownScenario(LookupError):
    pass


def register(scenario: Scenario[S, T]) -> Scenario[S, T]:
    """Called by each scenario module at import time."""
    overlap = set(scenario.starts_on) & set(scenario.stops_on)
    if overlap:
        names = ", ".join(sorted(t.__name__ for t in overlap))
        raise ValueError(f"{scenario.key}: {names} both starts and stops it; declare it once")
    _REGISTRY[scenario.key] = scenario
    return scenario


def _load_catalog() -> None:
    # Every scenario this build ships registers itself when its module is imported; the
    # catalog imports them all. Imported here, not at the top: the scenario modules import
    # this one.
    import app.scenarios.catalog  # noqa: F401


def scenarios() -> dict[str, Scenario[Any, Any]]:
    _load_catalog()
    return dict(_REGISTRY)


def get(key: str) -> Scenario[Any, Any]:
    _load_catalog()
    try:
        return _REGISTRY[key]
    except KeyError:
        raise UnknownScenario(key) from None


def due_at(anchor: datetime, plan: Sequence[StepPlan], index: int) -> datetime:
    return anchor + plan[index].delay


async def stop(
    session: AsyncSession, run: ScenarioRun, reason: str, now: datetime, **detail: Any
) -> None:
    """Stop a (locked) run for `reason`, on the customer's timeline."""
    runs.stop(run, reason, now)
    await timeline.record(
        session,
        shop_id=run.shop_id,
        customer_id=run.customer_id,
        run_id=run.id,
        scenario=run.scenario,
        kind="stopped",
        step=run.step_index + 1,
        reason=reason,
        at=now,
        **detail,
    )


@dataclass(frozen=True)
class Prepared:
    needs: StepNeeds | None
    # Shopify refused the shop's token: the step does no work (the job stops the run, saying so).
    token_refused: bool = False


async def prepare_step(session: AsyncSession, run_id: int, step_index: int) -> Prepared | None:
    """Phase one of a step, read without locks: what it needs fetched. None when the step is
    not due to run (already run, stopped, a stale job)."""
    run = await session.get(ScenarioRun, run_id)
    if run is None or run.status != runs.ACTIVE or run.step_index != step_index:
        return None
    scenario = get(run.scenario)
    shop = await session.get(Shop, run.shop_id)
    if shop is not None and shop.token_invalid_at is not None:
        return Prepared(None, token_refused=True)
    if shop is None or shop.uninstalled_at is not None:
        return Prepared(None)
    settings = await scenario.load_settings(session, shop.id)
    return Prepared(await scenario.prepare(session, run, shop, settings, step_index))


async def run_step(
    session: AsyncSession,
    *,
    run_id: int,
    step_index: int,
    now: datetime,
    actions: StepActions,
    inputs: StepInputs,
) -> list[runs.DueStep]:
    """Run one due step, at most once: the run row is locked, the live state re-checked (a
    reason stops the run), the step's action taken (or the step skipped when it is off) and
    the run advanced, all in the caller's transaction. Returns the steps to schedule."""
    run = await runs.lock_by_id(session, run_id)
    if run is None or run.status != runs.ACTIVE or run.step_index != step_index:
        return []  # already run, stopped, or a stale job
    if run.next_step_at is not None and run.next_step_at > now:
        return [runs.DueStep(run.id, run.step_index, run.next_step_at)]  # re-timed since
    shop = await session.get(Shop, run.shop_id)
    if shop is None:
        return []
    scenario = get(run.scenario)
    settings = await scenario.load_settings(session, shop.id)
    plan = scenario.steps(settings)
    context: StepContext[Any, Any] = StepContext(
        session=session,
        run=run,
        shop=shop,
        settings=settings,
        subject=await scenario.load_subject(session, run, shop),
        step_index=step_index,
        step=plan[step_index] if step_index < len(plan) else None,
        now=now,
        actions=actions,
        inputs=inputs,
    )
    reason = await scenario.condition(context)
    if reason is not None:
        await stop(session, run, reason, now)
        return []
    if context.step is not None and context.step.enabled:
        instead = await scenario.action(context)
        if instead is not None:
            return instead
    else:
        await timeline.record(
            session,
            shop_id=shop.id,
            customer_id=run.customer_id,
            run_id=run.id,
            scenario=run.scenario,
            kind="step_skipped",
            step=step_index + 1,
            reason="step_turned_off",
            at=now,
        )
    return advance(run, plan, now)


def advance(run: ScenarioRun, plan: Sequence[StepPlan], now: datetime) -> list[runs.DueStep]:
    """Move a locked run to its next step (or complete it); returns that step to schedule."""
    nxt = run.step_index + 1
    run.step_index = nxt
    if nxt >= len(plan):
        runs.complete(run, now)
        return []
    run.next_step_at = max(due_at(run.anchor_at, plan, nxt), now)
    return [runs.DueStep(run.id, nxt, run.next_step_at)]


def retry_step(run: ScenarioRun, now: datetime, after: timedelta) -> list[runs.DueStep]:
    """Run the same step again shortly (its inputs went stale between the phases)."""
    run.next_step_at = now + after
    return [runs.DueStep(run.id, run.step_index, run.next_step_at)]
