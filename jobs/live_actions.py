"""The real StepActions: discount codes from the scenario's pool (or one-off at Shopify when
the pool is dry), product images from the Admin API (cached per variant in Redis), emails into
the outbox with their send job dispatched after commit."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import structlog
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession

from app.codes.offers import CodePurpose, CombinesWith, Offer, Recipient, ValueType
from app.codes.pools import Claim, claim_code, ensure_pool, find_pool, request_refill, retire_pool
from app.codes.service import issue_code, issued_for_key
from app.db.after_commit import after_commit
from app.errors import BoomerangError, ShopifyQueryError
from app.messaging.config import MessagingConfig
from app.messaging.controls import DeliveryMode
from app.messaging.i18n import resolve_locale
from app.messaging.outbox import Status, dispatch_send, enqueue_message
from app.models import Customer, Message
from app.models.discount_codes import DiscountPoolStatus, PoolRetiredReason
from app.platform.resources import Resources
from app.scenarios.actions import CodeRequest, EmailRequest, IssuedCode, QueuedEmail
from app.scenarios.config import DiscountSettings
from app.scenarios.labels import discount_title
from app.shopify.admin.factory import admin_client, discount_gateway
from app.shopify.admin.products import ShopifyProducts
from app.shopify.admin.types import ShopRef, customer_gid

log = structlog.get_logger(__name__)

_PURPOSES = {"abandoned_cart": CodePurpose.CART_RECOVERY, "win_back": CodePurpose.WIN_BACK}

# Product images change rarely; a variant without one is asked again sooner.
IMAGE_TTL = timedelta(days=1)
NO_IMAGE_TTL = timedelta(hours=1)


def _image_key(shop_id: int, variant_id: int) -> str:
    return f"boomerang:variant-image:{shop_id}:{variant_id}"


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


class LiveStepActions:
    def __init__(self, resources: Resources) -> None:
        self._resources = resources

    async def issue_code(self, request: CodeRequest, now: datetime) -> IssuedCode:
        """Runs with no transaction of the caller's open: every read and write here commits on
        its own, and Shopify is called with no lock held."""
        shop = ShopRef(request.shop_id, request.shop_domain)
        # The merchant reads the discount's title in Shopify's admin: in the shop's language.
        offer = offer_for(request.discount, discount_title(request.scenario, request.shop_locale))
        # A retry (the step crashed after getting its code): the same code, whichever path
        # gave it; a one-off code is resumed below by its key, never swapped for a pool code.
        async with self._resources.sessions.begin() as session:
            prior = await issued_for_key(session, shop.id, request.idempotency_key)
        if prior is not None and prior.pooled:
            return IssuedCode(prior.code, prior.ends_at or now + offer_validity(request.discount))
        if request.discount.use_pool and prior is None:
            pooled = await self._from_pool(shop, request, offer, now)
            if pooled is not None:
                return pooled
        async with self._resources.sessions.begin() as session:
            customer = (
                await session.get(Customer, request.customer_id) if request.customer_id else None
            )
        issued = await issue_code(
            self._resources.sessions,
            discount_gateway(self._resources),
            shop,
            purpose=_PURPOSES.get(request.scenario, CodePurpose.CART_RECOVERY),
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
        fresh_until = now + offer_validity(request.discount) / 2
        sessions = self._resources.sessions
        claim: Claim | None = None
        async with sessions.begin() as session:
            # At most one pool of the key is not retired (a partial unique index).
            pool = await find_pool(session, shop.id, key)
            if pool is not None and pool.ends_at is not None and pool.ends_at < fresh_until:
                await retire_pool(session, shop.id, pool.id, PoolRetiredReason.ENDING)
                pool = None
            ready = (
                pool is not None
                and pool.status == DiscountPoolStatus.ACTIVE
                and pool.shopify_discount_id is not None
            )
            if pool is not None and ready:
                pool_id, ends_at = pool.id, pool.ends_at
                claim = await claim_code(session, shop.id, pool_id, request.idempotency_key)
        if not ready:
            ref = await ensure_pool(
                sessions,
                discount_gateway(self._resources),
                shop,
                scenario=key,
                offer=offer,
                prefix=request.prefix,
                now=now,
            )
            pool_id, ends_at = ref.id, ref.ends_at
            async with sessions.begin() as session:
                claim = await claim_code(session, shop.id, pool_id, request.idempotency_key)
        if claim is None or claim.needs_refill:
            await request_refill(self._resources.queue, shop.id, pool_id)
        if claim is None:
            return None
        return IssuedCode(claim.code, ends_at or now + offer_validity(request.discount))

    async def variant_images(
        self, shop_id: int, shop_domain: str, variant_ids: tuple[int, ...]
    ) -> dict[int, str]:
        """Cached per variant; what is not cached is asked of Shopify in one `nodes` query.
        Redis or Shopify failing yields fewer images, never a lost reminder."""
        redis = self._resources.redis
        keys = [_image_key(shop_id, v) for v in variant_ids]
        try:
            cached = await redis.mget(keys)
        except RedisError:
            cached = [None] * len(keys)
        images: dict[int, str] = {}
        missing: list[int] = []
        for variant_id, value in zip(variant_ids, cached, strict=True):
            if value is None:
                missing.append(variant_id)
            elif value:
                images[variant_id] = value.decode() if isinstance(value, bytes) else str(value)
        if not missing:
            return images
        try:
            fetched = await ShopifyProducts(admin_client(self._resources)).variant_images(
                ShopRef(shop_id, shop_domain), missing
            )
        except ShopifyQueryError:
            # Refused, not failed: typically a shop installed before Boomerang asked for
            # read_products. Asked again when the no-image entries expire, not every step.
            log.warning("variant images refused", shop=shop_domain)
            fetched = dict.fromkeys(missing)
        except BoomerangError as exc:
            log.warning("variant images unavailable", shop=shop_domain, error=type(exc).__name__)
            return images
        try:
            async with redis.pipeline(transaction=False) as pipe:
                for variant_id, url in fetched.items():
                    ttl = IMAGE_TTL if url else NO_IMAGE_TTL
                    pipe.set(_image_key(shop_id, variant_id), url or "", ex=ttl)
                await pipe.execute()
        except RedisError:
            pass  # asked again next time
        images.update({v: url for v, url in fetched.items() if url})
        return images

    async def queue_email(self, session: AsyncSession, request: EmailRequest) -> QueuedEmail:
        customer = await session.get(Customer, request.customer_id) if request.customer_id else None
        if customer is None or not customer.email:
            # A guest checkout without a customer record.
            return QueuedEmail(Status.SUPPRESSED, "customer_missing")
        message: Message = await enqueue_message(
            session,
            MessagingConfig.from_settings(self._resources.settings),
            shop=request.shop,
            customer=customer,
            scenario=request.scenario,
            step=request.step,
            subject_key=request.subject_key,
            context={**request.context, "locale": request.locale},
            scheduled_at=request.scheduled_at,
            transactional=request.transactional,
            mode=DeliveryMode(request.mode.value),
        )

        async def send(resources: Resources) -> None:
            await dispatch_send(resources.queue, message)

        after_commit(session, send)
        return QueuedEmail(message.status, message.status_reason, message.id)


def offer_validity(discount: DiscountSettings) -> timedelta:
    return timedelta(hours=discount.valid_hours)
