"""Win-back end to end: a customer's order history arrives through signed webhooks (orders
placed months ago), the schedule walks the shop, the worker runs the steps, the codes come
from a pool at the simulator and the emails arrive at a real SMTP server."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from app.models import Message, PoolCode, ScenarioConversion, ScenarioRun, Shop, TimelineEntry
from app.platform.resources import build_resources
from app.queue import JobContext
from app.scenarios import engine
from app.scenarios.engine import ScheduleReport
from app.scenarios.winback.declaration import WINBACK
from devstore.storefront import CheckoutError
from jobs.registry import cron_jobs
from jobs.scenarios import run_schedules, scenario_step, walk_schedule
from tests.messaging.conftest import Inbox
from tests.scenarios.conftest import SHOP, Store, text_part, until

DAY = timedelta(days=1)


@pytest.fixture
async def shop(store: Store) -> Store:
    """The installed shop with win-back turned on, its reminder 2 s after the offer (a week
    in the wild)."""
    await configure(store, mode="live", steps={"reminder": {"delay_seconds": 2}})
    return store


async def configure(store: Store, **patch: Any) -> dict[str, Any]:
    response = await store.client.put("/api/scenarios/winback", headers=store.headers, json=patch)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def customer_with_orders(
    store: Store,
    email: str,
    days_ago: Sequence[float],
    *,
    consent: str = "subscribed",
    first_name: str = "Léa",
) -> dict[str, Any]:
    """A customer whose orders were placed `days_ago`, delivered as Shopify would (the
    customer, then each order), processed by the worker."""
    customer = store.customer_payload(email=email, consent=consent, first_name=first_name)
    await store.deliver("customers/create", customer)
    now = datetime.now(UTC)
    for days in days_ago:
        await store.deliver(
            "orders/create",
            store.order_payload(customer, checkout_token=None, placed_at=now - days * DAY),
        )
    await store.work()
    return customer


async def walk(store: Store, now: datetime | None = None) -> ScheduleReport:
    """One walk of win-back's schedule, as the worker's cron does it."""
    resources = await build_resources(store.settings, http_transport=store.shopify)
    try:
        return await walk_schedule(resources, WINBACK, now or datetime.now(UTC))
    finally:
        await resources.close()


async def winback_runs(store: Store) -> list[ScenarioRun]:
    async with store.sessions.begin() as session:
        return list(
            await session.scalars(
                select(ScenarioRun)
                .where(ScenarioRun.scenario == "winback")
                .order_by(ScenarioRun.id)
            )
        )


async def winback_messages(store: Store) -> list[Message]:
    async with store.sessions.begin() as session:
        return list(
            await session.scalars(
                select(Message).where(Message.scenario == "winback").order_by(Message.step)
            )
        )


async def test_a_shop_that_never_turned_win_back_on_emails_no_one(
    store: Store, inbox: Inbox
) -> None:
    """Off by default: a shop with the app for its carts (no win-back settings stored, as
    one installed before win-back existed), then a merchant who only changes a step, still
    has it paused; turning it on starts the walk."""
    await customer_with_orders(store, "old@example.test", [200, 120])
    report = await walk(store)
    assert (report.shops, report.started) == (0, 0)
    settings = await configure(store, steps={"reminder": {"delay_seconds": 2}})
    assert settings["mode"] == "paused"
    assert (await walk(store)).started == 0
    await store.work()
    assert inbox.messages == []

    await configure(store, mode="live")
    assert (await walk(store)).started == 1


async def test_a_page_walked_after_a_pause_starts_nothing(shop: Store, inbox: Inbox) -> None:
    """The walk reads the mode with each page (one transaction each): a merchant who pauses
    win-back while a long walk runs stops it at the next page, not at the shop's end."""
    await customer_with_orders(shop, "pat@example.test", [200])
    await configure(shop, mode="paused")
    async with shop.sessions.begin() as session:
        shop_id = await session.scalar(select(Shop.id))
        assert shop_id is not None
        page, due = await engine.start_scheduled_page(
            session, WINBACK, shop_id, None, datetime.now(UTC)
        )
    assert (list(page), due) == ([], [])
    assert await winback_runs(shop) == []


