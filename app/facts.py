"""What the commerce webhooks tell the scenario engine, as typed facts, and the seam that hands
them over: the composition root subscribes each scenario of the catalog to its facts on one
`FactBus`; topic handlers `publish` each fact inside the job's transaction, so a listener's
writes commit (or roll back) with the fact that caused them.

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
class OrderEdited:
    """orders/edited: the merchant committed an edit of the order's items. `added_subtotal`
    is what the units the edit added are worth (their line's unit price, in the shop's
    currency); units it removed are not counted here: the money for them goes back through a
    refund, which says RefundCreated with those lines."""

    shop_id: int
    order_id: int
    shopify_order_id: int
    edit_id: int
    added_subtotal: Decimal
    committed_at: datetime | None


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
class OrderDelivered:
    """Shopify reported one of the order's shipments delivered, for the first time for this
    order (fulfillment_events/create or fulfillments/update). `order_id` is None when the
    order is not stored yet (its orders/* delivery comes later and finds the delivery)."""

    shop_id: int
    order_id: int | None
    shopify_order_id: int
    fulfillment_shopify_id: int
    delivered_at: datetime | None
    learnt_at: datetime


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


@dataclass(frozen=True)
class CustomerCreated:
    """Shopify told us, by customers/create, that a customer was created: said once per
    customer, by whichever customers/create delivery first reaches us (never by an update,
    an embedded copy or a redelivery). `email_marketing_state` is the consent we hold then."""

    shop_id: int
    customer_id: int
    shopify_customer_id: int
    email: str | None
    email_marketing_state: str | None
    signed_up_at: datetime


@dataclass(frozen=True)
class CustomerSubscribed:
    """The consent we hold for a customer we already knew went from anything else to
    `subscribed` (customers_email_marketing_consent/update, or a customers/* carrying a newer
    consent): said once per such change, never for a redelivery."""

    shop_id: int
    customer_id: int
    shopify_customer_id: int
    email: str | None
    subscribed_at: datetime | None


Fact = (
    CheckoutChanged
    | OrderPlaced
    | OrderPaid
    | OrderCancelled
    | OrderEdited
    | OrderFulfilled
    | OrderDelivered
    | RefundCreated
    | CustomerChanged
    | CustomerCreated
    | CustomerSubscribed
)

F = TypeVar("F")
Listener = Callable[[AsyncSession, F], Awaitable[None]]


class FactBus:
    """Who hears which fact: built once by the composition root (the catalog's scenarios
    subscribe to the facts they start and stop on) and carried by each session of the
    process, so `publish` needs only the session the topic handler already holds."""

    def __init__(self) -> None:
        self._listeners: dict[type[Any], list[Listener[Any]]] = {}

    def subscribe(self, fact_type: type[F], listener: Listener[F]) -> Listener[F]:
        """Run `listener` on every published fact of `fact_type`, after those before it."""
        self._listeners.setdefault(fact_type, []).append(listener)
        return listener

    def unsubscribe(self, fact_type: type[F], listener: Listener[F]) -> None:
        """Remove a listener (tests, and processes that listen for a while)."""
        listeners = self._listeners.get(fact_type, [])
        if listener in listeners:
            listeners.remove(listener)

    def listeners(self, fact_type: type[Any]) -> list[Listener[Any]]:
        return list(self._listeners.get(fact_type, ()))


# Where a session carries its process's bus (app.platform.composition puts it there).
SESSION_KEY = "boomerang.facts"


class NoFactBus(RuntimeError):
    """A fact was published on a session built without the process's bus: its scenarios would
    never hear it. Sessions come from app.platform (Resources.sessions)."""


def bus_of(session: AsyncSession) -> FactBus:
    bus = session.info.get(SESSION_KEY)
    if not isinstance(bus, FactBus):
        raise NoFactBus("this session carries no fact bus: build it with app.platform")
    return bus


async def publish(session: AsyncSession, fact: Fact) -> None:
    """Run every listener of the fact's type, in subscription order, in the caller's
    transaction. A listener that raises fails the whole event, which is then retried."""
    for listener in bus_of(session).listeners(type(fact)):
        await listener(session, fact)
