"""Admin API for the loyalty program: its settings (earn rules, tiers, rewards, store credit;
refused values answered per field), a customer's position with their ledger and a manual
adjustment (the actor is the merchant's user the session token names), and the program's
liability: the points outstanding valued in the shop's currency."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from app.errors import InvalidRequest, NotFound
from app.i18n import Text, request_locale
from app.loyalty import (
    content,
    perks,
    redeeming,
    redemptions,
    reports,
    service,
    shopper,
    store_credit,
)
from app.loyalty.settings import LoyaltySettings
from app.loyalty.storefront_program import program_changed
from app.messaging import controls
from app.models import Customer, Shop
from app.scenarios.config import InvalidSettings, Problem
from app.scenarios.labels import Labels
from app.shopify.admin.factory import discount_gateway, store_credit_gateway
from app.shopify.admin.types import ShopRef
from app.shopify.verification import SessionToken
from app.web.auth import CurrentShop, session_token
from app.web.deps import ResourcesDep, RowIdPath
from app.web.settings_errors import invalid_settings_response

router = APIRouter(prefix="/api/loyalty", tags=["loyalty"])

SessionTokenDep = Annotated[SessionToken, Depends(session_token)]


def _settings_json(
    settings: LoyaltySettings, shop: Shop, delivery: controls.ScenarioDelivery
) -> dict[str, Any]:
    return {
        **settings.model_dump(mode="json"),
        # The program's emails' mode, as every scenario has (kept with the delivery controls).
        "email_mode": delivery.mode.value,
        "currency": shop.currency,
        "store_credit_scopes": list(store_credit.SCOPES),
    }


@router.get("/settings")
async def get_settings(shop: CurrentShop, resources: ResourcesDep) -> dict[str, Any]:
    async with resources.sessions.begin() as session:
        settings = await service.load_settings(session, shop.id)
        delivery = await controls.scenario_delivery(session, shop.id, content.PROGRAM_KEY)
    return _settings_json(settings, shop, delivery)


def _email_mode(value: Any) -> controls.DeliveryMode:
    try:
        return controls.DeliveryMode(value)
    except ValueError:
        modes = ", ".join(mode.value for mode in controls.DeliveryMode)
        what = Text(
            en=f"The emails' mode is one of {modes} (now {value!r}).",
            fr=f"Le mode des e-mails est l'un de {modes} (actuellement {value!r}).",
        )
        problem = Problem(
            field="email_mode",
            what=what,
            text=Text(en=f"email_mode: {what.en}", fr=f"email_mode : {what.fr}"),
        )
        raise InvalidSettings([problem]) from None


@router.patch("/settings", response_model=None)
@router.put("/settings", response_model=None)
async def put_settings(
    request: Request,
    shop: CurrentShop,
    resources: ResourcesDep,
    patch: Any = Body(...),  # noqa: B008  (FastAPI's way to take a free-form body)
) -> dict[str, Any] | JSONResponse:
    """Partial update (tiers and rewards are replaced whole; `email_mode` sets the mode of the
    program's emails: live, approval, dry_run or paused). Refused settings answer 400 with
    `problems`: each field (`tiers.1.threshold`, `rewards.0.value`…) and why. Turning store
    credit rewards on needs the scopes granted at Shopify first."""
    if not isinstance(patch, dict):
        raise InvalidRequest(
            Text(
                en='Send a JSON object with the settings to change, e.g. {"enabled": true}.',
                fr="Envoyez un objet JSON avec les réglages à modifier, par exemple "
                '{"enabled": true}.',
            )
        )
    patch = dict(patch)
    try:
        mode = _email_mode(patch.pop("email_mode")) if "email_mode" in patch else None
        async with resources.transaction() as session:
            delivery = await controls.scenario_delivery(session, shop.id, content.PROGRAM_KEY)
            if mode is not None and mode is not delivery.mode:
                await controls.set_scenario_delivery(
                    session,
                    shop.id,
                    content.PROGRAM_KEY,
                    mode=mode,
                    transactional=delivery.transactional,
                )
                delivery = await controls.scenario_delivery(session, shop.id, content.PROGRAM_KEY)
            before = await service.load_settings(session, shop.id)
            settings = await service.update_settings(session, shop.id, patch)
            # The storefront widget's copy of the program follows (shop metafield).
            program_changed(session, shop.id)
            if settings.store_credit_enabled and not before.store_credit_enabled:
                # Turned on: only once the merchant granted the scopes (asked by the admin
                # page through App Bridge), or every store credit redemption would fail.
                problem = await store_credit.scopes_problem(
                    store_credit_gateway(resources), ShopRef(shop.id, shop.domain)
                )
                if problem is not None:
                    raise InvalidSettings([problem])
    except InvalidSettings as exc:
        return invalid_settings_response(exc, request_locale(request))
    return _settings_json(settings, shop, delivery)


async def _customer(resources: ResourcesDep, shop: Shop, customer_id: int) -> Customer:
    async with resources.sessions.begin() as session:
        customer = await session.scalar(
            select(Customer).where(
                Customer.shop_id == shop.id,
                Customer.id == customer_id,
                Customer.redacted_at.is_(None),
            )
        )
    if customer is None:
        raise NotFound(
            Text(
                en=f"Customer {customer_id} is not a customer of {shop.domain}.",
                fr=f"Le client {customer_id} n'est pas un client de {shop.domain}.",
            )
        )
    return customer


@router.get("/customers/{customer_id}")
async def customer_position(
    customer_id: RowIdPath, request: Request, shop: CurrentShop, resources: ResourcesDep
) -> dict[str, Any]:
    """The customer's balance (spendable and pending apart), tier and ledger, newest first."""
    locale = request_locale(request)
    customer = await _customer(resources, shop, customer_id)
    now = datetime.now(UTC)
    async with resources.sessions.begin() as session:
        settings = await service.load_settings(session, shop.id)
        balance = await service.balance_of(
            session, shop_id=shop.id, customer_id=customer_id, now=now
        )
        lines = await reports.customer_ledger(session, shop.id, customer_id)
        spent = await redemptions.of_customer(session, shop.id, customer_id)
        held = await perks.perks_of(session, shop.id, customer_id)
    tier = next((t for t in settings.tiers if t.key == balance.tier), None)
    labels = resources.platform.labels
    return {
        "customer": {
            "id": customer.id,
            "first_name": customer.first_name,
            "last_name": customer.last_name,
            "email": customer.email,
        },
        "enabled": settings.enabled,
        "balance": balance.balance,
        "spendable": balance.spendable,
        "pending": balance.pending,
        "tier": None
        if balance.tier is None
        else {
            "key": balance.tier,
            "name": (tier.name_fr if locale == "fr" else tier.name_en) if tier else balance.tier,
        },
        "ledger": [
            {
                "id": line.id,
                "at": line.at.isoformat(),
                "kind": line.kind,
                "delta": line.delta,
                "source_type": line.source_type,
                "source_id": line.source_id,
                # A code (a redemption's, an expiry's, a review's or referral's points) is
                # said in the merchant's language; a merchant's own reason as they wrote it.
                "reason": _reason(line.reason, locale, labels),
                "actor": line.actor,
                "order_id": line.order_id,
                "pending_until": line.available_at.isoformat() if line.available_at > now else None,
            }
            for line in lines
        ],
        "redemptions": [
            {
                "id": line.id,
                "at": line.created_at.isoformat(),
                "reward": line.reward_key,
                "kind": line.kind,
                "value": str(line.value),
                "cost": line.cost,
                "status": line.status,
                "code": line.code,
                "store_credit_transaction_id": line.store_credit_transaction_id,
                "returned_because": _reason(line.return_reason, locale, labels),
            }
            for line in spent
        ],
        "rewards": [
            {"key": reward.key, "kind": reward.kind, "cost": reward.cost}
            for reward in shopper.offered(settings)
        ],
        "perks": [{"tier": perk.tier_key, "code": perk.code} for perk in held],
    }


def _reason(reason: str | None, locale: str, labels: Labels) -> str | None:
    """A stored reason in the merchant's language when it is a code any program writes (a
    redemption's, an expiry's, a review's or referral's points); a merchant's own free-text
    reason (a manual adjustment) as written. The whole reason is looked up, not its part
    before a colon, so free text such as "Goodwill: late parcel" stays as the merchant wrote it."""
    if reason is None:
        return None
    known = labels.reasons.get(reason)
    return known.in_locale("fr" if locale == "fr" else "en") if known else reason


class AdjustmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    points: int
    reason: str = Field(max_length=500)
    # One per form submission: a retried request adjusts once.
    key: str


@router.post("/customers/{customer_id}/adjustments", status_code=201)
async def adjust(
    customer_id: RowIdPath,
    body: AdjustmentIn,
    token: SessionTokenDep,
    shop: CurrentShop,
    resources: ResourcesDep,
) -> dict[str, Any]:
    """Add (positive) or remove (negative) points by hand, with a required reason; the actor
    is the merchant's user the session token names."""
    if not token.user_id or not token.user_id.isdigit():
        raise InvalidRequest(
            Text(
                en="Your session does not name your Shopify user: open the app from the Shopify "
                "admin while logged in as yourself, then adjust again.",
                fr="Votre session ne désigne pas votre utilisateur Shopify : ouvrez l'application "
                "depuis l'administration Shopify avec votre propre compte, puis recommencez.",
            )
        )
    await _customer(resources, shop, customer_id)
    async with resources.sessions.begin() as session:
        entry_id = await service.adjust_points(
            session,
            shop_id=shop.id,
            customer_id=customer_id,
            delta=body.points,
            reason=body.reason,
            actor=service.merchant_actor(int(token.user_id)),
            key=body.key,
            now=datetime.now(UTC),
        )
        balance = await service.balance_of(
            session, shop_id=shop.id, customer_id=customer_id, now=datetime.now(UTC)
        )
    return {
        "entry_id": entry_id,
        "applied": entry_id is not None,
        "balance": balance.balance,
        "spendable": balance.spendable,
        "pending": balance.pending,
    }


class RedemptionIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    reward: str = Field(min_length=1, max_length=64)
    # One per form submission: a retried request redeems once.
    key: str = Field(min_length=1, max_length=128)


@router.post("/customers/{customer_id}/redemptions")
async def redeem_for_customer(
    customer_id: RowIdPath,
    body: RedemptionIn,
    request: Request,
    shop: CurrentShop,
    resources: ResourcesDep,
) -> JSONResponse:
    """The merchant redeems a reward for the customer (asked at the counter or by email): the
    same path as the shopper's (one debit per key, never more than the spendable points), a
    code or store credit for the customer. 201 issued, 202 pending (Shopify unreachable: the
    job finishes it), 409 returned (refused; the points came back)."""
    await _customer(resources, shop, customer_id)
    result = await redeeming.redeem(
        resources.sessions,
        resources.queue,
        discount_gateway(resources),
        ShopRef(shop.id, shop.domain),
        customer_id=customer_id,
        reward_key=body.reward,
        request_key=f"admin:{body.key}",
        credits=store_credit_gateway(resources),
    )
    return JSONResponse(
        {
            "redemption_id": result.redemption_id,
            "status": result.status,
            "kind": result.kind,
            "code": result.code,
            "cost": result.cost,
            "store_credit_transaction_id": result.store_credit_transaction_id,
        },
        status_code={redemptions.ISSUED: 201, redemptions.PENDING: 202}.get(result.status, 409),
    )


@router.get("/liability")
async def liability(shop: CurrentShop, resources: ResourcesDep) -> dict[str, Any]:
    """The points outstanding, what one point is worth (from the rewards catalogue) and the
    liability in the shop's currency, with the program's figures."""
    async with resources.sessions.begin() as session:
        settings = await service.load_settings(session, shop.id)
        figures = await reports.program_figures(session, shop.id, settings, datetime.now(UTC))
    reward = settings.reward(figures.value.reward_key) if figures.value.reward_key else None
    return {
        "currency": shop.currency,
        "enabled": settings.enabled,
        "members": figures.members,
        "issued": figures.issued,
        "redeemed": figures.redeemed,
        "taken_back": figures.taken_back,
        "expired": figures.expired,
        "adjusted": figures.adjusted,
        "outstanding": figures.outstanding,
        "pending": figures.pending,
        "negative": figures.negative,
        "point_value": _money(figures.value.per_point),
        "point_value_reward": None
        if reward is None
        else {
            "key": reward.key,
            "kind": reward.kind,
            "cost": reward.cost,
            "value": str(reward.value),
        },
        "liability": None if figures.liability is None else str(figures.liability),
        "tiers": figures.tiers,
        "rewards_redeemed": figures.rewards_redeemed,
        "store_credits": figures.store_credits,
        "store_credit_total": str(figures.store_credit_total),
    }


def _money(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")
