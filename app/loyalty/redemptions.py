"""Spending points on a reward, as rows: the redemption and its `redeem` ledger entry are
written in ONE transaction (the caller's), under the customer's account lock, so concurrent
requests are served one at a time and none spends points another already spent. Nothing here
calls Shopify: app/loyalty/redeeming.py creates the code (idempotently, keyed by the
redemption's id) and settles the row as `issued`, or `returned` with the points given back.

A request carries its own key (`request_key`, e.g. the shopper's browser's id for one click),
so a retried request finds the same redemption instead of spending twice."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.i18n import Text
from app.loyalty import history
from app.loyalty.errors import (
    InvalidRedemption,
    NotEnoughPoints,
    RewardNotFound,
    RewardUnavailable,
)
from app.loyalty.jobs import complete_job
from app.loyalty.ledger import Movement, append, lock_account, pending_at
from app.loyalty.orders import refunded_subtotal
from app.loyalty.settings import Reward, load_settings
from app.models import Customer, LoyaltyRedemption, Order, PointsLedgerEntry, Refund
from app.models.discount_codes import DiscountCode
from app.queue.deferred import defer

PENDING = "pending"
ISSUED = "issued"
RETURNED = "returned"
# Why points came back (LoyaltyRedemption.return_reason).
REFUSED_BY_SHOPIFY = "refused_by_shopify"
ORDER_REFUNDED = "order_refunded"
CREDIT_REFUSED = "credit_refused"
CREDIT_NOT_GRANTED = "credit_not_granted"
# The ledger's reason for a redemption's debit (which reward: the redemption row says).
REWARD_REDEEMED = "reward_redeemed"
REASONS: dict[str, Text] = {
    REWARD_REDEEMED: Text(
        en="Points spent on a reward", fr="Points échangés contre une récompense"
    ),
    REFUSED_BY_SHOPIFY: Text(
        en="Points returned: Shopify refused the reward's code",
        fr="Points rendus : Shopify a refusé le code de la récompense",
    ),
    ORDER_REFUNDED: Text(
        en="Points returned: the order that used the reward was cancelled or refunded",
        fr="Points rendus : la commande qui utilisait la récompense a été annulée ou remboursée",
    ),
    CREDIT_REFUSED: Text(
        en="Points returned: Shopify refused the store credit",
        fr="Points rendus : Shopify a refusé le crédit boutique",
    ),
    CREDIT_NOT_GRANTED: Text(
        en="Points returned: the shop has not granted Boomerang store credit access",
        fr="Points rendus : la boutique n'a pas autorisé Boomerang à accorder du crédit boutique",
    ),
}
# The ledger's source for a redemption's debit, and for points it gave back.
DEBIT_SOURCE = "redemption"
RETURN_SOURCE = "redemption_return"


def code_key(redemption_id: int) -> str:
    """The codes service's idempotency key for the redemption's code: created with the row,
    so every attempt (inline, job, sweeper) asks Shopify for the same code."""
    return f"loyalty-redemption:{redemption_id}"


@dataclass(frozen=True)
class Redemption:
    id: int
    shop_id: int
    customer_id: int
    customer_shopify_id: int
    customer_email: str | None
    reward_key: str
    reward: Reward
    cost: int
    status: str
    code: str | None
    # False when the request key had been seen (a retried request).
    created_now: bool = False
    # Store credit rewards: when Shopify was first asked, and the credit transaction it made.
    credit_requested_at: datetime | None = None
    store_credit_transaction_id: str | None = None


def _view(row: LoyaltyRedemption, customer: Customer, *, created_now: bool) -> Redemption:
    return Redemption(
        id=row.id,
        shop_id=row.shop_id,
        customer_id=row.customer_id,
        customer_shopify_id=customer.shopify_id,
        customer_email=customer.email,
        reward_key=row.reward_key,
        # Stored as JSON: strict settings read it back as JSON.
        reward=Reward.model_validate_json(json.dumps(row.reward)),
        cost=row.cost,
        status=row.status,
        code=row.code,
        created_now=created_now,
        credit_requested_at=row.credit_requested_at,
        store_credit_transaction_id=row.store_credit_transaction_id,
    )


async def _customer(session: AsyncSession, shop_id: int, customer_id: int) -> Customer:
    customer = await session.scalar(
        select(Customer).where(Customer.shop_id == shop_id, Customer.id == customer_id)
    )
    if customer is None or customer.redacted_at is not None:
        raise RewardUnavailable(
            Text(
                en="this customer cannot redeem points: the shop no longer holds their account",
                fr="ce client ne peut pas utiliser de points : la boutique n'a plus son compte",
            )
        )
    return customer


async def _spendable(session: AsyncSession, shop_id: int, customer_id: int, now: datetime) -> int:
    """The ledger's sum minus what is not yet spendable at `now`, read under the account's
    lock (so no other redemption of this customer can move it before this one commits)."""
    ledger = PointsLedgerEntry
    row = (
        await session.execute(
            select(
                func.coalesce(func.sum(ledger.delta), 0),
                func.coalesce(func.sum(ledger.delta).filter(pending_at(now)), 0),
            ).where(ledger.shop_id == shop_id, ledger.customer_id == customer_id)
        )
    ).one()
    return int(row[0]) - int(row[1])


async def start_redemption(
    session: AsyncSession,
    *,
    shop_id: int,
    customer_id: int,
    reward_key: str,
    request_key: str,
    now: datetime,
) -> Redemption:
    """Debit the reward's cost and record the redemption `pending`, in the caller's
    transaction; its completion (the code at Shopify) is deferred to the commit. The same
    `request_key` again returns the redemption it made, spending nothing more. Raises
    NotEnoughPoints, RewardNotFound, RewardUnavailable, InvalidRedemption."""
    if not request_key or len(request_key) > 128:
        raise InvalidRedemption(
            Text(
                en="key: send the redemption request's own identifier (1 to 128 characters)",
                fr="key : envoyez l'identifiant propre à cette demande d'utilisation de points "
                "(1 à 128 caractères)",
            )
        )
    customer = await _customer(session, shop_id, customer_id)
    account = await lock_account(session, shop_id, customer_id)
    seen = await session.scalar(
        select(LoyaltyRedemption).where(
            LoyaltyRedemption.shop_id == shop_id,
            LoyaltyRedemption.customer_id == customer_id,
            LoyaltyRedemption.request_key == request_key,
        )
    )
    if seen is not None:
        return _view(seen, customer, created_now=False)
    settings = await load_settings(session, shop_id)
    reward = settings.reward(reward_key)
    if reward is None:
        raise RewardNotFound(
            Text(
                en=f"the rewards catalogue has no reward {reward_key!r}",
                fr=f"le catalogue des récompenses n'a pas de récompense {reward_key!r}",
            )
        )
    if not settings.enabled:
        raise RewardUnavailable(
            Text(
                en="the loyalty program is off: no reward can be redeemed",
                fr="le programme de fidélité est désactivé : aucune récompense ne peut être "
                "obtenue",
            )
        )
    if reward.kind == "store_credit" and not settings.store_credit_enabled:
        raise RewardUnavailable(
            Text(
                en="store credit rewards are turned off in this shop: choose another reward",
                fr="les récompenses en crédit boutique sont désactivées dans cette boutique : "
                "choisissez une autre récompense",
            )
        )
    spendable = await _spendable(session, shop_id, customer_id, now)
    if spendable < reward.cost:
        raise NotEnoughPoints(
            Text(
                en=f"this reward costs {reward.cost} points; {max(spendable, 0)} are spendable now",
                fr=f"cette récompense coûte {reward.cost} points ; {max(spendable, 0)} sont "
                "utilisables maintenant",
            )
        )
    snapshot: dict[str, Any] = reward.model_dump(mode="json")
    redemption_id = await session.scalar(
        insert(LoyaltyRedemption)
        .values(
            shop_id=shop_id,
            customer_id=customer_id,
            request_key=request_key,
            reward_key=reward.key,
            reward=snapshot,
            cost=reward.cost,
            status=PENDING,
            attempts=0,
        )
        .returning(LoyaltyRedemption.id)
    )
    if redemption_id is None:  # pragma: no cover - an INSERT without conflict returns its id
        raise RuntimeError("redemption not written")
    await append(
        session,
        account,
        Movement(
            kind="redeem",
            delta=-reward.cost,
            source_type=DEBIT_SOURCE,
            source_id=str(redemption_id),
            reason=REWARD_REDEEMED,
            available_at=now,
        ),
        now,
    )
    defer(session, complete_job(shop_id, redemption_id))
    return Redemption(
        id=redemption_id,
        shop_id=shop_id,
        customer_id=customer_id,
        customer_shopify_id=customer.shopify_id,
        customer_email=customer.email,
        reward_key=reward.key,
        reward=reward,
        cost=reward.cost,
        status=PENDING,
        code=None,
        created_now=True,
    )


async def load(session: AsyncSession, shop_id: int, redemption_id: int) -> Redemption | None:
    row = await session.scalar(
        select(LoyaltyRedemption).where(
            LoyaltyRedemption.shop_id == shop_id, LoyaltyRedemption.id == redemption_id
        )
    )
    if row is None:
        return None
    customer = await session.scalar(
        select(Customer).where(Customer.shop_id == shop_id, Customer.id == row.customer_id)
    )
    if customer is None:  # pragma: no cover - the foreign key keeps the customer
        return None
    return _view(row, customer, created_now=False)


async def count_attempt(session: AsyncSession, redemption_id: int, error: str | None) -> None:
    await session.execute(
        update(LoyaltyRedemption)
        .where(LoyaltyRedemption.id == redemption_id)
        .values(attempts=LoyaltyRedemption.attempts + 1, last_error=error)
    )


async def mark_issued(
    session: AsyncSession,
    *,
    shop_id: int,
    redemption_id: int,
    code: str,
    discount_code_id: int | None,
    now: datetime,
) -> bool:
    """Pending -> issued; False when it was settled already (another attempt did it)."""
    return await _settle_issued(
        session,
        shop_id=shop_id,
        redemption_id=redemption_id,
        now=now,
        code=code,
        discount_code_id=discount_code_id,
    )


async def _settle_issued(
    session: AsyncSession,
    *,
    shop_id: int,
    redemption_id: int,
    now: datetime,
    code: str | None = None,
    discount_code_id: int | None = None,
    store_credit_transaction_id: str | None = None,
) -> bool:
    """Pending -> issued with what paid the reward (a code or a store credit transaction),
    and the reward recorded on the customer's timeline; False when it was settled already."""
    paid_with: dict[str, Any] = (
        {"code": code, "discount_code_id": discount_code_id}
        if store_credit_transaction_id is None
        else {"store_credit_transaction_id": store_credit_transaction_id}
    )
    result = await session.execute(
        update(LoyaltyRedemption)
        .where(
            LoyaltyRedemption.shop_id == shop_id,
            LoyaltyRedemption.id == redemption_id,
            LoyaltyRedemption.status == PENDING,
        )
        .values(status=ISSUED, issued_at=now, last_error=None, **paid_with)
        .returning(LoyaltyRedemption.customer_id, LoyaltyRedemption.reward_key)
    )
    row = result.first()
    if row is None:
        return False
    await history.reward_given(
        session,
        shop_id=shop_id,
        customer_id=int(row.customer_id),
        redemption_id=redemption_id,
        reward_key=row.reward_key,
        at=now,
        code=code,
        store_credit_transaction_id=store_credit_transaction_id,
    )
    return True


