"""The scenarios' subscriptions, wired from their declarations: each fact a scenario starts or
stops on goes to its handler inside the webhook job's transaction, and the steps to schedule
are enqueued once that transaction has committed; each scenario's outbox hooks (pre-send
guard, subject lock, engagement, unsubscribe, send outcome) are registered with messaging.
Imported by every process that serves them (app.main, jobs.registry)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.db.after_commit import after_commit
from app.facts import subscribe
from app.messaging import guards
from app.scenarios import engine
from app.scenarios.runs import DueStep
from app.scenarios.scheduling import schedule


def _schedule_after_commit(session: AsyncSession, steps: list[DueStep]) -> None:
    if steps:

        async def enqueue(resources: Any) -> None:
            await schedule(resources.queue, steps)

        after_commit(session, enqueue)


def _subscribe(fact_type: type[Any], handler: engine.FactHandler) -> None:
    @subscribe(fact_type)
    async def on_fact(session: AsyncSession, fact: Any) -> None:
        _schedule_after_commit(session, await handler(session, fact, datetime.now(UTC)))


def _register_hooks(scenario: engine.Scenario[Any, Any]) -> None:
    hooks = scenario.hooks
    if hooks.guard is not None:
        guards.guards(scenario.key)(hooks.guard)
    if hooks.lock_subject is not None:
        guards.locks_subject(scenario.key)(hooks.lock_subject)
    if hooks.on_engaged is not None:
        guards.on_engagement(scenario.key)(hooks.on_engaged)
    if hooks.on_unsubscribed is not None:
        guards.on_unsubscribe(hooks.on_unsubscribed)
    if hooks.on_send_outcome is not None:
        guards.on_send_outcome(scenario.key)(hooks.on_send_outcome)


def _install() -> None:
    for scenario in engine.scenarios().values():
        for fact_type, handler in {**scenario.starts_on, **scenario.stops_on}.items():
            _subscribe(fact_type, handler)
        _register_hooks(scenario)


_install()
