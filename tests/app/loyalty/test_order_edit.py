"""An order edit re-computes the order's points against its original earn: the units the edit
added earn at the ORIGINAL rate (the rule may have changed since), once per edit however often
Shopify delivers it; a later refund or cancellation reverses the edited earn; an edit naming a
line we do not hold yet waits for its orders/updated. The bodies are the simulator's, as
Shopify sends them (orders/updated with the edited order, then orders/edited with the edit)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.loyalty.verify import verify
from app.models import WebhookEvent
from app.settings import Settings
from devstore.payloads import CATALOG
from devstore.server import Simulator
from tests.app.loyalty.conftest import configure, position
from tests.support.shops import create_shop
from tests.support.webhooks import deliver, deliver_and_process
from tests.support.worker import run_worker_burst


async def paid_store(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    sim: Simulator,
) -> tuple[str, int, int, dict[str, object]]:
    """A shop with the program on and one paid order of 2 units at CATALOG[0]'s price."""
    domain = sim.add_shop("edit-store").domain
    shop_id = (await create_shop(sessions, domain=domain)).id
    await configure(sessions, shop_id, enabled=True)
    buyer = sim.add_customer(domain, "lin@example.com")
    placed = sim.place_order(
        domain,
        email="lin@example.com",
        customer=buyer,
        line_items=[replace(CATALOG[0], quantity=2)],
    )
    await deliver_and_process(client, settings, "orders/paid", placed.order, shop=domain)
    return domain, shop_id, buyer.id, placed.order


async def test_an_edit_adds_the_points_of_its_units_at_the_original_rate_once(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    sim: Simulator,
) -> None:
    domain, shop_id, buyer, order = await paid_store(client, sessions, settings, sim)
    unit = Decimal(str(order["line_items"][0]["price"]))  # type: ignore[index]
    before = await position(sessions, shop_id, buyer)
    [earned] = [delta for kind, _, delta in before.entries if kind == "earn"]
    assert earned == int(unit * 2)

    # The rule changes; the edit still earns at the order's original rate (1 point per 1).
    await configure(sessions, shop_id, per_currency={"points": "5"})
    line_id = int(order["line_items"][0]["id"])  # type: ignore[index]
    updated, edit = sim.payloads(domain).order_edit(order, {line_id: 3}, datetime.now(UTC))
    await deliver_and_process(client, settings, "orders/updated", updated, shop=domain)
    await deliver_and_process(client, settings, "orders/edited", edit, shop=domain)
    # Shopify delivers it again (another delivery of the same edit): nothing more.
    await deliver_and_process(client, settings, "orders/edited", edit, shop=domain)

    after = await position(sessions, shop_id, buyer)
    assert after.entries == [("earn", "order", earned), ("earn", "order_edit", int(unit * 3))]
    assert after.cached_balance == after.ledger_sum == int(unit * 5)

    # Cancelling the edited order takes back everything it earned, edits included.
    cancelled = sim.payloads(domain).order_cancelled(updated, datetime.now(UTC))
    await deliver_and_process(client, settings, "orders/cancelled", cancelled, shop=domain)
    final = await position(sessions, shop_id, buyer)
    assert final.entries[-1] == ("clawback", "order", -int(unit * 5))
    assert final.cached_balance == final.ledger_sum == 0
    async with sessions.begin() as session:
        report = await verify(session)
    assert report.ok, report.differences


async def test_a_refund_after_an_edit_takes_its_share_of_the_edited_earn(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    sim: Simulator,
) -> None:
    domain, shop_id, buyer, order = await paid_store(client, sessions, settings, sim)
    unit = Decimal(str(order["line_items"][0]["price"]))  # type: ignore[index]
    line_id = int(order["line_items"][0]["id"])  # type: ignore[index]
    updated, edit = sim.payloads(domain).order_edit(order, {line_id: 2}, datetime.now(UTC))
    await deliver_and_process(client, settings, "orders/updated", updated, shop=domain)
    await deliver_and_process(client, settings, "orders/edited", edit, shop=domain)

    refund = sim.payloads(domain).refund(updated, datetime.now(UTC))  # one unit back
    await deliver_and_process(client, settings, "refunds/create", refund, shop=domain)

    found = await position(sessions, shop_id, buyer)
    assert found.entries[-1] == ("clawback", "refund", -int(unit))
    assert found.cached_balance == found.ledger_sum == int(unit * 3)
    async with sessions.begin() as session:
        report = await verify(session)
    assert report.ok, report.differences


async def test_an_edit_before_the_order_update_that_carries_its_line_waits_for_it(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    sim: Simulator,
) -> None:
    domain, shop_id, buyer, order = await paid_store(client, sessions, settings, sim)
    unit = Decimal(str(order["line_items"][0]["price"]))  # type: ignore[index]
    # An edit naming a line item no orders/* delivery brought: not valued, kept for retry.
    edit = {
        "order_edit": {
            "id": 990001,
            "order_id": order["id"],
            "created_at": datetime.now(UTC).isoformat(),
            "line_items": {"additions": [{"id": 424242, "delta": 1}], "removals": []},
        }
    }
    assert (await deliver(client, "orders/edited", edit, shop=domain)).status_code == 200
    await run_worker_burst(settings)
    async with sessions.begin() as session:
        event = await session.scalar(
            select(WebhookEvent).where(WebhookEvent.topic == "orders/edited")
        )
    assert event is not None
    assert event.status != "processed"
    assert "424242" in (event.last_error or "")
    found = await position(sessions, shop_id, buyer)
    assert [kind for kind, _, _ in found.entries] == ["earn"]
    assert found.cached_balance == int(unit * 2)
