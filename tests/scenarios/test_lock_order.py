"""A run's next step and the send of its previous reminder, at the same moment, both finish:
every transaction locks customer, then run, then message (seen deadlocking in the demo, when
the send locked the message and the customer before the run while the step, holding the run,
inserted its message and so needed a key-share lock on the customer)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from sqlalchemy import func, select, text

from app.platform.resources import Resources
from jobs.messages import send_message
from jobs.scenarios import scenario_step
from tests.messaging.conftest import Inbox
from tests.scenarios.conftest import Store
from tests.support.worker import job_context


async def _until_waiting_on_locks(store: Store, count: int) -> None:
    """Until `count` backends of this test's database wait on a row lock."""
    async with asyncio.timeout(10):
        while True:
            async with store.sessions.begin() as session:
                waiting = await session.scalar(
                    select(func.count())
                    .select_from(text("pg_stat_activity"))
                    .where(
                        text("datname = current_database()"),
                        text("wait_event_type = 'Lock'"),
                    )
                )
            if waiting == count:
                return
            await asyncio.sleep(0.05)


async def _until(moment: datetime) -> None:
    await asyncio.sleep(max((moment - datetime.now(UTC)).total_seconds(), 0) + 0.1)


async def test_the_next_step_and_the_previous_send_do_not_deadlock(
    store: Store, inbox: Inbox, app: FastAPI
) -> None:
    resources: Resources = app.state.resources
    await store.configure(
        steps={
            "1": {"delay_seconds": 3},
            "2": {"delay_seconds": 4, "discount": None},
            "3": {"delay_seconds": 5, "enabled": False},
        }
    )
    customer = store.customer_payload(email="lock@example.test")
    await store.deliver("customers/create", customer)
    anchor = datetime.now(UTC)
    checkout = store.checkout_payload(customer, updated_at=anchor)
    await store.deliver("checkouts/create", checkout)
    await store.work(horizon=0.5)  # the webhooks; the steps are the test's to run
    run = await store.run(checkout["token"])
    assert run is not None

    # Step 1 runs: its reminder is queued (its send job waits in Redis; no worker runs it).
    await _until(anchor + timedelta(seconds=3))
    await scenario_step(job_context(resources), run.id, 0)
    (first,) = await store.messages()
    assert first.status == "queued"
    await _until(anchor + timedelta(seconds=4))  # step 2 is due too

    # Hold the run so both jobs queue behind it, the step first, then release them together.
    async with resources.engine.connect() as blocker:
        held = await blocker.begin()
        await blocker.execute(
            text("SELECT id FROM scenario_runs WHERE id = :id FOR UPDATE"), {"id": run.id}
        )
        step = asyncio.create_task(scenario_step(job_context(resources, "step-2"), run.id, 1))
        await _until_waiting_on_locks(store, 1)
        send = asyncio.create_task(send_message(job_context(resources, "send-1"), first.id))
        await _until_waiting_on_locks(store, 2)
        await held.rollback()
        outcomes = await asyncio.wait_for(asyncio.gather(step, send, return_exceptions=True), 30)

    assert [o for o in outcomes if isinstance(o, BaseException)] == []
    assert outcomes[1] == "sent"
    messages = await store.messages()
    assert [(m.step, m.status) for m in messages] == [(1, "sent"), (2, "queued")]
    assert [m["To"] for m in inbox.messages] == ["lock@example.test"]
