"""Pools of pre-created single-use codes: one shared Shopify discount per shop and scenario,
refilled in the background with discountRedeemCodeBulkAdd, so handing a code to a message
never waits on Shopify.

A pool code counts as available only once its bulk creation reports it imported. A claim takes
one available code with `FOR UPDATE SKIP LOCKED` (concurrent claimers never block on or share a
row) and is idempotent per recipient key. Codes on a shared discount cannot each be restricted
to one customer: a pool code works for whoever holds it (usage limit 1 per code, once per
customer). Scenarios that need a customer-bound code use app/codes/service.py instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy import Select, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.codes.gateway import CreatedDiscount, DiscountGateway
from app.codes.generator import clean_prefix, generate_code
from app.codes.lookup import find_soon
from app.codes.offers import CombinesWith, DiscountSpec, Offer, ValueType
from app.errors import ShopifyUnavailable, ShopifyUserErrors
from app.i18n import Text
from app.installs.status import shop_work_runs
from app.models.discount_codes import (
    DiscountPool,
    DiscountPoolStatus,
    PoolCode,
    PoolCodeStatus,
    PoolRetiredReason,
)
from app.models.shops import Shop
from app.queue import JobQueue
from app.shopify.admin.types import ShopRef

log = structlog.get_logger(__name__)

BULK_BATCH = 250  # discountRedeemCodeBulkAdd's maximum per call
LEVEL_CHECK_EVERY = 8
REFILL_JOB = "refill_discount_pool"
# How often a live pool's discount is confirmed at Shopify (a merchant may delete or
# deactivate it in their admin; its codes would then fail at checkout).
VERIFY_EVERY = timedelta(minutes=10)
_LOCK_NAMESPACE = 0x0B00_0000_0000  # advisory lock keys for pool refills: namespace + pool id


@dataclass(frozen=True)
class PoolRef:
    id: int
    shop_id: int
    scenario: str
    discount_id: str
    ends_at: datetime | None


@dataclass(frozen=True)
class Claim:
    code: str
    # True when the pool fell below its low watermark: request_refill after commit.
    needs_refill: bool
    # False when this recipient key had already been given this code.
    claimed_now: bool


@dataclass(frozen=True)
class RefillReport:
    submitted: int
    imported: int
    failed: int
    skipped: bool = False  # another worker is refilling this pool
    # The pool's discount is gone or deactivated at Shopify: the pool was retired instead.
    retired: bool = False


async def ensure_pool(
    sessions: async_sessionmaker[AsyncSession],
    gateway: DiscountGateway,
    shop: ShopRef,
    *,
    scenario: str,
    offer: Offer,
    prefix: str,
    target_size: int = 500,
    low_watermark: int = 100,
    now: datetime | None = None,
) -> PoolRef:
    """The scenario's live pool, its discount created at Shopify first if need be
    (reserve-then-create, like single codes: the seed code is the idempotency handle)."""
    moment = now or datetime.now(UTC)
    async with sessions() as session, session.begin():
        await session.execute(
            insert(DiscountPool)
            .values(
                shop_id=shop.id,
                scenario=scenario,
                status=DiscountPoolStatus.CREATING.value,
                seed_code=generate_code(prefix),
                title=offer.title,
                prefix=clean_prefix(prefix),
                value_type=offer.value_type.value,
                value=offer.value,
                minimum_subtotal=offer.minimum_subtotal,
                combines_with=offer.combines_with.as_dict(),
                starts_at=moment - timedelta(minutes=1),
                ends_at=offer.ends_at(moment),
                target_size=target_size,
                low_watermark=low_watermark,
            )
            .on_conflict_do_nothing(
                index_elements=["shop_id", "scenario"],
                index_where=text("status <> 'retired'"),
            )
        )
        pool = await session.scalar(_live_pool(shop.id, scenario))
    if pool is None:  # pragma: no cover - inserted or found above
        raise RuntimeError("pool vanished")
    if pool.status == DiscountPoolStatus.ACTIVE and pool.shopify_discount_id:
        return PoolRef(pool.id, pool.shop_id, pool.scenario, pool.shopify_discount_id, pool.ends_at)
    discount_id = await gateway.find_discount_by_code(shop, pool.seed_code)
    if discount_id is None:
        outcome = await gateway.create_discount(shop, _pool_spec(pool))
        if isinstance(outcome, CreatedDiscount):
            discount_id = outcome.discount_id
        elif outcome.code_taken:
            # Created by a racing worker or an earlier attempt; the lookup may trail it.
            discount_id = await find_soon(gateway, shop, pool.seed_code)
            if discount_id is None:
                raise ShopifyUnavailable(
                    Text(
                        en=f"Shopify says the {scenario} pool's discount exists but cannot "
                        "find it yet; the job will run again later.",
                        fr=f"Shopify indique que la réduction de la réserve {scenario} existe "
                        "mais ne la trouve pas encore ; la tâche sera relancée plus tard.",
                    )
                )
        if discount_id is None:
            reason = "" if isinstance(outcome, CreatedDiscount) else "; ".join(outcome.messages)
            raise ShopifyUserErrors(
                Text(
                    en=f"Shopify refused the {scenario} pool discount: {reason}. Check the "
                    "offer's settings (value, minimum, dates).",
                    fr=f"Shopify a refusé la réduction de la réserve {scenario} : {reason}. "
                    "Vérifiez les réglages de l'offre (valeur, minimum, dates).",
                ),
                [("", None, reason)],
            )
    async with sessions() as session, session.begin():
        await session.execute(
            update(DiscountPool)
            .where(DiscountPool.shop_id == shop.id, DiscountPool.id == pool.id)
            .values(status=DiscountPoolStatus.ACTIVE, shopify_discount_id=discount_id)
        )
        # The seed code is a real redeem code of the discount: the pool's first.
        await session.execute(
            insert(PoolCode)
            .values(
                shop_id=shop.id,
                pool_id=pool.id,
                code=pool.seed_code,
                status=PoolCodeStatus.AVAILABLE.value,
            )
            .on_conflict_do_nothing(index_elements=["shop_id", "code"])
        )
    return PoolRef(pool.id, shop.id, scenario, discount_id, pool.ends_at)


def _live_pool(shop_id: int, scenario: str) -> Select[DiscountPool]:
    return select(DiscountPool).where(
        DiscountPool.shop_id == shop_id,
        DiscountPool.scenario == scenario,
        DiscountPool.status != DiscountPoolStatus.RETIRED,
    )


def _pool_spec(pool: DiscountPool) -> DiscountSpec:
    return DiscountSpec(
        code=pool.seed_code,
        title=pool.title,
        value_type=ValueType(pool.value_type),
        value=pool.value,
        minimum_subtotal=pool.minimum_subtotal,
        starts_at=pool.starts_at,
        ends_at=pool.ends_at,
        combines_with=CombinesWith.from_dict(pool.combines_with),
        # Shared discount: codes cannot be bound to one customer each.
        customer_gids=None,
        usage_limit=1,  # per redeem code on Shopify
        once_per_customer=True,
    )


async def find_pool(session: AsyncSession, shop_id: int, scenario: str) -> DiscountPool | None:
    pool: DiscountPool | None = await session.scalar(_live_pool(shop_id, scenario))
    return pool


async def claim_code(
    session: AsyncSession, shop_id: int, pool_id: int, recipient_key: str
) -> Claim | None:
    """Hand one available code of the pool to `recipient_key`, inside the caller's transaction.
    The same key always gets the same code. None when the pool is empty (request a refill)."""
    try:
        async with session.begin_nested():
            # One round trip: this key's earlier code, or else the next available one.
            row = (
                await session.execute(
                    text(
                        "WITH existing AS (SELECT code FROM pool_codes WHERE shop_id = :shop"
                        " AND pool_id = :pool AND claimed_by = :key),"
                        " claimed AS (UPDATE pool_codes SET status = 'claimed', claimed_by = :key,"
                        " claimed_at = now() WHERE id = ("
                        " SELECT id FROM pool_codes WHERE shop_id = :shop AND pool_id = :pool"
                        " AND status = 'available' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)"
                        " AND NOT EXISTS (SELECT 1 FROM existing) RETURNING code, id)"
                        " SELECT code, id, true AS fresh FROM claimed"
                        " UNION ALL SELECT code, 0, false FROM existing"
                    ),
                    {"key": recipient_key, "shop": shop_id, "pool": pool_id},
                )
            ).first()
    except IntegrityError:
        # The same key claimed concurrently by another worker: theirs is the code.
        existing = await _claimed_by(session, shop_id, pool_id, recipient_key)
        if existing is None:  # pragma: no cover - the conflicting claim is committed
            raise
        return Claim(existing, needs_refill=False, claimed_now=False)
    if row is None:
        return None
    code, code_id, fresh = str(row[0]), int(row[1]), bool(row[2])
    if not fresh:
        return Claim(code, needs_refill=False, claimed_now=False)
    # Checking the level costs a bounded scan: do it on one claim in LEVEL_CHECK_EVERY
    # (ids are sequential), so a refill is requested within a few claims of the watermark.
    low = code_id % LEVEL_CHECK_EVERY == 0 and await _is_low(session, shop_id, pool_id)
    return Claim(code, needs_refill=low, claimed_now=True)


async def _claimed_by(
    session: AsyncSession, shop_id: int, pool_id: int, recipient_key: str
) -> str | None:
    code: str | None = await session.scalar(
        select(PoolCode.code).where(
            PoolCode.shop_id == shop_id,
            PoolCode.pool_id == pool_id,
            PoolCode.claimed_by == recipient_key,
        )
    )
    return code


async def _is_low(session: AsyncSession, shop_id: int, pool_id: int) -> bool:
    watermark = await session.scalar(
        select(DiscountPool.low_watermark).where(
            DiscountPool.shop_id == shop_id, DiscountPool.id == pool_id
        )
    )
    # Count no further than the watermark: cheap however large the pool.
    bounded = (
        select(PoolCode.id)
        .where(
            PoolCode.shop_id == shop_id,
            PoolCode.pool_id == pool_id,
            PoolCode.status == PoolCodeStatus.AVAILABLE,
        )
        .limit(watermark or 0)
        .subquery()
    )
    available = await session.scalar(select(func.count()).select_from(bounded))
    return (available or 0) < (watermark or 0)


async def verify_pool(
    sessions: async_sessionmaker[AsyncSession],
    gateway: DiscountGateway,
    shop: ShopRef,
    pool_id: int,
    *,
    now: datetime | None = None,
) -> bool:
    """Ask Shopify whether the pool's discount still stands. A merchant who deleted it, or
    deactivated it before its end, in Shopify's admin retires the pool: its codes left are
    never handed out, and the next code comes from a fresh pool. True while the pool is live."""
    moment = now or datetime.now(UTC)
    async with sessions() as session:
        pool = await session.scalar(
            select(DiscountPool).where(DiscountPool.shop_id == shop.id, DiscountPool.id == pool_id)
        )
    if pool is None or pool.status != DiscountPoolStatus.ACTIVE or not pool.shopify_discount_id:
        return False
    status = await gateway.discount_status(shop, pool.shopify_discount_id)
    reason: PoolRetiredReason | None = None
    if status is None:
        reason = PoolRetiredReason.DELETED_AT_SHOPIFY
    elif status == "EXPIRED" and (pool.ends_at is None or pool.ends_at > moment):
        reason = PoolRetiredReason.DEACTIVATED_AT_SHOPIFY
    async with sessions() as session, session.begin():
        if reason is None:
            await session.execute(
                update(DiscountPool)
                .where(DiscountPool.shop_id == shop.id, DiscountPool.id == pool_id)
                .values(verified_at=moment)
            )
            return True
        withdrawn = await retire_pool(session, shop.id, pool_id, reason)
    log.warning(
        "pool retired: its discount is no longer usable at Shopify",
        shop=shop.domain,
        pool_id=pool_id,
        discount_id=pool.shopify_discount_id,
        reason=reason.value,
        codes_withdrawn=withdrawn,
    )
    return False


async def retire_pool(
    session: AsyncSession, shop_id: int, pool_id: int, reason: PoolRetiredReason
) -> int:
    """Retire the pool inside the caller's transaction. When its discount is dead at Shopify,
    the codes not yet handed out are withdrawn (failed); returns how many."""
    await session.execute(
        update(DiscountPool)
        .where(
            DiscountPool.shop_id == shop_id,
            DiscountPool.id == pool_id,
            DiscountPool.status != DiscountPoolStatus.RETIRED,
        )
        .values(status=DiscountPoolStatus.RETIRED, retired_reason=reason.value)
    )
    if reason == PoolRetiredReason.ENDING:
        return 0  # its codes still work until the discount ends
    # A claim racing this waits on the row it locked and keeps it (claimed, not available).
    result = await session.execute(
        update(PoolCode)
        .where(
            PoolCode.shop_id == shop_id,
            PoolCode.pool_id == pool_id,
            PoolCode.status.in_([PoolCodeStatus.AVAILABLE, PoolCodeStatus.PENDING]),
        )
        .values(status=PoolCodeStatus.FAILED)
        .returning(PoolCode.id)
    )
    return len(result.all())


async def stale_pools(
    session: AsyncSession,
    *,
    shop_id: int | None = None,
    now: datetime | None = None,
    limit: int = 200,
) -> list[tuple[int, int]]:
    """(shop id, pool id) of live pools Shopify has not confirmed for VERIFY_EVERY, of shops
    whose work runs (a shop uninstalled or with a refused token is not asked, nor waited on)."""
    cutoff = (now or datetime.now(UTC)) - VERIFY_EVERY
    query = (
        select(DiscountPool.shop_id, DiscountPool.id)
        .join(Shop, Shop.id == DiscountPool.shop_id)
        .where(shop_work_runs())
    )
    if shop_id is not None:
        query = query.where(DiscountPool.shop_id == shop_id)
    rows = await session.execute(
        query.where(
            DiscountPool.status == DiscountPoolStatus.ACTIVE,
            DiscountPool.shopify_discount_id.is_not(None),
            (DiscountPool.verified_at.is_(None)) | (DiscountPool.verified_at < cutoff),
        )
        .order_by(DiscountPool.verified_at.asc().nulls_first(), DiscountPool.id)
        .limit(limit)
    )
    return [(int(owner), int(pool)) for owner, pool in rows.all()]


_DEAD_REASONS = (PoolRetiredReason.DELETED_AT_SHOPIFY, PoolRetiredReason.DEACTIVATED_AT_SHOPIFY)


async def code_withdrawn(session: AsyncSession, shop_id: int, code: str) -> bool:
    """True when `code` came from a pool whose discount the merchant deleted or deactivated
    in Shopify's admin: it would fail at checkout. One lookup by the (shop, code) key."""
    reason = await session.scalar(
        select(DiscountPool.retired_reason)
        .join(PoolCode, PoolCode.pool_id == DiscountPool.id)
        .where(
            PoolCode.shop_id == shop_id,
            PoolCode.code == code,
            DiscountPool.shop_id == shop_id,
            DiscountPool.status == DiscountPoolStatus.RETIRED,
        )
    )
    return reason in _DEAD_REASONS


