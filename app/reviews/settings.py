"""A shop's review settings: the auto-publish rule, the rewards (points with loyalty on, a
single-use code with it off; never gated on the rating), stored as the merchant saved them in
`review_settings` and read with the defaults filled in."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import ReviewSettingsRow


class ReviewSettings(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    # A review at or above this rating, with no link in it, is published at once; any other
    # waits for the merchant. Off: every review waits.
    auto_publish: bool = True
    auto_publish_min_rating: int = Field(default=4, ge=1, le=5)
    # Points when the loyalty program is on, once per product per customer.
    review_points: int = Field(default=50, ge=0, le=100_000)
    photo_bonus_points: int = Field(default=100, ge=0, le=100_000)
    # With loyalty off: a single-use percentage code for a review (0 turns it off).
    code_percent: int = Field(default=10, ge=0, le=100)
    code_valid_days: int = Field(default=60, ge=1, le=365)
    # Each published review also written to Shopify's standard product_review metaobject
    # (app/reviews/syndication.py). Off by default: Shopify grants it only to approved apps,
    # and turning it on first enables the definition at Shopify (a refusal leaves it off).
    syndicate_to_shopify: bool = False


async def load_settings(session: AsyncSession, shop_id: int) -> ReviewSettings:
    row = await session.get(ReviewSettingsRow, shop_id)
    return ReviewSettings.model_validate(row.options if row else {}, strict=False)


async def save_settings(
    session: AsyncSession, shop_id: int, patch: dict[str, Any]
) -> ReviewSettings:
    """Merge `patch` into what is stored; ValidationError when the result is not valid."""
    current = await load_settings(session, shop_id)
    merged = ReviewSettings.model_validate({**current.model_dump(), **patch})
    options = merged.model_dump(mode="json")
    await session.execute(
        insert(ReviewSettingsRow)
        .values(shop_id=shop_id, options=options)
        .on_conflict_do_update(index_elements=["shop_id"], set_={"options": options})
    )
    return merged
