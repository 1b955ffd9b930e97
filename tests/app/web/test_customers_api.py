"""GET /api/customers: the customer index. Search by name or email, filters (consent, a
running sequence, a loyalty tier), every sort in both directions, paged by cursor; never
another shop's customers, never an erased one."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import Customer, LoyaltyAccount, ScenarioRun
from tests.support.session_tokens import bearer, mint_session_token
from tests.support.shops import create_shop


async def add(
    sessions: async_sessionmaker[AsyncSession], shop_id: int, shopify_id: int, **fields: object
) -> int:
    async with sessions.begin() as session:
        customer = Customer(shop_id=shop_id, shopify_id=shopify_id, tags=[], **fields)
        session.add(customer)
        await session.flush()
        return customer.id


def emails(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [c["email"] for c in response.json()["customers"]]


async def test_search_by_name_or_email_within_the_shop(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    shop = await create_shop(sessions)
    other = await create_shop(sessions, domain="other.myshopify.com")
    await add(sessions, shop.id, 1, email="ines@example.test", first_name="Inès", last_name="Roy")
    await add(sessions, shop.id, 2, email="paul@example.test", first_name="Paul", last_name="Roy")
    await add(
        sessions,
        shop.id,
        3,
        email="gone@example.test",
        first_name="Gone",
        redacted_at=datetime.now(UTC),
    )
    await add(sessions, other.id, 4, email="ines@elsewhere.test", first_name="Inès")
    auth = bearer(mint_session_token(shop.domain))

    assert emails(await client.get("/api/customers", headers=auth)) == [
        "paul@example.test",
        "ines@example.test",
    ]
    assert emails(await client.get("/api/customers?search=INES", headers=auth)) == [
        "ines@example.test"
    ]
    # Every word must be somewhere in the name or email, in any order.
    assert emails(await client.get("/api/customers?search=paul roy", headers=auth)) == [
        "paul@example.test"
    ]
    assert emails(await client.get("/api/customers?search=roy%20PAUL", headers=auth)) == [
        "paul@example.test"
    ]
    assert emails(await client.get("/api/customers?search=inès", headers=auth)) == [
        "ines@example.test"
    ]
    assert emails(await client.get("/api/customers?search=gone", headers=auth)) == []
    # LIKE wildcards in the search are literal characters.
    assert emails(await client.get("/api/customers?search=%25", headers=auth)) == []
    assert emails(await client.get("/api/customers?search=_", headers=auth)) == []
    assert (await client.get("/api/customers")).status_code == 401

    listed = (await client.get("/api/customers?search=paul", headers=auth)).json()["customers"]
    assert listed[0]["admin_url"] == "shopify://admin/customers/2"


async def test_a_shop_never_sees_another_shops_customers(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    shop = await create_shop(sessions)
    other = await create_shop(sessions, domain="other.myshopify.com")
    mine = await add(sessions, shop.id, 10, email="mine@example.test", first_name="Same")
    theirs = await add(sessions, other.id, 10, email="theirs@example.test", first_name="Same")
    auth = bearer(mint_session_token(shop.domain))
    their_auth = bearer(mint_session_token(other.domain))

    assert emails(await client.get("/api/customers?search=same", headers=auth)) == [
        "mine@example.test"
    ]
    assert emails(await client.get("/api/customers?search=same", headers=their_auth)) == [
        "theirs@example.test"
    ]
    assert (await client.get(f"/api/customers/{mine}", headers=auth)).status_code == 200
    refused = await client.get(f"/api/customers/{theirs}", headers=auth)
    assert refused.status_code == 404
    assert "theirs@example.test" not in refused.text
    timeline = await client.get(f"/api/customers/{theirs}/timeline", headers=auth)
    assert timeline.status_code == 404


async def _pages(
    client: httpx.AsyncClient, auth: dict[str, str], params: dict[str, Any]
) -> tuple[list[int], int]:
    """Every id the index lists for `params`, following cursors; and how many pages."""
    seen: list[int] = []
    cursor: str | None = None
    pages = 0
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = await client.get("/api/customers", params=query, headers=auth)
        assert response.status_code == 200, response.text
        body = response.json()
        seen += [c["id"] for c in body["customers"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return seen, pages


@pytest.mark.parametrize("sort", ["created", "name", "email", "orders", "spent"])
@pytest.mark.parametrize("direction", ["asc", "desc"])
async def test_every_sort_pages_through_every_customer_once_in_order(
    sort: str,
    direction: str,
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    shop = await create_shop(sessions)
    auth = bearer(mint_session_token(shop.domain))
    firsts = ["Zoé", "adam", None, "Bea", "bea", "Chloé", None]
    lasts = ["Durand", None, "Xu", "Martin", "Martin", "abel", None]
    made: list[tuple[int, dict[str, Any]]] = []
    for n in range(23):
        fields: dict[str, Any] = {
            "first_name": firsts[n % len(firsts)],
            "last_name": lasts[n % len(lasts)],
            # Some share an email's case-folded value, some have none.
            "email": None if n % 9 == 4 else f"{'AB'[n % 2]}{n % 5}@example.test",
            "orders_count": n % 4,
            "total_spent": Decimal(n % 3) * Decimal("10.50"),
        }
        made.append((await add(sessions, shop.id, 100 + n, **fields), fields))

    def key(item: tuple[int, dict[str, Any]]) -> tuple[Any, ...]:
        row_id, f = item
        return {
            "created": (row_id,),
            "name": ((f["first_name"] or "").lower(), (f["last_name"] or "").lower(), row_id),
            "email": ((f["email"] or "").lower(), row_id),
            "orders": (f["orders_count"], row_id),
            "spent": (f["total_spent"], row_id),
        }[sort]

    expected = [row_id for row_id, _ in sorted(made, key=key, reverse=direction == "desc")]
    seen, pages = await _pages(client, auth, {"sort": sort, "direction": direction, "limit": 5})
    assert seen == expected
    assert pages == 5


async def test_filters_consent_running_sequence_and_loyalty_tier(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    shop = await create_shop(sessions)
    other = await create_shop(sessions, domain="other.myshopify.com")
    auth = bearer(mint_session_token(shop.domain))
    ana = await add(sessions, shop.id, 1, email="ana@x.test", email_marketing_state="subscribed")
    bob = await add(sessions, shop.id, 2, email="bob@x.test", email_marketing_state="unsubscribed")
    cy = await add(sessions, shop.id, 3, email="cy@x.test")
    elsewhere = await add(sessions, other.id, 4, email="el@x.test")
    now = datetime.now(UTC)
    async with sessions.begin() as session:
        for customer_id, shop_id, status, key in (
            (ana, shop.id, "active", "a1"),
            (ana, shop.id, "active", "a2"),
            (bob, shop.id, "stopped", "b1"),
            (elsewhere, other.id, "active", "e1"),
        ):
            session.add(
                ScenarioRun(
                    shop_id=shop_id,
                    scenario="abandoned_cart",
                    subject_key=key,
                    customer_id=customer_id,
                    status=status,
                    anchor_at=now,
                    issued_codes=[],
                )
            )
        session.add(LoyaltyAccount(shop_id=shop.id, customer_id=bob, balance=120, tier="gold"))
        session.add(LoyaltyAccount(shop_id=shop.id, customer_id=cy, balance=5, tier="silver"))
        session.add(LoyaltyAccount(shop_id=other.id, customer_id=elsewhere, tier="gold"))

    def ids(response: httpx.Response) -> list[int]:
        assert response.status_code == 200, response.text
        return [c["id"] for c in response.json()["customers"]]

    get = client.get
    assert ids(await get("/api/customers?subscribed=true", headers=auth)) == [ana]
    assert ids(await get("/api/customers?subscribed=false", headers=auth)) == [cy, bob]
    assert ids(await get("/api/customers?open_run=true", headers=auth)) == [ana]
    assert ids(await get("/api/customers?open_run=false", headers=auth)) == [cy, bob]
    assert ids(await get("/api/customers?tier=gold", headers=auth)) == [bob]
    assert ids(await get("/api/customers?tier=gold&open_run=true", headers=auth)) == []

    rows = {c["id"]: c for c in (await get("/api/customers", headers=auth)).json()["customers"]}
    assert (rows[ana]["open_runs"], rows[ana]["tier"], rows[ana]["points"]) == (2, None, None)
    assert (rows[bob]["open_runs"], rows[bob]["tier"], rows[bob]["points"]) == (0, "gold", 120)


async def test_a_cursor_from_another_sort_or_forged_is_refused_in_the_merchants_language(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    shop = await create_shop(sessions)
    auth = bearer(mint_session_token(shop.domain))
    for n in range(3):
        await add(sessions, shop.id, n + 1, email=f"c{n}@x.test")
    page = (await client.get("/api/customers?limit=1&sort=email", headers=auth)).json()
    cursor = page["next_cursor"]
    assert cursor
    other_sort = await client.get(f"/api/customers?limit=1&cursor={cursor}", headers=auth)
    assert other_sort.status_code == 400
    assert other_sort.json()["error"] == "InvalidCursor"
    forged = await client.get(
        "/api/customers?cursor=bm9wZQ&sort=email", headers={**auth, "Accept-Language": "fr"}
    )
    assert forged.status_code == 400
    assert "première page" in forged.json()["detail"]
    unknown_sort = await client.get("/api/customers?sort=age", headers=auth)
    assert unknown_sort.status_code == 422


async def test_the_sequences_list_pages_past_its_first_page_instead_of_stopping(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    shop = await create_shop(sessions)
    auth = bearer(mint_session_token(shop.domain))
    now = datetime.now(UTC)
    async with sessions.begin() as session:
        runs = [
            ScenarioRun(
                shop_id=shop.id,
                scenario="abandoned_cart",
                subject_key=f"cart-{n}",
                status="active",
                anchor_at=now,
                issued_codes=[],
            )
            for n in range(5)
        ]
        session.add_all(runs)
        await session.flush()
        ids = sorted((r.id for r in runs), reverse=True)
    seen: list[int] = []
    before: int | None = None
    while True:
        params: dict[str, Any] = {"limit": 2, **({"before_id": before} if before else {})}
        page = await client.get("/api/scenarios/abandoned_cart/runs", params=params, headers=auth)
        assert page.status_code == 200, page.text
        found = [r["id"] for r in page.json()]
        seen += found
        if len(found) < 2:
            break
        before = found[-1]
    assert seen == ids
