"""Missed webhooks, end to end: the simulator loses deliveries (the change stays in the shop and
its Admin API), the reconciler reads them back and feeds the inbox, and the scenarios act as if
the webhooks had come: bought carts are not reminded, recoveries are credited, a late real
delivery changes nothing, and a subscription Shopify deleted is registered again."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from app.models import (
    Checkout,
    Customer,
    Order,
    ReconcileState,
    ScenarioConversion,
    TimelineEntry,
    WebhookEvent,
)
from app.platform.resources import Resources, build_resources
from app.reconcile.versions import ALREADY_RECONCILED
from devstore.disorder import Disorder
from devstore.traffic import TrafficGenerator, TrafficSettings, replay
from jobs import reconcile as reconcile_module
from jobs.reconcile import reconcile_now, reconcile_shop, schedule_reconciles
from jobs.worker import worker_settings
from tests.messaging.conftest import Inbox
from tests.scenarios.conftest import SHOP, Store
from tests.support.worker import job_context

ONE_STEP = {"steps": {"1": {"delay_seconds": 1}, "2": {"enabled": False}, "3": {"enabled": False}}}


@pytest.fixture
def wired(store: Store, app: FastAPI) -> Store:
    """The simulator's webhooks reach the app in-process, as Shopify's reach it."""
    store.sim.webhooks.transport = httpx.ASGITransport(app=app)
    return store


@asynccontextmanager
async def worker_resources(store: Store, **settings: Any) -> AsyncIterator[Resources]:
    """Resources built as the worker builds them, reaching the simulator."""
    configured = worker_settings(store.settings.model_copy(update=settings))
    resources = await build_resources(configured, http_transport=store.shopify)
    try:
        yield resources
    finally:
        await resources.close()


async def reconcile(store: Store, **settings: Any) -> int:
    """One periodic read-back of the shop, then the worker processes what it stored. The
    traffic's times run ahead of the clock, so no version is too young to be taken."""
    settings.setdefault("reconcile_grace_seconds", 0)
    async with worker_resources(store, **settings) as resources:
        report = await reconcile_now(resources, store.shop.id)
    assert report is not None
    await store.work()
    return report.total_missing


async def count(store: Store, model: Any) -> int:
    async with store.sessions.begin() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def buy_unheard(store: Store, checkout: dict[str, Any], customer_id: int) -> dict[str, Any]:
    """The shopper completes the checkout; every webhook about it is lost."""
    sim = store.sim
    placed = sim.place_order(
        SHOP,
        email=checkout["email"],
        customer=sim.shop(SHOP).customers[customer_id],
        checkout_token=checkout["token"],
    )
    moment = placed.order["updated_at"]
    completed = {**checkout, "completed_at": moment, "updated_at": moment}
    await sim.emit(SHOP, "checkouts/update", completed, drop=True)
    await sim.emit(SHOP, "orders/create", placed.order, drop=True)
    await sim.emit(SHOP, "orders/paid", placed.order, drop=True)
    return placed.order


@pytest.mark.parametrize("bulk", [False, True], ids=["pages", "bulk"])
async def test_every_order_and_checkout_is_stored_after_half_the_deliveries_are_lost(
    wired: Store, bulk: bool
) -> None:
    sim = wired.sim
    shop = sim.shop(SHOP)
    # Throttling is not the subject here (the client waits it out): a Plus store's bucket.
    sim.set_plan(SHOP, "plus")
    # No store history: orders months old come before the shop's first mark, which no
    # read-back covers (an install-time import would; the reconciler reads what changed since).
    settings = TrafficSettings(
        seed=11,
        days=0.3,
        sessions_per_day=90,
        abandon_rate=0.4,
        start=datetime.now(UTC),
        lapsed_customers=0,
    )
    events = list(TrafficGenerator(sim.storefront, shop, settings).events())
    await replay(events, sim, SHOP, disorder=Disorder(seed=5, drop_rate=0.5))
    await wired.work()
    lost = [d for d in sim.dropped if d[1].split("/")[0] in ("orders", "checkouts")]
    assert lost, "the simulator lost no order or checkout delivery"
    expected_orders = set(shop.orders)
    expected_checkouts = {token for token, body in shop.checkouts.items() if body.get("email")}
    async with wired.sessions.begin() as session:
        held_orders = set(await session.scalars(select(Order.shopify_id)))
    assert held_orders < expected_orders  # some orders are known to Shopify only

    # A gap longer than 1 s is read through a bulk operation; pages otherwise.
    found = await reconcile(wired, reconcile_bulk_after_seconds=1 if bulk else 86400)

    assert found > 0
    async with wired.sessions.begin() as session:
        orders = {o.shopify_id: o for o in await session.scalars(select(Order))}
        checkouts = {c.token: c for c in await session.scalars(select(Checkout))}
    assert set(orders) == expected_orders
    assert expected_checkouts <= set(checkouts)
    for number, body in shop.orders.items():
        assert orders[number].checkout_token == body["checkout_token"]
    for token in expected_checkouts:
        completed = shop.checkouts[token].get("completed_at")
        assert (checkouts[token].completed_at is not None) == (completed is not None)
    queries = " ".join(r.query for r in sim.store.requests)
    assert ("bulkOperationRunQuery" in queries) == bulk
    # Read again: nothing is missing any more, and the shop's gap flag is cleared.
    assert await reconcile(wired) == 0
    async with wired.sessions.begin() as session:
        state = await session.get(ReconcileState, wired.shop.id)
    assert state is not None
    assert state.gap_at is None
    assert state.missing_total == found


