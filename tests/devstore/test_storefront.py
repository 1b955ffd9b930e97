"""Checkout redemption follows Shopify's rules for discount codes."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import httpx
import pytest

from devstore.clock import ManualClock
from devstore.payloads import CATALOG
from devstore.server import Simulator
from devstore.storefront import CheckoutError
from tests.devstore.conftest import SHOP, gql
from tests.devstore.test_graphql import BULK_ADD, CREATE, discount_input


async def create_code(client: httpx.AsyncClient, token: str, code: str, **extra: object) -> None:
    body = await gql(client, token, CREATE, {"input": discount_input(code, **extra)})
    assert body["data"]["discountCodeBasicCreate"]["userErrors"] == []


async def test_order_carries_the_code_and_its_amount(
    client: httpx.AsyncClient, token: str, sim: Simulator
) -> None:
    await create_code(client, token, "SAVE10")
    placed = sim.place_order(
        SHOP,
        email="fay@example.com",
        line_items=[CATALOG[0], CATALOG[1]],
        discount_code="save10",
        checkout_token="chk-1",
    )
    order = placed.order
    assert order["discount_codes"] == [{"code": "SAVE10", "amount": "9.00", "type": "percentage"}]
    assert order["subtotal_price"] == "81.00"
    assert order["total_discounts"] == "9.00"
    assert order["total_price"] == "91.00"  # + 10.00 shipping
    assert order["checkout_token"] == "chk-1"
    assert order["email"] == "fay@example.com"
    assert sim.discounts(SHOP)[0].usage_count == 1


async def test_usage_limit_is_enforced(
    client: httpx.AsyncClient, token: str, sim: Simulator
) -> None:
    await create_code(client, token, "ONCE", usageLimit=1)
    sim.place_order(SHOP, email="a@example.com", discount_code="ONCE")
    with pytest.raises(CheckoutError) as refused:
        sim.place_order(SHOP, email="b@example.com", discount_code="ONCE")
    assert refused.value.reason == "usage_limit_reached"


async def test_usage_limit_and_once_per_customer_count_per_redeem_code(
    client: httpx.AsyncClient, token: str, sim: Simulator, clock: ManualClock
) -> None:
    """Shopify applies a discount's usage limit and once-per-customer rule to each of its
    redeem codes, so a pool discount with limit 1 serves each of its codes once."""
    created = await gql(
        client,
        token,
        CREATE,
        {"input": discount_input("POOL-SEED", usageLimit=1, appliesOncePerCustomer=True)},
    )
    discount_id = created["data"]["discountCodeBasicCreate"]["codeDiscountNode"]["id"]
    codes = [{"code": "POOL-A"}, {"code": "POOL-B"}]
    await gql(client, token, BULK_ADD, {"id": discount_id, "codes": codes})
    clock.advance(1)
    sim.place_order(SHOP, email="a@example.com", discount_code="POOL-A")
    sim.place_order(SHOP, email="a@example.com", discount_code="POOL-B")
    sim.place_order(SHOP, email="b@example.com", discount_code="POOL-SEED")
    with pytest.raises(CheckoutError) as refused:
        sim.place_order(SHOP, email="c@example.com", discount_code="POOL-A")
    assert refused.value.reason == "usage_limit_reached"
    assert sim.discounts(SHOP)[0].usage_count == 3


async def test_code_restricted_to_a_customer(
    client: httpx.AsyncClient, token: str, sim: Simulator
) -> None:
    owner = sim.add_customer(SHOP, "gus@example.com")
    await create_code(client, token, "GUS-ONLY", context={"customers": {"add": [owner.gid]}})
    with pytest.raises(CheckoutError) as refused:
        sim.place_order(SHOP, email="stranger@example.com", discount_code="GUS-ONLY")
    assert refused.value.reason == "customer_not_eligible"
    placed = sim.place_order(SHOP, email="gus@example.com", discount_code="GUS-ONLY")
    assert placed.order["discount_codes"][0]["code"] == "GUS-ONLY"


async def test_once_per_customer(client: httpx.AsyncClient, token: str, sim: Simulator) -> None:
    await create_code(client, token, "WELCOME", appliesOncePerCustomer=True)
    sim.place_order(SHOP, email="hal@example.com", discount_code="WELCOME")
    with pytest.raises(CheckoutError) as refused:
        sim.place_order(SHOP, email="HAL@example.com", discount_code="welcome")
    assert refused.value.reason == "once_per_customer"
    sim.place_order(SHOP, email="ivy@example.com", discount_code="WELCOME")


async def test_expired_and_deactivated_codes(
    client: httpx.AsyncClient, token: str, sim: Simulator, clock: ManualClock
) -> None:
    ends = (clock.now() + timedelta(hours=1)).isoformat()
    await create_code(client, token, "SHORT", endsAt=ends)
    sim.place_order(SHOP, email="jo@example.com", discount_code="SHORT")
    clock.advance(3601)
    with pytest.raises(CheckoutError) as refused:
        sim.place_order(SHOP, email="jo@example.com", discount_code="SHORT")
    assert refused.value.reason == "expired"
    with pytest.raises(CheckoutError) as unknown:
        sim.place_order(SHOP, email="jo@example.com", discount_code="NOPE")
    assert unknown.value.reason == "not_found"


async def test_minimum_subtotal(client: httpx.AsyncClient, token: str, sim: Simulator) -> None:
    await create_code(
        client,
        token,
        "BIG",
        minimumRequirement={"subtotal": {"greaterThanOrEqualToSubtotal": "100"}},
    )
    with pytest.raises(CheckoutError) as refused:
        sim.place_order(SHOP, email="kim@example.com", line_items=[CATALOG[2]], discount_code="BIG")
    assert refused.value.reason == "minimum_not_met"
    placed = sim.place_order(
        SHOP, email="kim@example.com", line_items=[CATALOG[3]], discount_code="BIG"
    )
    assert Decimal(placed.order["total_discounts"]) == Decimal("12.90")


async def test_checkout_endpoint_and_discount_link(
    client: httpx.AsyncClient, token: str, sim: Simulator
) -> None:
    await create_code(client, token, "LINK5", usageLimit=1)
    response = await client.post(
        f"/{SHOP}/_storefront/checkout",
        json={"email": "lou@example.com", "discount_code": "LINK5", "send_webhooks": False},
    )
    assert response.status_code == 201
    assert response.json()["order"]["discount_codes"][0]["code"] == "LINK5"
    refused = await client.post(
        f"/{SHOP}/_storefront/checkout",
        json={"email": "max@example.com", "discount_code": "LINK5", "send_webhooks": False},
    )
    assert refused.status_code == 422
    assert refused.json()["error"] == "usage_limit_reached"
    link = await client.get(f"/{SHOP}/discount/LINK5", params={"redirect": "/cart"})
    assert link.status_code == 302
    assert link.headers["location"] == f"/{SHOP}/cart"
    assert "discount_code=LINK5" in link.headers["set-cookie"]
