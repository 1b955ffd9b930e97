"""What the commerce webhooks tell the scenario engine, as typed facts, and the seam that hands
them over: scenarios `subscribe` to a fact type; topic handlers `publish` each fact inside the
job's transaction, so a listener's writes commit (or roll back) with the fact that caused them.

Plain Python over the database session: no FastAPI, arq or httpx here."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class CheckoutChanged:
    """A checkout was created or updated with newer data than we held."""

    shop_id: int
    checkout_id: int
    token: str
    customer_id: int | None
    email: str | None
    total_price: Decimal | None
    currency: str | None
    abandoned_checkout_url: str | None
    completed_at: datetime | None
    updated_at: datetime | None


@dataclass(frozen=True)
class OrderPlaced:
    """The first time we hear of an order (whichever orders/* topic arrives first)."""

    shop_id: int
    order_id: int
    shopify_order_id: int
    customer_id: int | None
    email: str | None
    checkout_token: str | None
    total_price: Decimal | None
    currency: str | None
    discount_codes: tuple[str, ...]
    placed_at: datetime | None


@dataclass(frozen=True)
class OrderPaid:
    """An orders/* delivery we applied says the order is paid (financial_status paid, or
    partially_refunded / refunded, which come after paid). Published on every such delivery,
    so listeners must be idempotent (the loyalty ledger is, by its natural key)."""

    shop_id: int
    order_id: int
    shopify_order_id: int
    customer_id: int | None
    email: str | None
    # What loyalty points count, in the shop's currency (whatever the customer paid in): the
    # subtotal after discounts, without shipping, taxes or gift cards bought.
    eligible_subtotal: Decimal
    currency: str | None
    paid_at: datetime | None


@dataclass(frozen=True)
class OrderCancelled:
    shop_id: int
    order_id: int
    shopify_order_id: int
    customer_id: int | None
    cancelled_at: datetime | None


@dataclass(frozen=True)
class OrderFulfilled:
    """New fulfillments were recorded for an order."""

    shop_id: int
    order_id: int
    shopify_order_id: int
    customer_id: int | None
    fulfillment_ids: tuple[int, ...]
    fulfilled_at: datetime | None


@dataclass(frozen=True)
class RefundCreated:
    shop_id: int
    refund_id: int
    shopify_refund_id: int
    # None when the refund arrives before its order.
    order_id: int | None
    shopify_order_id: int
    amount: Decimal
    currency: str | None


@dataclass(frozen=True)
class CustomerChanged:
    """A customer was created or updated with newer data than we held."""

    shop_id: int
    customer_id: int
    shopify_customer_id: int
    email: str | None
    email_marketing_state: str | None
    tags: tuple[str, ...]


Fact = (
    CheckoutChanged
    | OrderPlaced
    | OrderPaid
    | OrderCancelled
    | OrderFulfilled
    | RefundCreated
    | CustomerChanged
)

F = TypeVar("F")
Listener = Callable[[AsyncSession, F], Awaitable[None]]

_LISTENERS: dict[type[Any], list[Listener[Any]]] = {}


def subscribe(fact_type: type[F]) -> Callable[[Listener[F]], Listener[F]]:
    """Register the decorated coroutine to run on every published fact of `fact_type`."""

    def register(listener: Listener[F]) -> Listener[F]:
        _LISTENERS.setdefault(fact_type, []).append(listener)
        return listener

    return register


def unsubscribe(fact_type: type[F], listener: Listener[F]) -> None:
    """Remove a listener (tests, and processes that subscribe temporarily)."""
    listeners = _LISTENERS.get(fact_type, [])
    if listener in listeners:
        listeners.remove(listener)


async def publish(session: AsyncSession, fact: Fact) -> None:
    """Run every listener of the fact's type, in subscription order, in the caller's
    transaction. A listener that raises fails the whole event, which is then retried."""
    for listener in list(_LISTENERS.get(type(fact), ())):
        await listener(session, fact)
