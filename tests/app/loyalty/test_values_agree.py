"""Shopify's copy of a loyalty account is computed two ways: by the sync job
(`jobs.loyalty.sync_loyalty_customer`: `storefront.write_for` and `widget_status`, through the
ORM) and, at the end of a paid order's transaction, by one SQL read
(`storefront.write_after_commit`). The second restates the pending lots and the tier measure in
SQL; whatever the ledger holds (every kind, pending and matured lots, entries in and out of the
tier window, both tier bases), the two must write the same metafields."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import count

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.loyalty import storefront
from app.loyalty.settings import load_settings
from app.loyalty.status_document import loyalty_metafields
from app.loyalty.widget_status import widget_status
from app.models import LoyaltyAccount, PointsLedgerEntry
from app.queue.deferred import CustomerWrite, take_deferred
from tests.app.loyalty.conftest import configure
from tests.messaging.conftest import make_customer
from tests.support.shops import create_shop

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
shops = count(1)

# Today often (pending lots, entries written just now), else within 500 days (in and out of
# the 12-month tier window).
days_ago = st.one_of(st.just(0), st.integers(min_value=0, max_value=500))

# (kind, delta, amount, days before NOW it was written, days pending after that, seconds after
# NOW it was written: another transaction whose clock is ahead of this one's)
entries = st.lists(
    st.one_of(
        st.tuples(
            st.just("earn"),
            st.integers(min_value=1, max_value=500),
            st.decimals(min_value=Decimal("0.01"), max_value=Decimal("500"), places=2),
            days_ago,
            st.sampled_from([0, 0, 14, 30]),
            st.sampled_from([0, 0, 0, 30]),
        ),
        st.tuples(
            st.just("clawback"),
            st.integers(min_value=-300, max_value=-1),
            st.one_of(
                st.none(),
                st.decimals(min_value=Decimal("0.01"), max_value=Decimal("300"), places=2),
            ),
            days_ago,
            st.sampled_from([0, 14]),
            st.sampled_from([0, 0, 0, 30]),
        ),
        st.tuples(
            st.sampled_from(["bonus", "adjust", "redeem", "expire"]),
            st.integers(min_value=-200, max_value=200).filter(bool),
            st.none(),
            days_ago,
            st.just(0),
            st.sampled_from([0, 0, 0, 30]),
        ),
    ),
    max_size=12,
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ledger=entries, basis=st.sampled_from(["points_earned", "amount_spent"]))
async def test_the_paid_orders_write_is_the_sync_jobs_write(
    sessions: async_sessionmaker[AsyncSession],
    ledger: list[tuple[str, int, Decimal | None, int, int, int]],
    basis: str,
) -> None:
    shop = await create_shop(sessions, domain=f"agree-{next(shops)}.myshopify.com")
    shop_id = shop.id
    await configure(sessions, shop_id, enabled=True, tier_basis=basis, tier_window_months=12)
    customer_id = (await make_customer(sessions, shop)).id
    async with sessions.begin() as session:
        last_entry = 0
        for n, (kind, delta, amount, days_ago, pending_days, ahead) in enumerate(ledger):
            created = NOW - timedelta(days=days_ago, seconds=n) + timedelta(seconds=ahead)
            last_entry = (
                await session.execute(
                    insert(PointsLedgerEntry)
                    .values(
                        shop_id=shop_id,
                        customer_id=customer_id,
                        delta=delta,
                        kind=kind,
                        source_type="test",
                        source_id=str(n),
                        amount=amount,
                        actor="system",
                        created_at=created,
                        available_at=created + timedelta(days=pending_days),
                    )
                    .returning(PointsLedgerEntry.id)
                )
            ).scalar_one()
        await session.execute(
            insert(LoyaltyAccount).values(
                shop_id=shop_id,
                customer_id=customer_id,
                balance=sum(delta for _, delta, *_ in ledger),
                tier="gold" if len(ledger) % 2 else None,
            )
        )

    # The paid order's way: the values read at the end of its transaction.
    async with sessions.begin() as session:
        program = await load_settings(session, shop_id)
        storefront.account_changed(session, shop_id, customer_id, last_entry or 1)
        assert await storefront.write_after_commit(session, program, shop_id, customer_id, NOW)
        (write,) = [d for d in take_deferred(session) if isinstance(d, CustomerWrite)]

    # The sync job's way.
    async with sessions() as session:
        found = await storefront.write_for(
            session, shop_id, customer_id, tier_before=None, tier_moved=False
        )
        assert found is not None
        status = await widget_status(
            session, shop_id, customer_id, app_url="https://app.example", now=NOW
        )
    expected = loyalty_metafields(points=found.points, tier=found.tier, status=status)

    assert write.owner_gid == found.customer_gid
    assert _readable(write.metafields) == _readable(expected)


def _readable(metafields: Iterable[tuple[str, str, str, str]]) -> dict[tuple[str, str], object]:
    """Metafields by (namespace, key), the json ones parsed (so key order does not matter)."""
    return {
        (namespace, key): json.loads(value) if type_ == "json" else value
        for namespace, key, type_, value in metafields
    }
