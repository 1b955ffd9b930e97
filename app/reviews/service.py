"""The reviews program's service: what a review link opens (the order's products and what was
reviewed already), a submission checked then stored (each product once per link, edits within
24 hours), and the merchant's moderation (publish, hide, spam, reply). Services never commit;
each function returns what the caller must announce after the commit (the products whose
published aggregate changed)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.i18n import Locale, Text
from app.messaging.i18n import resolve_locale
from app.models import Customer, Order, OrderLineItem, Refund, Review, ReviewPhoto, Shop
from app.reviews import rewards
from app.reviews.errors import (
    ALREADY_REVIEWED,
    LINK_INVALID,
    NOT_IN_ORDER,
    ORDER_GIVEN_BACK,
    AlreadyReviewed,
    LinkExpired,
    LinkInvalid,
    ReviewNotFound,
    ReviewRefused,
)
from app.reviews.photos import CleanPhoto
from app.reviews.settings import ReviewSettings, load_settings
from app.reviews.storage import PhotoStore
from app.reviews.tokens import ReviewLink

EDIT_WINDOW = timedelta(hours=24)
MAX_TITLE = 150
MAX_BODY = 5000
MAX_REPLY = 2000
PENDING, PUBLISHED, HIDDEN, SPAM = "pending", "published", "hidden", "spam"
# A link in any form a spammer uses: a scheme, www., or a bare domain with a common ending.
_LINK = re.compile(
    r"(https?://|www\.|\b[a-z0-9-]+\.(com|net|org|info|biz|io|co|ru|cn|xyz|top|shop|fr)\b)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ProductLine:
    product_id: int
    title: str


@dataclass
class OrderForReview:
    shop: Shop
    order: Order
    customer: Customer | None
    locale: Locale
    products: list[ProductLine]
    reviews: dict[int, Review] = field(default_factory=dict)

    def product(self, product_id: int) -> ProductLine | None:
        return next((p for p in self.products if p.product_id == product_id), None)

    def editable(self, product_id: int, now: datetime) -> bool:
        review = self.reviews.get(product_id)
        return review is None or now < review.submitted_at + EDIT_WINDOW


@dataclass(frozen=True)
class Submission:
    product_id: int
    rating: int
    title: str
    body: str


@dataclass(frozen=True)
class Submitted:
    review: Review
    edited: bool
    # Photo keys the edit replaced: delete them from the store after the commit.
    replaced_keys: tuple[str, ...] = ()


async def order_products(session: AsyncSession, shop_id: int, order_id: int) -> list[ProductLine]:
    """The order's distinct products, in the order's line order."""
    rows = await session.execute(
        select(OrderLineItem.product_id, OrderLineItem.title)
        .where(
            OrderLineItem.shop_id == shop_id,
            OrderLineItem.order_id == order_id,
            OrderLineItem.product_id.is_not(None),
        )
        .order_by(OrderLineItem.id)
    )
    seen: dict[int, str] = {}
    for product_id, title in rows:
        if product_id is not None and product_id not in seen:
            seen[int(product_id)] = title
    return [ProductLine(p, t) for p, t in seen.items()]


async def reviewed_product_ids(
    session: AsyncSession, shop_id: int, customer_id: int | None, order_id: int
) -> set[int]:
    """Products this order's buyer reviewed already, through this order or any other."""
    match = Review.order_id == order_id
    if customer_id is not None:
        match = match | (Review.customer_id == customer_id)
    rows = await session.scalars(select(Review.product_id).where(Review.shop_id == shop_id, match))
    return {int(p) for p in rows}


REFUNDED = "refunded"


def fully_refunded(financial_status: str | None, total: Decimal | None, refunded: Decimal) -> bool:
    """Whether an order's money all went back: Shopify says so, or its refunds add up to its
    total. Such an order is not asked for a review, nor can its link still post one."""
    return financial_status == REFUNDED or (total is not None and total > 0 and refunded >= total)


