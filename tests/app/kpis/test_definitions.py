"""Each definition of docs/kpis.md against a small data set computed by hand, read through
GET /api/kpis/… after the roll-up job ran. Paris time; 2026-11-10 is UTC+1."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import httpx

from tests.app.kpis.conftest import get_json, paris
from tests.support.kpi_rows import Rows

PERIOD = "from=2026-11-10&to=2026-11-11"


async def hand_computed_store(rows: Rows) -> dict[str, int]:
    """Three welcomed customers and one cart; what each did is in the comments."""
    c1 = await rows.customer("c1@example.test")
    c2 = await rows.customer("c2@example.test")
    c3 = await rows.customer("c3@example.test")
    c4 = await rows.customer("c4@example.test")
    started = paris("2026-11-10 09:00")
    await rows.run(
        "welcome", f"customer:{c1}", customer_id=c1, started_at=started, issued_codes=["WELCOME10"]
    )
    await rows.run("welcome", f"customer:{c2}", customer_id=c2, started_at=started)
    await rows.run("welcome", f"customer:{c3}", customer_id=c3, started_at=started)
    await rows.run("abandoned_cart", "tok4", customer_id=c4, started_at=started)
    # c1: step 1 opened (and by Apple's proxy) and clicked; step 2 opened at 21:00.
    m1 = await rows.message(
        "welcome",
        f"customer:{c1}",
        1,
        customer_id=c1,
        requested_at=paris("2026-11-10 10:00"),
        sent_at=paris("2026-11-10 10:00"),
    )
    await rows.event(m1, "open", paris("2026-11-10 11:00"))
    await rows.event(m1, "open", paris("2026-11-10 10:01"), human=False)
    await rows.event(m1, "click", paris("2026-11-10 11:05"))
    await rows.event(m1, "open", paris("2026-11-10 11:30"))  # a second open: still one
    # c2: only a machine opened step 1; step 2 suppressed (unsubscribed).
    m2 = await rows.message(
        "welcome",
        f"customer:{c2}",
        1,
        customer_id=c2,
        requested_at=paris("2026-11-10 10:00"),
        sent_at=paris("2026-11-10 10:00"),
    )
    await rows.event(m2, "open", paris("2026-11-10 10:02"), human=False)
    await rows.message(
        "welcome",
        f"customer:{c2}",
        2,
        customer_id=c2,
        requested_at=paris("2026-11-10 20:00"),
        status="suppressed",
        status_reason="unsubscribed",
    )
    # c3: step 1 bounced.
    m3 = await rows.message(
        "welcome",
        f"customer:{c3}",
        1,
        customer_id=c3,
        requested_at=paris("2026-11-10 10:00"),
        sent_at=paris("2026-11-10 10:00"),
    )
    await rows.event(m3, "bounce", paris("2026-11-10 10:05"))
    m4 = await rows.message(
        "welcome",
        f"customer:{c1}",
        2,
        customer_id=c1,
        requested_at=paris("2026-11-10 20:00"),
        sent_at=paris("2026-11-10 20:00"),
    )
    await rows.event(m4, "open", paris("2026-11-10 21:00"))
    # c4: the cart reminder went at noon, the checkout completed at 13:00.
    await rows.message(
        "abandoned_cart",
        "tok4",
        1,
        customer_id=c4,
        requested_at=paris("2026-11-10 12:00"),
        sent_at=paris("2026-11-10 12:00"),
    )
    await rows.order(
        customer_id=c4, placed_at=paris("2026-11-10 13:00"), total="50.00", checkout_token="tok4"
    )
    # c1 orders next morning with the welcome code (10 off), then 20 is refunded.
    _, o1 = await rows.order(
        customer_id=c1,
        placed_at=paris("2026-11-11 09:00"),
        total="100.00",
        codes={"welcome10": "10.00"},
    )
    await rows.refund(o1, "20.00", paris("2026-11-12 09:00"))
    # c2 orders too, but no person ever opened their email: not attributed.
    await rows.order(customer_id=c2, placed_at=paris("2026-11-11 10:00"), total="70.00")
    # c1 again, ten days after their last open: outside the 5-day window.
    await rows.order(customer_id=c1, placed_at=paris("2026-11-21 10:00"), total="30.00")
    return {"c1": c1, "c4": c4}


def values(figures: dict[str, Any]) -> dict[str, Decimal | None]:
    return {
        k: None if v["value"] is None else Decimal(v["value"]).normalize()
        for k, v in figures.items()
    }


async def test_scenario_figures_match_the_hand_computed_ones(
    client: httpx.AsyncClient,
    rows: Rows,
    rolled: Callable[[], Awaitable[int]],
    auth: dict[str, str],
) -> None:
    await hand_computed_store(rows)
    assert await rolled() > 0
    body = await get_json(client, f"/api/kpis/scenarios?{PERIOD}", auth)
    by_key = {s["scenario"]: s for s in body["scenarios"]}
    welcome = values(by_key["welcome"]["figures"])
    expected = {
        "runs_started": 3,
        "holdout": 0,
        "recipients": 3,
        "sent": 4,
        "delivered": 3,
        "bounced": 1,
        "suppressed": 1,
        "unique_human_opens": 2,
        "unique_human_clicks": 1,
        "machine_only_opens": 1,
        "conversions": 1,
        "revenue": 80,
        "refunded": 20,
        "discount_cost": 10,
    }
    assert {k: welcome[k] for k in expected} == {k: Decimal(v) for k, v in expected.items()}
    assert welcome["open_rate"] == Decimal("0.666667")  # 2 ÷ 3 delivered
    assert welcome["click_rate"] == Decimal("0.333333")
    assert welcome["conversion_rate"] == Decimal("0.333333")  # 1 ÷ 3 recipients
    assert welcome["revenue_per_recipient"] == Decimal("26.666667")  # 80 ÷ 3
    assert welcome["roi"] == Decimal(7)  # (80 − 10) ÷ 10
    assert by_key["welcome"]["suppressed_by_reason"] == {"unsubscribed": "1.0000"}

    cart = values(by_key["abandoned_cart"]["figures"])
    assert cart["runs_started"] == 1  # checkouts abandoned
    assert cart["recipients"] == 1  # reminded
    assert cart["recovered"] == 1
    assert cart["recovered_revenue"] == 50
    assert cart["recovery_rate"] == 1
    assert cart["roi"] is None  # no discount: no ROI to state

    # The previous period (2026-11-08 … 09) had nothing.
    assert by_key["welcome"]["figures"]["sent"]["previous"] == "0"
    assert body["period"]["previous_from"] == "2026-11-08"


async def test_a_persons_click_counts_as_an_open_without_the_pixel(
    client: httpx.AsyncClient,
    rows: Rows,
    rolled: Callable[[], Awaitable[int]],
    auth: dict[str, str],
) -> None:
    """A mail client that blocks images never loads the pixel, yet its reader clicked: the
    email was opened. A scanner's click opens nothing."""
    reader = await rows.customer("reader@example.test")
    scanned = await rows.customer("scanned@example.test")
    sent = paris("2026-11-10 10:00")
    for customer, token in ((reader, "tok-r"), (scanned, "tok-s")):
        await rows.run("abandoned_cart", token, customer_id=customer, started_at=sent)
    by_reader = await rows.message(
        "abandoned_cart", "tok-r", 1, customer_id=reader, requested_at=sent, sent_at=sent
    )
    await rows.event(by_reader, "click", paris("2026-11-10 10:30"))
    by_scanner = await rows.message(
        "abandoned_cart", "tok-s", 1, customer_id=scanned, requested_at=sent, sent_at=sent
    )
    await rows.event(by_scanner, "click", paris("2026-11-10 10:00"), human=False)
    await rolled()
    body = await get_json(client, f"/api/kpis/scenarios?{PERIOD}", auth)
    cart = values({s["scenario"]: s for s in body["scenarios"]}["abandoned_cart"]["figures"])
    assert (cart["unique_human_opens"], cart["unique_human_clicks"]) == (1, 1)
    assert (cart["machine_only_opens"], cart["machine_only_clicks"]) == (0, 1)
    assert cart["open_rate"] == Decimal("0.5")  # 1 ÷ 2 delivered
    assert cart["open_rate"] >= cart["click_rate"]  # the funnel never widens


