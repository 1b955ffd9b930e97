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

A store credit reward is paid with `storeCreditAccountCredit` instead of a code
(app/loyalty/store_credit.py): attempts of one customer run one at a time, the first request's
time is committed before Shopify is asked, and an attempt after a lost answer looks for the
credit it may have made before asking again, so a retried redemption never credits twice; a
refused credit (userErrors, or the scope not granted) returns the points.

Opens its own transactions, as the codes service does: the debit must be durable before
Shopify is called, and no transaction stays open across the HTTP call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.codes.gateway import DiscountGateway
from app.codes.offers import CodePurpose, Offer, Recipient, ValueType
from app.codes.service import issue_code
from app.errors import ShopifyQueryError, ShopifyUnavailable, ShopifyUserErrors, ShopTokenInvalid
from app.i18n import Text
from app.loyalty import redemptions, store_credit
from app.loyalty.redemptions import Redemption
from app.loyalty.store_credit import Credited, StoreCreditGateway
from app.messaging.i18n import Locale, resolve_locale
from app.models import Shop
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
    kind: str = "fixed_amount"
    # A store credit reward's credit transaction at Shopify, once made.
    store_credit_transaction_id: str | None = None


def _result(found: Redemption) -> RedemptionResult:
    return RedemptionResult(
        found.id,
        found.status,
        found.code,
        found.cost,
        found.reward.kind,
        found.store_credit_transaction_id,
    )


def reward_title(reward_key: str, cost: int, locale: Locale) -> str:
    """The reward's discount title in Shopify's admin, in the shop's language. Only the
    discount's title: the code is found again by its redemption's key, whatever its title."""
    return Text(
        en=f"Loyalty reward {reward_key} ({cost} points)",
        fr=f"Récompense de fidélité {reward_key} ({cost} points)",
    ).in_locale(locale)


def _offer(redemption: Redemption, locale: Locale) -> Offer:
    reward = redemption.reward
    value_type = {
        "fixed_amount": ValueType.FIXED_AMOUNT,
        "percentage": ValueType.PERCENTAGE,
        "free_shipping": ValueType.FREE_SHIPPING,
    }[reward.kind]
    return Offer(
        title=reward_title(reward.key, redemption.cost, locale),
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
    credits: StoreCreditGateway | None = None,
) -> RedemptionResult:
    """Spend the reward's points and hand out its code (or its store credit, through
    `credits`). `pending` (code: None) when Shopify could not be reached now (or refused the
    shop's token): the completion job finishes it. Raises NotEnoughPoints, RewardNotFound,
    RewardUnavailable, InvalidRedemption."""
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
        return _result(started)
    try:
        return await complete(sessions, gateway, shop, started.id, credits=credits)
    except (ShopifyUnavailable, ShopTokenInvalid, ShopifyQueryError) as exc:
        # ShopifyQueryError here: a store credit attempt could not read back whether a lost
        # answer's credit was made (its scope withdrawn); it stays pending, never credited blind.
        # The debit is committed: its completion job and the sweeper finish it.
        log.warning(
            "redemption left pending: Shopify unavailable",
            shop=shop.domain,
            redemption_id=started.id,
            error=str(exc),
        )
        return _result(started)


async def complete(
    sessions: async_sessionmaker[AsyncSession],
    gateway: DiscountGateway,
    shop: ShopRef,
    redemption_id: int,
    *,
    credits: StoreCreditGateway | None = None,
) -> RedemptionResult:
    """Create the redemption's code (the same one, however often this runs), or its store
    credit (once, however often this runs), and settle it. Raises ShopifyUnavailable (retry
    later: the redemption stays pending) and ShopTokenInvalid (the shop's work is stopped;
    the sweeper tries again once it works)."""
    async with sessions() as session:
        found = await redemptions.load(session, shop.id, redemption_id)
        shop_locale = await session.scalar(select(Shop.locale).where(Shop.id == shop.id))
    if found is None:
        raise LookupError(f"no redemption {redemption_id} for shop {shop.id}")
    if found.status != redemptions.PENDING:
        return _result(found)
    if found.reward.kind == "store_credit":
        if credits is None:
            raise TypeError("a store credit redemption needs a StoreCreditGateway")
        return await _complete_store_credit(sessions, credits, shop, found.id)
    key = redemptions.code_key(found.id)
    try:
        issued = await issue_code(
            sessions,
            gateway,
            shop,
            purpose=CodePurpose.LOYALTY_REWARD,
            idempotency_key=key,
            offer=_offer(found, resolve_locale(None, shop_locale)),
            recipient=Recipient(
                customer_id=found.customer_id,
                customer_gid=f"gid://shopify/Customer/{found.customer_shopify_id}",
                email=found.customer_email,
            ),
            prefix=CODE_PREFIX,
        )
    except ShopifyUserErrors as refused:
        async with sessions.begin() as session:
            await _give_back_pending(
                session, shop, found.id, reason=redemptions.REFUSED_BY_SHOPIFY, error=refused.detail
            )
        log.warning("redemption returned: Shopify refused its code", redemption_id=found.id)
        return await _settled(sessions, shop, found.id)
    except ShopifyUnavailable as exc:
        await _count_attempt(sessions, found.id, exc)
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
        return await _settled_after(session, shop, redemption_id)


