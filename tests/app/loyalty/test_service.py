"""The service API other programs and the admin call: manual adjustments (a reason required,
once per key), bonuses once per source, the sign-up bonus, settings refused with reasons in
English and French, and no reach into another shop's customers."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.loyalty import service
from app.loyalty.errors import CustomerNotFound, InvalidAdjustment
from app.models import Customer
from app.scenarios.config import InvalidSettings
from tests.app.loyalty.conftest import configure, now, position
from tests.support.shops import create_shop

SHOPIFY_CUSTOMER = 7_000_001


async def add_customer(sessions: async_sessionmaker[AsyncSession], shop_id: int) -> int:
    async with sessions.begin() as session:
        customer = Customer(shop_id=shop_id, shopify_id=SHOPIFY_CUSTOMER, email="lin@example.com")
        session.add(customer)
        await session.flush()
        return customer.id


async def test_a_manual_adjustment_needs_a_reason_and_applies_once_per_key(
    sessions: async_sessionmaker[AsyncSession], program: int
) -> None:
    customer = await add_customer(sessions, program)
    async with sessions.begin() as session:
        with pytest.raises(InvalidAdjustment) as refused:
            await service.adjust_points(
                session,
                shop_id=program,
                customer_id=customer,
                delta=50,
                reason="  ",
                actor=service.merchant_actor(7),
                key="k1",
                now=now(),
            )
    assert refused.value.text.en.startswith("Say why you adjust")
    assert refused.value.field == "reason"
    assert refused.value.text.fr.startswith("Indiquez pourquoi")
    for _ in range(2):
        async with sessions.begin() as session:
            await service.adjust_points(
                session,
                shop_id=program,
                customer_id=customer,
                delta=50,
                reason="goodwill after a late delivery",
                actor=service.merchant_actor(7),
                key="k1",
                now=now(),
            )
    found = await position(sessions, program, SHOPIFY_CUSTOMER)
    assert found.entries == [("adjust", "manual", 50)]
    assert found.cached_balance == 50


async def test_a_bonus_is_awarded_once_per_source(
    sessions: async_sessionmaker[AsyncSession], program: int
) -> None:
    customer = await add_customer(sessions, program)
    for _ in range(2):
        async with sessions.begin() as session:
            await service.award_bonus(
                session,
                shop_id=program,
                customer_id=customer,
                points=25,
                source_type="review",
                source_id="r-1",
                note="photo review",
                now=now(),
            )
    await configure(sessions, program, signup={"enabled": True, "points": 100})
    for _ in range(2):
        async with sessions.begin() as session:
            await service.award_signup_bonus(
                session, shop_id=program, customer_id=customer, now=now()
            )
    found = await position(sessions, program, SHOPIFY_CUSTOMER)
    assert found.entries == [("bonus", "review", 25), ("bonus", "signup", 100)]
    assert found.cached_balance == 125


async def test_another_shops_customer_cannot_be_credited(
    sessions: async_sessionmaker[AsyncSession], program: int
) -> None:
    other = (await create_shop(sessions, domain="other.myshopify.com")).id
    theirs = await add_customer(sessions, other)
    async with sessions.begin() as session:
        with pytest.raises(CustomerNotFound):
            await service.adjust_points(
                session,
                shop_id=program,
                customer_id=theirs,
                delta=10,
                reason="typo",
                actor=service.merchant_actor(7),
                key="x",
                now=now(),
            )


async def test_settings_are_refused_field_by_field_in_english_and_french(
    sessions: async_sessionmaker[AsyncSession], shop: int
) -> None:
    tiers = [
        {"key": "gold", "name_en": "Gold", "name_fr": "Or", "threshold": "1000"},
        {"key": "silver", "name_en": "Silver", "name_fr": "Argent", "threshold": "500"},
    ]
    async with sessions.begin() as session:
        with pytest.raises(InvalidSettings) as refused:
            await service.update_settings(
                session, shop, {"tiers": tiers, "pending_days": 400, "per_currency": {"x": 1}}
            )
    fields = {problem.field for problem in refused.value.problems}
    assert {"pending_days", "per_currency.x"} <= fields
    async with sessions.begin() as session:
        with pytest.raises(InvalidSettings) as refused:
            await service.update_settings(session, shop, {"tiers": tiers})
    [problem] = refused.value.problems
    assert problem.field == "tiers"
    assert "lowest threshold" in problem.what.en
    assert "seuil le plus bas" in problem.what.fr
