"""Shopify's copy of a customer's loyalty position follows the ledger: the customer metafields
`$app:loyalty.points` and `$app:loyalty.tier`, and a `vip-<tier>` tag for segments (Shopify
Email, Klaviyo). The ledger entries that move an account in one transaction defer one sync job
(app/loyalty/jobs.py) to its commit, named for the newest entry; the job reads the account as
it is then (the newest balance, even if another transaction moved it since) and requests it
through the batched customer sync (app/shopify/customer_sync.py), which coalesces per shop
and flushes in metafieldsSet batches.

A paid order's transaction does better (`write_after_commit`): it reads the values itself, at
its end, and defers them as one `CustomerWrite`, requested into the same batched sync once it
commits, versioned by its last ledger entry (so a late request never overwrites a newer
balance). No job runs for it; the sync job it replaces stays its fallback."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy import text as sql
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.prepared import Prepared, begun_driver
from app.loyalty.jobs import SYNC_JOB, entry_change, notices_job, sync_job, tier_change
from app.loyalty.settings import LoyaltySettings
from app.loyalty.status_document import loyalty_metafields, status_document
from app.loyalty.windows import months_before
from app.models import Customer, LoyaltyAccount
from app.queue.deferred import CustomerWrite, Job, defer, defer_once

# The ledger entries that moved each account in this transaction: (shop, customer) -> the
# highest entry id (the version of the values written after commit).
_CHANGED = "boomerang.loyalty.changed_accounts"

# The tier metafield of a customer who left every tier: Shopify refuses a blank single-line
# text value, and the batched sync sets metafields, it does not delete them.
NO_TIER = "none"


def tier_tag(tier: str) -> str:
    return f"vip-{tier}"


def account_changed(session: AsyncSession, shop_id: int, customer_id: int, entry_id: int) -> None:
    """The ledger entry `entry_id` moved the account's balance in this transaction: one sync
    job per account and transaction, named for its newest entry (it reads the account as it
    is when it runs), unless `write_after_commit` puts the values themselves in its place."""
    changed: dict[tuple[int, int], int] = session.info.setdefault(_CHANGED, {})
    version = max(entry_id, changed.get((shop_id, customer_id), 0))
    changed[(shop_id, customer_id)] = version
    defer_once(session, _sync_key(shop_id, customer_id), _entry_sync(shop_id, customer_id, version))


def _sync_key(shop_id: int, customer_id: int) -> tuple[str, int, int]:
    return (SYNC_JOB, shop_id, customer_id)


def _entry_sync(shop_id: int, customer_id: int, entry_id: int) -> Job:
    return sync_job(
        shop_id, customer_id, change=entry_change(entry_id), tier_before=None, tier_moved=False
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


def _values_sql(measured: str) -> Prepared:
    """The account's values for Shopify in one read: the customer's Shopify id (no row for a
    redacted customer, or no account), balance and tier, the pending lots (as
    `widget_status` reads them), the tier measure (`tiers.measure_of`'s expression) and
    whether the customer has a referral code (whose link needs the app's URL: the job writes
    those)."""
    return Prepared(
        sql(
            f"""
SELECT c.shopify_id, a.balance, a.tier, lots.ats, lots.points,
       (SELECT coalesce(sum({measured}), 0) FROM points_ledger AS l
        WHERE l.shop_id = :shop_id AND l.customer_id = :customer_id
          AND l.created_at >= :since) AS measure,
       EXISTS (SELECT FROM referral_codes AS r
               WHERE r.shop_id = :shop_id AND r.customer_id = :customer_id
                 AND r.code IS NOT NULL) AS referred
FROM loyalty_accounts AS a
JOIN customers AS c ON c.id = a.customer_id AND c.shop_id = a.shop_id
CROSS JOIN LATERAL (
    SELECT array_agg(g.at ORDER BY g.at) AS ats, array_agg(g.points ORDER BY g.at) AS points
    FROM (SELECT p.available_at AS at, sum(p.delta) AS points FROM points_ledger AS p
          WHERE p.shop_id = :shop_id AND p.customer_id = :customer_id
            AND p.available_at > :now AND p.available_at > p.created_at
          GROUP BY p.available_at) AS g
) AS lots
WHERE a.shop_id = :shop_id AND a.customer_id = :customer_id AND c.redacted_at IS NULL
"""  # noqa: S608  (the measure's expression is one of the two constants below)
        )
    )


_VALUES_BY_BASIS = {
    "points_earned": _values_sql(
        "CASE WHEN l.kind IN ('earn', 'bonus', 'clawback') THEN l.delta ELSE 0 END"
    ),
    "amount_spent": _values_sql(
        "CASE WHEN l.kind = 'earn' THEN l.amount "
        "WHEN l.kind = 'clawback' THEN -coalesce(l.amount, 0) ELSE 0 END"
    ),
}


async def write_after_commit(
    session: AsyncSession,
    settings: LoyaltySettings,
    shop_id: int,
    customer_id: int,
    now: datetime,
) -> bool:
    """Put the values themselves (`CustomerWrite`), read now, at the end of the transaction's
    work on the account, in the place of the sync job its ledger entries deferred. Call it
    last: an entry appended after it puts a job back. False (the job left as it is) when
    nothing moved the account, for a redacted customer, or one with a referral code."""
    version = session.info.get(_CHANGED, {}).get((shop_id, customer_id))
    if version is None:
        return False
    row = await _VALUES_BY_BASIS[settings.tier_basis].fetchrow(
        await begun_driver(session),
        shop_id=shop_id,
        customer_id=customer_id,
        now=now,
        since=months_before(now, settings.tier_window_months),
    )
    if row is None or row["referred"]:
        return False
    status = status_document(
        zip(row["ats"] or (), (int(p) for p in row["points"] or ()), strict=True),
        Decimal(row["measure"]),
        None,
    )
    metafields = loyalty_metafields(
        points=int(row["balance"]), tier=row["tier"] or None, status=status
    )
    defer_once(
        session,
        _sync_key(shop_id, customer_id),
        CustomerWrite(
            shop_id=shop_id,
            owner_gid=f"gid://shopify/Customer/{row['shopify_id']}",
            version=version,
            metafields=tuple(metafields),
            fallback=_entry_sync(shop_id, customer_id, version),
        ),
    )
    return True
