"""Issue one code per (shop, idempotency key), exactly once at Shopify.

The protocol, so that a crash anywhere never loses or doubles a code:
1. reserve: the code is chosen and stored (status `creating`) in its own committed transaction,
   `INSERT … ON CONFLICT (shop_id, idempotency_key) DO NOTHING RETURNING` — of two racing
   workers one inserts, the other reads the same row and the same code;
2. create at Shopify; a row found already `creating` (a retry, a crash, a racing worker) is first
   looked up with codeDiscountNodeByCode, and a TAKEN answer for our own code is the same
   discount created by an earlier attempt (the code is ≥ 40 random bits: nobody else has it);
3. mark it `active` with Shopify's id in a second transaction.

Unlike most services this one opens its own transactions: step 1 must be durable before
Shopify is called, and no transaction is held open across the HTTP call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import structlog
from sqlalchemy import literal, select, text, union_all, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.codes.gateway import CreatedDiscount, DiscountGateway
from app.codes.generator import generate_code
from app.codes.lookup import find_soon
from app.codes.offers import CodePurpose, CombinesWith, DiscountSpec, Offer, Recipient, ValueType
from app.errors import ShopifyUnavailable, ShopifyUserErrors
from app.i18n import Text
from app.models.discount_codes import DiscountCode, DiscountCodeStatus, DiscountPool, PoolCode
from app.shopify.admin.types import ShopRef

log = structlog.get_logger(__name__)

# A create answered TAKEN for our own code and the lookup found nothing: leave the row
# `creating` for a later attempt until this many attempts found nothing.
TAKEN_UNFOUND_ATTEMPTS = 5


@dataclass(frozen=True)
class IssuedCode:
    code: str
    shopify_id: str
    ends_at: datetime | None
    # False when this call found the code already issued (a replay).
    created_now: bool


def spec_for(row: DiscountCode) -> DiscountSpec:
    return DiscountSpec(
        code=row.code,
        title=row.title,
        value_type=ValueType(row.value_type),
        value=row.value,
        minimum_subtotal=row.minimum_subtotal,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        combines_with=CombinesWith.from_dict(row.combines_with),
        customer_gids=(row.customer_gid,) if row.customer_gid else None,
        usage_limit=row.usage_limit,
        customer_segment_gids=(row.customer_segment_gid,) if row.customer_segment_gid else None,
    )


async def _reserve(
    sessions: async_sessionmaker[AsyncSession],
    shop: ShopRef,
    *,
    purpose: CodePurpose,
    idempotency_key: str,
    offer: Offer,
    recipient: Recipient,
    prefix: str,
    now: datetime,
) -> tuple[DiscountCode, bool]:
    async with sessions() as session, session.begin():
        inserted = await session.scalar(
            insert(DiscountCode)
            .values(
                shop_id=shop.id,
                purpose=purpose.value,
                idempotency_key=idempotency_key,
                code=generate_code(prefix),
                status=DiscountCodeStatus.CREATING.value,
                customer_id=recipient.customer_id,
                customer_gid=recipient.customer_gid,
                customer_segment_gid=recipient.customer_segment_gid,
                usage_limit=offer.usage_limit,
                email=recipient.email,
                value_type=offer.value_type.value,
                value=offer.value,
                minimum_subtotal=offer.minimum_subtotal,
                combines_with=offer.combines_with.as_dict(),
                title=offer.title,
                # A minute back: a clock a little ahead of Shopify's must not make it SCHEDULED.
                starts_at=now - timedelta(minutes=1),
                ends_at=offer.ends_at(now),
                attempts=0,
            )
            .on_conflict_do_nothing(index_elements=["shop_id", "idempotency_key"])
            .returning(DiscountCode.id)
        )
        row = await session.scalar(
            select(DiscountCode).where(
                DiscountCode.shop_id == shop.id, DiscountCode.idempotency_key == idempotency_key
            )
        )
        if row is None:  # pragma: no cover - the row exists: inserted now or before
            raise RuntimeError("reserved discount code vanished")
        return row, inserted is not None


async def issue_code(
    sessions: async_sessionmaker[AsyncSession],
    gateway: DiscountGateway,
    shop: ShopRef,
    *,
    purpose: CodePurpose,
    idempotency_key: str,
    offer: Offer,
    recipient: Recipient,
    prefix: str,
    now: datetime | None = None,
) -> IssuedCode:
    """The code for `idempotency_key`, created at Shopify if it is not yet. Raises
    ShopifyUserErrors when Shopify refuses the offer (final), ShopTokenInvalid (final),
    ShopifyUnavailable (ThrottledByShopify among them: retry later, the reserved row kept)."""
    row, fresh = await _reserve(
        sessions,
        shop,
        purpose=purpose,
        idempotency_key=idempotency_key,
        offer=offer,
        recipient=recipient,
        prefix=prefix,
        now=now or datetime.now(UTC),
    )
    return await _complete(sessions, gateway, shop, row, fresh=fresh)


async def resume_code(
    sessions: async_sessionmaker[AsyncSession],
    gateway: DiscountGateway,
    shop: ShopRef,
    code_id: int,
) -> IssuedCode:
    """Finish a code left `creating` (a crash or a failure after the reservation)."""
    async with sessions() as session:
        row = await session.scalar(
            select(DiscountCode).where(DiscountCode.shop_id == shop.id, DiscountCode.id == code_id)
        )
    if row is None:
        raise LookupError(f"no discount code {code_id} for shop {shop.id}")
    return await _complete(sessions, gateway, shop, row, fresh=False)


async def _complete(
    sessions: async_sessionmaker[AsyncSession],
    gateway: DiscountGateway,
    shop: ShopRef,
    row: DiscountCode,
    *,
    fresh: bool,
) -> IssuedCode:
    if row.status == DiscountCodeStatus.ACTIVE and row.shopify_id:
        return IssuedCode(row.code, row.shopify_id, row.ends_at, created_now=False)
    if row.status == DiscountCodeStatus.FAILED:
        raise ShopifyUserErrors(
            Text(
                en=f"Shopify refused the discount code for {row.idempotency_key}: "
                f"{row.last_error}. Check the offer's settings (value, minimum, dates).",
                fr=f"Shopify a refusé le code de réduction pour {row.idempotency_key} : "
                f"{row.last_error}. Vérifiez les réglages de l'offre (valeur, minimum, dates).",
            ),
            [("", None, row.last_error or "")],
        )
    await _count_attempt(sessions, row)
    # A fresh reservation cannot exist at Shopify yet; anything older might.
    discount_id = None if fresh else await gateway.find_discount_by_code(shop, row.code)
    if discount_id is None:
        outcome = await gateway.create_discount(shop, spec_for(row))
        if isinstance(outcome, CreatedDiscount):
            discount_id = outcome.discount_id
        elif outcome.code_taken:
            # Our own earlier attempt (or a racing worker) created it, perhaps a moment ago:
            # the lookup may not see it yet.
            discount_id = await find_soon(gateway, shop, row.code)
            if discount_id is None and row.attempts + 1 < TAKEN_UNFOUND_ATTEMPTS:
                # Kept `creating`: the next attempt (a retry, the stranded-code sweep) finds it.
                raise ShopifyUnavailable(
                    Text(
                        en=f"Shopify says discount code {row.code} exists but cannot find it "
                        "yet; the job will run again later.",
                        fr=f"Shopify indique que le code de réduction {row.code} existe mais ne "
                        "le trouve pas encore ; la tâche sera relancée plus tard.",
                    )
                )
        if discount_id is None:
            reason = "; ".join(outcome.messages) if not isinstance(outcome, CreatedDiscount) else ""
            await _mark_failed(sessions, row, reason or "code taken but not found")
            raise ShopifyUserErrors(
                Text(
                    en=f"Shopify refused the {row.purpose} discount: {reason}. Check the offer's "
                    "settings (value, minimum, dates).",
                    fr=f"Shopify a refusé la réduction {row.purpose} : {reason}. Vérifiez les "
                    "réglages de l'offre (valeur, minimum, dates).",
                ),
                [("", None, reason)],
            )
    async with sessions() as session, session.begin():
        await session.execute(
            update(DiscountCode)
            .where(
                DiscountCode.shop_id == row.shop_id,
                DiscountCode.id == row.id,
                DiscountCode.status == DiscountCodeStatus.CREATING,
            )
            .values(status=DiscountCodeStatus.ACTIVE, shopify_id=discount_id, last_error=None)
        )
    log.info("discount code issued", shop=shop.domain, purpose=row.purpose, code_id=row.id)
    return IssuedCode(row.code, discount_id, row.ends_at, created_now=True)


async def _count_attempt(sessions: async_sessionmaker[AsyncSession], row: DiscountCode) -> None:
    async with sessions() as session, session.begin():
        await session.execute(
            update(DiscountCode)
            .where(DiscountCode.shop_id == row.shop_id, DiscountCode.id == row.id)
            .values(attempts=DiscountCode.attempts + 1)
        )


async def _mark_failed(
    sessions: async_sessionmaker[AsyncSession], row: DiscountCode, reason: str
) -> None:
    async with sessions() as session, session.begin():
        await session.execute(
            update(DiscountCode)
            .where(
                DiscountCode.shop_id == row.shop_id,
                DiscountCode.id == row.id,
                DiscountCode.status == DiscountCodeStatus.CREATING,
            )
            .values(status=DiscountCodeStatus.FAILED, last_error=reason[:2000])
        )


@dataclass(frozen=True)
class PriorCode:
    """What an earlier attempt with an idempotency key handed out."""

    code: str
    ends_at: datetime | None
    # True: a pool code claimed for the key; False: a one-off code (resume it with issue_code).
    pooled: bool


async def issued_for_key(session: AsyncSession, shop_id: int, key: str) -> PriorCode | None:
    """The code an earlier attempt with `key` got, whichever path it took: a pool code claimed
    for it (in any of the shop's pools, retired ones included) or a one-off code. A step that
    crashed after getting its code and retries must hand out that code, not another."""
    pooled = (
        select(PoolCode.code, DiscountPool.ends_at, literal(True).label("pooled"))
        .join(
            PoolCode,
            (PoolCode.shop_id == DiscountPool.shop_id) & (PoolCode.pool_id == DiscountPool.id),
        )
        .where(DiscountPool.shop_id == shop_id, PoolCode.claimed_by == key)
    )
    one_off = select(DiscountCode.code, DiscountCode.ends_at, literal(False)).where(
        DiscountCode.shop_id == shop_id, DiscountCode.idempotency_key == key
    )
    found = (
        await session.execute(union_all(pooled, one_off).order_by(text("pooled DESC")).limit(1))
    ).first()
    if found is None:
        return None
    return PriorCode(code=str(found[0]), ends_at=found[1], pooled=bool(found[2]))


async def stranded_codes(
    session: AsyncSession, shop_id: int, *, older_than: timedelta, limit: int = 100
) -> list[int]:
    """Ids of codes still `creating` after `older_than`: the recovery job resumes them."""
    cutoff = datetime.now(UTC) - older_than
    result = await session.scalars(
        select(DiscountCode.id)
        .where(
            DiscountCode.shop_id == shop_id,
            DiscountCode.status == DiscountCodeStatus.CREATING,
            DiscountCode.created_at < cutoff,
        )
        .order_by(DiscountCode.id)
        .limit(limit)
    )
    return list(result)


async def record_redemptions(
    session: AsyncSession,
    shop_id: int,
    order_id: int,
    codes: list[tuple[str, Decimal]],
    *,
    redeemed_at: datetime | None = None,
) -> int:
    """Mark our codes used by order `order_id` (our orders.id) from an orders/* webhook's
    `discount_codes` (code, amount). Idempotent: a replay changes nothing. Returns how many
    of the codes were ours. Runs inside the caller's transaction."""
    when = redeemed_at or datetime.now(UTC)
    ours = 0
    for code, amount in codes:
        normalized = code.strip().upper()
        for model in (DiscountCode, PoolCode):
            result = await session.execute(
                update(model)
                .where(
                    model.shop_id == shop_id,
                    model.code == normalized,
                    model.redeemed_order_id.is_(None),
                )
                .values(redeemed_order_id=order_id, redeemed_at=when, redeemed_amount=amount)
                .returning(model.id)
            )
            if result.first() is not None:
                ours += 1
    return ours