async def test_win_back_is_marketing_and_refuses_to_be_transactional(store: Store) -> None:
    for language, words in (("en", "is marketing"), ("fr", "est du marketing")):
        refused = await store.client.put(
            "/api/scenarios/winback",
            headers={**store.headers, "Accept-Language": language},
            json={"transactional": True},
        )
        assert refused.status_code == 400, refused.text
        (problem,) = refused.json()["problems"]
        assert problem["field"] == "transactional"
        assert words in problem["message"]


async def test_a_lapsed_customer_gets_a_pooled_code_then_a_reminder_with_it(
    shop: Store, inbox: Inbox
) -> None:
    await customer_with_orders(shop, "lea@example.test", [200, 120])

    report = await walk(shop)
    assert (report.shops, report.selected, report.started) == (1, 1, 1)
    await shop.work()

    assert [m["To"] for m in inbox.messages] == ["lea@example.test"] * 2
    first, second = (await winback_messages(shop))[:2]
    assert [(first.step, first.status), (second.step, second.status)] == [
        (1, "sent"),
        (2, "sent"),
    ]
    assert first.priority == 10
    code = first.context["discount_code"]
    assert code.startswith("MISSYOU")
    # The reminder repeats the offer's code; both emails show it.
    assert second.context["discount_code"] == code
    assert code in text_part(inbox.messages[0])
    assert code in text_part(inbox.messages[1])
    assert "Léa" in text_part(inbox.messages[0])
    # The code was claimed from a pool for this run; at Shopify it is a code of the pool's
    # discount, which each code may be used once.
    (run,) = await winback_runs(shop)
    async with shop.sessions.begin() as session:
        claimed = await session.scalar(select(PoolCode).where(PoolCode.code == code))
    assert claimed is not None
    assert claimed.claimed_by == f"winback:{run.subject_key}:0"
    (discount,) = [d for d in shop.sim.discounts(SHOP) if code in {c.code for c in d.codes}]
    assert discount.usage_limit == 1
    assert (run.status, run.issued_codes) == ("completed", [code])
    async with shop.sessions.begin() as session:
        kinds = [
            (e.kind, e.step, e.reason)
            for e in await session.scalars(
                select(TimelineEntry).where(TimelineEntry.run_id == run.id)
            )
        ]
    assert kinds[0] == ("started", None, "customer_lapsed")
    assert ("message_sent", 1, "smtp_accepted") in kinds
    assert ("message_sent", 2, "smtp_accepted") in kinds

    # The code works once at the simulator's checkout.
    shop.sim.place_order(SHOP, email="lea@example.test", discount_code=code)
    with pytest.raises(CheckoutError):
        shop.sim.place_order(SHOP, email="lea@example.test", discount_code=code)


async def test_any_order_stops_it_and_is_attributed(shop: Store, inbox: Inbox) -> None:
    await configure(shop, steps={"reminder": {"delay_seconds": 6}})
    await customer_with_orders(shop, "max@example.test", [150])
    await walk(shop)
    worker = asyncio.create_task(shop.work())
    await until(lambda: len(inbox.messages) >= 1)
    async with asyncio.timeout(5):
        while (offer := (await winback_messages(shop))[0]).status != "sent":  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    code = offer.context["discount_code"]
    placed = shop.sim.place_order(SHOP, email="max@example.test", discount_code=code)
    await shop.deliver("orders/create", placed.order)
    await worker

    assert len(inbox.messages) == 1  # the reminder never left
    (run,) = await winback_runs(shop)
    assert (run.status, run.stop_reason) == ("stopped", "customer_ordered")
    async with shop.sessions.begin() as session:
        conversions = list(await session.scalars(select(ScenarioConversion)))
    assert [(c.scenario, c.run_id, c.attributed_via) for c in conversions] == [
        ("winback", run.id, "winback_email")
    ]
    assert conversions[0].discount_cost > 0


