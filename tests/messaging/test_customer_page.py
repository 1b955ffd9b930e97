"""GET /api/customers/{id}: one customer's page. Their orders, every message with its opens
and clicks (a person's apart from a machine's, counted from real hits on the email's links),
their running sequences, their loyalty and referral standing, the link to them in Shopify's
admin; and the timeline naming the order each entry is about."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.messaging.config import MessagingConfig
from app.models import (
    LoyaltyAccount,
    Message,
    Order,
    Referral,
    ReferralCode,
    ScenarioRun,
    Shop,
    TimelineEntry,
)
from app.platform.resources import Resources
from tests.messaging.conftest import (
    Inbox,
    email_part,
    enqueue,
    make_customer,
    make_shop,
    run_send_job,
)
from tests.support.session_tokens import bearer, mint_session_token

BROWSER = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 Version/17.0 Safari"


async def test_the_page_shows_orders_messages_with_opens_and_clicks_and_standing(
    sessions: async_sessionmaker[AsyncSession],
    shop: Shop,
    auth: dict[str, str],
    resources: Resources,
    config: MessagingConfig,
    client: httpx.AsyncClient,
    inbox: Inbox,
) -> None:
    camille = await make_customer(sessions, shop, first_name="Camille")
    someone_else = await make_customer(sessions, shop, first_name="Other")
    sent = await enqueue(sessions, config, shop, camille, subject_key="cart-1")
    assert await run_send_job(resources, sent.id) == "sent"
    unopened = await enqueue(sessions, config, shop, camille, subject_key="cart-2", step=2)
    await enqueue(sessions, config, shop, someone_else, subject_key="cart-3")
    # Delivered a minute ago: a hit now is past the grace in which only machines are that fast.
    async with sessions.begin() as session:
        await session.execute(
            update(Message)
            .where(Message.id == sent.id)
            .values(sent_at=datetime.now(UTC) - timedelta(minutes=1))
        )
    html = email_part(inbox.messages[0], "html")
    pixel = re.findall(r'src="http://testserver(/t/o/[^"]+)"', html)[0]
    click = re.findall(r'href="http://testserver(/t/c/[^"]+)"', html)[0]
    await client.get(pixel, headers={"User-Agent": "Mozilla/5.0"})  # Apple's privacy proxy
    await client.get(pixel, headers={"User-Agent": BROWSER})
    await client.get(pixel, headers={"User-Agent": BROWSER})
    assert (await client.get(click, headers={"User-Agent": BROWSER})).status_code == 302

    now = datetime.now(UTC)
    async with sessions.begin() as session:
        older = Order(
            shop_id=shop.id,
            shopify_id=5001,
            name="#1001",
            customer_id=camille.id,
            total_price=Decimal("40.00"),
            currency="EUR",
            placed_at=now - timedelta(days=3),
        )
        newer = Order(
            shop_id=shop.id,
            shopify_id=5002,
            name="#1002",
            customer_id=camille.id,
            total_price=Decimal("25.50"),
            currency="EUR",
            financial_status="paid",
            placed_at=now - timedelta(days=1),
        )
        session.add_all([older, newer])
        session.add(
            Order(shop_id=shop.id, shopify_id=5003, name="#1003", customer_id=someone_else.id)
        )
        session.add(
            ScenarioRun(
                shop_id=shop.id,
                scenario="abandoned_cart",
                subject_key="cart-2",
                customer_id=camille.id,
                status="active",
                step_index=1,
                anchor_at=now,
                next_step_at=now + timedelta(hours=20),
                issued_codes=[],
            )
        )
        session.add(
            LoyaltyAccount(shop_id=shop.id, customer_id=camille.id, balance=340, tier="gold")
        )
        await session.flush()
        code = ReferralCode(
            shop_id=shop.id, customer_id=camille.id, code="CAMILLE10", issued_because="sign_up"
        )
        session.add(code)
        await session.flush()
        code.visits = 4
        session.add(
            Referral(
                shop_id=shop.id,
                referral_code_id=code.id,
                referrer_id=camille.id,
                order_id=newer.id,
                code="CAMILLE10",
                status="rewarded",
                due_at=now,
                evidence=[],
            )
        )

    response = await client.get(f"/api/customers/{camille.id}", headers=auth)
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["customer"]["email"] == camille.email
    assert page["customer"]["admin_url"] == f"shopify://admin/customers/{camille.shopify_id}"
    assert [o["name"] for o in page["orders"]] == ["#1002", "#1001"]
    assert page["orders"][0]["admin_url"] == "shopify://admin/orders/5002"
    assert [m["id"] for m in page["messages"]] == [unopened.id, sent.id]
    engaged = page["messages"][1]["engagement"]
    assert (engaged["opens"], engaged["machine_opens"]) == (2, 1)
    assert (engaged["clicks"], engaged["machine_clicks"]) == (1, 0)
    assert engaged["first_opened_at"] is not None
    assert engaged["clicked_urls"] == ["https://acme.myshopify.com/checkouts/abc/recover?key=1&x=2"]
    assert page["messages"][0]["engagement"]["opens"] == 0
    assert [(r["scenario"], r["next_step"]) for r in page["open_runs"]] == [("abandoned_cart", 2)]
    assert page["loyalty"] == {"balance": 340, "pending": 0, "tier": "gold"}
    assert page["referrals"] == {"code": "CAMILLE10", "visits": 4, "referrals": {"rewarded": 1}}

    plain = (await client.get(f"/api/customers/{someone_else.id}", headers=auth)).json()
    assert [o["name"] for o in plain["orders"]] == ["#1003"]
    assert plain["loyalty"] is None
    assert plain["referrals"] is None
    assert len(plain["messages"]) == 1

    other_shop = await make_shop(sessions, domain="other.myshopify.com")
    refused = await client.get(
        f"/api/customers/{camille.id}", headers=bearer(mint_session_token(other_shop.domain))
    )
    assert refused.status_code == 404


async def test_the_timeline_names_the_order_each_entry_is_about(
    sessions: async_sessionmaker[AsyncSession],
    shop: Shop,
    auth: dict[str, str],
    client: httpx.AsyncClient,
) -> None:
    customer = await make_customer(sessions, shop)
    now = datetime.now(UTC)
    async with sessions.begin() as session:
        order = Order(shop_id=shop.id, shopify_id=7001, name="#2042", customer_id=customer.id)
        session.add(order)
        await session.flush()
        review = ScenarioRun(
            shop_id=shop.id,
            scenario="review_request",
            subject_key=f"order:{order.id}",
            customer_id=customer.id,
            status="active",
            anchor_at=now,
            issued_codes=[],
        )
        session.add(review)
        await session.flush()
        session.add_all(
            [
                TimelineEntry(
                    shop_id=shop.id,
                    customer_id=customer.id,
                    run_id=review.id,
                    scenario="review_request",
                    kind="started",
                    reason="order_fulfilled",
                    detail={},
                    at=now - timedelta(minutes=2),
                ),
                TimelineEntry(
                    shop_id=shop.id,
                    customer_id=customer.id,
                    scenario="abandoned_cart",
                    kind="stopped",
                    reason="order_placed_for_checkout",
                    detail={"order": "#2041"},
                    at=now - timedelta(minutes=1),
                ),
            ]
        )
    response = await client.get(f"/api/customers/{customer.id}/timeline", headers=auth)
    assert response.status_code == 200, response.text
    assert [e["order"] for e in response.json()["entries"]] == ["#2041", "#2042"]
