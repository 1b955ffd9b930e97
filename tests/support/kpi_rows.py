"""Typed factories for the raw rows the KPI roll-up reads (customers, runs, messages and what
shoppers did with them, orders, refunds), each in its own transaction as the app writes them,
so the roll-up's triggers see them as they would in production."""

from __future__ import annotations

import itertools
from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import (
    Customer,
    LoyaltyAccount,
    Message,
    MessageEvent,
    Order,
    OrderDiscountCode,
    Refund,
    ScenarioRun,
)

_ids = itertools.count(1_000)


class Rows:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], shop_id: int) -> None:
        self.sessions = sessions
        self.shop_id = shop_id

    async def customer(self, email: str) -> int:
        async with self.sessions.begin() as session:
            row = Customer(shop_id=self.shop_id, shopify_id=next(_ids), email=email, tags=[])
            session.add(row)
            await session.flush()
            return row.id

    async def account(self, customer_id: int, *, opened: datetime, tier: str | None = None) -> None:
        """A loyalty account (balance 0) opened at `opened`: the customer is a member since."""
        async with self.sessions.begin() as session:
            session.add(
                LoyaltyAccount(
                    shop_id=self.shop_id,
                    customer_id=customer_id,
                    balance=0,
                    pending=0,
                    tier=tier,
                    created_at=opened,
                )
            )

    async def run(
        self,
        scenario: str,
        subject_key: str,
        *,
        customer_id: int | None,
        started_at: datetime,
        issued_codes: list[str] | None = None,
        holdout: bool = False,
    ) -> int:
        async with self.sessions.begin() as session:
            row = ScenarioRun(
                shop_id=self.shop_id,
                scenario=scenario,
                subject_key=subject_key,
                customer_id=customer_id,
                status="stopped" if holdout else "active",
                stop_reason="holdout" if holdout else None,
                anchor_at=started_at,
                started_at=started_at,
                issued_codes=issued_codes or [],
            )
            session.add(row)
            await session.flush()
            return row.id

    async def message(
        self,
        scenario: str,
        subject_key: str,
        step: int,
        *,
        customer_id: int | None,
        requested_at: datetime,
        sent_at: datetime | None = None,
        status: str | None = None,
        status_reason: str | None = None,
    ) -> int:
        async with self.sessions.begin() as session:
            row = self.message_row(
                scenario,
                subject_key,
                step,
                customer_id=customer_id,
                requested_at=requested_at,
                sent_at=sent_at,
                status=status,
                status_reason=status_reason,
            )
            session.add(row)
            await session.flush()
            return row.id

    def message_row(
        self,
        scenario: str,
        subject_key: str,
        step: int,
        *,
        customer_id: int | None,
        requested_at: datetime,
        sent_at: datetime | None = None,
        status: str | None = None,
        status_reason: str | None = None,
    ) -> Message:
        """The message `message` stores, for a test that writes it in a transaction of its own."""
        return Message(
            shop_id=self.shop_id,
            customer_id=customer_id,
            scenario=scenario,
            step=step,
            subject_key=subject_key,
            template=f"{scenario}_{step}",
            context={},
            status=status or ("sent" if sent_at else "queued"),
            status_reason=status_reason,
            mode="live",
            to_address="shopper@example.test",
            locale="en",
            subject="s",
            html="h",
            text_body="t",
            scheduled_at=requested_at,
            requested_at=requested_at,
            sent_at=sent_at,
        )

    async def send(self, message_id: int, at: datetime) -> None:
        """The relay accepted a queued message (the outbox's update)."""
        async with self.sessions.begin() as session:
            row = await session.get(Message, message_id)
            assert row is not None
            row.status, row.sent_at = "sent", at

    async def event(self, message_id: int, kind: str, at: datetime, *, human: bool = True) -> None:
        async with self.sessions.begin() as session:
            session.add(
                MessageEvent(
                    shop_id=self.shop_id,
                    message_id=message_id,
                    kind=kind,
                    human=human,
                    machine_reason=None if human else "apple_mpp",
                    occurred_at=at,
                )
            )

    async def order(
        self,
        *,
        customer_id: int | None,
        placed_at: datetime,
        total: str,
        checkout_token: str | None = None,
        codes: dict[str, str] | None = None,
    ) -> tuple[int, int]:
        """(order id, its Shopify id)."""
        async with self.sessions.begin() as session:
            row = self.order_row(
                customer_id=customer_id,
                placed_at=placed_at,
                total=total,
                checkout_token=checkout_token,
            )
            session.add(row)
            await session.flush()
            for code, amount in (codes or {}).items():
                session.add(
                    OrderDiscountCode(
                        shop_id=self.shop_id, order_id=row.id, code=code, amount=Decimal(amount)
                    )
                )
            return row.id, row.shopify_id

    def order_row(
        self,
        *,
        customer_id: int | None,
        placed_at: datetime,
        total: str,
        checkout_token: str | None = None,
    ) -> Order:
        """The order `order` stores, for a test that writes it in a transaction of its own."""
        return Order(
            shop_id=self.shop_id,
            shopify_id=next(_ids),
            name=f"#{next(_ids)}",
            customer_id=customer_id,
            checkout_token=checkout_token,
            total_price=Decimal(total),
            currency="EUR",
            placed_at=placed_at,
        )

    async def refund(self, order_shopify_id: int, amount: str, at: datetime) -> None:
        async with self.sessions.begin() as session:
            session.add(
                Refund(
                    shop_id=self.shop_id,
                    shopify_id=next(_ids),
                    order_shopify_id=order_shopify_id,
                    amount=Decimal(amount),
                    currency="EUR",
                    refunded_at=at,
                )
            )

    async def cancel(self, order_id: int, at: datetime) -> None:
        async with self.sessions.begin() as session:
            row = await session.get(Order, order_id)
            assert row is not None
            row.cancelled_at = at