async def test_who_is_selected(shop: Store, inbox: Inbox) -> None:
    """Consent, recency, the median rhythm for customers with 3 or more orders, erasure."""
    await customer_with_orders(shop, "nina@example.test", [100], consent="not_subscribed")
    await customer_with_orders(shop, "omar@example.test", [30])  # ordered recently
    # Orders every 10 days, the last 25 days ago: more than twice their rhythm.
    rhythm = await customer_with_orders(shop, "paz@example.test", [55, 45, 35, 25])
    # One order 25 days ago: 90 days not reached, too few orders for a rhythm.
    await customer_with_orders(shop, "quin@example.test", [25])
    erased = await customer_with_orders(shop, "rae@example.test", [300])
    await shop.deliver(
        "customers/redact",
        {
            "shop_id": 1,
            "shop_domain": SHOP,
            "customer": {"id": erased["id"], "email": erased["email"], "phone": None},
            "orders_to_redact": [],
        },
    )
    await shop.work()

    report = await walk(shop)

    assert (report.selected, report.started) == (1, 1)
    (run,) = await winback_runs(shop)
    assert run.email == rhythm["email"]


async def test_the_cooldown_keeps_a_customer_from_being_won_back_again(
    shop: Store, inbox: Inbox
) -> None:
    await configure(shop, steps={"reminder": {"enabled": False}})
    await customer_with_orders(shop, "sam@example.test", [100])
    now = datetime.now(UTC)
    assert (await walk(shop, now)).started == 1
    await shop.work()
    assert len(inbox.messages) == 1

    # Walked the next day, and months later: within the 180 days, nothing new starts.
    assert (await walk(shop, now + DAY)).selected == 0
    assert (await walk(shop, now + 179 * DAY)).selected == 0
    # Past the cooldown, the customer who never came back may be won back again.
    later = await walk(shop, now + 181 * DAY)
    assert (later.selected, later.started) == (1, 1)
    first, second = await winback_runs(shop)
    assert first.subject_key != second.subject_key


async def test_an_uninstalled_shops_schedule_does_nothing(shop: Store, inbox: Inbox) -> None:
    await customer_with_orders(shop, "tom@example.test", [100])
    await shop.deliver("app/uninstalled", {"id": 1, "domain": SHOP, "myshopify_domain": SHOP})
    await shop.work()

    report = await walk(shop)

    assert (report.shops, report.selected, report.started) == (0, 0, 0)
    assert await winback_runs(shop) == []
    assert inbox.messages == []


async def test_paused_win_back_selects_nobody(shop: Store, inbox: Inbox) -> None:
    await configure(shop, mode="paused")
    await customer_with_orders(shop, "uma@example.test", [100])

    report = await walk(shop)

    assert (report.shops, report.started) == (0, 0)
    assert await winback_runs(shop) == []


async def test_dry_run_drafts_without_a_code(shop: Store, inbox: Inbox) -> None:
    await configure(shop, mode="dry_run")
    await customer_with_orders(shop, "vic@example.test", [100])
    codes_before = set(shop.sim.codes(SHOP))

    await walk(shop)
    await shop.work()

    assert inbox.messages == []
    messages = await winback_messages(shop)
    assert [(m.step, m.status) for m in messages] == [(1, "draft"), (2, "draft")]
    assert all("discount_code" not in m.context for m in messages)
    assert set(shop.sim.codes(SHOP)) == codes_before


async def test_a_dry_run_is_a_rehearsal_going_live_wins_back_the_same_customers(
    shop: Store, inbox: Inbox
) -> None:
    """The usual path: a dry run, then live. The customers the rehearsal selected are not in
    their cooldown (they had no win-back), so the next live walk starts their real one, with
    its code; a rehearsal still waiting for its reminder stops instead of going out live."""
    await configure(shop, mode="dry_run", steps={"reminder": {"delay_seconds": 7 * 86400}})
    await customer_with_orders(shop, "una@example.test", [100])
    assert (await walk(shop)).started == 1
    await shop.work()
    assert inbox.messages == []
    (rehearsal,) = await winback_runs(shop)
    assert rehearsal.status == "active"  # its reminder a week away

    await configure(shop, mode="live", steps={"reminder": {"delay_seconds": 7 * 86400}})
    assert (await walk(shop)).started == 1
    await shop.work()
    assert [m["To"] for m in inbox.messages] == ["una@example.test"]
    live = [m for m in await winback_messages(shop) if m.status == "sent"]
    assert [m.step for m in live] == [1]
    assert live[0].context["discount_code"].startswith("MISSYOU")

    # The rehearsal's reminder comes due while live: it stops, nothing leaves for it.
    async with shop.sessions.begin() as session:
        await session.execute(
            update(ScenarioRun)
            .where(ScenarioRun.id == rehearsal.id)
            .values(next_step_at=datetime.now(UTC))
        )
    resources = await build_resources(shop.settings, http_transport=shop.shopify)
    try:  # the step's job, as the due-step scan would enqueue it
        await scenario_step(JobContext("step", 1, resources), rehearsal.id, 1)
    finally:
        await resources.close()
    await shop.work()
    runs_now = {run.id: run for run in await winback_runs(shop)}
    assert (runs_now[rehearsal.id].status, runs_now[rehearsal.id].stop_reason) == (
        "stopped",
        "winback_dry_run_over",
    )
    assert len(inbox.messages) == 1