async def test_a_bought_checkout_of_a_shop_with_gaps_gets_no_reminder(
    wired: Store, inbox: Inbox
) -> None:
    store = wired
    await store.configure(
        steps={
            "1": {"delay_seconds": 3},
            "2": {"delay_seconds": 4, "enabled": False},
            "3": {"delay_seconds": 5, "enabled": False},
        }
    )
    # An earlier gap: a customer no webhook ever announced. The periodic read-back finds it
    # and flags the shop.
    store.sim.add_customer(SHOP, "gil@example.test")
    assert await reconcile(store) == 1

    customer = store.customer_payload(email="hana@example.test")
    await store.sim.emit(SHOP, "customers/create", customer)
    checkout = store.checkout_payload(customer)
    await store.sim.emit(SHOP, "checkouts/create", checkout)
    await buy_unheard(store, checkout, customer["id"])
    # The step is due 3 s on: the shop had gaps, so the step reads back first, and sees the
    # order before deciding.
    await store.work()

    assert inbox.messages == []
    run = await store.run(checkout["token"])
    assert run is not None
    assert run.status != "running"
    assert run.last_step_sent_at is None
    assert await count(store, Order) == 1


async def test_a_recovery_whose_order_was_never_delivered_is_credited_once(
    wired: Store, inbox: Inbox
) -> None:
    store = wired
    await store.configure(**ONE_STEP)
    customer = store.customer_payload(email="ines@example.test")
    await store.sim.emit(SHOP, "customers/create", customer)
    checkout = store.checkout_payload(customer)
    await store.sim.emit(SHOP, "checkouts/create", checkout)
    await store.work()
    assert len(inbox.messages) == 1

    order = await buy_unheard(store, checkout, customer["id"])
    await store.work()
    async with store.sessions.begin() as session:
        assert list(await session.scalars(select(ScenarioConversion))) == []

    assert await reconcile(store) >= 2  # the order and the completed checkout
    async with store.sessions.begin() as session:
        (conversion,) = list(await session.scalars(select(ScenarioConversion)))
    assert conversion.attributed_via == "checkout_token"
    timeline = await count(store, TimelineEntry)

    # The lost delivery comes after all, under its own webhook id: recognised, not re-applied.
    await store.deliver("orders/create", order)
    await store.deliver("orders/paid", order)
    await store.work()
    async with store.sessions.begin() as session:
        late = list(
            await session.scalars(
                select(WebhookEvent).where(WebhookEvent.topic.in_(["orders/create", "orders/paid"]))
            )
        )
        conversions = list(await session.scalars(select(ScenarioConversion)))
    assert [(e.status, e.last_error) for e in late] == [("processed", ALREADY_RECONCILED)] * 2
    assert len(conversions) == 1
    assert await count(store, TimelineEntry) == timeline
    assert await count(store, Order) == 1
    assert len(inbox.messages) == 1


async def test_a_subscription_shopify_deleted_is_registered_again(wired: Store) -> None:
    store = wired
    shop = store.sim.shop(SHOP)
    async with worker_resources(store) as resources:
        await reconcile_shop(job_context(resources), store.shop.id)
        topics = {s.topic for s in shop.subscriptions.values()}
        assert "ORDERS_CREATE" in topics
        # Shopify deletes an API-made subscription whose deliveries kept failing.
        (gone,) = [s for s in shop.subscriptions.values() if s.topic == "ORDERS_CREATE"]
        del shop.subscriptions[gone.id]

        await reconcile_shop(job_context(resources), store.shop.id)

    again = [s for s in shop.subscriptions.values() if s.topic == "ORDERS_CREATE"]
    assert len(again) == 1
    assert again[0].id != gone.id
    assert again[0].uri == store.settings.app_url.rstrip("/") + "/webhooks"
    assert {s.topic for s in shop.subscriptions.values()} == topics


async def test_a_periodic_run_leaves_a_change_of_the_last_minute_to_its_webhook(
    wired: Store,
) -> None:
    wired.sim.add_customer(SHOP, "jo@example.test")  # its customers/create is not sent yet

    assert await reconcile(wired, reconcile_grace_seconds=60) == 0
    async with wired.sessions.begin() as session:
        state = await session.get(ReconcileState, wired.shop.id)
    assert state is not None
    assert state.gap_at is None
    # Its webhook never came: the next run (the mark stayed behind) takes it.
    assert await reconcile(wired) == 1


