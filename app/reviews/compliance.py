"""What the reviews program holds on a customer, for data requests and redactions: their
reviews (and those of their orders, a guest's included) and their photos' descriptions are
exported; a redaction anonymises the reviews (no author, no customer, no order: the rating and
words stay as the shop's published content) and deletes their photos (the rows now, the bytes
by a job after the commit) and their reviews' product_review metaobjects at Shopify (a job
after the commit, when the shop syndicates)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.compliance.commerce import customer_ids_of, order_ids_of, row_as_dict
from app.compliance.registry import DataSubject, rows_changed
from app.models import Review, ReviewPhoto
from app.queue.deferred import Job, defer
from app.reviews import syndication

DELETE_PHOTOS_JOB = "delete_review_photos"


def delete_photos_job(shop_id: int, keys: list[str]) -> Job:
    return Job(
        DELETE_PHOTOS_JOB,
        (shop_id, keys),
        f"{DELETE_PHOTOS_JOB}:{shop_id}:{hashlib.sha256(chr(31).join(keys).encode()).hexdigest()[:32]}",
    )


def _theirs(subject: DataSubject) -> Any:
    """Their reviews, and those of their orders: a review of a guest checkout's order has no
    customer, only the order."""
    return (Review.shop_id == subject.shop_id) & or_(
        Review.customer_id.in_(customer_ids_of(subject)),
        Review.order_id.in_(order_ids_of(subject)),
    )


async def export_reviews(session: AsyncSession, subject: DataSubject) -> list[dict[str, Any]]:
    reviews = list(
        await session.scalars(select(Review).where(_theirs(subject)).order_by(Review.id))
    )
    photos = await session.scalars(
        select(ReviewPhoto)
        .where(ReviewPhoto.review_id.in_([r.id for r in reviews]))
        .order_by(ReviewPhoto.id)
    )
    return [
        *({"review": row_as_dict(row)} for row in reviews),
        *({"review_photo": row_as_dict(row)} for row in photos),
    ]


async def erase_reviews(session: AsyncSession, subject: DataSubject) -> int:
    ids = list(await session.scalars(select(Review.id).where(_theirs(subject))))
    if not ids:
        return 0
    keys = list(
        await session.scalars(select(ReviewPhoto.storage_key).where(ReviewPhoto.review_id.in_(ids)))
    )
    await session.execute(delete(ReviewPhoto).where(ReviewPhoto.review_id.in_(ids)))
    if keys:
        defer(session, delete_photos_job(subject.shop_id, keys))
    for review_id in ids:
        defer(session, syndication.sync_job(subject.shop_id, review_id, "redacted"))
    return await rows_changed(
        session,
        update(Review)
        .where(Review.id.in_(ids))
        .values(
            author_name=None,
            customer_id=None,
            order_id=None,
            order_name=None,
            anonymised_at=datetime.now(UTC),
        ),
    )
