"""Birthday points, once a year, from the date the customer gave. Shopify's Customer has no
birthday field; the shopper sets theirs through the storefront (`POST
/proxy/loyalty/birthday`, app/web/loyalty_proxy.py), kept on their loyalty account. It can be
set once: a date changed at will would be a birthday every week (the merchant can clear it).
The bonus is a `bonus` entry whose source is the year, so it is paid once per year whatever
runs twice. A 29 February birthday is celebrated on 28 February in other years."""

from __future__ import annotations

from calendar import isleap
from datetime import date, datetime

from sqlalchemy import extract, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.i18n import Text
from app.loyalty import service
from app.loyalty.errors import InvalidAdjustment
from app.loyalty.ledger import lock_account
from app.loyalty.settings import LoyaltySettings
from app.models import LoyaltyAccount

SOURCE = "birthday"
OLDEST = 120


class InvalidBirthday(InvalidAdjustment):
    """A birthday the program cannot take as sent."""


def birthdays_on(day: date) -> list[tuple[int, int]]:
    """The (month, day) pairs celebrated on `day`."""
    pairs = [(day.month, day.day)]
    if day.month == 2 and day.day == 28 and not isleap(day.year):
        pairs.append((2, 29))
    return pairs


async def set_birthday(
    session: AsyncSession, *, shop_id: int, customer_id: int, birth_date: date, today: date
) -> date:
    """Record the customer's birthday; the date kept (the first one given stays)."""
    if birth_date > today or birth_date.year < today.year - OLDEST:
        raise InvalidBirthday(
            Text(
                en="birth_date: send a date in the past, as YYYY-MM-DD",
                fr="birth_date : envoyez une date passée, au format AAAA-MM-JJ",
            ),
            field="birth_date",
        )
    account = await lock_account(session, shop_id, customer_id)
    current = await session.scalar(
        select(LoyaltyAccount.birth_date).where(LoyaltyAccount.id == account.id)
    )
    if current is not None and current != birth_date:
        raise InvalidBirthday(
            Text(
                en="your birthday is already recorded: ask the shop to change it",
                fr="votre date d'anniversaire est déjà enregistrée : demandez à la boutique de "
                "la modifier",
            ),
            field="birth_date",
        )
    await session.execute(
        update(LoyaltyAccount).where(LoyaltyAccount.id == account.id).values(birth_date=birth_date)
    )
    return birth_date


async def celebrants_page(
    session: AsyncSession,
    shop_id: int,
    today: date,
    *,
    after_customer_id: int = 0,
    limit: int = 500,
) -> list[int]:
    """Customers of the shop whose birthday is `today`, by id after `after_customer_id`."""
    account = LoyaltyAccount
    matches = [
        (extract("month", account.birth_date) == month) & (extract("day", account.birth_date) == d)
        for month, d in birthdays_on(today)
    ]
    condition = matches[0] if len(matches) == 1 else (matches[0] | matches[1])
    return list(
        await session.scalars(
            select(account.customer_id)
            .where(
                account.shop_id == shop_id,
                account.customer_id > after_customer_id,
                account.birth_date.is_not(None),
                condition,
            )
            .order_by(account.customer_id)
            .limit(limit)
        )
    )


async def award_birthday(
    session: AsyncSession,
    settings: LoyaltySettings,
    *,
    shop_id: int,
    customer_id: int,
    today: date,
    now: datetime,
) -> int | None:
    """This year's birthday points (None: the rule is off, or already paid this year)."""
    if not (settings.enabled and settings.birthday.enabled):
        return None
    return await service.award_bonus(
        session,
        shop_id=shop_id,
        customer_id=customer_id,
        points=settings.birthday.points,
        source_type=SOURCE,
        source_id=str(today.year),
        now=now,
    )
