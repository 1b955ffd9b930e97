"""The referral program's daily KPI figures (definitions: docs/kpis.md, "Referrals"), declared
to the roll-up (app/kpis/catalog.py). Each row is filed under the day its event happened: a
link visit when it was visited, a code when Shopify had it, a referral (a code used on an
order) when it was recorded, a qualification and a reward on their own days."""

from __future__ import annotations

from app.kpis.sources import DailyFigures

SOURCE = "referrals"  # the rows' source in kpi_daily, as the SQL below writes it

REFERRAL_FIGURES = DailyFigures(
    name="referrals",
    sql="""
WITH used AS (
    SELECT count(*) AS codes_used,
        -- Flagged by the fraud rules when recorded, whatever the merchant decided since (a
        -- decision is only ever taken on a flagged referral).
        count(*) FILTER (
            WHERE status = 'flagged' OR decided_at IS NOT NULL
               OR jsonb_array_length(evidence) > 0) AS flagged,
        count(*) FILTER (WHERE status NOT IN ('void', 'rejected')) AS referred_orders,
        coalesce(sum(order_total) FILTER (WHERE status NOT IN ('void', 'rejected')), 0)
            AS referred_revenue,
        count(*) FILTER (WHERE status = 'void') AS voided,
        count(*) FILTER (WHERE status = 'rejected') AS rejected
    FROM referrals
    WHERE shop_id = :shop_id AND created_at >= :start AND created_at < :end
)
SELECT 'referrals' AS source, 0 AS step, metric, value FROM used, LATERAL (VALUES
    ('codes_issued', (
        SELECT count(*) FROM referral_codes
        WHERE shop_id = :shop_id AND code IS NOT NULL
          AND created_at >= :start AND created_at < :end)),
    ('link_visits', (
        SELECT count(*) FROM referral_visits
        WHERE shop_id = :shop_id AND visited_at >= :start AND visited_at < :end)),
    ('codes_used', codes_used),
    ('flagged', flagged),
    ('qualified', (
        SELECT count(*) FROM referrals
        WHERE shop_id = :shop_id AND qualified_at >= :start AND qualified_at < :end)),
    ('rewarded', (
        SELECT count(*) FROM referrals
        WHERE shop_id = :shop_id AND status = 'rewarded'
          AND rewarded_at >= :start AND rewarded_at < :end)),
    ('voided', voided),
    ('rejected', rejected),
    ('referred_orders', referred_orders),
    ('referred_revenue', referred_revenue)
) AS v(metric, value)
""",
)
