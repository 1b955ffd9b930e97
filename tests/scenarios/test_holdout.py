"""Holdout groups at the engine's start path: with the welcome series holding out half its
subjects, each customer is in or out by the hash of its subject, the held-out ones are never
messaged and their timeline says "holdout"; a redelivery leaves them where they were."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from app.kpis.jobs import roll_up
from app.models import ScenarioRun, TimelineEntry
from app.scenarios.holdout import held_out
from tests.messaging.conftest import Inbox
from tests.scenarios.conftest import Store
from tests.scenarios.test_welcome import turn_on, welcome_messages, welcome_runs


async def test_held_out_subjects_are_chosen_by_hash_and_never_messaged(
    store: Store, inbox: Inbox
) -> None:
    await turn_on(store, steps=[{"delay_seconds": 0}, {"enabled": False}, {"enabled": False}])
    response = await store.client.put(
        "/api/kpis/settings", headers=store.headers, json={"holdouts": {"welcome": 50}}
    )
    assert response.status_code == 200, response.text
    assert response.json()["holdouts"] == {"welcome": "50"}
    customers = [store.customer_payload(email=f"h{i}@example.test") for i in range(12)]
    for customer in customers:
        await store.deliver("customers/create", customer)
    await store.work()

    runs = await welcome_runs(store)
    assert len(runs) == 12
    out = {
        r.subject_key
        for r in runs
        if held_out(store.shop.id, "welcome", r.subject_key, Decimal(50))
    }
    assert 0 < len(out) < 12  # both groups exist at 50 %
    for run in runs:
        if run.subject_key in out:
            assert (run.status, run.stop_reason, run.next_step_at) == ("stopped", "holdout", None)
        else:
            assert run.stop_reason is None
    messaged = {m.subject_key for m in await welcome_messages(store)}
    assert messaged == {r.subject_key for r in runs} - out
    assert len(inbox.messages) == 12 - len(out)
    async with store.sessions.begin() as session:
        entries = list(
            await session.scalars(select(TimelineEntry).where(TimelineEntry.kind == "held_out"))
        )
    assert sorted(e.run_id for e in entries) == sorted(r.id for r in runs if r.subject_key in out)
    assert {e.reason for e in entries} == {"holdout"}

    # Stable: the same customers again change nothing, and nobody held out gets an email.
    for customer in customers:
        await store.deliver("customers/create", customer)
    await store.work()
    async with store.sessions.begin() as session:
        again = list(await session.scalars(select(ScenarioRun).order_by(ScenarioRun.id)))
    assert [(r.subject_key, r.status) for r in again] == [(r.subject_key, r.status) for r in runs]
    assert len(inbox.messages) == 12 - len(out)

    # The dashboard counts both groups.
    await roll_up(store.sessions)
    body = (await store.client.get("/api/kpis/scenarios", headers=store.headers)).json()
    (welcome,) = [s for s in body["scenarios"] if s["scenario"] == "welcome"]
    assert Decimal(welcome["figures"]["holdout"]["value"]) == len(out)
    assert Decimal(welcome["figures"]["runs_started"]["value"]) == 12 - len(out)


def test_the_hash_is_stable_and_near_the_share() -> None:
    keys = [f"customer:{i}" for i in range(10_000)]
    first = [held_out(7, "winback", k, Decimal(10)) for k in keys]
    assert first == [held_out(7, "winback", k, Decimal(10)) for k in keys]
    assert 900 <= sum(first) <= 1100
    assert not any(held_out(7, "winback", k, Decimal(0)) for k in keys)