async def note_credit_request(
    session: AsyncSession, *, shop_id: int, redemption_id: int, now: datetime
) -> None:
    """Shopify is about to be asked for the redemption's store credit: from now on an attempt
    first looks for a credit an earlier one made (app/loyalty/store_credit.py). The first
    request's time is kept."""
    await session.execute(
        update(LoyaltyRedemption)
        .where(
            LoyaltyRedemption.shop_id == shop_id,
            LoyaltyRedemption.id == redemption_id,
            LoyaltyRedemption.credit_requested_at.is_(None),
        )
        .values(credit_requested_at=now)
    )


async def mark_credited(
    session: AsyncSession,
    *,
    shop_id: int,
    redemption_id: int,
    transaction_id: str,
    now: datetime,
) -> bool:
    """Pending -> issued, paid by Shopify's credit transaction; False when it was settled
    already."""
    return await _settle_issued(
        session,
        shop_id=shop_id,
        redemption_id=redemption_id,
        now=now,
        store_credit_transaction_id=transaction_id,
    )


async def claimed_credits(
    session: AsyncSession, shop_id: int, transaction_ids: list[str]
) -> set[str]:
    """Which of these credit transactions already pay a redemption of the shop."""
    if not transaction_ids:
        return set()
    found = await session.scalars(
        select(LoyaltyRedemption.store_credit_transaction_id).where(
            LoyaltyRedemption.shop_id == shop_id,
            LoyaltyRedemption.store_credit_transaction_id.in_(transaction_ids),
        )
    )
    return {value for value in found if value is not None}