async def test_the_programs_emails_are_not_listed_as_scenarios(
    client: httpx.AsyncClient,
    rows: Rows,
    rolled: Callable[[], Awaitable[int]],
    auth: dict[str, str],
) -> None:
    """A referral email (key "referral") and a loyalty notice (key "loyalty") are messages of
    no scenario: the scenario table lists the journeys only."""
    customer = await rows.customer("programs@example.test")
    sent = paris("2026-11-10 10:00")
    await rows.message(
        "referral", f"invite:{customer}", 1, customer_id=customer, requested_at=sent, sent_at=sent
    )
    await rows.message(
        "loyalty", f"digest:{customer}", 3, customer_id=customer, requested_at=sent, sent_at=sent
    )
    await rolled()
    body = await get_json(client, f"/api/kpis/scenarios?{PERIOD}", auth)
    listed = {s["scenario"] for s in body["scenarios"]}
    assert "welcome" in listed
    assert not listed & {"referral", "referrals", "loyalty", "reviews", "store"}


async def test_step_figures_file_each_conversion_under_the_last_engaged_step(
    client: httpx.AsyncClient,
    rows: Rows,
    rolled: Callable[[], Awaitable[int]],
    auth: dict[str, str],
) -> None:
    await hand_computed_store(rows)
    await rolled()
    body = await get_json(client, f"/api/kpis/scenarios/welcome/steps?{PERIOD}", auth)
    steps = {s["step"]: values(s["figures"]) for s in body["steps"]}
    assert sorted(steps) == [0, 1, 2]
    assert (steps[1]["sent"], steps[1]["delivered"], steps[1]["unique_human_opens"]) == (3, 2, 1)
    assert (steps[2]["sent"], steps[2]["unique_human_opens"], steps[2]["conversions"]) == (1, 1, 1)
    assert steps[1]["conversions"] == 0
    assert steps[2]["suppressed"] == 1


