"""The code-issuing policy for a scenario step: a code from the offer's pool (one pool per
distinct offer, retired and replaced when its discount ends too soon), else a one-off code at
Shopify when the pool is dry (a refill is asked for); a retried step gets the code it got
before, whichever path gave it. Concurrent steps that find no live pool create it once: the
first takes the pool's creation lock, the others wait for it and claim from the pool it made.

Runs with no transaction of the caller's open: every read and write here commits on its own,
and Shopify is called with no row lock held."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.codes.gateway import DiscountGateway
from app.codes.offers import CodePurpose, CombinesWith, Offer, Recipient, ValueType
from app.codes.pools import Claim, claim_code, ensure_pool, find_pool, request_refill, retire_pool
from app.codes.service import issue_code, issued_for_key
from app.i18n import Text
from app.messaging.i18n import normalize_locale, resolve_locale
from app.models import Customer
from app.models.discount_codes import DiscountPoolStatus, PoolRetiredReason
from app.queue import JobQueue
from app.scenarios.actions import CodeRequest, IssuedCode
from app.scenarios.config import DiscountSettings
from app.shopify.admin.types import ShopRef, customer_gid


def offer_for(discount: DiscountSettings, title: str) -> Offer:
    kind = ValueType(discount.kind)
    value: Decimal | None = discount.value
    if kind is ValueType.PERCENTAGE:
        value = discount.value / 100  # the codes layer takes 0.1 for 10 %
    elif kind is ValueType.FREE_SHIPPING:
        value = None
    return Offer(
        title=title,
        value_type=kind,
        value=value,
        minimum_subtotal=discount.minimum_subtotal,
        valid_for=timedelta(hours=discount.valid_hours),
        combines_with=CombinesWith(
            order_discounts=discount.combines_with.order_discounts,
            product_discounts=discount.combines_with.product_discounts,
            shipping_discounts=discount.combines_with.shipping_discounts,
        ),
    )


def pool_key(scenario: str, discount: DiscountSettings, locale: str = "en") -> str:
    """One pool per distinct offer (its stacking and the language of its title included), so
    changing the offer starts a new pool."""
    minimum = discount.minimum_subtotal if discount.minimum_subtotal is not None else "-"
    combines = discount.combines_with
    stacks = "".join(
        flag
        for flag, on in (
            ("o", combines.order_discounts),
            ("p", combines.product_discounts),
            ("s", combines.shipping_discounts),
        )
        if on
    )
    return (
        f"{scenario}:{discount.kind}:{discount.value}:{minimum}:{discount.valid_hours}h"
        f":c{stacks or '-'}:{locale}"
    )


def discount_title(request: CodeRequest) -> str:
    """The discount's title in Shopify's admin, in the shop's language."""
    title = request.title or Text(
        en=f"Boomerang: {request.scenario.replace('_', ' ')}",
        fr=f"Boomerang : {request.scenario}",
    )
    return title.in_locale(normalize_locale(request.shop_locale) or "en")


def offer_validity(discount: DiscountSettings) -> timedelta:
    return timedelta(hours=discount.valid_hours)


def _creation_lock_key(shop_id: int, key: str) -> str:
    return f"discount-pool-create:{shop_id}:{key}"


