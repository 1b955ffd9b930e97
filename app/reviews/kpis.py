"""The reviews program's KPI figures (definitions: docs/kpis.md, "Reviews"), declared to the
roll-up (app/kpis/catalog.py): review requests on the day the first email of the order's
request went, whether that order was reviewed since, and reviews on the day they were written;
plus a snapshot of every review the shop holds (its overall rating)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.kpis.snapshots import Snapshot
from app.kpis.sources import DailyFigures

SOURCE = "reviews"  # the rows' source in kpi_daily, as the SQL below writes it

# The requests are the review_request journey's, whose runs are keyed "order:{orders.id}".

REVIEW_FIGURES = DailyFigures(
    name="reviews",
    sql="""
WITH m AS (
    SELECT subject_key, step FROM messages
    WHERE shop_id = :shop_id AND scenario = 'review_request'
      AND status IN ('sent', 'unconfirmed') AND sent_at >= :start AND sent_at < :end
    UNION ALL
    SELECT subject_key, step FROM messages
    WHERE shop_id = :shop_id AND scenario = 'review_request' AND status = 'unconfirmed'
      AND sent_at IS NULL AND sending_started_at >= :start AND sending_started_at < :end
), requests AS (
    -- An order's request counts once, on the day its first email went.
    SELECT DISTINCT m.subject_key FROM m
    WHERE NOT EXISTS (
        SELECT 1 FROM messages p
        WHERE p.shop_id = :shop_id AND p.scenario = 'review_request'
          AND p.subject_key = m.subject_key AND p.step < m.step
          AND p.status IN ('sent', 'unconfirmed')
    )
), asked AS (
    SELECT count(*) AS requests,
        count(*) FILTER (WHERE EXISTS (
            SELECT 1 FROM reviews r
            WHERE r.shop_id = :shop_id AND r.status <> 'spam'
              AND r.order_id = CAST(split_part(q.subject_key, ':', 2) AS bigint)
        )) AS requests_answered
    FROM requests q WHERE q.subject_key LIKE 'order:%'
), written AS (
    SELECT count(*) AS reviews,
        coalesce(sum(rating), 0) AS rating_sum,
        count(*) FILTER (WHERE EXISTS (
            SELECT 1 FROM review_photos p WHERE p.review_id = r.id)) AS reviews_with_photos,
        count(*) FILTER (WHERE rating = 1) AS r1, count(*) FILTER (WHERE rating = 2) AS r2,
        count(*) FILTER (WHERE rating = 3) AS r3, count(*) FILTER (WHERE rating = 4) AS r4,
        count(*) FILTER (WHERE rating = 5) AS r5
    FROM reviews r
    WHERE r.shop_id = :shop_id AND r.status <> 'spam'
      AND r.submitted_at >= :start AND r.submitted_at < :end
)
SELECT 'reviews' AS source, 0 AS step, metric, value FROM asked, written, LATERAL (VALUES
    ('requests', requests), ('requests_answered', requests_answered),
    ('reviews', reviews), ('rating_sum', rating_sum),
    ('reviews_with_photos', reviews_with_photos),
    ('rating_1', r1), ('rating_2', r2), ('rating_3', r3), ('rating_4', r4), ('rating_5', r5)
) AS v(metric, value)
""",
)

_ALL = text("""
SELECT count(*) AS reviews,
    avg(rating) AS average_rating,
    count(*) FILTER (WHERE EXISTS (
        SELECT 1 FROM review_photos p WHERE p.review_id = r.id)) AS with_photos,
    count(*) FILTER (WHERE status = 'published') AS published,
    count(*) FILTER (WHERE status = 'pending') AS awaiting_moderation
FROM reviews r WHERE r.shop_id = :shop_id AND r.status <> 'spam'
""")


def _number(value: Any) -> str | None:
    return None if value is None else str(Decimal(value).quantize(Decimal("0.0001")))


async def all_reviews(
    session: AsyncSession, shop_id: int, tz: str, now: datetime
) -> dict[str, Any]:
    """Every review the shop holds (spam aside): the overall rating and share with photos."""
    row = (await session.execute(_ALL, {"shop_id": shop_id})).mappings().one()
    reviews = int(row["reviews"])
    return {
        "reviews": reviews,
        "average_rating": _number(row["average_rating"]),
        "reviews_with_photos": int(row["with_photos"]),
        "photo_share": _number(Decimal(row["with_photos"]) / reviews if reviews else None),
        "published": int(row["published"]),
        "awaiting_moderation": int(row["awaiting_moderation"]),
    }


REVIEWS_SNAPSHOT = Snapshot(SOURCE, all_reviews)
