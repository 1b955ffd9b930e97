"""One code per idempotency key, created once at Shopify, whatever crashes or races."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.codes.gateway import CreatedDiscount, DiscountRejected
from app.codes.offers import CodePurpose, DiscountSpec, Recipient, ValueType
from app.codes.service import issue_code, resume_code
from app.errors import ShopifyUnavailable, ShopifyUserErrors, ShopTokenInvalid
from app.models import Shop
from app.models.discount_codes import DiscountCode, DiscountCodeStatus
from app.platform.resources import Resources
from app.shopify.admin.factory import discount_gateway
from app.shopify.admin.types import ShopRef
from devstore.server import Simulator
from jobs import codes as codes_jobs
from tests.app.shopify.test_tokens import SHOP, installed
from tests.codes.conftest import Harness, offer
from tests.support.worker import job_context


async def _issue(h: Harness, key: str, **kwargs: object) -> str:
    issued = await issue_code(
        h.sessions,
        h.gateway,
        h.shop,
        purpose=CodePurpose.CART_RECOVERY,
        idempotency_key=key,
        offer=kwargs.pop("offer", offer()),  # type: ignore[arg-type]
        recipient=kwargs.pop("recipient", Recipient(email="a@example.com")),  # type: ignore[arg-type]
        prefix="BACK",
    )
    return issued.code


async def test_code_is_created_with_the_offer_and_restricted_to_the_customer(
    harness: Harness,
) -> None:
    customer = harness.sim.add_customer(harness.shop.domain, "shopper@example.com")
    code = await _issue(
        harness, "cart:1", recipient=Recipient(customer_gid=customer.gid, email=None)
    )
    assert code.startswith("BACK-")
    assert len(code) == 15
    assert not set(code[5:]) & set("0O1IL")
    [discount] = harness.sim.discounts(harness.shop.domain)
    assert [c.code for c in discount.codes] == [code]
    assert discount.customer_ids == frozenset({customer.id})
    assert discount.usage_limit == 1
    assert discount.applies_once_per_customer
    assert discount.percentage == pytest.approx(0.1)
    assert discount.minimum_subtotal == Decimal("20")
    assert discount.combines_with["shippingDiscounts"] is True
    assert discount.ends_at is not None


async def test_same_key_gives_the_same_code_without_a_second_discount(harness: Harness) -> None:
    first = await _issue(harness, "loyalty:42")
    again = await _issue(harness, "loyalty:42")
    assert first == again
    assert harness.shopify_codes() == [first]


async def test_racing_workers_on_one_key_yield_one_code(harness: Harness) -> None:
    codes = await asyncio.gather(*(_issue(harness, "race:7") for _ in range(4)))
    assert len(set(codes)) == 1
    assert harness.shopify_codes() == [codes[0]]
    async with harness.sessions() as session:
        rows = await session.scalar(select(func.count()).select_from(DiscountCode))
    assert rows == 1


class CrashAfterCreate:
    """Shopify creates the discount, then the worker dies before recording it."""

    def __init__(self, inner: object) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    async def create_discount(
        self, shop: ShopRef, spec: DiscountSpec
    ) -> CreatedDiscount | DiscountRejected:
        await self.inner.create_discount(shop, spec)  # type: ignore[attr-defined]
        raise ConnectionResetError("worker killed after Shopify answered")


async def test_crash_after_shopify_created_recovers_the_same_code(harness: Harness) -> None:
    with pytest.raises(ConnectionResetError):
        await issue_code(
            harness.sessions,
            CrashAfterCreate(harness.gateway),  # type: ignore[arg-type]
            harness.shop,
            purpose=CodePurpose.REFERRAL_REWARD,
            idempotency_key="referral:9",
            offer=offer(),
            recipient=Recipient(email="friend@example.com"),
            prefix="FRIEND",
        )
    async with harness.sessions() as session:
        row = await session.scalar(select(DiscountCode))
    assert row is not None
    assert row.status == DiscountCodeStatus.CREATING
    [created] = harness.shopify_codes()
    assert created == row.code

    recovered = await resume_code(harness.sessions, harness.gateway, harness.shop, row.id)
    assert recovered.code == row.code
    assert harness.shopify_codes() == [row.code]
    assert await _issue(harness, "referral:9") == row.code
    async with harness.sessions() as session:
        row = await session.scalar(select(DiscountCode))
    assert row is not None
    assert row.status == DiscountCodeStatus.ACTIVE
    assert row.shopify_id


async def test_refused_offer_is_a_typed_final_error(harness: Harness) -> None:
    bad = offer(value_type=ValueType.FIXED_AMOUNT, value=Decimal("5"))
    object.__setattr__(bad, "value", Decimal("-5"))
    with pytest.raises(ShopifyUserErrors, match="refused"):
        await _issue(harness, "winback:1", offer=bad)
    async with harness.sessions() as session:
        row = await session.scalar(select(DiscountCode))
    assert row is not None
    assert row.status == DiscountCodeStatus.FAILED
    with pytest.raises(ShopifyUserErrors):
        await _issue(harness, "winback:1")
    assert harness.shopify_codes() == []


async def test_free_shipping_code(harness: Harness) -> None:
    code = await _issue(
        harness, "loyalty:ship", offer=offer(value_type=ValueType.FREE_SHIPPING, value=None)
    )
    [discount] = harness.sim.discounts(harness.shop.domain)
    assert discount.kind == "free_shipping"
    assert [c.code for c in discount.codes] == [code]


async def test_expired_token_is_marked_invalid_and_stops_the_shops_work(
    resources: Resources, sim: Simulator
) -> None:
    """Through the real token provider: Shopify refuses the token, the refresh fails too, the
    shop's token is marked invalid, and nothing of the shop calls Shopify any more."""
    shop = ShopRef(await installed(resources, sim), SHOP)
    gateway = discount_gateway(resources)
    sim.oauth.revoke_shop(SHOP)  # the token and its refresh token stop working

    async def issue(key: str) -> None:
        await issue_code(
            resources.sessions,
            gateway,
            shop,
            purpose=CodePurpose.CART_RECOVERY,
            idempotency_key=key,
            offer=offer(),
            recipient=Recipient(email="a@example.com"),
            prefix="BACK",
        )

    with pytest.raises(ShopTokenInvalid, match="token"):
        await issue("cart:401")
    assert [r.status for r in sim.store.requests] == [401]
    async with resources.sessions() as session:
        row = await session.get(Shop, shop.id)
    assert row is not None
    assert row.token_invalid_at is not None
    assert row.access_token_encrypted is None

    with pytest.raises(ShopTokenInvalid):
        await issue("cart:after")
    context = job_context(resources)
    assert await codes_jobs.resume_stranded_codes(context, shop.id) == 0
    assert await codes_jobs.flush_customer_sync(context, shop.id) == 0
    assert [r.status for r in sim.store.requests] == [401]  # not one call more


