"""The real StepActions: discount codes from the scenario's pool (or one-off at Shopify when
the pool is dry), emails into the outbox with their send job dispatched after commit."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.codes.offers import CodePurpose, Offer, Recipient, ValueType
from app.codes.pools import claim_code, ensure_pool, request_refill
from app.codes.service import issue_code
from app.db.after_commit import after_commit
from app.messaging.config import MessagingConfig
from app.messaging.controls import DeliveryMode
from app.messaging.outbox import Status, dispatch_send, enqueue_message
from app.models import Customer, DiscountPool, Message, Shop
from app.models.discount_codes import DiscountPoolStatus
from app.platform.resources import Resources
from app.scenarios.actions import EmailRequest, IssuedCode
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
    def __init__(self, resources: Resources, *, code_prefix: str = "COMEBACK") -> None:
        self._resources = resources
        self._prefix = code_prefix

    async def issue_code(
        self,
        session: AsyncSession,
        *,
        shop: Shop,
        scenario: str,
        idempotency_key: str,
        customer_id: int | None,
        discount: DiscountSettings,
        now: datetime,
    ) -> IssuedCode:
        title = f"Boomerang {scenario.replace('_', ' ')}"
        offer = offer_for(discount, title)
        if discount.use_pool:
            pooled = await self._from_pool(
                session, shop, scenario, discount, offer, idempotency_key, now
            )
            if pooled is not None:
                return pooled
        customer = await session.get(Customer, customer_id) if customer_id else None
        issued = await issue_code(
            self._resources.sessions,
            discount_gateway(self._resources),
            ShopRef(shop.id, shop.domain),
            purpose=_PURPOSES.get(scenario, CodePurpose.CART_RECOVERY),
            idempotency_key=idempotency_key,
            offer=offer,
            recipient=Recipient(
                customer_id=customer.id if customer else None,
                customer_gid=customer_gid(customer.shopify_id) if customer else None,
                email=customer.email if customer else None,
            ),
            prefix=self._prefix,
            now=now,
        )
        return IssuedCode(issued.code, issued.ends_at or now + offer_validity(discount))

    async def _from_pool(
        self,
        session: AsyncSession,
        shop: Shop,
        scenario: str,
        discount: DiscountSettings,
        offer: Offer,
        recipient_key: str,
        now: datetime,
    ) -> IssuedCode | None:
        """A pre-created code of the offer's pool, or None (pool dry: a refill is requested).
        A pool whose discount ends sooner than half the promised validity is retired first, so
        every code handed out keeps at least half of it (the email shows the real end)."""
        key = pool_key(scenario, discount)
        shop_ref = ShopRef(shop.id, shop.domain)
        pool = await session.scalar(
            select(DiscountPool).where(
                DiscountPool.shop_id == shop.id,
                DiscountPool.scenario == key,
                DiscountPool.status != DiscountPoolStatus.RETIRED,
            )
        )
        if (
            pool is not None
            and pool.ends_at is not None
            and pool.ends_at - now < offer_validity(discount) / 2
        ):
            async with self._resources.sessions.begin() as retiring:
                await retiring.execute(
                    update(DiscountPool)
                    .where(DiscountPool.shop_id == shop.id, DiscountPool.id == pool.id)
                    .values(status=DiscountPoolStatus.RETIRED)
                )
        ref = await ensure_pool(
            self._resources.sessions,
            discount_gateway(self._resources),
            shop_ref,
            scenario=key,
            offer=offer,
            prefix=self._prefix,
            now=now,
        )
        claim = await claim_code(session, shop.id, ref.id, recipient_key)
        if claim is None or claim.needs_refill:

            async def refill(resources: Resources) -> None:
                await request_refill(resources.queue, shop.id, ref.id)

            after_commit(session, refill)
        if claim is None:
            return None
        ends_at = await session.scalar(
            select(DiscountPool.ends_at).where(
                DiscountPool.shop_id == shop.id, DiscountPool.id == ref.id
            )
        )
        return IssuedCode(claim.code, ends_at or now + offer_validity(discount))

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
