"""What the rest of Boomerang asks of the loyalty program: record the commerce facts that earn
or take back points, award points for other programs (reviews, referrals), let the merchant
adjust a balance, and read a customer's position. Callers own the transaction; nothing here
commits. `now` is passed in so a caller (and a test) decides what time it is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.i18n import Text
from app.loyalty import guests, redemptions, storefront, tiers
from app.loyalty.errors import CustomerNotFound, InvalidAdjustment
from app.loyalty.ledger import (
    SYSTEM,
    Movement,
    append,
    lock_account,
    merchant_actor,
    pending_at,
)
from app.loyalty.orders import (
    apply_edit,
    earn_for_order,
    earn_locked_order,
    lock_order,
    start_paid_order,
    take_back,
)
from app.loyalty.settings import (
    LoyaltySettings,
    load_settings,
    settings_from_stored,
    update_settings,
)
from app.models import Customer, LoyaltyAccount, Order, PointsLedgerEntry

__all__ = [
    "SYSTEM",
    "Balance",
    "LoyaltySettings",
    "adjust_points",
    "award_bonus",
    "award_signup_bonus",
    "balance_of",
    "credit_guest_points",
    "load_settings",
    "merchant_actor",
    "record_cancellation",
    "record_order_edit",
    "record_paid_order",
    "record_refund",
    "reevaluate_tiers",
    "update_settings",
]

MAX_ADJUSTMENT = 10_000_000


@dataclass(frozen=True)
class Balance:
    """A customer's position. `balance` is the ledger's sum (pending included) and may be
    negative after a clawback; `spendable` is what a redemption may use."""

    balance: int
    pending: int
    tier: str | None

    @property
    def spendable(self) -> int:
        return self.balance - self.pending


async def record_paid_order(
    session: AsyncSession,
    *,
    shop_id: int,
    order_id: int,
    customer_id: int | None,
    email: str | None,
    eligible_subtotal: Decimal,
    now: datetime,
    shopify_order_id: int | None = None,
) -> None:
    """A paid order earns its points once (replays and concurrent workers included): for its
    customer, or held by its email for a guest. `shopify_order_id` (Shopify's id of the
    order, when the caller has it) spares a read for the order's lock."""
    if customer_id is None:
        settings = await load_settings(session, shop_id)
        if email:
            await guests.hold(
                session,
                settings,
                shop_id=shop_id,
                order_id=order_id,
                email=email,
                eligible_subtotal=eligible_subtotal,
                now=now,
            )
            # A guest checkout with the email of a customer we already know: theirs at once.
            known = await guests.customer_with_email(session, shop_id, email)
            if known is not None:
                await credit_guest_points(
                    session, shop_id=shop_id, customer_id=known, email=email, now=now
                )
        return
    if shopify_order_id is not None:
        # The settings, the guest hold and the order's lock in one round trip.
        start = await start_paid_order(
            session, shop_id=shop_id, order_id=order_id, shopify_order_id=shopify_order_id
        )
        settings = settings_from_stored(start.stored_settings)
        # Held while it was a guest order: credited as held, at the rate of that day.
        if not (
            start.guest_hold
            and await guests.credit_order(
                session, shop_id=shop_id, order_id=order_id, customer_id=customer_id, now=now
            )
        ):
            await earn_locked_order(
                session,
                settings,
                shop_id=shop_id,
                order_id=order_id,
                customer_id=customer_id,
                eligible_subtotal=eligible_subtotal,
                now=now,
            )
        await _reevaluate_tier(session, settings, shop_id, customer_id, now)
        # Last: Shopify's copy of the account as this transaction leaves it, without a job.
        await storefront.write_after_commit(session, settings, shop_id, customer_id, now)
        return
    settings = await load_settings(session, shop_id)
    # Held while it was a guest order: credited as held, at the rate of that day.
    if not await guests.credit_order(
        session, shop_id=shop_id, order_id=order_id, customer_id=customer_id, now=now
    ):
        await earn_for_order(
            session,
            settings,
            shop_id=shop_id,
            order_id=order_id,
            customer_id=customer_id,
            eligible_subtotal=eligible_subtotal,
            now=now,
            shopify_order_id=shopify_order_id,
        )
    await _reevaluate_tier(session, settings, shop_id, customer_id, now)


