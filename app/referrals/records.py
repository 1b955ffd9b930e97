"""What the commerce facts do to referrals, in the fact's own transaction: an order that used
an advocate's code records one referral (pending, or flagged with its evidence), a refund or a
cancellation during the hold period voids it, and a customer's first paid order (or sign-up,
per setting) asks for their own code."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy import text as sql
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.prepared import Prepared, begun_driver
from app.models import Customer, Order, Referral, ReferralCode
from app.queue.deferred import defer
from app.referrals import fraud
from app.referrals.content import CANCELLED, REFUNDED
from app.referrals.jobs import issue_job
from app.referrals.settings import KEY, ReferralSettings, load_settings, settings_from_stored
from app.scenarios.modes import Mode

PENDING = "pending"
FLAGGED = "flagged"
QUALIFIED = "qualified"
REWARDED = "rewarded"
REJECTED = "rejected"
VOID = "void"
# Statuses a refund or a cancellation still voids (a reward given is not taken back).
OPEN = (PENDING, FLAGGED, QUALIFIED)

FIRST_PAID_ORDER = "first_paid_order"
SIGN_UP = "sign_up"
# Financial states of a paid order (Shopify's financial_status).
PAID_STATES = ("paid", "partially_refunded", "refunded")


async def request_code(
    session: AsyncSession, settings: ReferralSettings, shop_id: int, customer_id: int, because: str
) -> None:
    """Ask for the customer's personal code (after the commit), unless they have one or the
    program does not issue codes now (paused, or a dry run: no code is created)."""
    if settings.mode in (Mode.PAUSED, Mode.DRY_RUN) or settings.issue_on != because:
        return
    has = await session.scalar(
        select(ReferralCode.id).where(
            ReferralCode.shop_id == shop_id,
            ReferralCode.customer_id == customer_id,
            ReferralCode.code.is_not(None),
        )
    )
    if has is None:
        defer(session, issue_job(shop_id, customer_id, because))


# A paid order's referral work in ONE statement, compiled once and run on the transaction's
# driver (every paid order runs it, most with no referral): its referral, if it used an
# advocate's code, marked paid; the program's stored settings (`settings_store`'s row); and
# whether the customer has their own code (`request_code`'s read). No Referral is held by
# the session here (orders record theirs with a Core insert), so none goes stale.
_ON_PAID = Prepared(
    sql(
        """
WITH paid AS (
    UPDATE referrals SET paid_at = :now
    WHERE shop_id = :shop_id AND order_id = :order_id AND paid_at IS NULL
    RETURNING id
)
SELECT (SELECT count(*) FROM paid) AS paid,
       s.mode, s.transactional, CAST(s.options AS text) AS options,
       EXISTS (SELECT FROM referral_codes AS r
               WHERE r.shop_id = :shop_id AND r.customer_id = :customer_id
                 AND r.code IS NOT NULL) AS has_code
FROM (SELECT 1) AS one
LEFT JOIN scenario_settings AS s ON s.shop_id = :shop_id AND s.scenario = :scenario
"""
    )
)


async def on_paid(
    session: AsyncSession, *, shop_id: int, order_id: int, customer_id: int | None, now: datetime
) -> None:
    """The order's referral is paid; a customer's first paid order asks for their own code
    (as `request_code` does)."""
    await session.flush()  # what the session holds unwritten, as its own execute would
    row = await _ON_PAID.fetchrow(
        await begun_driver(session),
        now=now,
        shop_id=shop_id,
        order_id=order_id,
        customer_id=customer_id,
        scenario=KEY,
    )
    if row is None:  # pragma: no cover - a SELECT from one row returns one row
        raise RuntimeError("the paid order's referral statement returned no row")
    if customer_id is None or row["has_code"]:
        return
    stored: dict[str, Any] = {}
    if row["mode"] is not None:
        stored = {
            **json.loads(row["options"] or "{}"),
            "mode": row["mode"],
            "transactional": row["transactional"],
        }
    settings = settings_from_stored(stored)
    if settings.mode in (Mode.PAUSED, Mode.DRY_RUN) or settings.issue_on != FIRST_PAID_ORDER:
        return
    defer(session, issue_job(shop_id, customer_id, FIRST_PAID_ORDER))


async def void_open(session: AsyncSession, *, shop_id: int, order_id: int, reason: str) -> int:
    """A refund or cancellation before the reward: the referral will not qualify."""
    result = await session.execute(
        update(Referral)
        .where(
            Referral.shop_id == shop_id,
            Referral.order_id == order_id,
            Referral.status.in_(OPEN),
        )
        .values(status=VOID, reason=reason)
        .returning(Referral.id)
    )
    return len(result.all())


async def on_refund(session: AsyncSession, *, shop_id: int, order_id: int) -> int:
    return await void_open(session, shop_id=shop_id, order_id=order_id, reason=REFUNDED)


async def on_cancel(session: AsyncSession, *, shop_id: int, order_id: int) -> int:
    return await void_open(session, shop_id=shop_id, order_id=order_id, reason=CANCELLED)


def _phones(order_address: dict[str, Any] | None) -> tuple[str, ...]:
    phone = (order_address or {}).get("phone")
    return (str(phone),) if phone else ()


async def _referrer_party(session: AsyncSession, shop_id: int, referrer: Customer) -> fraud.Party:
    rows = (
        await session.execute(
            select(Order.email, Order.shipping_address, Order.browser_ip).where(
                Order.shop_id == shop_id, Order.customer_id == referrer.id
            )
        )
    ).all()
    emails = [referrer.email] if referrer.email else []
    emails += [r.email for r in rows if r.email]
    phones = [p for r in rows for p in _phones(r.shipping_address)]
    return fraud.Party(
        customer_id=referrer.id,
        emails=tuple(emails),
        phones=tuple(phones),
        addresses=tuple(r.shipping_address for r in rows if r.shipping_address),
        ips=tuple(r.browser_ip for r in rows if r.browser_ip),
    )


async def _earlier_orders(session: AsyncSession, order: Order) -> tuple[str, ...]:
    """The friend's other orders placed before this one (by customer or by email)."""
    who = []
    if order.customer_id is not None:
        who.append(Order.customer_id == order.customer_id)
    if order.email:
        who.append(func.lower(Order.email) == order.email.lower())
    if not who:
        return ()
    statement = select(Order.name, Order.shopify_id).where(
        Order.shop_id == order.shop_id, Order.id != order.id, or_(*who)
    )
    if order.placed_at is not None:
        statement = statement.where(
            or_(Order.placed_at.is_(None), Order.placed_at <= order.placed_at)
        )
    rows = (await session.execute(statement.order_by(Order.id).limit(10))).all()
    return tuple(r.name or str(r.shopify_id) for r in rows)