async def available_count(session: AsyncSession, shop_id: int, pool_id: int) -> int:
    count = await session.scalar(
        select(func.count()).where(
            PoolCode.shop_id == shop_id,
            PoolCode.pool_id == pool_id,
            PoolCode.status == PoolCodeStatus.AVAILABLE,
        )
    )
    return int(count or 0)


def refill_job_id(shop_id: int, pool_id: int, *, now: float | None = None) -> str:
    # One refill per pool per 10 s window: the queue keeps finished job ids for a while,
    # so a fixed id would swallow the next request.
    window = int((now if now is not None else datetime.now(UTC).timestamp()) // 10)
    return f"{REFILL_JOB}:{shop_id}:{pool_id}:{window}"


async def request_refill(queue: JobQueue, shop_id: int, pool_id: int) -> bool:
    """Enqueue a refill of the pool (call after the claim's transaction committed)."""
    return await queue.enqueue(REFILL_JOB, shop_id, pool_id, job_id=refill_job_id(shop_id, pool_id))


# Every poll of a bulk creation is a query that costs points from the shop's bucket, which
# its other Admin API calls share: the first one after half a second (a batch of 250 codes
# often imports in that time), then each wait twice the one before, up to 8 s. A fixed 0.2 s
# poll spent 5 points a second for as long as Shopify took.
POLL_FIRST_SECONDS = 0.5
POLL_MAX_SECONDS = 8.0


@dataclass(frozen=True)
class _Polling:
    first: float
    max_wait: float
    timeout: float


async def refill_pool(
    sessions: async_sessionmaker[AsyncSession],
    gateway: DiscountGateway,
    shop: ShopRef,
    pool_id: int,
    *,
    poll_interval: float = POLL_FIRST_SECONDS,
    poll_max_interval: float = POLL_MAX_SECONDS,
    poll_timeout: float = 120.0,
) -> RefillReport:
    """Top the pool up to its target: reserve codes (`pending`, committed), bulk-add them in
    batches of 250, wait for Shopify to import them, then make them available. Pending codes
    of an earlier interrupted refill are resumed first. One refill per pool at a time.

    Waiting on an import polls its bulk creation after `poll_interval`, then twice as long
    each time, up to `poll_max_interval` (see POLL_FIRST_SECONDS)."""
    async with sessions() as lock_session:
        # A session-level advisory lock, held across the refill's own short transactions on a
        # connection of its own in autocommit: nothing sits idle in a transaction (holding a
        # snapshot, blocking vacuum) while Shopify imports the codes.
        connection = await lock_session.connection(
            execution_options={"isolation_level": "AUTOCOMMIT"}
        )
        key = _LOCK_NAMESPACE + pool_id
        if not await connection.scalar(select(func.pg_try_advisory_lock(key))):
            return RefillReport(0, 0, 0, skipped=True)
        try:
            # A refill is the moment the pool is trusted with hundreds more codes: confirm
            # its discount first (one cheap query per refill).
            if not await verify_pool(sessions, gateway, shop, pool_id):
                return RefillReport(0, 0, 0, retired=True)
            try:
                return await _refill_locked(
                    sessions,
                    gateway,
                    shop,
                    pool_id,
                    _Polling(poll_interval, poll_max_interval, poll_timeout),
                )
            except ShopifyUserErrors:
                # Deleted between the check and the bulk add: retire rather than fail forever.
                if not await verify_pool(sessions, gateway, shop, pool_id):
                    return RefillReport(0, 0, 0, retired=True)
                raise
        finally:
            await connection.scalar(select(func.pg_advisory_unlock(key)))


async def _refill_locked(
    sessions: async_sessionmaker[AsyncSession],
    gateway: DiscountGateway,
    shop: ShopRef,
    pool_id: int,
    polling: _Polling,
) -> RefillReport:
    async with sessions() as session:
        pool = await session.scalar(
            select(DiscountPool).where(DiscountPool.shop_id == shop.id, DiscountPool.id == pool_id)
        )
        if pool is None or pool.shopify_discount_id is None:
            raise LookupError(f"pool {pool_id} of shop {shop.id} is not active")
        counts: dict[str, int] = dict(
            (
                await session.execute(
                    select(PoolCode.status, func.count())
                    .where(
                        PoolCode.shop_id == shop.id,
                        PoolCode.pool_id == pool_id,
                        PoolCode.status.in_([PoolCodeStatus.AVAILABLE, PoolCodeStatus.PENDING]),
                    )
                    .group_by(PoolCode.status)
                )
            ).all()
        )
        # Pending codes with no bulk creation id: the bulk add's answer was lost.
        unsent = list(
            await session.scalars(
                select(PoolCode.code).where(
                    PoolCode.shop_id == shop.id,
                    PoolCode.pool_id == pool_id,
                    PoolCode.status == PoolCodeStatus.PENDING,
                    PoolCode.bulk_creation_id.is_(None),
                )
            )
        )
        in_flight = list(
            await session.scalars(
                select(PoolCode.bulk_creation_id)
                .where(
                    PoolCode.shop_id == shop.id,
                    PoolCode.pool_id == pool_id,
                    PoolCode.status == PoolCodeStatus.PENDING,
                    PoolCode.bulk_creation_id.is_not(None),
                )
                .distinct()
            )
        )
    discount_id = pool.shopify_discount_id
    have = sum(int(n) for n in counts.values())
    deficit = max(0, pool.target_size - have)
    batches = [unsent[i : i + BULK_BATCH] for i in range(0, len(unsent), BULK_BATCH)]
    while deficit > 0:
        size = min(BULK_BATCH, deficit)
        batches.append(await _reserve_codes(sessions, shop.id, pool_id, pool.prefix, size))
        deficit -= size
    bulk_ids: dict[str, list[str]] = {bulk_id: [] for bulk_id in in_flight if bulk_id}
    submitted = 0
    for batch in batches:
        bulk_id = await gateway.add_codes(shop, discount_id, batch)
        submitted += len(batch)
        async with sessions() as session, session.begin():
            await session.execute(
                update(PoolCode)
                .where(
                    PoolCode.shop_id == shop.id,
                    PoolCode.pool_id == pool_id,
                    PoolCode.code.in_(batch),
                )
                .values(bulk_creation_id=bulk_id)
            )
        bulk_ids[bulk_id] = batch
    imported = failed = 0
    for bulk_id in bulk_ids:
        ok, bad = await _settle_bulk(sessions, gateway, shop, pool_id, bulk_id, polling)
        imported += ok
        failed += bad
    log.info("pool refilled", shop=shop.domain, pool_id=pool_id, imported=imported, failed=failed)
    return RefillReport(submitted=submitted, imported=imported, failed=failed)


async def _reserve_codes(
    sessions: async_sessionmaker[AsyncSession],
    shop_id: int,
    pool_id: int,
    prefix: str,
    size: int,
) -> list[str]:
    codes = [generate_code(prefix) for _ in range(size)]
    async with sessions() as session, session.begin():
        result = await session.scalars(
            insert(PoolCode)
            .values(
                [
                    {
                        "shop_id": shop_id,
                        "pool_id": pool_id,
                        "code": code,
                        "status": PoolCodeStatus.PENDING.value,
                    }
                    for code in codes
                ]
            )
            .on_conflict_do_nothing(index_elements=["shop_id", "code"])
            .returning(PoolCode.code)
        )
        return list(result)


async def _settle_bulk(
    sessions: async_sessionmaker[AsyncSession],
    gateway: DiscountGateway,
    shop: ShopRef,
    pool_id: int,
    bulk_id: str,
    polling: _Polling,
) -> tuple[int, int]:
    """Wait for one bulk creation, then mark its codes available (or failed)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + polling.timeout
    wait = polling.first
    status = await gateway.bulk_creation(shop, bulk_id, with_failures=False)
    while not status.done:
        if loop.time() > deadline:
            # Left pending: the next refill resumes polling it.
            return 0, 0
        await asyncio.sleep(wait)
        wait = min(wait * 2, polling.max_wait)
        status = await gateway.bulk_creation(shop, bulk_id, with_failures=False)
    failed_codes: Sequence[str] = ()
    if status.failed:
        status = await gateway.bulk_creation(shop, bulk_id, with_failures=True)
        # TAKEN for a code we generated means an earlier attempt of ours already added it.
        failed_codes = [code for code, reason in status.failures if reason != "TAKEN"]
    async with sessions() as session, session.begin():
        if failed_codes:
            await session.execute(
                update(PoolCode)
                .where(
                    PoolCode.shop_id == shop.id,
                    PoolCode.pool_id == pool_id,
                    PoolCode.bulk_creation_id == bulk_id,
                    PoolCode.code.in_(list(failed_codes)),
                )
                .values(status=PoolCodeStatus.FAILED)
            )
        result = await session.execute(
            update(PoolCode)
            .where(
                PoolCode.shop_id == shop.id,
                PoolCode.pool_id == pool_id,
                PoolCode.bulk_creation_id == bulk_id,
                PoolCode.status == PoolCodeStatus.PENDING,
            )
            .values(status=PoolCodeStatus.AVAILABLE)
            .returning(PoolCode.id)
        )
        return len(result.all()), len(failed_codes)
