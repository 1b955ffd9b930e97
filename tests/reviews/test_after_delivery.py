"""The review request's "after delivery" timing, through HTTP: the setting saved and refused
in the admin API, Shopify's delivered status (fulfillment_events/create, fulfillments/update,
as the simulator builds them from Shopify's documented REST resources) signed into /webhooks,
and the request at the SMTP server timed from the delivery, or from the fulfilment plus the
wait when no delivered status comes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from app.models import OrderDelivery, ScenarioRun, TimelineEntry
from tests.messaging.conftest import Inbox
from tests.reviews.conftest import fulfilled_payload, products
from tests.reviews.test_end_to_end import KEY, run_of, turn_on
from tests.scenarios.conftest import SHOP, Store, html_part, until


async def delivered_bodies(store: Store, order: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    """fulfillment_events/create and fulfillments/update for the order's shipment delivered
    now, as the simulator sends them."""
    _, event, fulfillment = store.sim.payloads(SHOP).fulfillment_delivered(order, datetime.now(UTC))
    return event, fulfillment


async def fulfil(store: Store, items: list[Any], *, email: str) -> dict[str, Any]:
    customer = store.customer_payload(email=email)
    await store.deliver("customers/create", customer)
    order = fulfilled_payload(store, customer, items)
    await store.deliver("orders/fulfilled", order)
    await store.work(horizon=0.3)
    return order


async def started_detail(store: Store) -> tuple[str, dict[str, Any]]:
    async with store.sessions.begin() as session:
        entry = await session.scalar(
            select(TimelineEntry).where(
                TimelineEntry.scenario == KEY, TimelineEntry.kind == "started"
            )
        )
        assert entry is not None
        return entry.reason, dict(entry.detail)


async def kinds(store: Store) -> list[tuple[str, int | None, str]]:
    async with store.sessions.begin() as session:
        rows = await session.scalars(
            select(TimelineEntry).where(TimelineEntry.scenario == KEY).order_by(TimelineEntry.id)
        )
        return [(e.kind, e.step, e.reason) for e in rows]


async def test_the_request_waits_for_the_delivered_status(store: Store, inbox: Inbox) -> None:
    (kettle,) = products(store, "Copper Kettle")
    await turn_on(
        store, request=1, reminder=60, timing="after_delivery", delivery_wait_seconds=3600
    )
    order = await fulfil(store, [kettle], email="ines@example.test")
    reason, detail = await started_detail(store)
    assert reason == "order_fulfilled"
    assert detail["timing"] == "after_delivery"
    assert "awaiting_delivery_until" in detail
    run = await run_of(store)
    assert run is not None
    assert run.next_step_at is not None
    # Waiting on the fallback: the fulfilment plus the hour.
    assert (run.next_step_at - datetime.now(UTC)).total_seconds() > 3500

    # In transit is not delivered: nothing changes.
    event, fulfillment = await delivered_bodies(store, order)
    await store.deliver("fulfillment_events/create", {**event, "status": "in_transit"})
    await store.work(horizon=1.5)
    assert inbox.messages == []

    await store.deliver("fulfillment_events/create", event)
    await store.work(horizon=2.0)
    await until(lambda: len(inbox.messages) == 1)
    assert inbox.messages[0]["To"] == order["email"]
    assert "Copper Kettle" in html_part(inbox.messages[0])
    assert ("retimed", 1, "order_delivered") in await kinds(store)

    # The same delivery told again, by the other topic: one delivery, one request.
    await store.deliver("fulfillments/update", fulfillment)
    await store.deliver("fulfillment_events/create", event, webhook_id="again")
    await store.work(horizon=1.5)
    assert len(inbox.messages) == 1
    async with store.sessions.begin() as session:
        rows = list(await session.scalars(select(OrderDelivery)))
    assert [(r.order_shopify_id, r.source) for r in rows] == [
        (order["id"], "fulfillment_events/create")
    ]
    assert [k for k in await kinds(store) if k[0] == "retimed"] == [
        ("retimed", 1, "order_delivered")
    ]


async def test_without_a_delivered_status_the_request_counts_from_the_wait(
    store: Store, inbox: Inbox
) -> None:
    (kettle,) = products(store, "Copper Kettle")
    await turn_on(store, request=1, reminder=60, timing="after_delivery", delivery_wait_seconds=2)
    await fulfil(store, [kettle], email="noe@example.test")
    assert inbox.messages == []
    # Fulfilment + 2 s of waiting + the request's 1 s.
    await store.work(horizon=4.0)
    await until(lambda: len(inbox.messages) == 1)
    assert "retimed" not in [k[0] for k in await kinds(store)]
    reason, detail = await started_detail(store)
    assert (reason, detail["timing"]) == ("order_fulfilled", "after_delivery")


async def test_a_delivery_heard_before_the_fulfilment_times_the_request(
    store: Store, inbox: Inbox
) -> None:
    (kettle,) = products(store, "Copper Kettle")
    await turn_on(
        store, request=1, reminder=60, timing="after_delivery", delivery_wait_seconds=3600
    )
    customer = store.customer_payload(email="zoe@example.test")
    await store.deliver("customers/create", customer)
    order = fulfilled_payload(store, customer, [kettle])
    _, fulfillment = await delivered_bodies(store, order)
    # Out of order: the shipment's update comes first.
    await store.deliver("fulfillments/update", fulfillment)
    await store.deliver("orders/fulfilled", order)
    await store.work(horizon=2.0)
    await until(lambda: len(inbox.messages) == 1)
    reason, detail = await started_detail(store)
    assert reason == "order_delivered"
    assert "awaiting_delivery_until" not in detail


async def test_after_fulfilment_a_delivered_status_changes_nothing(
    store: Store, inbox: Inbox
) -> None:
    (kettle,) = products(store, "Copper Kettle")
    await turn_on(store, request=3600, reminder=7200)
    order = await fulfil(store, [kettle], email="eli@example.test")
    before = await run_of(store)
    event, _ = await delivered_bodies(store, order)
    await store.deliver("fulfillment_events/create", event)
    await store.work(horizon=0.5)
    after = await run_of(store)
    assert before is not None
    assert after is not None
    assert after.next_step_at == before.next_step_at
    assert inbox.messages == []


async def test_the_timing_is_validated_in_the_merchants_language(store: Store) -> None:
    url = f"/api/scenarios/{KEY}"
    shown = await store.client.get(url, headers=store.headers)
    assert shown.json()["timing"] == "after_fulfilment"
    assert shown.json()["delivery_wait_seconds"] == 10 * 86400

    wrong = await store.client.put(
        f"{url}?locale=fr", headers=store.headers, json={"timing": "when_delivered"}
    )
    assert wrong.status_code == 400
    [problem] = wrong.json()["problems"]
    assert problem["field"] == "timing"
    assert "after_fulfilment" in problem["message"]
    assert "after_delivery" in problem["message"]
    assert problem["message"].startswith("doit être l'une de ces valeurs")

    too_long = await store.client.put(
        url, headers=store.headers, json={"delivery_wait_seconds": 61 * 86400}
    )
    assert too_long.status_code == 400
    [problem] = too_long.json()["problems"]
    assert problem["field"] == "delivery_wait_seconds"
    assert "at most 5184000" in problem["message"]

    saved = await store.client.put(
        url,
        headers=store.headers,
        json={"timing": "after_delivery", "delivery_wait_seconds": 5 * 86400},
    )
    assert saved.status_code == 200, saved.text
    assert (saved.json()["timing"], saved.json()["delivery_wait_seconds"]) == (
        "after_delivery",
        5 * 86400,
    )
    async with store.sessions.begin() as session:
        assert await session.scalar(select(ScenarioRun)) is None