def _credit_lock(shop_id: int, customer_id: int) -> Select[Any]:
    """SQL: a transaction-scoped advisory lock on the customer's store credit at this shop."""
    return select(
        func.pg_advisory_xact_lock(
            func.hashtextextended(f"loyalty-store-credit:{shop_id}:{customer_id}", 0)
        )
    )


async def _complete_store_credit(
    sessions: async_sessionmaker[AsyncSession],
    credits: StoreCreditGateway,
    shop: ShopRef,
    redemption_id: int,
) -> RedemptionResult:
    """Credit the reward's amount to the customer's store credit, once. The lock is held by
    a transaction for the whole attempt, so two attempts (the inline one and the job, two
    jobs) of this customer's redemptions never ask Shopify at the same time; the state is
    read again under it."""
    async with sessions.begin() as held:
        loaded = await redemptions.load(held, shop.id, redemption_id)
        if loaded is None:  # pragma: no cover - checked by the caller
            raise LookupError(f"no redemption {redemption_id} for shop {shop.id}")
        await held.execute(_credit_lock(shop.id, loaded.customer_id))
        found = await redemptions.load(held, shop.id, redemption_id)
        if found is None or found.status != redemptions.PENDING:
            return _result(found or loaded)
        currency = await held.scalar(select(Shop.currency).where(Shop.id == shop.id))
        if not currency:
            raise LookupError(f"shop {shop.id} has no currency yet")
        customer_gid = f"gid://shopify/Customer/{found.customer_shopify_id}"
        amount = found.reward.value
        if found.credit_requested_at is not None:
            # An earlier attempt asked and lost the answer: was the credit made? Until Shopify
            # says (a read refused raises), the redemption stays pending: never credit blind.
            seen = await credits.recent_credits(shop, customer_gid=customer_gid, currency=currency)
            claimed = await redemptions.claimed_credits(
                held, shop.id, [credit.transaction_id for credit in seen]
            )
            earlier = store_credit.earlier_credit(
                seen,
                amount=amount,
                currency=currency,
                requested_at=found.credit_requested_at,
                claimed=claimed,
            )
            if earlier is not None:
                await redemptions.mark_credited(
                    held,
                    shop_id=shop.id,
                    redemption_id=found.id,
                    transaction_id=earlier.transaction_id,
                    now=datetime.now(UTC),
                )
                log.info("store credit found made by an earlier attempt", redemption_id=found.id)
                return await _settled_after(held, shop, found.id)
        moment = datetime.now(UTC)
        # Committed before Shopify is asked: a crash after the credit still leaves the mark.
        async with sessions.begin() as marking:
            await redemptions.note_credit_request(
                marking, shop_id=shop.id, redemption_id=found.id, now=moment
            )
        try:
            outcome = await credits.credit(
                shop,
                customer_gid=customer_gid,
                amount=amount,
                currency=currency,
                expires_at=moment + timedelta(days=found.reward.valid_days),
            )
        except ShopifyQueryError as refused:
            # Refused before it ran (the scope not granted, or withdrawn since).
            await _give_back_pending(
                held, shop, found.id, reason=redemptions.CREDIT_NOT_GRANTED, error=refused.detail
            )
            log.warning("store credit redemption returned: refused", redemption_id=found.id)
            return await _settled_after(held, shop, found.id)
        except ShopifyUnavailable as exc:
            await _count_attempt(sessions, found.id, exc)
            raise
        if isinstance(outcome, Credited):
            await redemptions.mark_credited(
                held,
                shop_id=shop.id,
                redemption_id=found.id,
                transaction_id=outcome.transaction_id,
                now=datetime.now(UTC),
            )
        else:
            await _give_back_pending(
                held,
                shop,
                found.id,
                reason=redemptions.CREDIT_REFUSED,
                error="; ".join(
                    f"{c}: {m}" for c, m in zip(outcome.codes, outcome.messages, strict=True)
                ),
            )
            log.warning("store credit redemption returned: Shopify refused the credit")
        return await _settled_after(held, shop, found.id)


async def _settled_after(
    session: AsyncSession, shop: ShopRef, redemption_id: int
) -> RedemptionResult:
    found = await redemptions.load(session, shop.id, redemption_id)
    if found is None:  # pragma: no cover - redemptions are never deleted but with the shop
        raise LookupError(f"no redemption {redemption_id} for shop {shop.id}")
    return _result(found)


async def _give_back_pending(
    session: AsyncSession, shop: ShopRef, redemption_id: int, *, reason: str, error: str
) -> None:
    """Shopify refused to pay the reward: the pending redemption is returned, its points
    given back."""
    await redemptions.give_back(
        session,
        shop_id=shop.id,
        redemption_id=redemption_id,
        from_status=redemptions.PENDING,
        reason=reason,
        now=datetime.now(UTC),
        error=error,
    )


async def _count_attempt(
    sessions: async_sessionmaker[AsyncSession], redemption_id: int, exc: ShopifyUnavailable
) -> None:
    """Shopify could not be reached: the attempt is counted (committed) before the job retries."""
    async with sessions.begin() as session:
        await redemptions.count_attempt(session, redemption_id, exc.detail[:2000])
