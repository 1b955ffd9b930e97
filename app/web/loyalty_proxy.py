"""The loyalty program on the storefront, through the app proxy (app/web/proxy.py):

- `GET /proxy/loyalty`: the program's public description (ways to earn, tiers, rewards) and,
  for a logged-in customer, their balance, pending points, tier, progress to the next tier and
  the rewards they can redeem now;
- `POST /proxy/loyalty/redemptions` `{"reward": key, "key": request id}`: redeem a reward
  for the logged-in customer (app/loyalty/redeeming.py: one debit per request key, never more
  than the spendable balance) and answer its code; rate-limited per customer;
- `POST /proxy/loyalty/birthday` `{"birth_date": "YYYY-MM-DD"}`: the logged-in customer
  gives their birthday, for the yearly birthday points (app/loyalty/birthdays.py; Shopify's
  Customer has no birthday field).

JSON in the shopper's language (`locale` in the query, then Accept-Language)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.errors import Unauthorized
from app.i18n import Locale, Text, request_locale
from app.loyalty import birthdays, perks, redeeming, redemptions, shopper
from app.loyalty.errors import CustomerNotFound, InvalidRedemption
from app.loyalty.settings import LoyaltySettings, Reward, Tier, load_settings
from app.loyalty.status_document import measure_text
from app.shopify.admin.factory import discount_gateway, store_credit_gateway
from app.shopify.admin.types import ShopRef
from app.web.deps import ResourcesDep
from app.web.proxy import PREFIX, StorefrontVisitor, Visitor
from app.web.rate_limits import RateLimiterDep

router = APIRouter(prefix=f"{PREFIX}/loyalty", tags=["storefront"])


class NotLoggedIn(Unauthorized):
    """A storefront visitor who is not logged in asked for what needs an account."""


class BirthdayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    birth_date: date


class RedemptionIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    reward: str = Field(min_length=1, max_length=64)
    key: str = Field(min_length=1, max_length=128)


def _reward_view(
    reward: Reward, currency: str, locale: Locale, spendable: int | None
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "key": reward.key,
        "kind": reward.kind,
        "cost": reward.cost,
        "label": shopper.reward_label(reward, currency).in_locale(locale),
    }
    if spendable is not None:
        view["redeemable"] = reward.cost <= spendable
        view["points_missing"] = max(reward.cost - spendable, 0)
    return view


def _program(settings: LoyaltySettings, currency: str, locale: Locale) -> dict[str, Any]:
    note = shopper.pending_note(settings)
    return {
        "enabled": settings.enabled,
        "currency": currency,
        "ways_to_earn": [
            {"key": way.key, "points": str(way.points), "label": way.label.in_locale(locale)}
            for way in shopper.ways_to_earn(settings, currency)
        ],
        "pending_days": settings.pending_days,
        "pending_note": note.in_locale(locale) if note else None,
        "tier_basis": settings.tier_basis,
        "tier_window_months": settings.tier_window_months,
        "tiers": [
            {
                "key": tier.key,
                "name": shopper.tier_name(tier, locale),
                "threshold": str(tier.threshold),
                "multiplier": str(tier.multiplier),
            }
            for tier in settings.tiers
        ],
        "rewards": [
            _reward_view(reward, currency, locale, None) for reward in shopper.offered(settings)
        ],
    }


def _tier(tier: Tier | None, locale: Locale) -> dict[str, Any] | None:
    if tier is None:
        return None
    return {
        "key": tier.key,
        "name": shopper.tier_name(tier, locale),
        "threshold": str(tier.threshold),
    }


@router.get("")
async def loyalty_page(
    request: Request, visitor: StorefrontVisitor, resources: ResourcesDep
) -> JSONResponse:
    locale = request_locale(request)
    now = datetime.now(UTC)
    async with resources.sessions() as session:
        settings = await load_settings(session, visitor.shop_id)
        customer_id = (
            await shopper.customer_of(session, visitor.shop_id, visitor.shopify_customer_id)
            if visitor.shopify_customer_id is not None
            else None
        )
        position = (
            await shopper.position(
                session, settings, shop_id=visitor.shop_id, customer_id=customer_id, now=now
            )
            if customer_id is not None and settings.enabled
            else None
        )
        held = (
            await perks.perks_of(session, visitor.shop_id, customer_id)
            if position is not None and customer_id is not None
            else []
        )
    body: dict[str, Any] = {
        "program": _program(settings, visitor.currency, locale),
        "logged_in": visitor.shopify_customer_id is not None,
        "customer": None,
    }
    if position is not None:
        progress = position.progress
        body["customer"] = {
            "first_name": position.first_name,
            "balance": position.balance,
            "pending": position.pending,
            "spendable": position.spendable,
            "tier": _tier(progress.tier, locale),
            "next_tier": _tier(progress.next_tier, locale),
            "tier_measure": measure_text(progress.measure),
            "to_next_tier": None if progress.remaining is None else str(progress.remaining),
            "rewards": [
                _reward_view(reward, visitor.currency, locale, position.spendable)
                for reward in shopper.offered(settings)
            ],
            "birth_date": position.birth_date.isoformat() if position.birth_date else None,
            # The codes of the tiers' perks the customer reached.
            "perks": [
                {
                    "tier": _tier(tier, locale),
                    "code": perk.code,
                }
                for perk in held
                for tier in settings.tiers
                if tier.key == perk.tier_key
            ],
            "redeemable": [
                reward.key for reward in shopper.redeemable(settings, position.spendable)
            ],
        }
    # Each visitor's own figures: never cached by the storefront's CDN.
    return JSONResponse(body, headers={"Cache-Control": "private, no-store"})


def _parse_redemption(raw: bytes) -> RedemptionIn:
    try:
        return RedemptionIn.model_validate(json.loads(raw or b"null"))
    except (ValueError, ValidationError):
        raise InvalidRedemption(
            Text(
                en='send a JSON body {"reward": "<reward key>", "key": "<this request\'s own '
                'id, 1 to 128 characters>"}',
                fr='envoyez un corps JSON {"reward": "<clé de la récompense>", "key": '
                '"<identifiant propre à cette demande, 1 à 128 caractères>"}',
            )
        ) from None


@router.post("/redemptions")
async def redeem_reward(
    request: Request,
    visitor: StorefrontVisitor,
    resources: ResourcesDep,
    limiter: RateLimiterDep,
) -> JSONResponse:
    if visitor.shopify_customer_id is None:
        raise NotLoggedIn(
            Text(
                en="Log in to your account to redeem your points.",
                fr="Connectez-vous à votre compte pour utiliser vos points.",
            )
        )
    wanted = _parse_redemption(await request.body())
    async with resources.sessions() as session:
        customer_id = await shopper.customer_of(
            session, visitor.shop_id, visitor.shopify_customer_id
        )
    if customer_id is None:
        raise CustomerNotFound(
            Text(
                en="Your account is not known to the loyalty program yet: try again in a few "
                "minutes.",
                fr="Votre compte n'est pas encore connu du programme de fidélité : réessayez "
                "dans quelques minutes.",
            )
        )
    await limiter.hit(limiter.redemptions, "loyalty-redeem", str(visitor.shop_id), str(customer_id))
    result = await redeeming.redeem(
        resources.sessions,
        resources.queue,
        discount_gateway(resources),
        ShopRef(visitor.shop_id, visitor.shop_domain),
        customer_id=customer_id,
        reward_key=wanted.reward,
        request_key=wanted.key,
        credits=store_credit_gateway(resources),
    )
    locale = request_locale(request)
    return JSONResponse(
        {
            "redemption_id": result.redemption_id,
            "status": result.status,
            "kind": result.kind,
            "code": result.code,
            "cost": result.cost,
            "message": redemption_message(result).in_locale(locale),
        },
        status_code=STATUS_CODES.get(result.status, 409),
        headers={"Cache-Control": "private, no-store"},
    )


STATUS_CODES = {redemptions.ISSUED: 201, redemptions.PENDING: 202}
_CODE_MESSAGES = {
    redemptions.ISSUED: Text(
        en="Here is your reward's code.", fr="Voici le code de votre récompense."
    ),
    redemptions.PENDING: Text(
        en="Your points are spent and your code is being created: reload this page in a "
        "minute to see it.",
        fr="Vos points sont utilisés et votre code est en cours de création : rechargez "
        "cette page dans une minute pour le voir.",
    ),
    redemptions.RETURNED: Text(
        en="This reward could not be created: your points were returned to you.",
        fr="Cette récompense n'a pas pu être créée : vos points vous ont été rendus.",
    ),
}
_CREDIT_MESSAGES = {
    redemptions.ISSUED: Text(
        en="The store credit was added to your account: it is applied at checkout when you "
        "are logged in.",
        fr="Le crédit boutique a été ajouté à votre compte : il s'applique au paiement quand "
        "vous êtes connecté.",
    ),
    redemptions.PENDING: Text(
        en="Your points are spent and your store credit is being added: reload this page in "
        "a minute to see it.",
        fr="Vos points sont utilisés et votre crédit boutique est en cours d'ajout : "
        "rechargez cette page dans une minute pour le voir.",
    ),
    redemptions.RETURNED: Text(
        en="The store credit could not be added: your points were returned to you.",
        fr="Le crédit boutique n'a pas pu être ajouté : vos points vous ont été rendus.",
    ),
}


def redemption_message(result: redeeming.RedemptionResult) -> Text:
    """What the shopper is told of their redemption, by the reward's kind and its state."""
    messages = _CREDIT_MESSAGES if result.kind == "store_credit" else _CODE_MESSAGES
    return messages[result.status]