async def order_for_review(session: AsyncSession, link: ReviewLink) -> OrderForReview:
    order = await session.get(Order, link.order_id)
    shop = await session.get(Shop, link.shop_id)
    if order is None or shop is None or order.shop_id != shop.id or shop.uninstalled_at:
        raise LinkInvalid(LINK_INVALID)
    # A link sent before the order was cancelled or refunded no longer reviews it (nor earns
    # the review's reward): a verified buyer returned what they bought.
    refunded = await session.scalar(
        select(func.coalesce(func.sum(Refund.amount), 0)).where(
            Refund.shop_id == shop.id, Refund.order_shopify_id == order.shopify_id
        )
    )
    if order.cancelled_at is not None or fully_refunded(
        order.financial_status, order.total_price, Decimal(refunded or 0)
    ):
        raise LinkExpired(ORDER_GIVEN_BACK)
    customer = await session.get(Customer, order.customer_id) if order.customer_id else None
    reviews = await session.scalars(
        select(Review).where(Review.shop_id == shop.id, Review.order_id == order.id)
    )
    return OrderForReview(
        shop=shop,
        order=order,
        customer=customer,
        locale=resolve_locale(order.locale or (customer.locale if customer else None), shop.locale),
        products=await order_products(session, shop.id, order.id),
        reviews={r.product_id: r for r in reviews},
    )


def check_submission(*, product_id: str, rating: str, title: str, body: str) -> Submission:
    """The form's fields, checked: ReviewRefused otherwise (in English and French: the page
    shows the customer's)."""
    try:
        product = int(product_id)
    except ValueError:
        raise ReviewRefused(NOT_IN_ORDER) from None
    if rating not in {"1", "2", "3", "4", "5"}:
        raise ReviewRefused(
            Text(
                en="Choose a rating from 1 to 5 stars.",
                fr="Choisissez une note de 1 à 5 étoiles.",
            )
        )
    title, body = title.strip(), body.strip()
    if len(title) > MAX_TITLE:
        raise ReviewRefused(
            Text(
                en=f"The title is {len(title)} characters long: keep it to {MAX_TITLE}.",
                fr=f"Le titre fait {len(title)} caractères : limitez-le à {MAX_TITLE}.",
            )
        )
    if len(body) > MAX_BODY:
        raise ReviewRefused(
            Text(
                en=f"The review is {len(body)} characters long: keep it to {MAX_BODY}.",
                fr=f"L'avis fait {len(body)} caractères : limitez-le à {MAX_BODY}.",
            )
        )
    if "\x00" in title or "\x00" in body:
        raise ReviewRefused(
            Text(
                en="The text contains invalid characters.",
                fr="Le texte contient des caractères non valides.",
            )
        )
    return Submission(product, int(rating), title, body)


def has_link(text: str) -> bool:
    return _LINK.search(text) is not None


def auto_status(
    settings: ReviewSettings, rating: int, title: str, body: str
) -> tuple[str, str | None]:
    """(status, why held): the merchant's auto-publish rule."""
    if not settings.auto_publish:
        return PENDING, "auto_publish_off"
    if rating < settings.auto_publish_min_rating:
        return PENDING, "below_auto_publish_rating"
    if has_link(title) or has_link(body):
        return PENDING, "contains_link"
    return PUBLISHED, None


def photo_key(link: ReviewLink, product_id: int, photo: CleanPhoto) -> str:
    return f"{link.shop_id}/{link.order_id}/{product_id}/{uuid.uuid4().hex}.{photo.extension}"


async def store_photos(
    store: PhotoStore, link: ReviewLink, product_id: int, photos: Sequence[CleanPhoto]
) -> list[str]:
    """Put the photos in the store before the review's transaction; their keys in order. On
    a failure the ones already put are deleted again."""
    keys: list[str] = []
    try:
        for photo in photos:
            key = photo_key(link, product_id, photo)
            await store.put(key, photo.data, photo.content_type)
            keys.append(key)
    except BaseException:
        for key in keys:
            await store.delete(key)
        raise
    return keys


