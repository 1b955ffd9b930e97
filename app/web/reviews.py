"""Admin API: the shop's reviews to moderate (list, publish, hide, reject as spam, reply), their
export as CSV or JSON, and the review settings (auto-publish rule, rewards, syndication, and
`email_mode`: the mode of the program's emails, the reward code's thank-you). Each
change that moves a product's published aggregate writes it to Shopify after the commit
(app/reviews/aggregates.py); each change to a review rewrites its standard product_review
metaobject when the shop syndicates (app/reviews/syndication.py). Review text is returned as
typed: the admin renders it escaped.
The signed photo addresses are served by GET /rp/{token}."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, StrictStr, ValidationError

from app.errors import InvalidRequest, NotFound, ShopifyQueryError
from app.i18n import Text
from app.messaging import controls
from app.messaging.controls import DeliveryMode, ScenarioDelivery
from app.models import Review, ReviewPhoto
from app.queue.deferred import defer, transaction
from app.reviews import aggregates, export, service, syndication
from app.reviews.content import PROGRAM_KEY
from app.reviews.settings import ReviewSettings, load_settings, save_settings
from app.reviews.tokens import ReviewTokens
from app.shopify.admin.access_scopes import granted_scopes
from app.shopify.admin.factory import admin_client
from app.shopify.admin.types import ShopRef
from app.shopify.review_metaobjects import enable_definition
from app.web.auth import CurrentShop
from app.web.deps import ResourcesDep, RowIdPath

router = APIRouter(tags=["reviews"])

Status = Literal["pending", "published", "hidden", "spam"]


class ReviewOut(BaseModel):
    id: int
    status: str
    product_id: int
    product_title: str
    order_name: str | None
    rating: int
    title: str
    body: str
    author_name: str | None
    verified_buyer: bool
    locale: str
    held_because: str | None
    submitted_at: datetime
    edited_at: datetime | None
    published_at: datetime | None
    reply: str | None
    replied_at: datetime | None
    photos: list[str]
    reward: dict[str, Any]


class ReplyIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    text: StrictStr


def _out(review: Review, photos: list[ReviewPhoto], tokens: ReviewTokens) -> ReviewOut:
    return ReviewOut(
        id=review.id,
        status=review.status,
        product_id=review.product_id,
        product_title=review.product_title,
        order_name=review.order_name,
        rating=review.rating,
        title=review.title,
        body=review.body,
        author_name=review.author_name,
        verified_buyer=review.verified_buyer,
        locale=review.locale,
        held_because=review.held_because,
        submitted_at=review.submitted_at,
        edited_at=review.edited_at,
        published_at=review.published_at,
        reply=review.reply,
        replied_at=review.replied_at,
        photos=[tokens.photo_url(p.id) for p in photos],
        reward=review.reward or {},
    )


@router.get("/api/reviews")
async def list_reviews(
    shop: CurrentShop,
    resources: ResourcesDep,
    status: Annotated[Status | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> list[ReviewOut]:
    tokens = ReviewTokens.from_settings(resources.settings)
    async with resources.sessions.begin() as session:
        reviews = await service.list_reviews(session, shop.id, status=status, limit=limit)
        photos = await service.photos_of(session, [r.id for r in reviews])
        return [_out(r, photos.get(r.id, []), tokens) for r in reviews]


async def _moderate(
    shop_id: int, resources: ResourcesDep, review_id: int, action: str, text: str = ""
) -> ReviewOut:
    now = datetime.now(UTC)
    tokens = ReviewTokens.from_settings(resources.settings)
    async with transaction(resources.sessions, resources.queue) as session:
        if action == "publish":
            review = await service.publish(session, shop_id, review_id, now)
        elif action == "hide":
            review = await service.hide(session, shop_id, review_id, now)
        elif action == "spam":
            review = await service.mark_spam(session, shop_id, review_id, now)
        else:
            review = await service.reply(session, shop_id, review_id, text, now)
        change = f"{action}-{review.id}-{int(now.timestamp() * 1000)}"
        if action != "reply":
            defer(session, aggregates.sync_job(shop_id, review.product_id, change))
        defer(session, syndication.sync_job(shop_id, review.id, change))
        photos = await service.photos_of(session, [review.id])
        return _out(review, photos.get(review.id, []), tokens)


@router.post("/api/reviews/{review_id}/publish")
async def publish_review(
    review_id: RowIdPath, shop: CurrentShop, resources: ResourcesDep
) -> ReviewOut:
    return await _moderate(shop.id, resources, review_id, "publish")


@router.post("/api/reviews/{review_id}/hide")
async def hide_review(
    review_id: RowIdPath, shop: CurrentShop, resources: ResourcesDep
) -> ReviewOut:
    return await _moderate(shop.id, resources, review_id, "hide")


@router.post("/api/reviews/{review_id}/spam")
async def reject_review_as_spam(
    review_id: RowIdPath, shop: CurrentShop, resources: ResourcesDep
) -> ReviewOut:
    return await _moderate(shop.id, resources, review_id, "spam")


@router.post("/api/reviews/{review_id}/reply")
async def reply_to_review(
    review_id: RowIdPath, body: ReplyIn, shop: CurrentShop, resources: ResourcesDep
) -> ReviewOut:
    return await _moderate(shop.id, resources, review_id, "reply", body.text)


@router.get("/api/reviews/export")
async def export_reviews(
    shop: CurrentShop,
    resources: ResourcesDep,
    format: Annotated[Literal["csv", "json"], Query()] = "csv",
) -> Response:
    tokens = ReviewTokens.from_settings(resources.settings)
    async with resources.sessions.begin() as session:
        reviews = await service.list_reviews(session, shop.id, limit=100_000)
        photos = await service.photos_of(session, [r.id for r in reviews])
    rows = [
        export.review_row(r, [tokens.photo_url(p.id) for p in photos.get(r.id, [])])
        for r in reviews
    ]
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    if format == "json":
        import json

        return Response(
            json.dumps(rows, ensure_ascii=False),
            media_type="application/json",
            headers={"Content-Disposition": f'attachment; filename="reviews-{stamp}.json"'},
        )
    return Response(
        export.to_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="reviews-{stamp}.csv"'},
    )


@router.get("/api/reviews/settings")
async def get_review_settings(shop: CurrentShop, resources: ResourcesDep) -> dict[str, Any]:
    async with resources.sessions.begin() as session:
        settings = await load_settings(session, shop.id)
        delivery = await controls.scenario_delivery(session, shop.id, PROGRAM_KEY)
    return _settings_json(settings, delivery)


NOT_APPROVED = Text(
    en="Shopify refused to enable its product review metaobject for Boomerang: Shopify grants "
    "it only to apps approved for its standard product review syndication program ({why}). "
    "Syndication stays off; your reviews and their stars on product pages are not affected.",
    fr="Shopify a refusé d'activer son métaobjet d'avis produit pour Boomerang : Shopify ne "
    "l'accorde qu'aux applications approuvées pour son programme de syndication des avis "
    "produits ({why}). La syndication reste désactivée ; vos avis et leurs étoiles sur les pages "
    "produits ne changent pas.",
)


def _scopes_not_granted(missing: list[str]) -> InvalidRequest:
    names = ", ".join(missing)
    return InvalidRequest(
        Text(
            en=f"Shopify has not granted Boomerang {names} yet: accept the permission request "
            "that opens when you turn syndication on, then save again. Syndication stays off.",
            fr=f"Shopify n'a pas encore accordé {names} à Boomerang : acceptez la demande "
            "d'autorisation qui s'ouvre quand vous activez la syndication, puis enregistrez à "
            "nouveau. La syndication reste désactivée.",
        )
    )


async def _enable_syndication(shop: CurrentShop, resources: ResourcesDep) -> None:
    """Syndication's optional scopes granted (asked by the admin page through App Bridge),
    then Shopify's standard product_review definition enabled, before the setting is saved: a
    missing scope or a refusal (an app Shopify has not approved) raises and leaves it off."""
    client = admin_client(resources)
    ref = ShopRef(shop.id, shop.domain)
    missing = syndication.missing_scopes(await granted_scopes(client, ref))
    if missing:
        raise _scopes_not_granted(missing)
    try:
        refused = await enable_definition(client, ref)
    except ShopifyQueryError:
        # Granted when asked, revoked since.
        raise _scopes_not_granted(list(syndication.SCOPES)) from None
    if refused:
        why = "; ".join(refused)
        raise InvalidRequest(
            Text(en=NOT_APPROVED.en.format(why=why), fr=NOT_APPROVED.fr.format(why=why))
        )


def _settings_json(settings: ReviewSettings, delivery: ScenarioDelivery) -> dict[str, Any]:
    """The settings, the mode of the program's emails (kept with the delivery controls, as
    every scenario's), and the optional scopes the admin requests before turning syndication
    on."""
    return {
        **settings.model_dump(mode="json"),
        "email_mode": delivery.mode.value,
        "syndication_scopes": list(syndication.SCOPES),
    }


def _email_mode(value: Any) -> DeliveryMode:
    try:
        return DeliveryMode(value)
    except ValueError:
        modes = ", ".join(mode.value for mode in DeliveryMode)
        raise InvalidRequest(
            Text(
                en=f"email_mode: the emails' mode is one of {modes} (now {value!r}).",
                fr=f"email_mode : le mode des e-mails est l'un de {modes} "
                f"(actuellement {value!r}).",
            )
        ) from None


@router.patch("/api/reviews/settings")
@router.put("/api/reviews/settings")
async def put_review_settings(
    patch: dict[str, Any], shop: CurrentShop, resources: ResourcesDep
) -> dict[str, Any]:
    patch = dict(patch)
    mode = _email_mode(patch.pop("email_mode")) if "email_mode" in patch else None
    turning_on = False
    if patch.get("syndicate_to_shopify") is True:
        async with resources.sessions.begin() as session:
            turning_on = not (await load_settings(session, shop.id)).syndicate_to_shopify
        if turning_on:
            await _enable_syndication(shop, resources)
    try:
        async with transaction(resources.sessions, resources.queue) as session:
            saved = await save_settings(session, shop.id, patch)
            delivery = await controls.scenario_delivery(session, shop.id, PROGRAM_KEY)
            if mode is not None and mode is not delivery.mode:
                await controls.set_scenario_delivery(
                    session, shop.id, PROGRAM_KEY, mode=mode, transactional=delivery.transactional
                )
                delivery = await controls.scenario_delivery(session, shop.id, PROGRAM_KEY)
            if turning_on:
                # The reviews already published go to Shopify too, each by its own job.
                for review_id in await syndication.published_ids(session, shop.id):
                    defer(session, syndication.sync_job(shop.id, review_id, "turned-on"))
            return _settings_json(saved, delivery)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidRequest(
            Text(
                en=f"{where}: {first['msg']}",
                fr=f"{where} : valeur refusée ({first['msg']})",
            )
        ) from None


# -- photos ----------------------------------------------------------------------------------


@router.get("/rp/{token}", include_in_schema=False)
async def review_photo(token: str, resources: ResourcesDep) -> Response:
    """A photo by its signed address (the admin's list and exports hand them out)."""
    photo_id = ReviewTokens.from_settings(resources.settings).read_photo(token)
    missing = NotFound(
        Text(
            en="No such photo: it may have been removed.",
            fr="Photo introuvable : elle a peut-être été supprimée.",
        )
    )
    if photo_id is None or resources.review_photos is None:
        raise missing
    async with resources.sessions.begin() as session:
        photo = await session.get(ReviewPhoto, photo_id)
        key, content_type = (photo.storage_key, photo.content_type) if photo else ("", "")
    data = await resources.review_photos.get(key) if key else None
    if data is None:
        raise missing
    return Response(
        data,
        media_type=content_type,
        headers={
            "Cache-Control": "private, max-age=3600",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'",
        },
    )
