"""Customers, checkouts and orders: what they hold on a customer, and how it is erased
(names, emails, addresses, IPs, checkout links; amounts and line items stay for the merchant)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, false, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.compliance.registry import (
    DataSubject,
    completes,
    erases,
    exports,
    json_safe,
    rows_changed,
)
from app.db.base import Base
from app.models import Checkout, Customer, CustomerDataRequest, Order


def row_as_dict(row: Base) -> dict[str, Any]:
    return {c.key: json_safe(getattr(row, c.key)) for c in row.__table__.columns}


def customer_ids_of(subject: DataSubject) -> Any:
    match: list[ColumnElement[bool]] = []
    if subject.customer_shopify_id is not None:
        match.append(Customer.shopify_id == subject.customer_shopify_id)
    if subject.email:
        match.append(func.lower(Customer.email) == subject.email.lower())
    return (
        select(Customer.id)
        .where(Customer.shop_id == subject.shop_id, or_(false(), *match))
        .scalar_subquery()
    )


def _customers(subject: DataSubject) -> ColumnElement[bool]:
    return Customer.id.in_(customer_ids_of(subject))


async def hold_customer(session: AsyncSession, subject: DataSubject) -> None:
    """Before a redaction erases anything: the customer has a row (a tombstone, redacted and
    empty, if we never stored them) and every row naming them is locked. An order, checkout or
    customer update processed meanwhile either committed first (and is erased with the rest)
    or waits on the lock and then finds the customer redacted, so it writes nothing personal
    (webhooks/topics/customers.py)."""
    if subject.customer_shopify_id is not None:
        await session.execute(
            insert(Customer)
            .values(
                shop_id=subject.shop_id,
                shopify_id=subject.customer_shopify_id,
                redacted_at=datetime.now(UTC),
            )
            .on_conflict_do_nothing(index_elements=["shop_id", "shopify_id"])
        )
    await session.execute(
        select(Customer.id)
        .where(Customer.shop_id == subject.shop_id, _customers(subject))
        .with_for_update()
    )


def _checkouts(subject: DataSubject) -> ColumnElement[bool]:
    match: list[ColumnElement[bool]] = [Checkout.customer_id.in_(customer_ids_of(subject))]
    if subject.email:
        match.append(func.lower(Checkout.email) == subject.email.lower())
    return (Checkout.shop_id == subject.shop_id) & or_(*match)


def _orders(subject: DataSubject) -> ColumnElement[bool]:
    match: list[ColumnElement[bool]] = [Order.customer_id.in_(customer_ids_of(subject))]
    if subject.order_shopify_ids:
        match.append(Order.shopify_id.in_(subject.order_shopify_ids))
    if subject.email:
        match.append(func.lower(Order.email) == subject.email.lower())
    return (Order.shop_id == subject.shop_id) & or_(*match)


def order_ids_of(subject: DataSubject) -> Any:
    """The subject's orders (by customer, Shopify id or email), as the orders eraser selects
    them: for the sections holding rows about an order whose customer is not on it (a guest
    checkout's referral or review)."""
    return select(Order.id).where(_orders(subject)).scalar_subquery()


@completes
async def with_their_orders(session: AsyncSession, subject: DataSubject) -> DataSubject:
    """The subject with every order found now named by its Shopify id: the orders eraser
    erases the email a guest order is found by, and the sections run after it."""
    found = await session.scalars(select(Order.shopify_id).where(_orders(subject)))
    ids = tuple(sorted({*subject.order_shopify_ids, *found}))
    return replace(subject, order_shopify_ids=ids)


@exports("orders")
async def export_orders(session: AsyncSession, subject: DataSubject) -> list[dict[str, Any]]:
    rows = await session.scalars(select(Order).where(_orders(subject)).order_by(Order.id))
    return [row_as_dict(r) for r in rows]


@exports("checkouts")
async def export_checkouts(session: AsyncSession, subject: DataSubject) -> list[dict[str, Any]]:
    rows = await session.scalars(select(Checkout).where(_checkouts(subject)).order_by(Checkout.id))
    return [row_as_dict(r) for r in rows]


@exports("customers")
async def export_customers(session: AsyncSession, subject: DataSubject) -> list[dict[str, Any]]:
    rows = await session.scalars(
        select(Customer)
        .where(Customer.shop_id == subject.shop_id, _customers(subject))
        .order_by(Customer.id)
    )
    return [row_as_dict(r) for r in rows]


# Erasers run orders and checkouts first: they find rows through the customer's email.
@erases("orders")
async def erase_orders(session: AsyncSession, subject: DataSubject) -> int:
    return await rows_changed(
        session,
        update(Order)
        .where(_orders(subject))
        .values(email=None, shipping_address=None, browser_ip=None),
    )


@erases("checkouts")
async def erase_checkouts(session: AsyncSession, subject: DataSubject) -> int:
    return await rows_changed(
        session,
        update(Checkout).where(_checkouts(subject)).values(email=None, abandoned_checkout_url=None),
    )


@erases("customers")
async def erase_customers(session: AsyncSession, subject: DataSubject) -> int:
    return await rows_changed(
        session,
        update(Customer)
        .where(Customer.shop_id == subject.shop_id, _customers(subject))
        .values(
            email=None,
            first_name=None,
            last_name=None,
            tags=[],
            redacted_at=func.coalesce(Customer.redacted_at, datetime.now(UTC)),
        ),
    )


@erases("customer_data_requests")
async def erase_data_requests(session: AsyncSession, subject: DataSubject) -> int:
    """An export is a copy of the customer's data: it goes with the rest."""
    match: list[ColumnElement[bool]] = []
    if subject.customer_shopify_id is not None:
        match.append(CustomerDataRequest.customer_shopify_id == subject.customer_shopify_id)
    if subject.email:
        match.append(func.lower(CustomerDataRequest.customer_email) == subject.email.lower())
    return await rows_changed(
        session,
        delete(CustomerDataRequest).where(
            CustomerDataRequest.shop_id == subject.shop_id, or_(false(), *match)
        ),
    )