class StepCodes:
    """The policy over the code pools and Shopify, for one process's sessions and queue."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        gateway: DiscountGateway,
        queue: JobQueue,
    ) -> None:
        self._sessions = sessions
        self._gateway = gateway
        self._queue = queue

    async def issue(self, request: CodeRequest, now: datetime) -> IssuedCode:
        shop = ShopRef(request.shop_id, request.shop_domain)
        offer = offer_for(request.discount, discount_title(request))
        # A retry (the step crashed after getting its code): the same code, whichever path
        # gave it; a one-off code is resumed below by its key, never swapped for a pool code.
        async with self._sessions.begin() as session:
            prior = await issued_for_key(session, shop.id, request.idempotency_key)
        if prior is not None and prior.pooled:
            return IssuedCode(prior.code, prior.ends_at or now + offer_validity(request.discount))
        if request.discount.use_pool and prior is None:
            pooled = await self._from_pool(shop, request, offer, now)
            if pooled is not None:
                return pooled
        async with self._sessions.begin() as session:
            customer = (
                await session.get(Customer, request.customer_id) if request.customer_id else None
            )
        issued = await issue_code(
            self._sessions,
            self._gateway,
            shop,
            purpose=request.purpose or CodePurpose.CART_RECOVERY,
            idempotency_key=request.idempotency_key,
            offer=offer,
            recipient=Recipient(
                customer_id=customer.id if customer else None,
                customer_gid=customer_gid(customer.shopify_id) if customer else None,
                email=customer.email if customer else None,
            ),
            prefix=request.prefix,
            now=now,
        )
        return IssuedCode(issued.code, issued.ends_at or now + offer_validity(request.discount))

    async def _from_pool(
        self, shop: ShopRef, request: CodeRequest, offer: Offer, now: datetime
    ) -> IssuedCode | None:
        """A pre-created code of the offer's pool, or None (pool dry: a refill is requested).
        The usual case is one transaction: find the live pool, claim. A pool whose discount ends
        sooner than half the promised validity is retired and replaced first, so every code
        handed out keeps at least half of it (the email shows the real end)."""
        key = pool_key(
            request.scenario, request.discount, resolve_locale(None, request.shop_locale)
        )
        claimed = await self._claim_from_live_pool(shop, request, key, now)
        if claimed is None:
            claimed = await self._claim_after_creating(shop, request, offer, key, now)
        claim, pool_id, ends_at = claimed
        if claim is None or claim.needs_refill:
            await request_refill(self._queue, shop.id, pool_id)
        if claim is None:
            return None
        return IssuedCode(claim.code, ends_at or now + offer_validity(request.discount))

    async def _claim_from_live_pool(
        self, shop: ShopRef, request: CodeRequest, key: str, now: datetime
    ) -> tuple[Claim | None, int, datetime | None] | None:
        """A claim from the key's live, ready pool; None when there is none ready."""
        fresh_until = now + offer_validity(request.discount) / 2
        async with self._sessions.begin() as session:
            # At most one pool of the key is not retired (a partial unique index).
            pool = await find_pool(session, shop.id, key)
            if pool is not None and pool.ends_at is not None and pool.ends_at < fresh_until:
                await retire_pool(session, shop.id, pool.id, PoolRetiredReason.ENDING)
                return None
            if (
                pool is None
                or pool.status != DiscountPoolStatus.ACTIVE
                or pool.shopify_discount_id is None
            ):
                return None
            claim = await claim_code(session, shop.id, pool.id, request.idempotency_key)
            return claim, pool.id, pool.ends_at

    async def _claim_after_creating(
        self, shop: ShopRef, request: CodeRequest, offer: Offer, key: str, now: datetime
    ) -> tuple[Claim | None, int, datetime | None]:
        """Create the key's pool (its discount at Shopify) once, however many steps ask at the
        same moment: each holds the key's creation lock (a transaction-scoped advisory lock
        on a connection of its own, no row locked) while it makes sure of the pool; the ones
        that waited find it ready and ask Shopify nothing."""
        async with self._sessions.begin() as lock:
            await lock.execute(
                select(
                    func.pg_advisory_xact_lock(
                        func.hashtextextended(_creation_lock_key(shop.id, key), 0)
                    )
                )
            )
            ready = await self._claim_from_live_pool(shop, request, key, now)
            if ready is not None:
                return ready
            ref = await ensure_pool(
                self._sessions,
                self._gateway,
                shop,
                scenario=key,
                offer=offer,
                prefix=request.prefix,
                now=now,
            )
        async with self._sessions.begin() as session:
            claim = await claim_code(session, shop.id, ref.id, request.idempotency_key)
        return claim, ref.id, ref.ends_at