async def test_store_orders_and_series_by_local_day(
    client: httpx.AsyncClient,
    rows: Rows,
    rolled: Callable[[], Awaitable[int]],
    auth: dict[str, str],
) -> None:
    await hand_computed_store(rows)
    await rolled()
    store = await get_json(client, f"/api/kpis/store?{PERIOD}", auth)
    assert Decimal(store["figures"]["orders"]["value"]) == 3
    assert Decimal(store["figures"]["revenue"]["value"]) == Decimal("200")  # 50 + 80 + 70
    series = await get_json(client, f"/api/kpis/series?metric=revenue&{PERIOD}", auth)
    assert series["points"] == [
        {"day": "2026-11-10", "values": {"abandoned_cart": "50.0000", "store": "50.0000"}},
        {"day": "2026-11-11", "values": {"store": "150.0000", "welcome": "80.0000"}},
    ]


async def test_every_table_exports_as_csv(
    client: httpx.AsyncClient,
    rows: Rows,
    rolled: Callable[[], Awaitable[int]],
    auth: dict[str, str],
) -> None:
    await hand_computed_store(rows)
    await rolled()
    for path in (
        "scenarios",
        "scenarios/welcome/steps",
        "series",
        "store",
        "cohorts",
        "loyalty",
        "scenarios/welcome/lift",
        "attributions",
    ):
        response = await client.get(f"/api/kpis/{path}?{PERIOD}&format=csv", headers=auth)
        assert response.status_code == 200, (path, response.text)
        assert response.headers["content-type"].startswith("text/csv")
        assert response.text.count("\n") >= 1, path
    scenarios = (await client.get(f"/api/kpis/scenarios?{PERIOD}&format=csv", headers=auth)).text
    assert "welcome,revenue,80.0000,0,\n" in scenarios
    attributions = (
        await client.get(f"/api/kpis/attributions?{PERIOD}&format=csv", headers=auth)
    ).text
    assert attributions.splitlines()[0].startswith("day,order_name,scenario,step,via")
    assert len(attributions.splitlines()) == 3  # header, the cart's order, the welcome's


async def test_the_api_needs_a_session_token_and_a_sane_period(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    assert (await client.get("/api/kpis/scenarios")).status_code == 401
    bad = await client.get("/api/kpis/scenarios?from=2026-13-01", headers=auth)
    assert bad.status_code == 400
    assert "YYYY-MM-DD" in bad.json()["detail"]
    backwards = await client.get("/api/kpis/scenarios?from=2026-11-10&to=2026-11-01", headers=auth)
    assert backwards.status_code == 400