async def record_order(
    session: AsyncSession,
    *,
    shop_id: int,
    order_id: int,
    discount_codes: tuple[str, ...],
    now: datetime,
) -> int | None:
    """The referral of an order that used an advocate's code, recorded once however often the
    order is delivered; its id, or None when the order used no referral code."""
    codes = [c.strip().upper() for c in discount_codes if c and c.strip()]
    if not codes:
        return None
    code_row = await session.scalar(
        select(ReferralCode)
        .where(ReferralCode.shop_id == shop_id, ReferralCode.code.in_(codes))
        .order_by(ReferralCode.id)
        .limit(1)
    )
    if code_row is None or code_row.code is None:
        return None
    existing = await session.scalar(
        select(Referral.id).where(Referral.shop_id == shop_id, Referral.order_id == order_id)
    )
    if existing is not None:
        return existing
    order = await session.get(Order, order_id)
    referrer = await session.get(Customer, code_row.customer_id)
    if order is None or referrer is None:
        return None
    settings = await load_settings(session, shop_id)
    placed = order.placed_at or now
    friend_email = order.email
    if friend_email is None and order.customer_id is not None:
        friend = await session.get(Customer, order.customer_id)
        friend_email = friend.email if friend else None
    day_count = await session.scalar(
        select(func.count())
        .select_from(Referral)
        .where(
            Referral.shop_id == shop_id,
            Referral.referrer_id == referrer.id,
            Referral.created_at > now - timedelta(days=1),
        )
    )
    ip_count = 0
    if order.browser_ip:
        ip_count = int(
            await session.scalar(
                select(func.count())
                .select_from(Referral)
                .where(Referral.shop_id == shop_id, Referral.browser_ip == order.browser_ip)
            )
            or 0
        )
    evidence = fraud.evaluate(
        fraud.Party(
            customer_id=order.customer_id,
            emails=(friend_email,) if friend_email else (),
            phones=_phones(order.shipping_address),
            addresses=(order.shipping_address,) if order.shipping_address else (),
            ips=(order.browser_ip,) if order.browser_ip else (),
        ),
        await _referrer_party(session, shop_id, referrer),
        fraud.Counts(
            friend_earlier_orders=await _earlier_orders(session, order),
            referrals_by_referrer_in_day=int(day_count or 0) + 1,
            orders_from_ip=ip_count + 1,
            max_per_day=settings.max_referrals_per_day,
            max_per_ip=settings.max_orders_per_ip,
            ip=order.browser_ip,
        ),
    )
    paid = order.financial_status in PAID_STATES
    inserted = await session.scalar(
        insert(Referral)
        .values(
            shop_id=shop_id,
            referral_code_id=code_row.id,
            referrer_id=referrer.id,
            friend_id=order.customer_id,
            order_id=order.id,
            code=code_row.code,
            status=FLAGGED if evidence else PENDING,
            order_total=order.total_price,
            currency=order.currency,
            browser_ip=order.browser_ip,
            paid_at=now if paid else None,
            due_at=placed + timedelta(days=settings.hold_days),
            evidence=[e.as_dict() for e in evidence],
        )
        .on_conflict_do_nothing(index_elements=["shop_id", "order_id"])
        .returning(Referral.id)
    )
    if inserted is None:
        return await session.scalar(
            select(Referral.id).where(Referral.shop_id == shop_id, Referral.order_id == order_id)
        )
    return int(inserted)
