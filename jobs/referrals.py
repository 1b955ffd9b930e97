"""The referral program's worker jobs: a customer's personal code created at Shopify and sent,
the due referrals qualified and rewarded (cron), and a reward code created and sent."""

from __future__ import annotations

from datetime import UTC, datetime

import structlog

from app.errors import ShopifyUnavailable, ShopTokenInvalid
from app.models import Shop
from app.platform.resources import Resources
from app.queue import JobContext, RetryJob
from app.referrals import issuing, rewards
from app.shopify.admin.factory import admin_client, discount_gateway
from app.shopify.admin.segments import ShopifySegments
from app.shopify.admin.types import ShopRef

log = structlog.get_logger(__name__)


async def _working_shop(resources: Resources, shop_id: int) -> ShopRef | None:
    async with resources.sessions() as session:
        shop = await session.get(Shop, shop_id)
    if shop is None or shop.uninstalled_at is not None or shop.token_invalid_at is not None:
        return None
    return ShopRef(shop.id, shop.domain)


async def issue_referral_code(
    ctx: JobContext, shop_id: int, customer_id: int, because: str
) -> str | None:
    resources: Resources = ctx.resources
    shop = await _working_shop(resources, shop_id)
    if shop is None:
        return None
    gateways = issuing.Gateways(
        discounts=discount_gateway(resources), segments=ShopifySegments(admin_client(resources))
    )
    try:
        return await issuing.issue_personal_code(
            resources.sessions,
            resources.queue,
            gateways,
            resources.messaging,
            shop,
            customer_id=customer_id,
            because=because,
            now=datetime.now(UTC),
        )
    except ShopTokenInvalid:
        log.warning("referral code not issued: shop token invalid", shop_id=shop_id)
        return None
    except ShopifyUnavailable as exc:
        raise RetryJob.backoff(ctx.attempt) from exc


async def reward_referral_with_code(ctx: JobContext, shop_id: int, referral_id: int) -> str | None:
    resources: Resources = ctx.resources
    shop = await _working_shop(resources, shop_id)
    if shop is None:
        return None
    try:
        return await rewards.reward_with_code(
            resources.sessions,
            resources.queue,
            discount_gateway(resources),
            resources.messaging,
            shop,
            referral_id,
            datetime.now(UTC),
        )
    except ShopTokenInvalid:
        log.warning("referral reward left qualified: shop token invalid", shop_id=shop_id)
        return None
    except ShopifyUnavailable as exc:
        raise RetryJob.backoff(ctx.attempt) from exc


async def qualify_due_referrals(ctx: JobContext) -> int:
    """Cron (every minute): the referrals whose hold period is over; how many were decided."""
    return await run_due(ctx.resources, datetime.now(UTC))


async def run_due(resources: Resources, now: datetime) -> int:
    result = await rewards.process_due(
        resources.sessions, resources.queue, resources.messaging, now=now
    )
    return result.looked_at
