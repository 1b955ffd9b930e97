"""Every tenant is a wall: every `/api/*` operation the app's OpenAPI spec lists (so a new route
is covered the day it is added) is called with shop A's session token and shop B's ids. Each
route that names a row by id answers 404 (or 403); no answer carries shop B's data; and shop
B's rows, in every table that has a shop_id, are exactly as they were."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db.base import Base
from app.models import (
    Customer,
    CustomerDataRequest,
    Message,
    MessageTemplate,
    Order,
    Referral,
    ReferralCode,
    Review,
    Shop,
    WebhookEvent,
)
from tests.support.session_tokens import bearer, mint_session_token
from tests.support.shops import create_shop
from tests.webhooks.topics.test_compliance_and_lifecycle import EMAIL, seed_customer_data

SHOP_A = "shop-a.myshopify.com"
SHOP_B = "shop-b.myshopify.com"
# What only shop B's rows hold: none of it may reach shop A.
B_MARKERS = (EMAIL, "wh-seed-", "wh-failed-b", "B-ONLY-SUBJECT", "b-only-request")
# Path parameters naming one of shop B's rows: the route must not find it for shop A.
ROW_PARAMETERS = {"customer_id", "message_id", "event_id", "referral_id", "review_id"}


async def seed_shop_b(sessions: async_sessionmaker[AsyncSession], shop: Shop) -> dict[str, Any]:
    """Shop B's data across the schema; the path parameters that name it."""
    await seed_customer_data(sessions, shop)
    now = datetime.now(UTC)
    async with sessions.begin() as session:
        customer = await session.scalar(select(Customer).where(Customer.shop_id == shop.id))
        assert customer is not None
        pending = Message(
            shop_id=shop.id,
            customer_id=customer.id,
            scenario="abandoned_cart",
            step=0,
            subject_key="chk-b",
            template="abandoned_cart_1",
            context={},
            status="pending_approval",
            mode="approval",
            to_address=EMAIL,
            locale="en",
            subject="B-ONLY-SUBJECT",
            html="<p>B</p>",
            text_body="B",
            scheduled_at=now,
            requested_at=now,
        )
        failed = WebhookEvent(
            shop_id=shop.id,
            topic="orders/create",
            webhook_id="wh-failed-b",
            body=json.dumps({"email": EMAIL}),
            status="failed",
            attempts=5,
        )
        review = Review(
            shop_id=shop.id,
            customer_id=customer.id,
            product_id=1,
            product_title="B-ONLY-SUBJECT",
            rating=2,
            title="B-ONLY-SUBJECT",
            body="B-ONLY-SUBJECT",
            locale="en",
            verified_buyer=True,
            status="pending",
            submitted_at=now,
            reward={},
        )
        session.add_all([pending, failed, review])
        session.add(
            MessageTemplate(
                shop_id=shop.id,
                scenario="abandoned_cart",
                step=1,
                locale="en",
                subject="B-ONLY-SUBJECT",
                html="<p>B-ONLY-SUBJECT</p>",
                text_body="B-ONLY-SUBJECT",
            )
        )
        session.add(
            CustomerDataRequest(
                shop_id=shop.id,
                data_request_id=4242,
                customer_shopify_id=customer.shopify_id,
                customer_email=EMAIL,
                orders_requested=[],
                export={"note": "b-only-request"},
            )
        )
        order = await session.scalar(select(Order).where(Order.shop_id == shop.id))
        assert order is not None
        code = ReferralCode(
            shop_id=shop.id,
            customer_id=customer.id,
            code="REF-BONLY",
            issued_because="first_paid_order",
            visits=0,
        )
        session.add(code)
        await session.flush()
        flagged = Referral(
            shop_id=shop.id,
            referral_code_id=code.id,
            referrer_id=customer.id,
            friend_id=customer.id,
            order_id=order.id,
            code="REF-BONLY",
            status="flagged",
            due_at=now,
            evidence=[{"rule": "same_customer", "friend": EMAIL, "referrer": EMAIL}],
        )
        session.add(flagged)
        await session.flush()
        return {
            "customer_id": customer.id,
            "referral_id": flagged.id,
            "message_id": pending.id,
            "event_id": failed.id,
            "review_id": review.id,
            "key": "abandoned_cart",
            "scenario": "abandoned_cart",
            "step": 1,
            "locale": "en",
        }


async def rows_of(sessions: async_sessionmaker[AsyncSession], shop_id: int) -> dict[str, Any]:
    """Every column of every row of `shop_id`, table by table, and the shop's own row."""
    async with sessions.begin() as session:
        tables: dict[str, Any] = {
            table.name: [
                dict(row._mapping)
                for row in await session.execute(
                    table.select().where(table.c.shop_id == shop_id).order_by(*table.primary_key)
                )
            ]
            for table in Base.metadata.sorted_tables
            if "shop_id" in table.c
        }
        shops = Shop.__table__
        tables["shops"] = [
            dict(r._mapping)
            for r in await session.execute(shops.select().where(shops.c.id == shop_id))
        ]
        return tables


def example(schema: dict[str, Any], spec: dict[str, Any]) -> Any:
    """The smallest value the schema accepts (required fields only), for a request body."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        return example(spec["components"]["schemas"][name], spec)
    for combinator in ("anyOf", "oneOf", "allOf"):
        if combinator in schema:
            options = [s for s in schema[combinator] if s.get("type") != "null"]
            return example(options[0], spec) if options else None
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        properties = schema.get("properties", {})
        return {k: example(properties[k], spec) for k in schema.get("required", [])}
    if kind == "array":
        return []
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return 1
    if kind == "boolean":
        return False
    return "x" * max(1, schema.get("minLength", 1))


async def test_shop_a_can_neither_read_nor_change_shop_b_through_any_api_route(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await create_shop(sessions, domain=SHOP_A)
    shop_b = await create_shop(sessions, domain=SHOP_B)
    b_ids = await seed_shop_b(sessions, shop_b)
    before = await rows_of(sessions, shop_b.id)
    assert sum(1 for rows in before.values() if rows) >= 12  # most of the schema is seeded
    spec = (await client.get("/openapi.json")).json()
    operations = [
        (method.upper(), path, operation)
        for path, methods in spec["paths"].items()
        if path.startswith("/api/")
        for method, operation in methods.items()
    ]
    assert len(operations) >= 20

    called = []
    for method, path, operation in operations:
        names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
        unknown = names - b_ids.keys()
        assert not unknown, f"{method} {path}: which of shop B's rows is {unknown}? add it here"
        url, token = path.format(**b_ids), bearer(mint_session_token(SHOP_A))
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        payload = example(body["schema"], spec) if body else None
        if method == "PUT" and "get" in spec["paths"][path]:
            # Writing back what the route reads is a body it accepts: the write really runs.
            current = await client.get(url, headers=token)
            if current.status_code == 200:
                payload = current.json()
        response = await client.request(method, url, headers=token, json=payload)
        called.append((method, path, response.status_code))
        assert response.status_code < 500, f"{method} {path}: {response.text[:300]}"
        if names & ROW_PARAMETERS:
            assert response.status_code in (403, 404), f"{method} {path} found shop B's row"
        for marker in B_MARKERS:
            assert marker not in response.text, f"{method} {path} shows shop B's {marker!r}"

    assert await rows_of(sessions, shop_b.id) == before
    # Shop A's token did reach the routes (not a wall of 401s that would prove nothing).
    assert sum(status < 300 for _, _, status in called) >= len(called) // 2, called
