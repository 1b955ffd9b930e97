"""An advocate's personal code: a Shopify code discount for their friends (the merchant's
percentage off, once per customer, for the shop's first-time buyers through a customer segment
`number_of_orders = 0`, with the optional minimum subtotal), created once through the codes
service, then sent by email. Opens its own transactions: Shopify is called with none held."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.codes.gateway import DiscountGateway
from app.codes.offers import CodePurpose, Offer, Recipient, ValueType
from app.codes.service import issue_code
from app.messaging.config import MessagingConfig
from app.models import Customer, DiscountCode, ReferralCode, ReferralSegment, Shop
from app.queue import JobQueue
from app.queue.deferred import transaction
from app.referrals.messages import send_invite
from app.referrals.settings import ReferralSettings, load_settings
from app.scenarios.modes import Mode
from app.shopify.admin.types import ShopRef

# Shopify's "Number of orders" segment filter: customers who have not ordered yet.
FIRST_TIME_BUYERS = "number_of_orders = 0"


class SegmentGateway(Protocol):
    async def create_segment(self, shop: ShopRef, name: str, query: str) -> str: ...


@dataclass(frozen=True)
class Gateways:
    discounts: DiscountGateway
    segments: SegmentGateway


def idempotency_key(customer_id: int) -> str:
    return f"referral:{customer_id}"


def friend_offer(settings: ReferralSettings, locale: str) -> Offer:
    title = (
        "Boomerang : parrainage (première commande)"
        if locale == "fr"
        else "Boomerang: referral (first order)"
    )
    return Offer(
        title=title,
        value_type=ValueType.PERCENTAGE,
        value=settings.friend_percent / 100,
        minimum_subtotal=settings.friend_minimum_subtotal,
        valid_for=(
            timedelta(days=settings.friend_code_valid_days)
            if settings.friend_code_valid_days
            else None
        ),
        # Shared with many friends, each once (appliesOncePerCustomer).
        usage_limit=None,
    )


async def first_time_segment(
    sessions: async_sessionmaker[AsyncSession], segments: SegmentGateway, shop: ShopRef
) -> str:
    """The shop's first-time buyers' segment at Shopify, created once. Two workers racing
    may each create one: the first stored wins, the other stays unused at Shopify."""
    async with sessions.begin() as session:
        found = await session.scalar(
            select(ReferralSegment.segment_gid).where(ReferralSegment.shop_id == shop.id)
        )
    if found is not None:
        return found
    # A name of its own per attempt: a crash after Shopify made it cannot block the retry.
    name = f"Boomerang referrals: first-time buyers {secrets.token_hex(3)}"
    gid = await segments.create_segment(shop, name, FIRST_TIME_BUYERS)
    async with sessions.begin() as session:
        await session.execute(
            insert(ReferralSegment)
            .values(shop_id=shop.id, segment_gid=gid)
            .on_conflict_do_nothing(index_elements=["shop_id"])
        )
        stored = await session.scalar(
            select(ReferralSegment.segment_gid).where(ReferralSegment.shop_id == shop.id)
        )
    return stored or gid


async def issue_personal_code(
    sessions: async_sessionmaker[AsyncSession],
    queue: JobQueue,
    gateways: Gateways,
    config: MessagingConfig,
    shop: ShopRef,
    *,
    customer_id: int,
    because: str,
    now: datetime,
) -> str | None:
    """The customer's personal code (created at Shopify if it is not yet) and its email; None
    when the program issues no code now. Raises what issue_code raises (retry on
    ShopifyUnavailable)."""
    async with sessions.begin() as session:
        settings = await load_settings(session, shop.id)
        if settings.mode in (Mode.PAUSED, Mode.DRY_RUN):
            return None
        customer = await session.get(Customer, customer_id)
        if customer is None or customer.shop_id != shop.id or customer.redacted_at is not None:
            return None
        await session.execute(
            insert(ReferralCode)
            .values(shop_id=shop.id, customer_id=customer_id, issued_because=because, visits=0)
            .on_conflict_do_nothing(index_elements=["shop_id", "customer_id"])
        )
        shop_row = await session.get(Shop, shop.id)
        locale = shop_row.locale if shop_row else "en"
    segment = await first_time_segment(sessions, gateways.segments, shop)
    issued = await issue_code(
        sessions,
        gateways.discounts,
        shop,
        purpose=CodePurpose.REFERRAL_FRIEND,
        idempotency_key=idempotency_key(customer_id),
        offer=friend_offer(settings, locale),
        recipient=Recipient(customer_segment_gid=segment),
        prefix=settings.code_prefix,
        now=now,
    )
    async with transaction(sessions, queue) as session:
        await _store_and_send(session, config, settings, shop.id, customer_id, issued.code, now)
    return issued.code


async def _store_and_send(
    session: AsyncSession,
    config: MessagingConfig,
    settings: ReferralSettings,
    shop_id: int,
    customer_id: int,
    code: str,
    now: datetime,
) -> None:
    discount_id = await session.scalar(
        select(DiscountCode.id).where(
            DiscountCode.shop_id == shop_id,
            DiscountCode.idempotency_key == idempotency_key(customer_id),
        )
    )
    await session.execute(
        update(ReferralCode)
        .where(
            ReferralCode.shop_id == shop_id,
            ReferralCode.customer_id == customer_id,
            ReferralCode.code.is_(None),
        )
        .values(code=code, discount_code_id=discount_id)
    )
    row = await session.scalar(
        select(ReferralCode).where(
            ReferralCode.shop_id == shop_id, ReferralCode.customer_id == customer_id
        )
    )
    shop = await session.get(Shop, shop_id)
    customer = await session.get(Customer, customer_id)
    if row is None or shop is None or customer is None:
        return
    await send_invite(session, config, settings, shop=shop, customer=customer, code=row, now=now)
