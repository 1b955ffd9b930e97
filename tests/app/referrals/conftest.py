"""The referral program end to end: the simulator plays Shopify (codes, the first-time buyers'
segment, its checkout), webhooks go in signed over HTTP, the worker's jobs run for real, emails
arrive at a real SMTP server. Each shopper orders from an IP and an address of their own,
unless a test makes them share one."""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.loyalty import service as loyalty
from app.models import Customer, Message, PointsLedgerEntry, Referral, ReferralCode
from app.platform.resources import build_resources
from devstore.server import Simulator
from devstore.storefront import PlacedOrder
from jobs.referrals import run_due
from tests.messaging.conftest import Inbox, inbox  # noqa: F401  (fixture)
from tests.scenarios.conftest import (  # noqa: F401  (fixtures)
    SHOP,
    Store,
    app,
    settings,
    sim,
    simulator,
    store,
)
from tests.support.worker import run_worker_burst

_numbers = itertools.count(10)


@dataclass
class Shopper:
    email: str
    shopify_id: int
    ip: str
    address: dict[str, Any]


@dataclass
class Referrals:
    """The store with the referral program on, and what the tests do and read."""

    store: Store

    @property
    def sim(self) -> Simulator:
        return self.store.sim

    async def configure(self, **patch: Any) -> dict[str, Any]:
        response = await self.store.client.put(
            "/api/referrals/settings", headers=self.store.headers, json=patch
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def sign_up(self, email: str, *, first_name: str = "Ada") -> Shopper:
        payload = self.store.customer_payload(email=email, first_name=first_name)
        await self.store.deliver("customers/create", payload)
        n = next(_numbers)
        return Shopper(
            email=email,
            shopify_id=payload["id"],
            ip=f"198.51.100.{n}",
            address={
                "address1": f"{n} rue de la Paix",
                "address2": None,
                "city": "Paris",
                "zip": f"750{n:02d}",
                "country_code": "FR",
                "phone": f"+33 6 00 00 00 {n:02d}",
            },
        )

    def place(self, shopper: Shopper, code: str | None = None) -> PlacedOrder:
        buyer = self.sim.shop(SHOP).customers[shopper.shopify_id]
        return self.sim.place_order(
            SHOP,
            email=shopper.email,
            customer=buyer,
            discount_code=code,
            browser_ip=shopper.ip,
            shipping_address=shopper.address,
        )

    async def deliver_order(self, order: dict[str, Any], times: int = 1) -> None:
        for attempt in range(times):
            # A redelivery of the same event, or the same order's other topics.
            topic = "orders/create" if attempt == 0 else "orders/paid"
            await self.store.deliver(topic, order)

    async def work(self) -> None:
        # The loyalty program is on (points rewards): its batched metafield flush, deferred
        # 10 s, is not what these tests look at, and waiting for it made each burst 10 s long.
        # (Its notices, coalesced 5 s, are still waited for: without them, the advocate's
        # reward email once failed to arrive within 10 s in a full run; not yet understood.)
        unflushed = self.store.settings.model_copy(update={"customer_sync_flush_seconds": 86400.0})
        await run_worker_burst(unflushed, http_transport=self.store.shopify, horizon=20.0)

    async def advocate(self, email: str = "ada@example.test") -> tuple[Shopper, str]:
        """A customer whose first paid order earned them their code: (them, their code)."""
        shopper = await self.sign_up(email)
        await self.deliver_order(self.place(shopper).order)
        await self.work()
        code = await self.code_of(shopper)
        assert code is not None, "no referral code issued"
        return shopper, code

    async def code_of(self, shopper: Shopper) -> str | None:
        async with self.store.sessions.begin() as session:
            found: str | None = await session.scalar(
                select(ReferralCode.code)
                .join(Customer, Customer.id == ReferralCode.customer_id)
                .where(Customer.shopify_id == shopper.shopify_id)
            )
            return found

    async def referrals(self) -> list[Referral]:
        async with self.store.sessions.begin() as session:
            return list(await session.scalars(select(Referral).order_by(Referral.id)))

    async def bonus_points(self, shopper: Shopper) -> list[int]:
        async with self.store.sessions.begin() as session:
            return list(
                await session.scalars(
                    select(PointsLedgerEntry.delta)
                    .join(Customer, Customer.id == PointsLedgerEntry.customer_id)
                    .where(
                        Customer.shopify_id == shopper.shopify_id,
                        PointsLedgerEntry.source_type == "referral",
                    )
                )
            )

    async def messages(self, step: int | None = None) -> list[Message]:
        async with self.store.sessions.begin() as session:
            query = select(Message).where(Message.scenario == "referral").order_by(Message.id)
            if step is not None:
                query = query.where(Message.step == step)
            return list(await session.scalars(query))

    async def after_hold(self, days: int = 15) -> int:
        """`days` pass (the referrals' hold periods move that much closer to their end), then
        the due-referrals cron runs, then the jobs it queued. How many it decided."""
        async with self.store.sessions.begin() as session:
            await session.execute(
                update(Referral).values(
                    due_at=Referral.due_at - timedelta(days=days),
                    created_at=Referral.created_at - timedelta(days=days),
                )
            )
        resources = await build_resources(self.store.settings, http_transport=self.store.shopify)
        try:
            decided = await run_due(resources, datetime.now(UTC))
        finally:
            await resources.close()
        await self.work()
        return decided

    async def figures(self) -> dict[str, Any]:
        response = await self.store.client.get("/api/referrals/figures", headers=self.store.headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture
async def referrals(store: Store) -> Referrals:  # noqa: F811
    async with store.sessions.begin() as session:
        await loyalty.update_settings(session, store.shop.id, {"enabled": True})
    harness = Referrals(store)
    await harness.configure(mode="live")
    return harness


def crafted(order: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """The same order as another channel would report it (a code keyed in by staff at a
    point of sale, which no online segment check stops), with `changes`."""
    body = copy.deepcopy(order)
    body.update(changes)
    return body


async def customer_row(sessions: async_sessionmaker[AsyncSession], shopify_id: int) -> Customer:
    async with sessions.begin() as session:
        found = await session.scalar(select(Customer).where(Customer.shopify_id == shopify_id))
    assert found is not None
    return found
