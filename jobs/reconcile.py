"""Reconciler jobs: a cron tick queues a reconciliation of every installed shop once per
period; the job checks the shop's webhook subscriptions (re-registering any Shopify deleted)
and reads back what changed; a scenario step of a shop with gaps reconciles first, and
processes what it found before deciding (jobs.scenarios)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import structlog
from redis.asyncio.lock import Lock
from redis.exceptions import LockError, RedisError
from sqlalchemy import or_, select

from app.errors import (
    BoomerangError,
    ShopifyQueryError,
    ShopifyUnavailable,
    ShopifyUserErrors,
    ShopTokenInvalid,
)
from app.installs.webhook_subscriptions import (
    WebhookSubscriptionsRefused,
    ensure_webhook_subscriptions,
)
from app.models import ReconcileState, Shop
from app.platform.resources import Resources
from app.queue import JobContext, RetryJob
from app.queue.deferred import send_jobs
from app.reconcile import service
from app.reconcile.jobs import RECONCILE_JOB, reconcile_job
from app.shopify.admin.factory import change_feed
from app.shopify.admin.types import ShopRef
from webhooks.processing import process_event

log = structlog.get_logger(__name__)

# One reconciliation of a shop at a time. The hold is a lease renewed while the work runs
# (a bulk read can take minutes): a worker killed mid-run lets go within LEASE_SECONDS,
# instead of blocking the shop's read-backs until a long expiry.
LEASE_SECONDS = 30
RENEW_EVERY_SECONDS = 10.0
# A step waits this long for a reconciliation under way elsewhere before going on.
STEP_WAIT_SECONDS = 15.0
# A step does not reconcile again a shop reconciled this recently.
STEP_FRESH_FOR = timedelta(seconds=2)
SHOP_BATCH = 500

__all__ = [
    "RECONCILE_JOB",
    "check_subscriptions",
    "reconcile_before_step",
    "reconcile_now",
    "reconcile_shop",
    "schedule_reconciles",
]


def _lock_key(shop_id: int) -> str:
    return f"boomerang:reconcile:lock:{shop_id}"


@contextlib.asynccontextmanager
async def _holding_shop(
    resources: Resources, shop_id: int, *, wait_seconds: float = 0.0
) -> AsyncIterator[bool]:
    """Hold the shop's reconcile lease (redis-py's token-checked lock) for the block, renewed
    every RENEW_EVERY_SECONDS; yields whether it was had (waiting up to `wait_seconds` for
    another holder). RedisError from taking it reaches the caller."""
    lock = resources.redis.lock(
        _lock_key(shop_id),
        timeout=LEASE_SECONDS,
        sleep=0.2,
        blocking=wait_seconds > 0,
        blocking_timeout=wait_seconds if wait_seconds > 0 else None,
    )
    if not await lock.acquire():
        yield False
        return
    renewing = asyncio.create_task(_keep_renewed(lock, shop_id))
    try:
        yield True
    finally:
        renewing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renewing
        try:
            await lock.release()
        except (LockError, RedisError):
            log.warning("reconcile lock not released; it lapses on its own", shop_id=shop_id)


async def _keep_renewed(lock: Lock, shop_id: int) -> None:
    while True:
        await asyncio.sleep(RENEW_EVERY_SECONDS)
        try:
            await lock.reacquire()
        except (LockError, RedisError):
            log.warning("reconcile lease lost while the read-back runs", shop_id=shop_id)
            return


async def _working_shop(resources: Resources, shop_id: int) -> tuple[ShopRef, Shop] | None:
    async with resources.sessions() as session:
        shop = await session.get(Shop, shop_id)
    if shop is None or shop.uninstalled_at is not None or shop.token_invalid_at is not None:
        return None
    return ShopRef(shop.id, shop.domain), shop


async def reconcile_now(
    resources: Resources, shop_id: int, *, before_step: bool = False
) -> service.ReconcileReport | None:
    """One read-back of the shop (None when its work is stopped: uninstalled, token refused).
    Before a step, the freshest versions count too, and the run leaves the gap flag alone."""
    found = await _working_shop(resources, shop_id)
    if found is None:
        return None
    ref, shop = found
    settings = resources.settings
    return await service.reconcile_shop(
        resources.sessions,
        resources.queue,
        change_feed(resources),
        ref,
        now=datetime.now(UTC),
        installed_at=shop.installed_at,
        bulk_after=timedelta(seconds=settings.reconcile_bulk_after_seconds),
        api_version=settings.shopify_api_version,
        grace=timedelta(seconds=0 if before_step else settings.reconcile_grace_seconds),
        flags_gaps=not before_step,
    )


async def check_subscriptions(resources: Resources, shop_id: int) -> list[str]:
    """Re-register the webhook subscriptions Shopify deleted (it deletes an API-made one after
    its deliveries kept failing); returns the topics registered again."""
    found = await _working_shop(resources, shop_id)
    if found is None:
        return []
    ref = found[0]
    try:
        created = await ensure_webhook_subscriptions(resources, ref.id, ref.domain)
    except WebhookSubscriptionsRefused as exc:
        log.warning(
            "webhook subscriptions refused by Shopify",
            shop=ref.domain,
            refused=",".join(topic for topic, _, _ in exc.errors),
        )
        created = exc.created
    await service.note_subscriptions_checked(resources.sessions, shop_id, datetime.now(UTC))
    if created:
        log.warning(
            "missing webhook subscriptions registered again",
            shop=ref.domain,
            topics=",".join(created),
        )
    return created


async def reconcile_shop(ctx: JobContext, shop_id: int) -> int:
    """The periodic job: subscriptions, then the read-back. Returns how many missing versions
    were stored."""
    resources: Resources = ctx.resources
    try:
        async with _holding_shop(resources, shop_id) as held:
            if not held:
                return 0  # a reconciliation of this shop is under way
            await check_subscriptions(resources, shop_id)
            report = await reconcile_now(resources, shop_id)
    except RedisError as exc:
        raise RetryJob.backoff(ctx.attempt) from exc
    except ShopTokenInvalid:
        return 0  # the shop's work is stopped until the merchant opens Boomerang again
    except ShopifyUnavailable as exc:
        log.warning("reconciliation postponed: Shopify unavailable", shop_id=shop_id)
        raise RetryJob.backoff(ctx.attempt) from exc
    except (ShopifyQueryError, ShopifyUserErrors) as exc:
        # Retrying the same query will not help: the next period tries again, and says so.
        log.error("reconciliation refused by Shopify", shop_id=shop_id, error=exc.detail[:500])
        return 0
    return report.total_missing if report else 0


async def reconcile_before_step(resources: Resources, run_id: int) -> None:
    """Before a step of a shop whose deliveries had gaps: read back what changed and process
    it at once, so the step's checks see orders no webhook brought. Shops without gaps pay one
    indexed read. Never fails the step: a Shopify outage leaves the periodic job to catch up."""
    now = datetime.now(UTC)
    async with resources.sessions() as session:
        shop_id = await service.gapped_shop_of_run(session, run_id, now, fresh_for=STEP_FRESH_FOR)
    if shop_id is None:
        return
    try:
        async with _holding_shop(resources, shop_id, wait_seconds=STEP_WAIT_SECONDS) as held:
            if not held:
                return  # another reconciliation holds the shop; the step goes on
            report = await reconcile_now(resources, shop_id, before_step=True)
            for event_row_id in report.event_ids if report else []:
                result = await process_event(resources.sessions, event_row_id)
                await send_jobs(resources.queue, result.after_commit, resources.customer_writer)
    except RedisError:
        log.warning("pre-step reconciliation skipped: Redis unavailable", shop_id=shop_id)
    except BoomerangError as exc:
        log.warning(
            "pre-step reconciliation failed; the step goes on",
            shop_id=shop_id,
            error=type(exc).__name__,
        )


async def schedule_reconciles(ctx: JobContext) -> int:
    """The cron tick (every minute): queue a reconciliation of every installed shop with a
    working token whose last one is a period old (one job id per shop and period)."""
    resources: Resources = ctx.resources
    every = resources.settings.reconcile_every_seconds
    now = datetime.now(UTC)
    due_before = now - timedelta(seconds=every)
    queued = 0
    after = 0
    while True:
        async with resources.sessions() as session:
            shop_ids = list(
                await session.scalars(
                    select(Shop.id)
                    .outerjoin(ReconcileState, ReconcileState.shop_id == Shop.id)
                    .where(
                        Shop.id > after,
                        Shop.uninstalled_at.is_(None),
                        Shop.token_invalid_at.is_(None),
                        Shop.access_token_encrypted.is_not(None),
                        or_(
                            ReconcileState.last_run_at.is_(None),
                            ReconcileState.last_run_at <= due_before,
                        ),
                    )
                    .order_by(Shop.id)
                    .limit(SHOP_BATCH)
                )
            )
        queued += await send_jobs(
            resources.queue, [reconcile_job(shop_id, now, every) for shop_id in shop_ids]
        )
        if len(shop_ids) < SHOP_BATCH:
            return queued
        after = shop_ids[-1]
