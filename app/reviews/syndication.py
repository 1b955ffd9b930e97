"""Syndicating published reviews to Shopify's standard `product_review` metaobject: optional,
off by default (the shop's `syndicate_to_shopify` setting), because Shopify grants the
definition only to apps approved for its standard product review syndication program
(shopify.dev/docs/apps/build/metaobjects/standard-review-metaobject).

One metaobject per review, upserted by a handle derived from our review id so a retried job
never makes a second one; a review that is not published (held, hidden, spam) or whose author
was redacted has none. Pure mapping here; the job (jobs/reviews.py) reads and writes.

Field keys: the standard definitions list (shopify.dev/docs/apps/build/metaobjects/
list-of-standard-definitions) gives each field's name and type but, in the copy we could read,
not its key; the keys below are the names in Shopify's key convention (snake_case: "Submitted
At" -> `submitted_at`). "Language" is not sent: its type was cut off in that copy."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Review
from app.queue.deferred import Job

TYPE = "product_review"
SOURCE = "Boomerang"
SYNC_JOB = "sync_review_metaobject"
# The optional scopes (`optional_scopes` in shopify.app.toml) syndication needs, requested by
# the admin through App Bridge's Scopes API when the merchant turns it on: enabling the
# standard definition, and writing (and so reading) its metaobjects.
SCOPES: tuple[str, ...] = ("write_metaobject_definitions", "write_metaobjects")


def handle(review_id: int) -> str:
    return f"boomerang-review-{review_id}"


def sync_job(shop_id: int, review_id: int, change: str) -> Job:
    return Job(SYNC_JOB, (shop_id, review_id), f"{SYNC_JOB}:{shop_id}:{review_id}:{change}")


def missing_scopes(granted: Iterable[str]) -> list[str]:
    """The scopes syndication needs that the shop has not granted (empty: it can be on)."""
    held = set(granted)
    return [scope for scope in SCOPES if scope not in held]


def syndicated(review: Review) -> bool:
    """Whether the review belongs at Shopify: published, and its author not redacted (a
    redaction removes it, as it carries the customer and the order)."""
    return review.status == "published" and review.anonymised_at is None


async def published_ids(session: AsyncSession, shop_id: int) -> list[int]:
    """The reviews that belong at Shopify now: written when the merchant turns syndication on
    (the reviews published before it, not only those published after)."""
    rows = await session.scalars(
        select(Review.id)
        .where(
            Review.shop_id == shop_id,
            Review.status == "published",
            Review.anonymised_at.is_(None),
        )
        .order_by(Review.id)
    )
    return list(rows)


def _when(moment: datetime) -> str:
    return moment.isoformat()


def fields(
    review: Review,
    *,
    customer_shopify_id: int | None,
    order_shopify_id: int | None,
    media_urls: list[str],
) -> list[dict[str, str]]:
    """metaobjectUpsert's fields. An optional field without a value is left out (the dates
    and references would refuse an empty value); none of them goes back to having no value
    once set, except with a redaction, which removes the whole metaobject."""
    rating = json.dumps({"value": str(review.rating), "scale_min": "1", "scale_max": "5"})
    values: dict[str, str | None] = {
        "rating": rating,
        "title": review.title.replace("\n", " ").strip(),
        "body": review.body,
        "submitted_at": _when(review.submitted_at),
        "edited_at": _when(review.edited_at) if review.edited_at else None,
        "published_at": _when(review.published_at) if review.published_at else None,
        "source": SOURCE,
        "author": f"gid://shopify/Customer/{customer_shopify_id}" if customer_shopify_id else None,
        "author_display_name": review.author_name,
        "order": f"gid://shopify/Order/{order_shopify_id}" if order_shopify_id else None,
        "product": f"gid://shopify/Product/{review.product_id}",
        "merchant_reply": review.reply,
        "merchant_replied_at": _when(review.replied_at) if review.replied_at else None,
        "media_urls": json.dumps(media_urls),
    }
    return [{"key": key, "value": value} for key, value in values.items() if value is not None]


def upsert_variables(review: Review, upsert_fields: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "handle": {"type": TYPE, "handle": handle(review.id)},
        "metaobject": {"fields": upsert_fields},
    }
