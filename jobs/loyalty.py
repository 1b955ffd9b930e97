"""The loyalty program's worker jobs: a customer's position written back to Shopify after the
transaction that moved it, redemptions completed (their code created at Shopify) and swept,
and tiers re-evaluated as their rolling window moves."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import structlog
from redis.exceptions import RedisError
from sqlalchemy import select

from app.errors import ShopifyQueryError, ShopifyUnavailable, ShopifyUserErrors, ShopTokenInvalid
from app.installs.status import shop_work_runs
from app.loyalty import (
    birthdays,
    expiry,
    notices,
    perks,
    redeeming,
    redemptions,
    service,
    storefront,
)
from app.loyalty.jobs import notices_job_at
from app.loyalty.settings import load_settings
from app.loyalty.storefront_program import PROGRAM_KEY, storefront_program
from app.loyalty.widget_status import widget_status
from app.messaging.pacing import shop_zone
from app.models import LoyaltyProgram, Shop
from app.platform.resources import Resources
from app.queue import JobContext, RetryJob
from app.shopify.admin.factory import admin_client, discount_gateway, store_credit_gateway
from app.shopify.admin.types import ShopRef
from app.shopify.customer_sync import request_loyalty, request_tags
from app.shopify.shop_metafields import write_shop_json

log = structlog.get_logger(__name__)

TIERS_EVERY_SECONDS = 3600
# Expiry, its warnings and birthdays: a pass per hour (each writes once per natural key, so
# an hourly pass only means they happen within the hour of their day).
DAILY_RULES_EVERY_SECONDS = 3600
# A redemption still pending this long after its debit: its job was lost or keeps failing.
REDEMPTION_STRANDED_AFTER = timedelta(minutes=2)


async def sync_loyalty_customer(
    ctx: JobContext, shop_id: int, customer_id: int, tier_before: str | None, tier_moved: bool
) -> bool:
    """Request the customer's points and tier (and tags after a tier move) as they stand now;
    False when there is nothing to write (no account, or a redacted customer)."""
    resources: Resources = ctx.resources
    async with resources.sessions() as session:
        write = await storefront.write_for(
            session, shop_id, customer_id, tier_before=tier_before, tier_moved=tier_moved
        )
        if write is None:
            return False
        status = await widget_status(
            session, shop_id, customer_id, app_url=resources.settings.app_url, now=datetime.now(UTC)
        )
    every = resources.settings.customer_sync_flush_seconds
    await request_loyalty(
        resources.redis,
        resources.queue,
        shop_id,
        write.customer_gid,
        points=write.points,
        tier=write.tier,
        status=status,
        flush_every=every,
    )
    await request_tags(
        resources.redis,
        resources.queue,
        shop_id,
        write.customer_gid,
        add=write.tags_add,
        remove=write.tags_remove,
        flush_every=every,
    )
    return True


async def sync_storefront_program(ctx: JobContext, shop_id: int) -> bool:
    """Write the programs' storefront description (shop metafield `$app:loyalty.program`) as
    the settings stand now; False for a shop that is gone or when Shopify refused it."""
    resources: Resources = ctx.resources
    async with resources.sessions() as session:
        shop = await session.get(Shop, shop_id)
        if shop is None or shop.uninstalled_at is not None or shop.redacted_at is not None:
            return False
        document = await storefront_program(session, shop_id, shop.currency)
        ref = ShopRef(shop_id, shop.domain)
    try:
        return await write_shop_json(admin_client(resources), ref, PROGRAM_KEY, document)
    except ShopTokenInvalid:
        # The next settings change writes it again, once the merchant has reopened the app.
        log.warning("storefront program not written: shop token invalid", shop_id=shop_id)
        return False
    except ShopifyUnavailable as exc:
        raise RetryJob.backoff(ctx.attempt) from exc


async def reevaluate_loyalty_tiers(ctx: JobContext) -> int:
    """Cron (every minute; walks once per TIERS_EVERY_SECONDS, the first worker to claim the
    period in Redis): every working shop's accounts, a page per transaction; the pages done."""
    resources: Resources = ctx.resources
    now = datetime.now(UTC)
    period = f"boomerang:loyalty:tiers:{int(now.timestamp()) // TIERS_EVERY_SECONDS}"
    try:
        if not await resources.redis.set(period, b"1", nx=True, ex=TIERS_EVERY_SECONDS):
            return 0  # this period's pass is done or under way
    except RedisError:
        log.warning("loyalty tiers not re-evaluated: Redis unavailable")
        return 0
    return await reevaluate_all_tiers(resources, now)


