"""Shopify's copy of a customer's loyalty position follows the ledger: the customer metafields
`$app:loyalty.points` and `$app:loyalty.tier`, and a `vip-<tier>` tag for segments (Shopify
Email, Klaviyo). Every change of an account defers a sync job (app/loyalty/jobs.py) to its
transaction's commit; the job reads the account as it is then (the newest balance, even if
another transaction moved it since) and requests it through the batched customer sync
(app/shopify/customer_sync.py), which coalesces per shop and flushes in metafieldsSet
batches."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.loyalty.jobs import entry_change, notices_job, sync_job, tier_change
from app.models import Customer, LoyaltyAccount
from app.queue.deferred import defer

# The tier metafield of a customer who left every tier: Shopify refuses a blank single-line
# text value, and the batched sync sets metafields, it does not delete them.
NO_TIER = "none"


def tier_tag(tier: str) -> str:
    return f"vip-{tier}"


def account_changed(session: AsyncSession, shop_id: int, customer_id: int, entry_id: int) -> None:
    """The ledger entry `entry_id` moved the account's balance in this transaction."""
    defer(
        session,
        sync_job(
            shop_id,
            customer_id,
            change=entry_change(entry_id),
            tier_before=None,
            tier_moved=False,
        ),
    )


def tier_changed(
    session: AsyncSession,
    shop_id: int,
    customer_id: int,
    before: str | None,
    after: str | None,
    at: datetime,
) -> None:
    defer(
        session,
        sync_job(
            shop_id,
            customer_id,
            change=f"{tier_change(at)}-{after or NO_TIER}",
            tier_before=before,
            tier_moved=True,
        ),
    )
    # A climb is news; a drop resets what was announced, so climbing again is news again.
    defer(session, notices_job(shop_id, customer_id, at))


@dataclass(frozen=True)
class StorefrontWrite:
    """What Shopify should hold for one customer now."""

    customer_gid: str
    points: int
    tier: str | None
    tags_add: tuple[str, ...]
    tags_remove: tuple[str, ...]


async def write_for(
    session: AsyncSession,
    shop_id: int,
    customer_id: int,
    *,
    tier_before: str | None,
    tier_moved: bool,
) -> StorefrontWrite | None:
    """Shopify's copy of the account as it stands (None: no account, or a redacted customer).
    After a tier move the tags follow the tier the account has NOW, so jobs of successive moves
    converge whatever order they run in: the current tier's tag is added, the one left removed
    unless it is current again."""
    row = (
        await session.execute(
            select(LoyaltyAccount.balance, LoyaltyAccount.tier, Customer.shopify_id)
            .join(
                Customer,
                (Customer.id == LoyaltyAccount.customer_id)
                & (Customer.shop_id == LoyaltyAccount.shop_id),
            )
            .where(
                LoyaltyAccount.shop_id == shop_id,
                LoyaltyAccount.customer_id == customer_id,
                Customer.redacted_at.is_(None),
            )
        )
    ).one_or_none()
    if row is None:
        return None
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    if tier_moved:
        add = (tier_tag(row.tier),) if row.tier else ()
        remove = (tier_tag(tier_before),) if tier_before and tier_before != row.tier else ()
    return StorefrontWrite(
        customer_gid=f"gid://shopify/Customer/{row.shopify_id}",
        points=row.balance,
        tier=row.tier or (NO_TIER if tier_moved else None),
        tags_add=add,
        tags_remove=remove,
    )
