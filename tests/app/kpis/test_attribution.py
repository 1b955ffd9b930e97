"""The attribution rule: the last message a person opened or clicked within the window takes
the order; a cart recovery counts first for the cart; no order is attributed twice; the
window is the shop's setting."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx

from tests.app.kpis.conftest import get_json, paris
from tests.support.kpi_rows import Rows


async def attributed(client: httpx.AsyncClient, auth: dict[str, str]) -> list[tuple[str, str, int]]:
    body = await get_json(client, "/api/kpis/attributions?from=2026-11-01&to=2026-11-30", auth)
    return [(a["order_name"], a["scenario"], a["step"]) for a in body["attributions"]]


async def engaged(
    rows: Rows, scenario: str, customer: int, kind: str, at: str, *, step: int = 1
) -> None:
    key = f"{scenario}:{customer}"
    await rows.run(scenario, key, customer_id=customer, started_at=paris("2026-11-01 08:00"))
    message = await rows.message(
        scenario,
        key,
        step,
        customer_id=customer,
        requested_at=paris("2026-11-01 09:00"),
        sent_at=paris("2026-11-01 09:00"),
    )
    await rows.event(message, kind, paris(at))


async def test_two_competing_messages_the_last_engaged_wins_once(
    client: httpx.AsyncClient,
    rows: Rows,
    rolled: Callable[[], Awaitable[int]],
    auth: dict[str, str],
) -> None:
    customer = await rows.customer("two@example.test")
    # The welcome opened on the 3rd, the win-back clicked on the 4th: the win-back's order.
    await engaged(rows, "welcome", customer, "open", "2026-11-03 10:00")
    await engaged(rows, "winback", customer, "click", "2026-11-04 10:00")
    await rows.order(customer_id=customer, placed_at=paris("2026-11-05 10:00"), total="30.00")
    await rolled()
    ((_, scenario, step),) = await attributed(client, auth)
    assert (scenario, step) == ("winback", 1)
    body = await get_json(client, "/api/kpis/scenarios?from=2026-11-01&to=2026-11-30", auth)
    conversions = {s["scenario"]: s["figures"]["conversions"]["value"] for s in body["scenarios"]}
    assert conversions["winback"] == "1.0000"
    assert conversions["welcome"] == "0"  # never twice


async def test_a_cart_recovery_counts_first_for_the_cart(
    client: httpx.AsyncClient,
    rows: Rows,
    rolled: Callable[[], Awaitable[int]],
    auth: dict[str, str],
) -> None:
    customer = await rows.customer("cart@example.test")
    await rows.run(
        "abandoned_cart", "tok-c", customer_id=customer, started_at=paris("2026-11-02 08:00")
    )
    await rows.message(
        "abandoned_cart",
        "tok-c",
        1,
        customer_id=customer,
        requested_at=paris("2026-11-02 09:00"),
        sent_at=paris("2026-11-02 09:00"),
    )
    # A welcome opened after the reminder (never opened) does not take the cart's order.
    await engaged(rows, "welcome", customer, "click", "2026-11-02 11:00")
    await rows.order(
        customer_id=customer,
        placed_at=paris("2026-11-02 12:00"),
        total="80.00",
        checkout_token="tok-c",
    )
    # A reminder not yet sent when the order came does not recover it.
    other = await rows.customer("late@example.test")
    await rows.run(
        "abandoned_cart", "tok-l", customer_id=other, started_at=paris("2026-11-02 08:00")
    )
    await rows.message(
        "abandoned_cart",
        "tok-l",
        1,
        customer_id=other,
        requested_at=paris("2026-11-02 15:00"),
        sent_at=paris("2026-11-02 15:00"),
    )
    await rows.order(
        customer_id=other,
        placed_at=paris("2026-11-02 14:00"),
        total="20.00",
        checkout_token="tok-l",
    )
    await rolled()
    assert [(s, st) for _, s, st in await attributed(client, auth)] == [("abandoned_cart", 1)]


async def test_the_window_is_the_shops_setting(
    client: httpx.AsyncClient,
    rows: Rows,
    rolled: Callable[[], Awaitable[int]],
    auth: dict[str, str],
) -> None:
    customer = await rows.customer("w@example.test")
    await engaged(rows, "welcome", customer, "open", "2026-11-03 10:00")
    # Six days after the open: outside the default five.
    await rows.order(customer_id=customer, placed_at=paris("2026-11-09 10:00"), total="30.00")
    await rolled()
    assert await attributed(client, auth) == []
    response = await client.put(
        "/api/kpis/settings", headers=auth, json={"attribution_window_days": 7}
    )
    assert response.status_code == 200, response.text
    await rolled()
    assert [s for _, s, _ in await attributed(client, auth)] == ["welcome"]
    refused = await client.put(
        "/api/kpis/settings", headers=auth, json={"attribution_window_days": 0}
    )
    assert refused.status_code == 400
    assert "1" in refused.json()["detail"]


async def test_a_message_of_no_run_opened_last_does_not_hide_the_scenarios_click(
    client: httpx.AsyncClient,
    rows: Rows,
    rolled: Callable[[], Awaitable[int]],
    auth: dict[str, str],
) -> None:
    customer = await rows.customer("notice@example.test")
    # The welcome clicked on the 3rd; a loyalty notice (no run) opened on the 4th and a referral
    # email (no run) clicked on the 5th, both after it and before the order.
    await engaged(rows, "welcome", customer, "click", "2026-11-03 10:00")
    notice = await rows.message(
        "loyalty",
        f"digest:{customer}",
        3,
        customer_id=customer,
        requested_at=paris("2026-11-04 09:00"),
        sent_at=paris("2026-11-04 09:00"),
    )
    await rows.event(notice, "open", paris("2026-11-04 12:00"))
    referral = await rows.message(
        "referral",
        f"invite:{customer}",
        1,
        customer_id=customer,
        requested_at=paris("2026-11-05 08:00"),
        sent_at=paris("2026-11-05 08:00"),
    )
    await rows.event(referral, "click", paris("2026-11-05 09:00"))
    await rows.order(customer_id=customer, placed_at=paris("2026-11-05 10:00"), total="30.00")
    await rolled()
    assert [(s, st) for _, s, st in await attributed(client, auth)] == [("welcome", 1)]