async def test_a_code_taken_by_a_racing_worker_is_found_even_when_the_lookup_lags(
    harness: Harness,
) -> None:
    # The racing worker's discount exists, but codeDiscountNodeByCode sees it 0.6 s late.
    harness.sim.config.code_lookup_lag = 0.6
    codes = await asyncio.gather(_issue(harness, "race:lag"), _issue(harness, "race:lag"))
    assert codes[0] == codes[1]
    assert harness.shopify_codes() == [codes[0]]
    async with harness.sessions() as session:
        row = await session.scalar(select(DiscountCode))
    assert row is not None
    assert row.status == DiscountCodeStatus.ACTIVE


async def test_a_taken_code_not_found_yet_is_left_for_a_later_attempt(harness: Harness) -> None:
    harness.sim.config.code_lookup_lag = 2.2  # longer than the lookups' brief retries
    outcomes = await asyncio.gather(
        _issue(harness, "race:slow"), _issue(harness, "race:slow"), return_exceptions=True
    )
    [code] = [o for o in outcomes if isinstance(o, str)]
    [later] = [o for o in outcomes if isinstance(o, BaseException)]
    assert isinstance(later, ShopifyUnavailable)
    assert "relancée plus tard" in later.text.fr
    async with harness.sessions() as session:
        row = await session.scalar(select(DiscountCode))
    assert row is not None
    assert row.status == DiscountCodeStatus.ACTIVE  # the winner recorded it; never FAILED
    assert await _issue(harness, "race:slow") == code
    assert harness.shopify_codes() == [code]
