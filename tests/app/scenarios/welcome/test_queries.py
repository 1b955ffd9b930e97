"""The welcome series' snapshot as PostgreSQL gives it: the rule sees what the database holds."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import Customer, Order, Shop
from app.scenarios.welcome.queries import has_ordered, load_snapshot
from app.scenarios.welcome.rule import StopReason, WelcomeSnapshot, why_not
from tests.support.webhooks import install_shop

NOW = datetime(2026, 12, 5, tzinfo=UTC)


async def new_customer(session: AsyncSession, shop_id: int, shopify_id: int) -> int:
    customer_id: int = (
        await session.execute(
            insert(Customer)
            .values(
                shop_id=shop_id,
                shopify_id=shopify_id,
                email=f"c{shopify_id}@example.com",
                email_marketing_state="subscribed",
                signed_up_at=NOW,
            )
            .returning(Customer.id)
        )
    ).scalar_one()
    return customer_id


async def test_the_snapshot_follows_orders_redaction_and_uninstall(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    shop_id = await install_shop(sessions)
    other_shop = await install_shop(sessions, domain="other-shop.myshopify.com")
    async with sessions.begin() as session:
        customer_id = await new_customer(session, shop_id, 1)
        snapshot = await load_snapshot(session, shop_id, customer_id)
        assert snapshot == WelcomeSnapshot(
            email="c1@example.com",
            email_marketing_state="subscribed",
            redacted=False,
            has_ordered=False,
            shop_uninstalled=False,
            signed_up=True,
        )
        assert why_not(snapshot) is None
        # Another shop cannot read this customer.
        assert await load_snapshot(session, other_shop, customer_id) is None

        await session.execute(
            insert(Order).values(
                shop_id=shop_id, shopify_id=10, customer_id=customer_id, placed_at=NOW
            )
        )
        assert await has_ordered(session, shop_id, customer_id)
        assert not await has_ordered(session, other_shop, customer_id)
        ordered = await load_snapshot(session, shop_id, customer_id)
        assert ordered is not None
        assert why_not(ordered) is StopReason.CUSTOMER_ORDERED

        # A customer we never saw sign up (a consent change named them first).
        third = await new_customer(session, shop_id, 3)
        await session.execute(
            update(Customer).where(Customer.id == third).values(signed_up_at=None)
        )
        old = await load_snapshot(session, shop_id, third)
        assert old is not None
        assert not old.signed_up
        assert why_not(old) is StopReason.NOT_A_SIGN_UP

        second = await new_customer(session, shop_id, 2)
        await session.execute(
            update(Customer).where(Customer.id == second).values(redacted_at=NOW, email=None)
        )
        redacted = await load_snapshot(session, shop_id, second)
        assert redacted is not None
        assert why_not(redacted) is StopReason.CUSTOMER_REDACTED

        await session.execute(update(Shop).where(Shop.id == shop_id).values(uninstalled_at=NOW))
        gone = await load_snapshot(session, shop_id, second)
        assert gone is not None
        assert why_not(gone) is StopReason.SHOP_UNINSTALLED