async def reevaluate_all_tiers(resources: Resources, now: datetime) -> int:
    async with resources.sessions() as session:
        shop_ids = list(
            await session.scalars(
                select(LoyaltyProgram.shop_id)
                .join(Shop, Shop.id == LoyaltyProgram.shop_id)
                .where(shop_work_runs())
                .order_by(LoyaltyProgram.shop_id)
            )
        )
    pages = 0
    for shop_id in shop_ids:
        after: int | None = 0
        while after is not None:
            async with resources.transaction() as session:
                last = await service.reevaluate_tiers(
                    session, shop_id=shop_id, now=now, after_customer_id=after
                )
            if last is not None:
                pages += 1
            after = last
    return pages


async def _working_shop(resources: Resources, shop_id: int) -> ShopRef | None:
    async with resources.sessions() as session:
        shop = await session.get(Shop, shop_id)
    if shop is None or shop.uninstalled_at is not None or shop.token_invalid_at is not None:
        log.info("redemption not completed: the shop's work is stopped", shop_id=shop_id)
        return None
    return ShopRef(shop.id, shop.domain)


async def complete_loyalty_redemption(ctx: JobContext, shop_id: int, redemption_id: int) -> str:
    """Create the redemption's code (or its store credit) at Shopify and settle it; retried
    while Shopify is unavailable. Returns the redemption's status."""
    resources: Resources = ctx.resources
    shop = await _working_shop(resources, shop_id)
    if shop is None:
        return redemptions.PENDING
    try:
        result = await redeeming.complete(
            resources.sessions,
            discount_gateway(resources),
            shop,
            redemption_id,
            credits=store_credit_gateway(resources),
        )
    except ShopTokenInvalid:
        log.warning("redemption left pending: shop token invalid", shop_id=shop_id)
        return redemptions.PENDING
    except ShopifyQueryError as exc:
        # A store credit whose lost answer cannot be read back (a scope withdrawn): pending,
        # for the sweeper, never credited blind.
        log.warning("redemption left pending: Shopify refused", shop_id=shop_id, error=exc.detail)
        return redemptions.PENDING
    except ShopifyUnavailable as exc:
        raise RetryJob.backoff(ctx.attempt) from exc
    return result.status


async def issue_loyalty_tier_perk(
    ctx: JobContext, shop_id: int, customer_id: int, tier_key: str
) -> str | None:
    """The code of the tier's perk for a customer who reached it (app/loyalty/perks.py);
    retried while Shopify is unavailable. Returns the code (None: nothing to give)."""
    resources: Resources = ctx.resources
    shop = await _working_shop(resources, shop_id)
    if shop is None:
        return None
    try:
        return await perks.issue_perk(
            resources.sessions,
            discount_gateway(resources),
            shop,
            customer_id=customer_id,
            tier_key=tier_key,
        )
    except ShopifyUserErrors as refused:
        log.warning("tier perk refused by Shopify", shop_id=shop_id, error=refused.detail)
        return None
    except ShopTokenInvalid:
        log.warning("tier perk not issued: shop token invalid", shop_id=shop_id)
        return None
    except ShopifyUnavailable as exc:
        raise RetryJob.backoff(ctx.attempt) from exc


async def sweep_loyalty_redemptions(ctx: JobContext) -> int:
    """Cron: complete redemptions left pending (their job lost with Redis, or out of tries);
    returns how many were settled."""
    resources: Resources = ctx.resources
    now = datetime.now(UTC)
    async with resources.sessions() as session:
        stranded = await redemptions.stale_pending(
            session, older_than=REDEMPTION_STRANDED_AFTER, now=now
        )
    settled = 0
    for shop_id, redemption_id in stranded:
        shop = await _working_shop(resources, shop_id)
        if shop is None:
            continue
        try:
            result = await redeeming.complete(
                resources.sessions,
                discount_gateway(resources),
                shop,
                redemption_id,
                credits=store_credit_gateway(resources),
            )
        except (ShopifyUnavailable, ShopTokenInvalid, ShopifyQueryError) as exc:
            log.warning(
                "stranded redemption still pending",
                shop_id=shop_id,
                redemption_id=redemption_id,
                error=str(exc),
            )
            continue
        if result.status != redemptions.PENDING:
            settled += 1
    return settled