async def give_back(
    session: AsyncSession,
    *,
    shop_id: int,
    redemption_id: int,
    from_status: str,
    reason: str,
    now: datetime,
    error: str | None = None,
) -> bool:
    """Settle the redemption `returned` and credit its cost back (an `adjust` entry keyed by
    the redemption, so it is given back once). Only from `from_status`: False when the
    redemption is in another state (settled meanwhile)."""
    row = (
        await session.execute(
            update(LoyaltyRedemption)
            .where(
                LoyaltyRedemption.shop_id == shop_id,
                LoyaltyRedemption.id == redemption_id,
                LoyaltyRedemption.status == from_status,
            )
            .values(
                status=RETURNED,
                returned_at=now,
                return_reason=reason,
                last_error=error[:2000] if error else None,
            )
            .returning(LoyaltyRedemption.customer_id, LoyaltyRedemption.cost)
        )
    ).first()
    if row is None:
        return False
    await history.reward_returned(
        session,
        shop_id=shop_id,
        customer_id=int(row.customer_id),
        redemption_id=redemption_id,
        reason=reason,
        at=now,
    )
    account = await lock_account(session, shop_id, int(row.customer_id))
    await append(
        session,
        account,
        Movement(
            kind="adjust",
            delta=int(row.cost),
            source_type=RETURN_SOURCE,
            source_id=str(redemption_id),
            reason=reason,
            available_at=now,
        ),
        now,
    )
    return True