async def test_the_cron_queues_each_shop_once_per_period_and_the_worker_runs_it(
    wired: Store,
) -> None:
    async with worker_resources(wired) as resources:
        assert await schedule_reconciles(job_context(resources)) == 1
        assert await schedule_reconciles(job_context(resources)) == 0
    await wired.work()
    async with wired.sessions.begin() as session:
        state = await session.get(ReconcileState, wired.shop.id)
    assert state is not None
    assert state.last_run_at is not None
    assert state.subscriptions_checked_at is not None


async def test_a_worker_killed_mid_read_back_holds_the_shop_only_for_a_lease(
    wired: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A killed worker never releases the shop's lock: what it holds is a lease that lapses
    unless renewed, so the next read-back runs soon (it used to wait out a 20-minute expiry)."""
    store = wired
    shop = store.sim.shop(SHOP)
    stalled = asyncio.Event()

    async def stall(*args: Any, **kwargs: Any) -> None:
        stalled.set()
        await asyncio.Event().wait()  # a read-back that never ends: the worker dies in it

    async with worker_resources(store) as resources:
        key = reconcile_module._lock_key(store.shop.id)
        with monkeypatch.context() as patch:
            patch.setattr(reconcile_module, "reconcile_now", stall)
            running = asyncio.create_task(reconcile_shop(job_context(resources), store.shop.id))
            await stalled.wait()
            held_for = await resources.redis.pttl(key)
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running
        # What a killed worker leaves: the lock as it stood, never renewed.
        assert 0 < held_for <= reconcile_module.LEASE_SECONDS * 1000
        orphan = resources.redis.lock(key, timeout=1)  # the same hold, shortened for the test
        assert await orphan.acquire(blocking=False)
        shop.subscriptions.clear()
        assert await reconcile_shop(job_context(resources), store.shop.id) == 0
        assert shop.subscriptions == {}  # held: nothing ran
        await asyncio.sleep(1.2)
        await reconcile_shop(job_context(resources), store.shop.id)
    assert shop.subscriptions  # the lease lapsed: the read-back (and its health check) ran


async def test_a_long_read_back_keeps_its_lease(
    wired: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = wired
    monkeypatch.setattr(reconcile_module, "LEASE_SECONDS", 1)
    monkeypatch.setattr(reconcile_module, "RENEW_EVERY_SECONDS", 0.3)
    async with worker_resources(store) as resources:
        async with reconcile_module._holding_shop(resources, store.shop.id) as held:
            assert held
            await asyncio.sleep(1.5)  # longer than the lease: renewed meanwhile
            async with reconcile_module._holding_shop(resources, store.shop.id) as again:
                assert not again
        async with reconcile_module._holding_shop(resources, store.shop.id) as after:
            assert after  # released at the end of the block


async def test_deliveries_waiting_for_the_worker_get_no_twin_and_a_lost_one_is_still_read_back(
    wired: Store,
) -> None:
    store = wired
    # Delivered and stored, but the worker is behind: nothing is processed yet.
    customer = store.customer_payload(email="kai@example.test")
    await store.sim.emit(SHOP, "customers/create", customer)
    checkout = store.checkout_payload(customer)
    await store.sim.emit(SHOP, "checkouts/create", checkout)
    # A change no webhook announced: genuinely missing.
    store.sim.add_customer(SHOP, "lea@example.test")
    async with store.sessions.begin() as session:
        waiting = list(await session.scalars(select(WebhookEvent)))
    assert sorted((e.topic, e.status) for e in waiting) == [
        ("checkouts/create", "received"),
        ("customers/create", "received"),
    ]

    async with worker_resources(store, reconcile_grace_seconds=0) as resources:
        report = await reconcile_now(resources, store.shop.id)
    assert report is not None
    # Only the lost customer is stored again: the waiting deliveries are not twinned.
    assert report.missing == {"customers": 1, "checkouts": 0, "orders": 0}
    async with store.sessions.begin() as session:
        synthetic = list(
            await session.scalars(
                select(WebhookEvent).where(WebhookEvent.webhook_id.startswith("reconcile:"))
            )
        )
    assert [(e.topic, '"lea@example.test"' in (e.body or "")) for e in synthetic] == [
        ("customers/update", True)
    ]

    await store.work()
    async with store.sessions.begin() as session:
        emails = set(await session.scalars(select(Customer.email)))
        tokens = set(await session.scalars(select(Checkout.token)))
        statuses = set(await session.scalars(select(WebhookEvent.status)))
    assert {"kai@example.test", "lea@example.test"} <= emails
    assert checkout["token"] in tokens
    assert statuses == {"processed"}
    assert await reconcile(store) == 0
