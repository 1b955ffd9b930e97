"""Shopify's copy of a customer's loyalty position follows the ledger: the customer metafields
`$app:loyalty.points` and `$app:loyalty.tier`, and a `vip-<tier>` tag for segments (Shopify
Email, Klaviyo). After the transaction that changed an account commits, its newest values are
requested through the batched customer sync (app/shopify/customer_sync.py), which coalesces
them per shop (the latest value wins) and flushes them in metafieldsSet batches."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.after_commit import after_commit
from app.models import Customer, LoyaltyAccount

_KEY = "loyalty.storefront"
# The tier metafield of a customer who left every tier: Shopify refuses a blank single-line
# text value, and the batched sync sets metafields, it does not delete them.
NO_TIER = "none"


def tier_tag(tier: str) -> str:
    return f"vip-{tier}"


@dataclass
class _Changes:
    accounts: set[tuple[int, int]] = field(default_factory=set)
    # (shop, customer) -> (tier before the transaction, tier after)
    tiers: dict[tuple[int, int], tuple[str | None, str | None]] = field(default_factory=dict)


def _changes(session: AsyncSession) -> _Changes:
    found = session.info.get(_KEY)
    if found is None:
        found = session.info[_KEY] = _Changes()

        async def request(resources: Any) -> None:
            session.info.pop(_KEY, None)
            await _request(resources, found)

        after_commit(session, request)
    changes: _Changes = found
    return changes


def account_changed(session: AsyncSession, shop_id: int, customer_id: int) -> None:
    """The account's balance moved in this transaction."""
    _changes(session).accounts.add((shop_id, customer_id))


def tier_changed(
    session: AsyncSession, shop_id: int, customer_id: int, before: str | None, after: str | None
) -> None:
    changes = _changes(session)
    changes.accounts.add((shop_id, customer_id))
    first = changes.tiers.get((shop_id, customer_id), (before, after))[0]
    changes.tiers[(shop_id, customer_id)] = (first, after)


async def _request(resources: Any, changes: _Changes) -> None:
    # The Shopify edge, loaded where the action runs (after the commit, in a job), so the
    # domain package itself never imports the Admin API client.
    from app.shopify.customer_sync import request_loyalty, request_tags

    if not changes.accounts:
        return
    async with resources.sessions() as session:
        rows = (
            await session.execute(
                select(
                    LoyaltyAccount.shop_id,
                    LoyaltyAccount.customer_id,
                    LoyaltyAccount.balance,
                    LoyaltyAccount.tier,
                    Customer.shopify_id,
                )
                .join(
                    Customer,
                    (Customer.id == LoyaltyAccount.customer_id)
                    & (Customer.shop_id == LoyaltyAccount.shop_id),
                )
                .where(
                    tuple_(LoyaltyAccount.shop_id, LoyaltyAccount.customer_id).in_(
                        sorted(changes.accounts)
                    ),
                    Customer.redacted_at.is_(None),
                )
            )
        ).all()
    every = resources.settings.customer_sync_flush_seconds
    for row in rows:
        gid = f"gid://shopify/Customer/{row.shopify_id}"
        moved = changes.tiers.get((row.shop_id, row.customer_id))
        # Read after the commit: the newest balance, even if another transaction moved it.
        await request_loyalty(
            resources.redis,
            resources.queue,
            row.shop_id,
            gid,
            points=row.balance,
            tier=row.tier or (NO_TIER if moved is not None else None),
            flush_every=every,
        )
        if moved is not None and moved[0] != moved[1]:
            await request_tags(
                resources.redis,
                resources.queue,
                row.shop_id,
                gid,
                add=(tier_tag(moved[1]),) if moved[1] else (),
                remove=(tier_tag(moved[0]),) if moved[0] else (),
                flush_every=every,
            )
