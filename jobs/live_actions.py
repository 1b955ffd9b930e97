"""The real StepActions: discount codes from the scenario's pool (or one-off at Shopify when
the pool is dry), emails into the outbox with their send job dispatched after commit."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.codes.offers import CodePurpose, Offer, Recipient, ValueType
from app.codes.pools import claim_code, ensure_pool, request_refill
from app.codes.service import issue_code
from app.db.after_commit import after_commit
from app.messaging.config import MessagingConfig
from app.messaging.controls import DeliveryMode
from app.messaging.outbox import Status, dispatch_send, enqueue_message
from app.models import Customer, DiscountPool, Message
from app.models.discount_codes import DiscountPoolStatus
from app.platform.resources import Resources
from app.scenarios.actions import CodeRequest, EmailRequest, IssuedCode
from app.scenarios.config import DiscountSettings
from app.shopify.admin.factory import discount_gateway
from app.shopify.admin.types import ShopRef, customer_gid

_PURPOSES = {"abandoned_cart": CodePurpose.CART_RECOVERY, "win_back": CodePurpose.WIN_BACK}


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
    )


def pool_key(scenario: str, discount: DiscountSettings) -> str:
    """One pool per distinct offer, so changing the offer starts a new pool."""
    minimum = discount.minimum_subtotal if discount.minimum_subtotal is not None else "-"
    return f"{scenario}:{discount.kind}:{discount.value}:{minimum}:{discount.valid_hours}h"


class LiveStepActions:
    def __init__(self, resources: Resources) -> None:
        self._resources = resources

    async def issue_code(self, request: CodeRequest, now: datetime) -> IssuedCode:
        """Runs with no transaction of the caller's open: every read and write here commits on
        its own, and Shopify is called with no lock held."""
        shop = ShopRef(request.shop_id, request.shop_domain)
        offer = offer_for(request.discount, f"Boomerang {request.scenario.replace('_', ' ')}")
        if request.discount.use_pool:
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
        key = pool_key(request.scenario, request.discount)
        fresh_until = now + offer_validity(request.discount) / 2
        sessions = self._resources.sessions
        async with sessions.begin() as session:
            pool = await session.scalar(
                select(DiscountPool).where(
                    DiscountPool.shop_id == shop.id,
                    DiscountPool.scenario == key,
                    DiscountPool.status == DiscountPoolStatus.ACTIVE,
                    DiscountPool.shopify_discount_id.is_not(None),
                    or_(DiscountPool.ends_at.is_(None), DiscountPool.ends_at >= fresh_until),
                )
            )
            if pool is not None:
                pool_id, ends_at = pool.id, pool.ends_at
                claim = await claim_code(session, shop.id, pool_id, request.idempotency_key)
        if pool is None:
            async with sessions.begin() as session:
                await session.execute(
                    update(DiscountPool)
                    .where(
                        DiscountPool.shop_id == shop.id,
                        DiscountPool.scenario == key,
                        DiscountPool.status != DiscountPoolStatus.RETIRED,
                        DiscountPool.ends_at < fresh_until,
                    )
                    .values(status=DiscountPoolStatus.RETIRED)
                )
            ref = await ensure_pool(
                sessions,
                discount_gateway(self._resources),
                shop,
                scenario=key,
                offer=offer,
                prefix=request.prefix,
                now=now,
            )
            async with sessions.begin() as session:
                pool_id = ref.id
                claim = await claim_code(session, shop.id, pool_id, request.idempotency_key)
                ends_at = await session.scalar(
                    select(DiscountPool.ends_at).where(
                        DiscountPool.shop_id == shop.id, DiscountPool.id == pool_id
                    )
                )
        if claim is None or claim.needs_refill:
            await request_refill(self._resources.queue, shop.id, pool_id)
        if claim is None:
            return None
        return IssuedCode(claim.code, ends_at or now + offer_validity(request.discount))

    async def queue_email(self, session: AsyncSession, request: EmailRequest) -> str:
        customer = await session.get(Customer, request.customer_id) if request.customer_id else None
        if customer is None or not customer.email:
            return Status.SUPPRESSED  # a guest checkout without a customer record
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
        return message.status


def offer_validity(discount: DiscountSettings) -> timedelta:
    return timedelta(hours=discount.valid_hours)
