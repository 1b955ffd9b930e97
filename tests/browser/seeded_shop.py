"""A small shop with something on every admin page, seeded through its webhooks where the app
takes them (customers, three abandoned checkouts in approval mode, one recovered by a paid
order that earns points, a data request) and as rows where a flow would take minutes (a failed
webhook, a review, a referral), then rolled up for the KPIs. Shared by the browser tests that
look at whole pages (narrow screens, KPI legibility)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from app.models import Customer, Order, Review, WebhookEvent, WebhookEventStatus
from app.models.referrals import Referral, ReferralCode
from tests.browser.conftest import SHOP, EmbeddedAdmin

LONG_EMAIL = "marie-christine.de-la-fontaine-beaumarchais@boutique-parisienne-example.test"


async def seed(admin: EmbeddedAdmin) -> int:
    """A week's worth of a small shop, through its webhooks where the app takes them; the id
    of the customer whose cart was recovered (with points, a referral and a review)."""
    from app.kpis.jobs import roll_up

    shop = await admin.shop()
    await admin.send_at_any_hour()
    api, headers = admin.store.client, admin.store.headers
    on = await api.put(
        "/api/scenarios/abandoned_cart",
        headers=headers,
        json={"mode": "approval", "steps": [{"delay_seconds": 1}, {"delay_seconds": 2}]},
    )
    assert on.status_code == 200, on.text
    loyalty = await api.put("/api/loyalty/settings", headers=headers, json={"enabled": True})
    assert loyalty.status_code == 200, loyalty.text

    people = [
        admin.store.customer_payload(email=LONG_EMAIL, first_name="Marie-Christine"),
        admin.store.customer_payload(email="noor@example.test", first_name="Noor"),
        admin.store.customer_payload(email="camille@example.test", first_name="Camille"),
    ]
    for person in people:
        await admin.store.deliver("customers/create", person)
    await admin.work()
    checkouts = [admin.store.checkout_payload(person) for person in people]
    for checkout in checkouts:
        await admin.store.deliver("checkouts/create", checkout)
    await admin.work()
    # The merchant approves the first shopper's reminder; it is sent; she comes back and pays
    # for that cart: the cart is recovered (attributed to the reminder), points are earned.
    waiting = await api.get("/api/messages", params={"status": "pending_approval"}, headers=headers)
    assert waiting.status_code == 200, waiting.text
    [first] = [m for m in waiting.json()["messages"] if m["to"] == LONG_EMAIL and m["step"] == 1]
    approved = await api.post(f"/api/approvals/{first['id']}/approve", headers=headers)
    assert approved.status_code == 200, approved.text
    await admin.work()
    assert [m["To"] for m in admin.inbox.messages] == [LONG_EMAIL]
    order = admin.store.order_payload(people[0], checkout_token=checkouts[0]["token"])
    order["financial_status"] = "paid"
    await admin.store.deliver("orders/create", order)
    await admin.store.deliver("orders/paid", order)
    await admin.work()
    await admin.sim.request_customer_data(SHOP, people[1]["id"])
    await admin.work()

    now = datetime.now(UTC)
    async with admin.sessions.begin() as session:
        buyer = await session.scalar(select(Customer).where(Customer.email == LONG_EMAIL))
        friend = await session.scalar(select(Customer).where(Customer.email == "noor@example.test"))
        stored = await session.scalar(select(Order).where(Order.shopify_id == order["id"]))
        assert buyer is not None
        assert friend is not None
        assert stored is not None
        session.add(
            WebhookEvent(
                shop_id=shop.id,
                topic="orders/create",
                webhook_id="failed-delivery-with-a-long-identifier-0123456789abcdef",
                status=WebhookEventStatus.FAILED,
                attempts=5,
                last_error="ValueError: no line items in the order payload sent by Shopify",
                body="{}",
            )
        )
        session.add(
            Review(
                shop_id=shop.id,
                order_id=stored.id,
                customer_id=buyer.id,
                product_id=order["line_items"][0]["product_id"],
                product_title="Linen shirt with mother-of-pearl buttons, relaxed fit",
                order_name=stored.name,
                rating=4,
                title="Lovely fabric",
                body="Soft, washes well and the colour holds. " * 6,
                author_name="Marie-Christine",
                locale="en",
                status="pending",
                submitted_at=now - timedelta(hours=2),
            )
        )
        code = ReferralCode(
            shop_id=shop.id,
            customer_id=friend.id,
            code="NOOR-FRIENDS-2026",
            issued_because="requested",
            visits=3,
        )
        session.add(code)
        await session.flush()
        session.add(
            Referral(
                shop_id=shop.id,
                referral_code_id=code.id,
                referrer_id=friend.id,
                friend_id=buyer.id,
                order_id=stored.id,
                code=code.code or "",
                status="pending",
                order_total=Decimal(order["total_price"]),
                currency="EUR",
                due_at=now + timedelta(days=14),
            )
        )
        buyer_id = buyer.id
    await roll_up(admin.sessions)
    return buyer_id