async def record_refund(
    session: AsyncSession,
    *,
    shop_id: int,
    shopify_order_id: int,
    order_id: int | None,
    now: datetime,
) -> None:
    """A refund takes back its share of the order's original earn (nothing for shipping).
    `order_id` is None when the refund came before its order: under the order's lock, the
    order is looked for again (its first delivery may just have committed); if it is still
    unknown, its earn, when it comes, takes this refund back."""
    await lock_order(session, shop_id, shopify_order_id)
    if order_id is None:
        order_id = await session.scalar(
            select(Order.id).where(Order.shop_id == shop_id, Order.shopify_id == shopify_order_id)
        )
        if order_id is None:
            return
    await _take_back(session, shop_id=shop_id, order_id=order_id, now=now)
    await redemptions.return_rewards_of_order(session, shop_id=shop_id, order_id=order_id, now=now)


async def record_cancellation(
    session: AsyncSession, *, shop_id: int, order_id: int, now: datetime
) -> None:
    """A cancelled order gives back all the points it still holds, and the reward codes it
    used give their points back."""
    await _take_back(session, shop_id=shop_id, order_id=order_id, now=now)
    await redemptions.return_rewards_of_order(session, shop_id=shop_id, order_id=order_id, now=now)


async def record_order_edit(
    session: AsyncSession,
    *,
    shop_id: int,
    order_id: int,
    edit_id: int,
    added_subtotal: Decimal,
    now: datetime,
) -> None:
    """An order edit adds the points of the units it added, at the order's original rate
    (once per edit: a replay finds its entry)."""
    customer_id = await apply_edit(
        session,
        shop_id=shop_id,
        order_id=order_id,
        edit_id=edit_id,
        added_subtotal=added_subtotal,
        now=now,
    )
    if customer_id is not None:
        settings = await load_settings(session, shop_id)
        await _reevaluate_tier(session, settings, shop_id, customer_id, now)


async def _take_back(session: AsyncSession, *, shop_id: int, order_id: int, now: datetime) -> None:
    customer_id = await take_back(session, shop_id=shop_id, order_id=order_id, now=now)
    if customer_id is not None:
        # Points taken back may leave the tier's threshold (the points earned stay earned).
        settings = await load_settings(session, shop_id)
        await _reevaluate_tier(session, settings, shop_id, customer_id, now)


async def credit_guest_points(
    session: AsyncSession, *, shop_id: int, customer_id: int, email: str, now: datetime
) -> None:
    """A customer with this email exists: credit what their guest checkouts earned."""
    if await guests.credit_by_email(
        session, shop_id=shop_id, customer_id=customer_id, email=email, now=now
    ):
        settings = await load_settings(session, shop_id)
        await _reevaluate_tier(session, settings, shop_id, customer_id, now)


async def award_bonus(
    session: AsyncSession,
    *,
    shop_id: int,
    customer_id: int,
    points: int,
    source_type: str,
    source_id: str,
    now: datetime,
    note: str | None = None,
) -> int | None:
    """Points another program gives (a review, a photo review, a referral), once per source
    (`source_type` names the program's thing, `source_id` its id; `note` is free text kept
    as the entry's reason). The entry's id; None when the program is off or the source was
    already rewarded."""
    if points <= 0:
        raise ValueError("a bonus is a positive number of points")
    settings = await load_settings(session, shop_id)
    if not settings.enabled:
        return None
    await _require_customer(session, shop_id, customer_id)
    account = await lock_account(session, shop_id, customer_id)
    entry_id = await append(
        session,
        account,
        Movement(
            kind="bonus",
            delta=points,
            source_type=source_type,
            source_id=source_id,
            reason=note,
            available_at=now,
        ),
        now,
    )
    await tiers.reevaluate(session, settings, account, now)
    return entry_id


async def award_signup_bonus(
    session: AsyncSession, *, shop_id: int, customer_id: int, now: datetime
) -> int | None:
    """The sign-up bonus, once per customer, when the shop's rule is on."""
    settings = await load_settings(session, shop_id)
    if not (settings.enabled and settings.signup.enabled):
        return None
    return await award_bonus(
        session,
        shop_id=shop_id,
        customer_id=customer_id,
        points=settings.signup.points,
        source_type="signup",
        source_id=str(customer_id),
        now=now,
    )


