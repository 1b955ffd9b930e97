"""The scenarios' subscriptions to commerce facts: the webhook handlers publish, the rules
here decide, and the steps to schedule are enqueued once the transaction has committed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.db.after_commit import after_commit
from app.facts import CheckoutChanged, CustomerChanged, OrderPlaced, subscribe
from app.messaging.guards import guards, on_engagement, on_unsubscribe
from app.models import Checkout, Message, Order, Shop
from app.scenarios import abandoned_cart
from app.scenarios.runs import DueStep
from app.scenarios.scheduling import schedule


def _schedule_after_commit(session: AsyncSession, steps: list[DueStep]) -> None:
    if steps:

        async def enqueue(resources: Any) -> None:
            await schedule(resources.queue, steps)

        after_commit(session, enqueue)


guards(abandoned_cart.SCENARIO)(abandoned_cart.message_still_wanted)


@on_engagement(abandoned_cart.SCENARIO)
async def on_reminder_engaged(session: AsyncSession, message: Message, at: datetime) -> None:
    await abandoned_cart.engaged(
        session, shop_id=message.shop_id, subject_key=message.subject_key, at=at
    )


@on_unsubscribe
async def on_unsubscribed_by_link(
    session: AsyncSession, shop_id: int, customer_id: int, at: datetime
) -> None:
    await abandoned_cart.customer_unsubscribed(
        session, shop_id=shop_id, customer_id=customer_id, now=at
    )


@subscribe(CheckoutChanged)
async def on_checkout_changed(session: AsyncSession, fact: CheckoutChanged) -> None:
    shop = await session.get(Shop, fact.shop_id)
    checkout = await session.get(Checkout, fact.checkout_id)
    if shop is None or checkout is None:
        return
    steps = await abandoned_cart.checkout_changed(
        session, shop=shop, checkout=checkout, now=datetime.now(UTC)
    )
    _schedule_after_commit(session, steps)


@subscribe(OrderPlaced)
async def on_order_placed(session: AsyncSession, fact: OrderPlaced) -> None:
    shop = await session.get(Shop, fact.shop_id)
    order = await session.get(Order, fact.order_id)
    if shop is None or order is None:
        return
    await abandoned_cart.order_placed(session, shop=shop, order=order, now=datetime.now(UTC))


@subscribe(CustomerChanged)
async def on_customer_changed(session: AsyncSession, fact: CustomerChanged) -> None:
    if fact.email_marketing_state == "unsubscribed":
        await abandoned_cart.customer_unsubscribed(
            session, shop_id=fact.shop_id, customer_id=fact.customer_id, now=datetime.now(UTC)
        )