async def submit_review(
    session: AsyncSession,
    opened: OrderForReview,
    submission: Submission,
    photos: Sequence[tuple[str, CleanPhoto]],
    now: datetime,
) -> Submitted:
    """Store the review of one product of the link's order (or edit it within 24 hours), with
    its photos (already in the store under the given keys), and reward a first one. The order
    row is locked, so two submissions of one link for one product take turns."""
    product = opened.product(submission.product_id)
    if product is None:
        raise ReviewRefused(NOT_IN_ORDER)
    shop, order, customer = opened.shop, opened.order, opened.customer
    await session.execute(select(Order.id).where(Order.id == order.id).with_for_update())
    existing = await session.scalar(
        select(Review)
        .where(
            Review.shop_id == shop.id,
            Review.order_id == order.id,
            Review.product_id == product.product_id,
        )
        .with_for_update()
    )
    if existing is None and customer is not None:
        # "Never for a product already reviewed": once per product per customer, across orders.
        other = await session.scalar(
            select(func.count())
            .select_from(Review)
            .where(
                Review.shop_id == shop.id,
                Review.customer_id == customer.id,
                Review.product_id == product.product_id,
            )
        )
        if other:
            raise AlreadyReviewed(ALREADY_REVIEWED)
    settings = await load_settings(session, shop.id)
    status, held = auto_status(settings, submission.rating, submission.title, submission.body)
    author = _author(customer)
    replaced: tuple[str, ...] = ()
    if existing is not None:
        if now >= existing.submitted_at + EDIT_WINDOW or existing.status == SPAM:
            raise AlreadyReviewed(ALREADY_REVIEWED)
        existing.rating = submission.rating
        existing.title = submission.title
        existing.body = submission.body
        existing.edited_at = now
        if existing.status == HIDDEN:
            # The merchant hid it: their decision stands over the author's edit (the auto
            # rule would publish it again, back into the stars and the metaobjects).
            status, held = HIDDEN, existing.held_because
        existing.status, existing.held_because = status, held
        existing.published_at = now if status == PUBLISHED else None
        review = existing
        if photos:
            old = await session.scalars(
                select(ReviewPhoto).where(ReviewPhoto.review_id == review.id)
            )
            replaced = tuple(p.storage_key for p in old)
            await session.execute(delete(ReviewPhoto).where(ReviewPhoto.review_id == review.id))
    else:
        review_id = await session.scalar(
            insert(Review)
            .values(
                shop_id=shop.id,
                order_id=order.id,
                customer_id=customer.id if customer else None,
                product_id=product.product_id,
                product_title=product.title,
                order_name=order.name,
                rating=submission.rating,
                title=submission.title,
                body=submission.body,
                author_name=author,
                locale=opened.locale,
                verified_buyer=True,
                status=status,
                held_because=held,
                submitted_at=now,
                published_at=now if status == PUBLISHED else None,
                reward={},
            )
            .on_conflict_do_nothing(index_elements=["shop_id", "order_id", "product_id"])
            .returning(Review.id)
        )
        if review_id is None:  # pragma: no cover - the order lock serialises submissions
            raise AlreadyReviewed(ALREADY_REVIEWED)
        found = await session.get(Review, review_id)
        if found is None:  # pragma: no cover - inserted just above
            raise AlreadyReviewed(ALREADY_REVIEWED)
        review = found
    for position, (key, photo) in enumerate(photos):
        session.add(
            ReviewPhoto(
                shop_id=shop.id,
                review_id=review.id,
                position=position,
                storage_key=key,
                content_type=photo.content_type,
                width=photo.width,
                height=photo.height,
                size_bytes=len(photo.data),
            )
        )
    await session.flush()
    has_photo = bool(photos) or bool(
        await session.scalar(
            select(func.count()).select_from(ReviewPhoto).where(ReviewPhoto.review_id == review.id)
        )
    )
    await rewards.reward_review(session, review, settings, has_photo=has_photo, now=now)
    return Submitted(review, existing is not None, replaced)


