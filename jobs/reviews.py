"""The reviews program's worker jobs: a product's published rating written to Shopify's
standard metafields through the throttle-aware Admin API client, a review written to (or
removed from) Shopify's standard product_review metaobject when the shop syndicates, a review's
single-use code issued (loyalty off) and emailed to its author, and erased photos' bytes
deleted from the store."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import structlog
from sqlalchemy import select

from app.codes.issuing import StepCodes
from app.codes.offers import CodePurpose
from app.i18n import Text
from app.models import Customer, Order, Review, ReviewPhoto, Shop
from app.platform.resources import Resources
from app.queue import JobContext
from app.reviews import aggregates, syndication
from app.reviews.messages import send_code
from app.reviews.settings import load_settings
from app.reviews.tokens import ReviewTokens
from app.scenarios.actions import CodeRequest
from app.scenarios.config import DiscountSettings
from app.shopify.admin.factory import admin_client, discount_gateway
from app.shopify.admin.types import ShopRef
from app.shopify.product_ratings import write_product_rating
from app.shopify.review_metaobjects import remove_review, upsert_review

log = structlog.get_logger(__name__)

CODE_TITLE = Text(en="Boomerang review reward", fr="Récompense d'avis Boomerang")


async def sync_product_rating(ctx: JobContext, shop_id: int, product_id: int) -> dict[str, str]:
    """Write the product's aggregate as it stands now (a later change writes again: the last
    write carries the last state). Returns what was written, for the logs and the tests."""
    resources: Resources = ctx.resources
    async with resources.sessions.begin() as session:
        shop = await session.get(Shop, shop_id)
        if shop is None or shop.uninstalled_at is not None:
            return {}
        rating = await aggregates.product_rating(session, shop_id, product_id)
        domain = shop.domain
    return await write_product_rating(admin_client(resources), ShopRef(shop_id, domain), rating)


async def _wanted_metaobject(
    resources: Resources, shop_id: int, review_id: int
) -> tuple[ShopRef | None, dict[str, Any] | None]:
    """(the shop, metaobjectUpsert's variables, or None for "no metaobject"); no shop when
    there is nothing to do (gone, uninstalled, syndication off)."""
    tokens = ReviewTokens.from_settings(resources.settings)
    async with resources.sessions.begin() as session:
        shop = await session.get(Shop, shop_id)
        if shop is None or shop.uninstalled_at is not None:
            return None, None
        if not (await load_settings(session, shop_id)).syndicate_to_shopify:
            return None, None
        ref = ShopRef(shop_id, shop.domain)
        review = await session.get(Review, review_id)
        if review is None or review.shop_id != shop_id or not syndication.syndicated(review):
            return ref, None
        customer = await session.get(Customer, review.customer_id) if review.customer_id else None
        order = await session.get(Order, review.order_id) if review.order_id else None
        photos = await session.scalars(
            select(ReviewPhoto.id)
            .where(ReviewPhoto.review_id == review.id)
            .order_by(ReviewPhoto.id)
        )
        fields = syndication.fields(
            review,
            customer_shopify_id=customer.shopify_id if customer else None,
            order_shopify_id=order.shopify_id if order else None,
            media_urls=[tokens.photo_url(p) for p in photos],
        )
        return ref, syndication.upsert_variables(review, fields)


async def sync_review_metaobject(ctx: JobContext, shop_id: int, review_id: int) -> str:
    """The review as it stands now at Shopify's product_review metaobject, when the shop
    syndicates: upserted by its handle while published (a retry updates the same one),
    removed once it is not (held, hidden, spam, its author redacted, gone). Two jobs for one
    review can overlap (publish then hide at once): after writing, the review is read again
    and written again if it changed meanwhile, so the last state is what stays at Shopify.
    Returns what was done, for the logs and the tests."""
    resources: Resources = ctx.resources
    client = admin_client(resources)
    done = "off"
    ref, wanted = await _wanted_metaobject(resources, shop_id, review_id)
    for _ in range(3):
        if ref is None:
            return done
        if wanted is None:
            done = "removed" if await remove_review(client, ref, review_id) else "absent"
        else:
            done = "refused" if await upsert_review(client, ref, wanted) else "upserted"
        ref_now, wanted_now = await _wanted_metaobject(resources, shop_id, review_id)
        if ref_now is None or wanted_now == wanted:
            return done
        ref, wanted = ref_now, wanted_now
    return done


async def issue_review_code(ctx: JobContext, shop_id: int, review_id: int) -> str | None:
    """The review's single-use code (loyalty off), issued once (its idempotency key is the
    review's) and kept on the review; nothing for a review rejected as spam meanwhile."""
    resources: Resources = ctx.resources
    now = datetime.now(UTC)
    async with resources.sessions.begin() as session:
        review = await session.get(Review, review_id)
        shop = await session.get(Shop, shop_id)
        if review is None or shop is None or review.shop_id != shop_id:
            return None
        if not (review.reward or {}).get("code_due"):
            return None
        settings = await load_settings(session, shop_id)
        request = CodeRequest(
            shop_id=shop.id,
            shop_domain=shop.domain,
            shop_locale=shop.locale,
            scenario="review_reward",
            idempotency_key=f"review:{review.customer_id}:{review.product_id}",
            customer_id=review.customer_id,
            discount=DiscountSettings(
                value=Decimal(settings.code_percent), valid_hours=settings.code_valid_days * 24
            ),
            prefix="THANKS",
            purpose=CodePurpose.REVIEW_REWARD,
            title=CODE_TITLE,
        )
        percent = settings.code_percent
    codes = StepCodes(resources.sessions, discount_gateway(resources), resources.queue)
    issued = await codes.issue(request, now)
    async with resources.transaction() as session:
        # The customer's row before the review's, in the order a redaction takes them (it
        # updates the customer, then anonymises their reviews): the email's insert needs the
        # customer's key share, so the other order deadlocked with customers/redact.
        author = await session.scalar(select(Review.customer_id).where(Review.id == review_id))
        if author is not None:
            await session.execute(
                select(Customer.id).where(Customer.id == author).with_for_update(key_share=True)
            )
        review = await session.scalar(
            select(Review).where(Review.id == review_id).with_for_update()
        )
        if review is None:
            return None
        reward = dict(review.reward or {})
        reward.pop("code_due", None)
        reward.update(code=issued.code, code_expires_at=issued.expires_at.isoformat())
        review.reward = reward
        # Delivered with the code, in its transaction: a replay finds no code due, and the
        # email's natural key is the review's anyway. Rejected as spam meanwhile: no email.
        shop = await session.get(Shop, shop_id)
        customer = await session.get(Customer, review.customer_id) if review.customer_id else None
        if shop is not None and shop.uninstalled_at is None and customer is not None:
            await send_code(
                session,
                resources.messaging,
                shop=shop,
                customer=customer,
                review=review,
                code=issued.code,
                percent=percent,
                expires_at=issued.expires_at,
                now=now,
            )
    return issued.code


async def delete_review_photos(ctx: JobContext, shop_id: int, keys: list[str]) -> int:
    resources: Resources = ctx.resources
    store = resources.review_photos
    if store is None:
        return 0
    for key in keys:
        if key.startswith(f"{shop_id}/"):
            await store.delete(key)
    return len(keys)