async def _logged_in_customer(visitor: Visitor, resources: ResourcesDep) -> int:
    if visitor.shopify_customer_id is None:
        raise NotLoggedIn(
            Text(
                en="Log in to your account first.",
                fr="Connectez-vous d'abord à votre compte.",
            )
        )
    async with resources.sessions() as session:
        customer_id = await shopper.customer_of(
            session, visitor.shop_id, visitor.shopify_customer_id
        )
    if customer_id is None:
        raise CustomerNotFound(
            Text(
                en="Your account is not known to the loyalty program yet: try again in a few "
                "minutes.",
                fr="Votre compte n'est pas encore connu du programme de fidélité : réessayez "
                "dans quelques minutes.",
            )
        )
    return customer_id


@router.post("/birthday")
async def give_birthday(
    request: Request, visitor: StorefrontVisitor, resources: ResourcesDep
) -> JSONResponse:
    customer_id = await _logged_in_customer(visitor, resources)
    try:
        wanted = BirthdayIn.model_validate(json.loads(await request.body() or b"null"))
    except (ValueError, ValidationError):
        raise birthdays.InvalidBirthday(
            Text(
                en='send a JSON body {"birth_date": "YYYY-MM-DD"}',
                fr='envoyez un corps JSON {"birth_date": "AAAA-MM-JJ"}',
            ),
            field="birth_date",
        ) from None
    async with resources.transaction() as session:
        kept = await birthdays.set_birthday(
            session,
            shop_id=visitor.shop_id,
            customer_id=customer_id,
            birth_date=wanted.birth_date,
            today=datetime.now(UTC).date(),
        )
    return JSONResponse(
        {"birth_date": kept.isoformat()}, headers={"Cache-Control": "private, no-store"}
    )
