"""Jobs of the codes layer: refill a pool, confirm live pools' discounts still stand at
Shopify, resume codes stranded in `creating`, flush the coalesced customer metafields and
tags. Each unpacks ids and calls one service."""

from __future__ import annotations

from datetime import timedelta

import structlog
from sqlalchemy import select

from app.codes import pools, service
from app.errors import ShopifyUnavailable, ShopTokenInvalid
from app.installs.status import shop_work_runs
from app.models.discount_codes import DiscountCode, DiscountCodeStatus
from app.models.shops import Shop
from app.platform.resources import Resources
from app.queue import JobContext, RetryJob
from app.shopify import customer_sync
from app.shopify.admin.factory import admin_client, discount_gateway
from app.shopify.admin.types import ShopRef

log = structlog.get_logger(__name__)

RESUME_JOB = "resume_stranded_codes"
VERIFY_JOB = "verify_discount_pools"
STRANDED_AFTER = timedelta(minutes=2)
# A customer-sync flush that failed (Shopify unreachable, throttled) runs again this much later.
FLUSH_RETRY_AFTER = 30.0


async def _shop(resources: Resources, shop_id: int, job: str) -> ShopRef | None:
    """The shop to work for, or None (logged with why) when its work is stopped: uninstalled,
    or its token refused by Shopify until the merchant opens Boomerang again."""
    async with resources.sessions() as session:
        shop = await session.get(Shop, shop_id)
    if shop is None or shop.uninstalled_at is not None:
        log.info("shop work skipped: not installed", job=job, shop_id=shop_id)
        return None
    if shop.token_invalid_at is not None:
        log.warning(
            "shop work skipped: Shopify refused its token",
            job=job,
            shop_id=shop_id,
            token_invalid_at=shop.token_invalid_at.isoformat(),
        )
        return None
    return ShopRef(shop.id, shop.domain)


async def refill_discount_pool(ctx: JobContext, shop_id: int, pool_id: int) -> int:
    resources: Resources = ctx.resources
    shop = await _shop(resources, shop_id, pools.REFILL_JOB)
    if shop is None:
        return 0
    try:
        report = await pools.refill_pool(
            resources.sessions, discount_gateway(resources), shop, pool_id
        )
    except ShopTokenInvalid:
        log.warning("pool refill stopped: shop token invalid", shop_id=shop_id)
        return 0
    except ShopifyUnavailable as exc:
        raise RetryJob.backoff(ctx.attempt) from exc
    return report.imported


async def verify_discount_pools(ctx: JobContext, shop_id: int) -> int:
    """Confirm the shop's live pools whose check is due; returns how many were retired."""
    resources: Resources = ctx.resources
    shop = await _shop(resources, shop_id, VERIFY_JOB)
    if shop is None:
        return 0
    async with resources.sessions() as session:
        due = [pool for _, pool in await pools.stale_pools(session, shop_id=shop_id)]
    gateway = discount_gateway(resources)
    retired = 0
    for pool_id in due:
        try:
            if not await pools.verify_pool(resources.sessions, gateway, shop, pool_id):
                retired += 1
        except ShopTokenInvalid:
            log.warning("pool check stopped: shop token invalid", shop_id=shop_id)
            return retired
        except ShopifyUnavailable:
            # Checked again at the next sweep: the pool keeps serving meanwhile.
            log.warning("pool check failed; trying at the next sweep", shop_id=shop_id)
            return retired
    return retired


async def sweep_stale_pools(ctx: JobContext) -> int:
    """Cron: enqueue a pool check for every working shop with a live pool due one."""
    resources: Resources = ctx.resources
    async with resources.sessions() as session:
        working = {shop_id for shop_id, _ in await pools.stale_pools(session)}
    for shop_id in sorted(working):
        await resources.queue.enqueue(
            VERIFY_JOB, shop_id, job_id=f"{VERIFY_JOB}:{shop_id}:{ctx.job_id}"
        )
    return len(working)


async def resume_stranded_codes(ctx: JobContext, shop_id: int) -> int:
    resources: Resources = ctx.resources
    shop = await _shop(resources, shop_id, RESUME_JOB)
    if shop is None:
        return 0
    async with resources.sessions() as session:
        ids = await service.stranded_codes(session, shop_id, older_than=STRANDED_AFTER)
    gateway = discount_gateway(resources)
    done = 0
    for code_id in ids:
        try:
            await service.resume_code(resources.sessions, gateway, shop, code_id)
            done += 1
        except ShopTokenInvalid:
            log.warning("code recovery stopped: shop token invalid", shop_id=shop_id)
            return done
        except ShopifyUnavailable as exc:
            raise RetryJob.backoff(ctx.attempt) from exc
        except Exception:
            log.exception("stranded code could not be resumed", shop_id=shop_id, code_id=code_id)
    return done


async def sweep_stranded_codes(ctx: JobContext) -> int:
    """Cron: enqueue a resume for every working shop with codes stuck in `creating`."""
    resources: Resources = ctx.resources
    async with resources.sessions() as session:
        shop_ids = list(
            await session.scalars(
                select(DiscountCode.shop_id)
                .join(Shop, Shop.id == DiscountCode.shop_id)
                .where(
                    DiscountCode.status == DiscountCodeStatus.CREATING,
                    shop_work_runs(),
                )
                .distinct()
            )
        )
    for shop_id in shop_ids:
        await resources.queue.enqueue(
            RESUME_JOB, shop_id, job_id=f"{RESUME_JOB}:{shop_id}:{ctx.job_id}"
        )
    return len(shop_ids)


async def flush_customer_sync(ctx: JobContext, shop_id: int) -> int:
    """Write the shop's pending metafields and tags. Whatever a failed flush could not write
    stays in Redis: a later flush is scheduled for it here (a queue retry would give up after
    its last try and leave the values waiting for the next request)."""
    resources: Resources = ctx.resources
    shop = await _shop(resources, shop_id, customer_sync.FLUSH_JOB)
    if shop is None:
        return 0
    try:
        report = await customer_sync.flush_customer_sync(
            resources.redis, admin_client(resources), shop
        )
    except ShopTokenInvalid:
        log.warning("customer sync stopped: shop token invalid", shop_id=shop_id)
        return 0
    except ShopifyUnavailable:
        log.warning("customer sync failed; flushing again later", shop_id=shop_id, exc_info=True)
        await customer_sync.schedule_flush(resources.queue, shop_id, after=FLUSH_RETRY_AFTER)
        return 0
    if report.skipped:
        # Another flush of the shop is running: this one's values are for the next.
        await customer_sync.schedule_flush(resources.queue, shop_id, after=FLUSH_RETRY_AFTER)
    return report.metafields_written