async def loyalty_notices(ctx: JobContext, shop_id: int, customer_id: int) -> list[int]:
    """Queue the customer's due loyalty emails; a digest that must wait for its pace is
    looked at again when due. Returns the steps queued."""
    resources: Resources = ctx.resources
    now = datetime.now(UTC)
    async with resources.transaction() as session:
        settings = await load_settings(session, shop_id)
        run = await notices.notify_customer(
            session,
            resources.messaging,
            settings,
            shop_id=shop_id,
            customer_id=customer_id,
            now=now,
        )
    if run.digest_due_at is not None:
        job = notices_job_at(shop_id, customer_id, run.digest_due_at)
        await resources.queue.enqueue(
            job.name, *job.args, job_id=job.job_id, defer_until=job.defer_until
        )
    return run.queued


async def apply_loyalty_time_rules(ctx: JobContext) -> int:
    """Cron (every minute; walks once per DAILY_RULES_EVERY_SECONDS, the first worker to
    claim the period in Redis): expiry warnings, expiries and birthday points of every
    working shop. Returns the ledger entries and warnings written."""
    resources: Resources = ctx.resources
    now = datetime.now(UTC)
    period = f"boomerang:loyalty:time-rules:{int(now.timestamp()) // DAILY_RULES_EVERY_SECONDS}"
    try:
        if not await resources.redis.set(period, b"1", nx=True, ex=DAILY_RULES_EVERY_SECONDS):
            return 0
    except RedisError:
        log.warning("loyalty expiry and birthdays not run: Redis unavailable")
        return 0
    return await apply_time_rules(resources, now)


async def apply_time_rules(resources: Resources, now: datetime) -> int:
    async with resources.sessions() as session:
        shops = list(
            (
                await session.execute(
                    select(LoyaltyProgram.shop_id, Shop.timezone)
                    .join(Shop, Shop.id == LoyaltyProgram.shop_id)
                    .where(shop_work_runs())
                    .order_by(LoyaltyProgram.shop_id)
                )
            ).all()
        )
    done = 0
    for shop_id, timezone in shops:
        async with resources.sessions() as session:
            settings = await load_settings(session, shop_id)
        if not settings.enabled:
            continue
        if settings.expiry.enabled:
            done += await _expire_shop(resources, settings, shop_id, now)
        if settings.birthday.enabled:
            today = now.astimezone(shop_zone(timezone)).date()
            done += await _birthdays_of_shop(resources, settings, shop_id, today, now)
    return done


async def _expire_shop(
    resources: Resources, settings: service.LoyaltySettings, shop_id: int, now: datetime
) -> int:
    done = 0
    warn_from, warn_until = expiry.warning_window(settings, now)
    for inactive_since, expiring in ((warn_until, False), (warn_from, True)):
        after = 0
        while True:
            async with resources.transaction() as session:
                page = await expiry.dormant_page(
                    session,
                    shop_id,
                    inactive_since=inactive_since,
                    now=now,
                    after_customer_id=after,
                )
                for dormant in page:
                    if expiring:
                        written = await expiry.expire_account(
                            session, settings, shop_id, dormant.customer_id, now
                        )
                    else:  # the long-dormant too: none loses points unwarned
                        written = (
                            await notices.warn_expiry(
                                session,
                                resources.messaging,
                                settings,
                                shop_id=shop_id,
                                dormant=dormant,
                                now=now,
                            )
                            or None
                        )
                    done += written is not None
            if not page:
                break
            after = page[-1].customer_id
    return done


async def _birthdays_of_shop(
    resources: Resources,
    settings: service.LoyaltySettings,
    shop_id: int,
    today: date,
    now: datetime,
) -> int:
    done, after = 0, 0
    while True:
        async with resources.transaction() as session:
            page = await birthdays.celebrants_page(session, shop_id, today, after_customer_id=after)
            for customer_id in page:
                written = await birthdays.award_birthday(
                    session,
                    settings,
                    shop_id=shop_id,
                    customer_id=customer_id,
                    today=today,
                    now=now,
                )
                done += written is not None
        if not page:
            return done
        after = page[-1]
