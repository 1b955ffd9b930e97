"""One customer as the merchant reads them: who they are, their orders, every message with
its opens and clicks (people's apart from machines'), their running sequences, and where they
stand in the loyalty and referral programs. Every read names the shop first: a customer of
another shop is not found."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import (
    Customer,
    LoyaltyAccount,
    Message,
    MessageEvent,
    Order,
    Referral,
    ReferralCode,
    ScenarioRun,
)

# How much of a long history the page shows (newest first).
ORDERS_SHOWN = 50
MESSAGES_SHOWN = 100

# A run whose subject is an order (the review request's) names it so.
_ORDER_SUBJECT = "order:"


@dataclass
class Engagement:
    """Opens and clicks of one message: people's apart from machines' (privacy proxies, link
    scanners), and when a person first opened and first clicked."""

    opens: int = 0
    machine_opens: int = 0
    clicks: int = 0
    machine_clicks: int = 0
    first_opened_at: datetime | None = None
    first_clicked_at: datetime | None = None
    clicked_urls: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class MessageSummary:
    message: Message
    engagement: Engagement


@dataclass(frozen=True)
class LoyaltyStanding:
    balance: int
    pending: int
    tier: str | None


@dataclass(frozen=True)
class ReferralStanding:
    code: str | None
    visits: int
    # The advocate's referred orders by status (pending, qualified, rewarded…).
    referrals: dict[str, int]


@dataclass(frozen=True)
class CustomerProfile:
    customer: Customer
    orders: list[Order]
    messages: list[MessageSummary]
    open_runs: list[ScenarioRun]
    loyalty: LoyaltyStanding | None
    referrals: ReferralStanding | None


async def load(session: AsyncSession, shop_id: int, customer_id: int) -> CustomerProfile | None:
    customer = await session.scalar(
        select(Customer).where(Customer.shop_id == shop_id, Customer.id == customer_id)
    )
    if customer is None:
        return None
    orders = list(
        await session.scalars(
            select(Order)
            .where(Order.shop_id == shop_id, Order.customer_id == customer_id)
            .order_by(Order.placed_at.desc().nulls_last(), Order.id.desc())
            .limit(ORDERS_SHOWN)
        )
    )
    messages = list(
        await session.scalars(
            select(Message)
            .where(Message.shop_id == shop_id, Message.customer_id == customer_id)
            .order_by(Message.id.desc())
            .limit(MESSAGES_SHOWN)
        )
    )
    engagement = await _engagement(session, shop_id, [m.id for m in messages])
    open_runs = list(
        await session.scalars(
            select(ScenarioRun)
            .where(
                ScenarioRun.shop_id == shop_id,
                ScenarioRun.customer_id == customer_id,
                ScenarioRun.status == "active",
            )
            .order_by(ScenarioRun.next_step_at)
        )
    )
    return CustomerProfile(
        customer=customer,
        orders=orders,
        messages=[MessageSummary(m, engagement.get(m.id, Engagement())) for m in messages],
        open_runs=open_runs,
        loyalty=await _loyalty(session, shop_id, customer_id),
        referrals=await _referrals(session, shop_id, customer_id),
    )


async def _engagement(
    session: AsyncSession, shop_id: int, message_ids: list[int]
) -> dict[int, Engagement]:
    if not message_ids:
        return {}
    rows = await session.execute(
        select(
            MessageEvent.message_id,
            MessageEvent.kind,
            MessageEvent.human,
            MessageEvent.occurred_at,
            MessageEvent.url,
        )
        .where(
            MessageEvent.shop_id == shop_id,
            MessageEvent.message_id.in_(message_ids),
            MessageEvent.kind.in_(("open", "click")),
        )
        .order_by(MessageEvent.occurred_at)
    )
    found: dict[int, Engagement] = defaultdict(Engagement)
    for message_id, kind, human, occurred_at, url in rows.all():
        e = found[message_id]
        if kind == "open":
            if human:
                e.opens += 1
                e.first_opened_at = e.first_opened_at or occurred_at
            else:
                e.machine_opens += 1
        elif human:
            e.clicks += 1
            e.first_clicked_at = e.first_clicked_at or occurred_at
            if url and url not in e.clicked_urls:
                e.clicked_urls.append(url)
        else:
            e.machine_clicks += 1
    return found


async def _loyalty(session: AsyncSession, shop_id: int, customer_id: int) -> LoyaltyStanding | None:
    account = await session.scalar(
        select(LoyaltyAccount).where(
            LoyaltyAccount.shop_id == shop_id, LoyaltyAccount.customer_id == customer_id
        )
    )
    if account is None:
        return None
    return LoyaltyStanding(balance=account.balance, pending=account.pending, tier=account.tier)


async def _referrals(
    session: AsyncSession, shop_id: int, customer_id: int
) -> ReferralStanding | None:
    code = await session.scalar(
        select(ReferralCode).where(
            ReferralCode.shop_id == shop_id, ReferralCode.customer_id == customer_id
        )
    )
    counts = dict(
        (
            await session.execute(
                select(Referral.status, func.count())
                .where(Referral.shop_id == shop_id, Referral.referrer_id == customer_id)
                .group_by(Referral.status)
            )
        ).all()
    )
    if code is None and not counts:
        return None
    return ReferralStanding(
        code=code.code if code else None,
        visits=code.visits if code else 0,
        referrals={status: int(n) for status, n in counts.items()},
    )


def order_id_of_subject(subject_key: str) -> int | None:
    """The order a run is about, when its subject is one (`order:{id}`)."""
    if subject_key.startswith(_ORDER_SUBJECT) and subject_key[len(_ORDER_SUBJECT) :].isdigit():
        return int(subject_key[len(_ORDER_SUBJECT) :])
    return None


async def order_names_of_runs(
    session: AsyncSession, shop_id: int, run_ids: Iterable[int]
) -> dict[int, str]:
    """The order number (`#1001`) of each run that is about an order, by run id: the timeline
    names the order a review request asked about."""
    ids = sorted(set(run_ids))
    if not ids:
        return {}
    runs = (
        await session.execute(
            select(ScenarioRun.id, ScenarioRun.subject_key).where(
                ScenarioRun.shop_id == shop_id, ScenarioRun.id.in_(ids)
            )
        )
    ).all()
    order_of_run = {
        run_id: order_id
        for run_id, subject in runs
        if (order_id := order_id_of_subject(subject)) is not None
    }
    if not order_of_run:
        return {}
    names = dict(
        (
            await session.execute(
                select(Order.id, Order.name).where(
                    Order.shop_id == shop_id, Order.id.in_(set(order_of_run.values()))
                )
            )
        ).all()
    )
    return {
        run_id: name for run_id, order_id in order_of_run.items() if (name := names.get(order_id))
    }