@dataclass(frozen=True)
class RedemptionLine:
    """A redemption as the customer's admin page lists it."""

    id: int
    reward_key: str
    kind: str
    value: Decimal
    cost: int
    status: str
    code: str | None
    store_credit_transaction_id: str | None
    return_reason: str | None
    created_at: datetime


async def of_customer(
    session: AsyncSession, shop_id: int, customer_id: int, *, limit: int = 50
) -> list[RedemptionLine]:
    """The customer's redemptions, newest first."""
    rows = await session.scalars(
        select(LoyaltyRedemption)
        .where(LoyaltyRedemption.shop_id == shop_id, LoyaltyRedemption.customer_id == customer_id)
        .order_by(LoyaltyRedemption.id.desc())
        .limit(limit)
    )
    return [
        RedemptionLine(
            id=row.id,
            reward_key=row.reward_key,
            kind=str(row.reward.get("kind", "")),
            value=Decimal(str(row.reward.get("value", "0"))),
            cost=row.cost,
            status=row.status,
            code=row.code,
            store_credit_transaction_id=row.store_credit_transaction_id,
            return_reason=row.return_reason,
            created_at=row.created_at,
        )
        for row in rows
    ]


async def stale_pending(
    session: AsyncSession, *, older_than: timedelta, now: datetime, limit: int = 100
) -> list[tuple[int, int]]:
    """(shop, redemption) of redemptions still pending after `older_than`: their completion
    job was lost (Redis down) or keeps failing; the sweeper completes them."""
    rows = await session.execute(
        select(LoyaltyRedemption.shop_id, LoyaltyRedemption.id)
        .where(
            LoyaltyRedemption.status == PENDING,
            LoyaltyRedemption.created_at < now - older_than,
        )
        .order_by(LoyaltyRedemption.created_at)
        .limit(limit)
    )
    return [(int(shop_id), int(rid)) for shop_id, rid in rows.all()]


def offer_value(reward: Reward) -> Decimal | None:
    """The codes service's value: a fraction for a percentage (10 -> 0.1), the amount for a
    fixed amount, nothing for free shipping."""
    if reward.kind == "percentage":
        return reward.value / Decimal(100)
    if reward.kind == "fixed_amount":
        return reward.value
    return None


async def return_rewards_of_order(
    session: AsyncSession, *, shop_id: int, order_id: int, now: datetime
) -> int:
    """The reward codes an order used give their points back once the order is cancelled or
    refunded in full: Shopify counts a single-use code as used even on a refunded order, so
    the customer got nothing for those points. A partial refund returns nothing. Once per
    redemption (issued -> returned). Returns how many came back.

    Store credit is not a code, and its points never come back here, decided so: store
    credit spent on an order is one of its payments, and Shopify reverts that debit when the
    order is cancelled or refunded (a `StoreCreditAccountDebitRevertTransaction` puts the
    amount back on the customer's store credit account). Points returned as well would pay
    the reward twice; credit never spent is still the customer's, with nothing owed."""
    order = (
        await session.execute(
            select(Order.shopify_id, Order.cancelled_at, Order.subtotal_price).where(
                Order.shop_id == shop_id, Order.id == order_id
            )
        )
    ).one_or_none()
    if order is None:
        return 0
    used = list(
        await session.scalars(
            select(LoyaltyRedemption.id)
            .join(
                DiscountCode,
                (DiscountCode.shop_id == LoyaltyRedemption.shop_id)
                & (DiscountCode.id == LoyaltyRedemption.discount_code_id),
            )
            .where(
                LoyaltyRedemption.shop_id == shop_id,
                LoyaltyRedemption.status == ISSUED,
                DiscountCode.redeemed_order_id == order_id,
            )
            .order_by(LoyaltyRedemption.id)
        )
    )
    if not used:
        return 0
    if order.cancelled_at is None:
        refunds = await session.scalars(
            select(Refund.line_items).where(
                Refund.shop_id == shop_id, Refund.order_shopify_id == order.shopify_id
            )
        )
        refunded = sum((refunded_subtotal(lines) for lines in refunds), Decimal(0))
        if order.subtotal_price is None or refunded <= 0 or refunded < order.subtotal_price:
            return 0
    returned = 0
    for redemption_id in used:
        if await give_back(
            session,
            shop_id=shop_id,
            redemption_id=redemption_id,
            from_status=ISSUED,
            reason=ORDER_REFUNDED,
            now=now,
        ):
            returned += 1
    return returned