async def test_approval_holds_the_offer_for_the_merchant(shop: Store, inbox: Inbox) -> None:
    await configure(shop, mode="approval", steps={"reminder": {"enabled": False}})
    await customer_with_orders(shop, "wyn@example.test", [100])

    await walk(shop)
    await shop.work()

    assert inbox.messages == []
    (message,) = await winback_messages(shop)
    assert message.status == "pending_approval"
    assert message.context["discount_code"] in shop.sim.codes(SHOP)


async def test_unsubscribing_at_shopify_stops_the_run_and_withdraws_its_held_offer(
    shop: Store, inbox: Inbox
) -> None:
    # The reminder a week later (not 2 s): the run waits for it, active.
    await configure(shop, mode="approval", steps={"reminder": {"delay_seconds": 7 * 86400}})
    customer = await customer_with_orders(shop, "zoe@example.test", [100])
    await walk(shop)
    await shop.work()
    (message,) = await winback_messages(shop)
    assert message.status == "pending_approval"
    (run,) = await winback_runs(shop)
    assert run.status == "active"

    unsubscribed = {
        **customer,
        "updated_at": (datetime.now(UTC) + timedelta(seconds=1)).isoformat(),
        "email_marketing_consent": {
            **customer["email_marketing_consent"],
            "state": "unsubscribed",
            "consent_updated_at": (datetime.now(UTC) + timedelta(seconds=1)).isoformat(),
        },
    }
    await shop.deliver("customers/update", unsubscribed)
    await shop.work()

    (run,) = await winback_runs(shop)
    assert (run.status, run.stop_reason) == ("stopped", "customer_unsubscribed")
    (message,) = await winback_messages(shop)
    assert message.status != "pending_approval"
    assert inbox.messages == []


async def test_the_cron_walks_win_back_once_per_period_which_settings_may_shorten(
    shop: Store, inbox: Inbox
) -> None:
    await customer_with_orders(shop, "xia@example.test", [100])
    daily = await build_resources(shop.settings, http_transport=shop.shopify)
    try:
        context = JobContext("cron:run_schedules", 1, daily)
        assert await run_schedules(context) == 1
        await customer_with_orders(shop, "yan@example.test", [100])
        assert await run_schedules(context) == 0  # today's walk is done
    finally:
        await daily.close()

    # The demo's setting: a period of one second, so the next tick walks again.
    short = shop.settings.model_copy(update={"schedule_period_seconds": 1})
    quick = await build_resources(short, http_transport=shop.shopify)
    try:
        await asyncio.sleep(1.1)
        assert await run_schedules(JobContext("cron:run_schedules", 2, quick)) == 1
    finally:
        await quick.close()
    assert sorted(r.email or "" for r in await winback_runs(shop)) == [
        "xia@example.test",
        "yan@example.test",
    ]


def test_a_period_under_a_minute_makes_the_schedules_cron_tick_as_often(store: Store) -> None:
    def tick(period: int | None) -> int:
        settings = store.settings.model_copy(update={"schedule_period_seconds": period})
        (job,) = [job for job in cron_jobs(settings) if job.name == "run_schedules"]
        return job.every_seconds

    assert (tick(None), tick(86400), tick(5), tick(7), tick(45)) == (60, 60, 5, 6, 30)