def _author(customer: Customer | None) -> str | None:
    """What the shop shows as the author: a first name and an initial."""
    if customer is None or not customer.first_name:
        return None
    initial = f" {customer.last_name[0]}." if customer.last_name else ""
    return f"{customer.first_name}{initial}"


# -- moderation ------------------------------------------------------------------------------


async def _review(session: AsyncSession, shop_id: int, review_id: int) -> Review:
    review = await session.scalar(
        select(Review).where(Review.shop_id == shop_id, Review.id == review_id).with_for_update()
    )
    if review is None:
        raise ReviewNotFound(
            Text(
                en=f"No review {review_id} in this shop: reload the list.",
                fr=f"Aucun avis {review_id} dans cette boutique : rechargez la liste.",
            )
        )
    return review


async def publish(session: AsyncSession, shop_id: int, review_id: int, now: datetime) -> Review:
    review = await _review(session, shop_id, review_id)
    if review.status == SPAM:
        # Published after all: the merchant changed their mind, the reward is given back.
        await rewards.reward_review(
            session,
            review,
            await load_settings(session, shop_id),
            has_photo=await _has_photo(session, review),
            now=now,
            again=True,
        )
    review.status, review.held_because, review.hidden_at = PUBLISHED, None, None
    review.published_at = review.published_at or now
    return review


async def hide(session: AsyncSession, shop_id: int, review_id: int, now: datetime) -> Review:
    review = await _review(session, shop_id, review_id)
    review.status, review.hidden_at = HIDDEN, now
    return review


async def mark_spam(session: AsyncSession, shop_id: int, review_id: int, now: datetime) -> Review:
    """Rejected as spam: hidden, and whatever it earned taken back."""
    review = await _review(session, shop_id, review_id)
    if review.status != SPAM:
        review.status, review.hidden_at = SPAM, now
        await rewards.revoke(session, review, now)
    return review


async def reply(
    session: AsyncSession, shop_id: int, review_id: int, text: str, now: datetime
) -> Review:
    text = text.strip()
    if not text or len(text) > MAX_REPLY:
        raise ReviewRefused(
            Text(
                en=f"reply: write 1 to {MAX_REPLY} characters",
                fr=f"reply : écrivez de 1 à {MAX_REPLY} caractères",
            )
        )
    review = await _review(session, shop_id, review_id)
    review.reply, review.replied_at = text, now
    return review


async def _has_photo(session: AsyncSession, review: Review) -> bool:
    return bool(
        await session.scalar(
            select(func.count()).select_from(ReviewPhoto).where(ReviewPhoto.review_id == review.id)
        )
    )


async def photos_of(
    session: AsyncSession, review_ids: Sequence[int]
) -> dict[int, list[ReviewPhoto]]:
    if not review_ids:
        return {}
    rows = await session.scalars(
        select(ReviewPhoto)
        .where(ReviewPhoto.review_id.in_(review_ids))
        .order_by(ReviewPhoto.review_id, ReviewPhoto.position)
    )
    found: dict[int, list[ReviewPhoto]] = {}
    for photo in rows:
        found.setdefault(photo.review_id, []).append(photo)
    return found


async def list_reviews(
    session: AsyncSession, shop_id: int, *, status: str | None = None, limit: int = 200
) -> list[Review]:
    query = select(Review).where(Review.shop_id == shop_id)
    if status is not None:
        query = query.where(Review.status == status)
    return list(
        await session.scalars(
            query.order_by(Review.submitted_at.desc(), Review.id.desc()).limit(limit)
        )
    )
