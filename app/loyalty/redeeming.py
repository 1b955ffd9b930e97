"""A redemption end to end: debit and record it (one transaction), then create its single-use
code through the codes service, keyed by the redemption, and settle it. However Shopify fails
half-way, no debit stays without a code for long and no code exists without its debit:

- the code is only ever asked for with the redemption's key (`redemptions.code_key`), and the
  redemption row only exists with its debit, so every code has its debit;
- Shopify unavailable (throttled, 5xx, connection lost): the redemption stays `pending` and
  the debit stands; its deferred job, or the sweeper (jobs/loyalty.py), completes it later
  with the same key, which the codes service turns into the same code (never a second);
- Shopify refusing the code for good (userErrors): the redemption is `returned` and its cost
  credited back.

Opens its own transactions, as the codes service does: the debit must be durable before
Shopify is called, and no transaction stays open across the HTTP call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.codes.gateway import DiscountGateway
from app.codes.offers import CodePurpose, Offer, Recipient, ValueType
from app.codes.service import issue_code
from app.errors import ShopifyUnavailable, ShopifyUserErrors, ShopTokenInvalid
from app.loyalty import redemptions
from app.loyalty.redemptions import Redemption
from app.models.discount_codes import DiscountCode
from app.queue.deferred import transaction
from app.queue.interface import JobQueue
from app.shopify.admin.types import ShopRef

log = structlog.get_logger(__name__)

CODE_PREFIX = "LOYAL"


@dataclass(frozen=True)
class RedemptionResult:
    redemption_id: int
    status: str  # pending, issued or returned
    code: str | None
    cost: int


def _offer(redemption: Redemption) -> Offer:
    reward = redemption.reward
    value_type = {
        "fixed_amount": ValueType.FIXED_AMOUNT,
        "percentage": ValueType.PERCENTAGE,
        "free_shipping": ValueType.FREE_SHIPPING,
    }[reward.kind]
    return Offer(
        title=f"Loyalty reward {reward.key} ({redemption.cost} points)",
        value_type=value_type,
        value=redemptions.offer_value(reward),
        minimum_subtotal=reward.minimum_subtotal,
        valid_for=timedelta(days=reward.valid_days),
    )


async def redeem(
    sessions: async_sessionmaker[AsyncSession],
    queue: JobQueue,
    gateway: DiscountGateway,
    shop: ShopRef,
    *,
    customer_id: int,
    reward_key: str,
    request_key: str,
    now: datetime | None = None,
) -> RedemptionResult:
    """Spend the reward's points and hand out its code. `pending` (code: None) when Shopify
    could not be reached now (or refused the shop's token): the completion job finishes it.
    Raises NotEnoughPoints, RewardNotFound, RewardUnavailable, InvalidRedemption."""
    moment = now or datetime.now(UTC)
    async with transaction(sessions, queue) as session:
        started = await redemptions.start_redemption(
            session,
            shop_id=shop.id,
            customer_id=customer_id,
            reward_key=reward_key,
            request_key=request_key,
            now=moment,
        )
    if started.status != redemptions.PENDING:
        return RedemptionResult(started.id, started.status, started.code, started.cost)
    try:
        return await complete(sessions, gateway, shop, started.id)
    except (ShopifyUnavailable, ShopTokenInvalid) as exc:
        # The debit is committed: its completion job and the sweeper finish it.
        log.warning(
            "redemption left pending: Shopify unavailable",
            shop=shop.domain,
            redemption_id=started.id,
            error=str(exc),
        )
        return RedemptionResult(started.id, redemptions.PENDING, None, started.cost)


async def complete(
    sessions: async_sessionmaker[AsyncSession],
    gateway: DiscountGateway,
    shop: ShopRef,
    redemption_id: int,
) -> RedemptionResult:
    """Create the redemption's code (the same one, however often this runs) and settle it.
    Raises ShopifyUnavailable (retry later: the redemption stays pending) and ShopTokenInvalid
    (the shop's work is stopped; the sweeper tries again once it works)."""
    async with sessions() as session:
        found = await redemptions.load(session, shop.id, redemption_id)
    if found is None:
        raise LookupError(f"no redemption {redemption_id} for shop {shop.id}")
    if found.status != redemptions.PENDING:
        return RedemptionResult(found.id, found.status, found.code, found.cost)
    key = redemptions.code_key(found.id)
    try:
        issued = await issue_code(
            sessions,
            gateway,
            shop,
            purpose=CodePurpose.LOYALTY_REWARD,
            idempotency_key=key,
            offer=_offer(found),
            recipient=Recipient(
                customer_id=found.customer_id,
                customer_gid=f"gid://shopify/Customer/{found.customer_shopify_id}",
                email=found.customer_email,
            ),
            prefix=CODE_PREFIX,
        )
    except ShopifyUserErrors as refused:
        async with sessions.begin() as session:
            await redemptions.give_back(
                session,
                shop_id=shop.id,
                redemption_id=found.id,
                from_status=redemptions.PENDING,
                reason=redemptions.REFUSED_BY_SHOPIFY,
                now=datetime.now(UTC),
                error=refused.detail,
            )
        log.warning("redemption returned: Shopify refused its code", redemption_id=found.id)
        return await _settled(sessions, shop, found.id)
    except ShopifyUnavailable as exc:
        async with sessions.begin() as session:
            await redemptions.count_attempt(session, found.id, exc.detail[:2000])
        raise
    async with sessions.begin() as session:
        code_id = await session.scalar(
            select(DiscountCode.id).where(
                DiscountCode.shop_id == shop.id, DiscountCode.idempotency_key == key
            )
        )
        await redemptions.mark_issued(
            session,
            shop_id=shop.id,
            redemption_id=found.id,
            code=issued.code,
            discount_code_id=code_id,
            now=datetime.now(UTC),
        )
    return await _settled(sessions, shop, found.id)


async def _settled(
    sessions: async_sessionmaker[AsyncSession], shop: ShopRef, redemption_id: int
) -> RedemptionResult:
    async with sessions() as session:
        found = await redemptions.load(session, shop.id, redemption_id)
    if found is None:  # pragma: no cover - redemptions are never deleted but with the shop
        raise LookupError(f"no redemption {redemption_id} for shop {shop.id}")
    return RedemptionResult(found.id, found.status, found.code, found.cost)
