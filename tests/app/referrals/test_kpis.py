"""The referral program's KPIs (docs/kpis.md, "Referrals") read through GET /api/kpis/referrals
after the roll-up job ran, on referrals made through the public surface: the share link
visited over HTTP, friends' orders with the code as signed webhooks, a refund, a fraud flag
the merchant rejects, the hold period's end rewarding the advocate. The rebuilt roll-up
equals the one the triggers kept."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import text

from app.kpis.jobs import roll_up
from app.kpis.rollup import rebuild_shop
from tests.app.referrals.conftest import SHOP, Referrals


async def _kpis(referrals: Referrals, query: str = "") -> dict[str, Any]:
    response = await referrals.store.client.get(
        f"/api/kpis/referrals{query}", headers=referrals.store.headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _roll_ups(referrals: Referrals) -> list[tuple[object, ...]]:
    async with referrals.store.sessions.begin() as session:
        rows = await session.execute(
            text(
                "SELECT 'd', day, source, step, metric, value FROM kpi_daily "
                "WHERE shop_id = :s UNION ALL "
                "SELECT 'm', month, source, step, metric, value FROM kpi_monthly "
                "WHERE shop_id = :s ORDER BY 1, 2, 3, 4, 5"
            ),
            {"s": referrals.store.shop.id},
        )
        return [tuple(r) for r in rows]


async def test_referral_figures_from_visits_orders_flags_refunds_and_rewards(
    referrals: Referrals,
) -> None:
    ada, code = await referrals.advocate("ada@example.test")
    # Two visits of her share link.
    for _ in range(2):
        visit = await referrals.store.client.get(f"/r/{code}")
        assert visit.status_code == 302
    # Bob's order with the code qualifies and rewards her after the hold period.
    bob = await referrals.sign_up("bob@example.test", first_name="Bob")
    bob_order = referrals.place(bob, code).order
    await referrals.deliver_order(bob_order)
    # Cleo orders from Ada's IP: flagged; the merchant rejects it.
    cleo = await referrals.sign_up("cleo@example.test", first_name="Cleo")
    cleo.ip = ada.ip
    await referrals.deliver_order(referrals.place(cleo, code).order)
    # Dan's order is refunded during the hold period: void.
    dan = await referrals.sign_up("dan@example.test", first_name="Dan")
    dan_order = referrals.place(dan, code).order
    await referrals.deliver_order(dan_order)
    await referrals.work()
    refund = referrals.sim.payloads(SHOP).refund(dan_order, referrals.sim.clock.now())
    await referrals.store.deliver("refunds/create", refund)
    await referrals.work()
    flagged = await referrals.store.client.get(
        "/api/referrals?status=flagged", headers=referrals.store.headers
    )
    (cleo_referral,) = flagged.json()
    rejected = await referrals.store.client.post(
        f"/api/referrals/{cleo_referral['id']}/reject", headers=referrals.store.headers
    )
    assert rejected.status_code == 200, rejected.text
    assert await referrals.after_hold() == 1
    # (The three orders' webhooks were handled concurrently: their referrals' order varies.)
    assert sorted(r.status for r in await referrals.referrals()) == ["rejected", "rewarded", "void"]

    await roll_up(referrals.store.sessions)
    body = await _kpis(referrals)
    figures = {name: f["value"] for name, f in body["figures"].items()}
    # Ada's code, and each friend's own after their first paid order (Bob, Cleo, Dan: a
    # refund or a rejection does not take a code back).
    assert Decimal(figures["codes_issued"]) == 4
    assert Decimal(figures["link_visits"]) == 2
    assert Decimal(figures["codes_used"]) == 3
    assert Decimal(figures["flagged"]) == 1
    assert Decimal(figures["qualified"]) == 1
    assert Decimal(figures["rewarded"]) == 1
    assert Decimal(figures["voided"]) == 1
    assert Decimal(figures["rejected"]) == 1
    assert Decimal(figures["referred_orders"]) == 1
    assert Decimal(figures["referred_revenue"]) == Decimal(bob_order["total_price"])
    assert Decimal(figures["conversion_rate"]) == Decimal("1.5")  # 3 codes used ÷ 2 visits
    assert figures["flagged_rate"] == "0.333333"  # 1 of 3, to six places
    assert body["figures"]["codes_used"]["previous"] == "0"
    assert body["figures"]["conversion_rate"]["previous"] is None  # no visit before: "—"

    # The same figures by day, and as CSV.
    period = body["period"]
    series = await referrals.store.client.get(
        f"/api/kpis/series?source=referrals&metric=codes_used"
        f"&from={period['from']}&to={period['to']}",
        headers=referrals.store.headers,
    )
    assert sum(Decimal(p["values"].get("referrals", "0")) for p in series.json()["points"]) == 3
    exported = await referrals.store.client.get(
        "/api/kpis/referrals?format=csv", headers=referrals.store.headers
    )
    assert exported.headers["content-type"].startswith("text/csv")
    table = {row["metric"]: row for row in csv.DictReader(io.StringIO(exported.text))}
    assert Decimal(table["codes_used"]["value"]) == 3
    assert Decimal(table["rewarded"]["value"]) == 1
    assert table["conversion_rate"]["value"] == "1.500000"

    # Every change above reached the roll-up through the triggers: a rebuild finds the same.
    incremental = await _roll_ups(referrals)
    assert any(row[2] == "referrals" for row in incremental)
    async with referrals.store.sessions.begin() as session:
        await rebuild_shop(session, referrals.store.shop.id, datetime.now(UTC))
    assert await _roll_ups(referrals) == incremental
