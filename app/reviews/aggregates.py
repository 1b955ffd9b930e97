"""Each product's published rating, written to Shopify's standard product metafields, which
themes (Dawn) and SEO apps read with no widget: `reviews.rating` (type rating, scale 1–5,
value JSON {"value", "scale_min", "scale_max"}) and `reviews.rating_count`
(number_integer). Pure computation here; the job (jobs/reviews.py) reads and writes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Review
from app.queue.deferred import Job

NAMESPACE = "reviews"
SYNC_JOB = "sync_product_rating"


def sync_job(shop_id: int, product_id: int, change: str) -> Job:
    """`change` names what moved the aggregate (a review's new state), so each change is its
    own job and a redelivered one is the same."""
    return Job(SYNC_JOB, (shop_id, product_id), f"{SYNC_JOB}:{shop_id}:{product_id}:{change}")


@dataclass(frozen=True)
class ProductRating:
    product_id: int
    count: int
    # The mean of published ratings to one decimal; None without any.
    average: Decimal | None


async def product_rating(session: AsyncSession, shop_id: int, product_id: int) -> ProductRating:
    count, total = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(Review.rating), 0)).where(
                Review.shop_id == shop_id,
                Review.product_id == product_id,
                Review.status == "published",
            )
        )
    ).one()
    average = None
    if count:
        average = (Decimal(int(total)) / Decimal(int(count))).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )
    return ProductRating(product_id, int(count), average)


def product_gid(product_id: int) -> str:
    return f"gid://shopify/Product/{product_id}"


def metafield_inputs(rating: ProductRating) -> list[dict[str, Any]]:
    """metafieldsSet's inputs for the product. Without a published review only the count (0)
    is written: a rating type has no value for "no rating"."""
    owner = product_gid(rating.product_id)
    inputs: list[dict[str, Any]] = [
        {
            "ownerId": owner,
            "namespace": NAMESPACE,
            "key": "rating_count",
            "type": "number_integer",
            "value": str(rating.count),
        }
    ]
    if rating.average is not None:
        inputs.insert(
            0,
            {
                "ownerId": owner,
                "namespace": NAMESPACE,
                "key": "rating",
                "type": "rating",
                "value": json.dumps(
                    {"value": str(rating.average), "scale_min": "1.0", "scale_max": "5.0"}
                ),
            },
        )
    return inputs