async def adjust_points(
    session: AsyncSession,
    *,
    shop_id: int,
    customer_id: int,
    delta: int,
    reason: str,
    actor: str,
    key: str,
    now: datetime,
) -> int | None:
    """The merchant adds or removes points by hand, saying why. `key` identifies the request
    (the admin sends one per form submission), so a retried request adjusts once. The entry's
    id, or None when this key was already applied."""
    if not reason.strip():
        raise InvalidAdjustment(
            Text(
                en="Say why you adjust these points: the customer's history shows it.",
                fr="Indiquez pourquoi vous ajustez ces points : l'historique du client l'affiche.",
            ),
            field="reason",
        )
    if delta == 0 or abs(delta) > MAX_ADJUSTMENT:
        raise InvalidAdjustment(
            Text(
                en=f"Enter a whole number of points other than 0, between -{MAX_ADJUSTMENT:,} "
                f"(to remove) and {MAX_ADJUSTMENT:,} (to add).",
                fr=f"Saisissez un nombre entier de points différent de 0, entre "
                f"-{MAX_ADJUSTMENT:_} (pour retirer) et {MAX_ADJUSTMENT:_} (pour ajouter).".replace(
                    "_", "\u202f"
                ),
            ),
            field="points",
        )
    if not key or len(key) > 128:
        raise InvalidAdjustment(
            Text(
                en="key: send the adjustment's own identifier (1 to 128 characters)",
                fr="key : envoyez l'identifiant propre à cet ajustement (1 à 128 caractères)",
            ),
            field="key",
        )
    await _require_customer(session, shop_id, customer_id)
    account = await lock_account(session, shop_id, customer_id)
    return await append(
        session,
        account,
        Movement(
            kind="adjust",
            delta=delta,
            source_type="manual",
            source_id=key,
            reason=reason.strip(),
            actor=actor,
            available_at=now,
        ),
        now,
    )


async def balance_of(
    session: AsyncSession, *, shop_id: int, customer_id: int, now: datetime
) -> Balance:
    """The customer's balance, and the part still pending at `now` (read from the ledger,
    so points that matured since the last movement count as spendable)."""
    account = (
        await session.execute(
            select(LoyaltyAccount.balance, LoyaltyAccount.tier).where(
                LoyaltyAccount.shop_id == shop_id, LoyaltyAccount.customer_id == customer_id
            )
        )
    ).one_or_none()
    if account is None:
        return Balance(balance=0, pending=0, tier=None)
    pending = await session.scalar(
        select(func.coalesce(func.sum(PointsLedgerEntry.delta), 0)).where(
            PointsLedgerEntry.shop_id == shop_id,
            PointsLedgerEntry.customer_id == customer_id,
            pending_at(now),
        )
    )
    return Balance(balance=account.balance, pending=int(pending or 0), tier=account.tier)


async def reevaluate_tiers(
    session: AsyncSession,
    *,
    shop_id: int,
    now: datetime,
    after_customer_id: int = 0,
    limit: int = 500,
) -> int | None:
    """The periodic pass: re-evaluate the tier of up to `limit` of the shop's accounts (those
    after `after_customer_id`), so customers drop a tier when the window rolls past their
    earnings, with nothing taken back. The last customer id done, or None when the shop has no
    tiers or no accounts were left."""
    settings = await load_settings(session, shop_id)
    if not settings.enabled or not settings.tiers:
        return None
    customer_ids = list(
        await session.scalars(
            select(LoyaltyAccount.customer_id)
            .where(
                LoyaltyAccount.shop_id == shop_id,
                LoyaltyAccount.customer_id > after_customer_id,
            )
            .order_by(LoyaltyAccount.customer_id)
            .limit(limit)
        )
    )
    for customer_id in customer_ids:
        account = await lock_account(session, shop_id, customer_id)
        await tiers.reevaluate(session, settings, account, now)
    return customer_ids[-1] if customer_ids else None


async def _require_customer(session: AsyncSession, shop_id: int, customer_id: int) -> None:
    found = await session.scalar(
        select(Customer.id).where(Customer.shop_id == shop_id, Customer.id == customer_id)
    )
    if found is None:
        raise CustomerNotFound(
            Text(
                en=f"no customer {customer_id} in this shop",
                fr=f"aucun client {customer_id} dans cette boutique",
            )
        )


async def _reevaluate_tier(
    session: AsyncSession,
    settings: LoyaltySettings,
    shop_id: int,
    customer_id: int,
    now: datetime,
) -> None:
    if settings.tiers:
        account = await lock_account(session, shop_id, customer_id)
        await tiers.reevaluate(session, settings, account, now)
