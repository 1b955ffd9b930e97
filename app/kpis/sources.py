"""How a figure gets into the daily roll-up: a source declares SQL that, for one shop and one
day in the shop's timezone, returns rows (source, step, metric, value). The roll-up
(app/kpis/rollup.py) runs every declared query for each day it rolls up, so a scenario or a
program adds its figures by adding a `DailyFigures` to the catalog (app/kpis/catalog.py),
and nothing else changes: the API, the CSV export and the rebuild pick them up.

Each query sees the parameters :shop_id, :day (the local date), :start and :end (that day's
bounds as instants: 23 or 25 hours long across a DST change). Step 0 is the whole source;
1.. are its steps. Rows whose value is 0 are not stored."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DailyFigures:
    """One query of daily figures; `name` says what it is for in logs and errors."""

    name: str
    sql: str


# What became of every journey's messages, filed on the message's send day (suppressed ones on
# the day they were asked for). Any scenario that sends through the outbox gets these.
JOURNEY_MESSAGES = DailyFigures(
    name="journey_messages",
    sql="""
WITH m AS (
    SELECT id, scenario, step, subject_key FROM messages
    WHERE shop_id = :shop_id AND status IN ('sent', 'unconfirmed')
      AND sent_at >= :start AND sent_at < :end
    UNION ALL
    SELECT id, scenario, step, subject_key FROM messages
    WHERE shop_id = :shop_id AND status = 'unconfirmed' AND sent_at IS NULL
      AND sending_started_at >= :start AND sending_started_at < :end
), flagged AS (
    SELECT m.scenario, m.step,
        NOT EXISTS (
            SELECT 1 FROM messages p
            WHERE p.shop_id = :shop_id AND p.scenario = m.scenario
              AND p.subject_key = m.subject_key AND p.step < m.step
              AND p.status IN ('sent', 'unconfirmed')
        ) AS first_of_run,
        coalesce(e.bounced, false) AS bounced,
        coalesce(e.opened, false) AS opened,
        coalesce(e.clicked, false) AS clicked,
        coalesce(e.machine_opened, false) AS machine_opened,
        coalesce(e.machine_clicked, false) AS machine_clicked
    FROM m LEFT JOIN LATERAL (
        -- A person's click is an open too: they could not click an email they did not open,
        -- and a client that blocks images never loads the pixel (most ESPs count it so).
        SELECT bool_or(kind = 'bounce') AS bounced,
               bool_or(kind IN ('open', 'click') AND human) AS opened,
               bool_or(kind = 'click' AND human) AS clicked,
               bool_or(kind = 'open' AND NOT human) AS machine_opened,
               bool_or(kind = 'click' AND NOT human) AS machine_clicked
        FROM message_events
        WHERE shop_id = :shop_id AND message_id = m.id
    ) e ON true
), grouped AS (
    SELECT scenario, CASE WHEN GROUPING(step) = 1 THEN 0 ELSE step END AS step,
        count(*) AS sent,
        CASE WHEN GROUPING(step) = 1 THEN count(*) FILTER (WHERE first_of_run)
             ELSE count(*) END AS recipients,
        count(*) FILTER (WHERE bounced) AS bounced,
        count(*) FILTER (WHERE NOT bounced) AS delivered,
        count(*) FILTER (WHERE opened) AS unique_human_opens,
        count(*) FILTER (WHERE clicked) AS unique_human_clicks,
        count(*) FILTER (WHERE machine_opened AND NOT opened) AS machine_only_opens,
        count(*) FILTER (WHERE machine_clicked AND NOT clicked) AS machine_only_clicks
    FROM flagged GROUP BY GROUPING SETS ((scenario, step), (scenario))
)
SELECT scenario AS source, step, metric, value FROM grouped, LATERAL (VALUES
    ('sent', sent), ('recipients', recipients), ('bounced', bounced),
    ('delivered', delivered), ('unique_human_opens', unique_human_opens),
    ('unique_human_clicks', unique_human_clicks),
    ('machine_only_opens', machine_only_opens), ('machine_only_clicks', machine_only_clicks)
) AS v(metric, value)
""",
)

# Messages the outbox dropped for good, by reason, on the day they were asked for.
JOURNEY_SUPPRESSED = DailyFigures(
    name="journey_suppressed",
    sql="""
SELECT scenario AS source, CASE WHEN GROUPING(step) = 1 THEN 0 ELSE step END AS step,
    CASE WHEN GROUPING(reason) = 1 THEN 'suppressed' ELSE 'suppressed.' || reason END AS metric,
    count(*) AS value
FROM (
    SELECT scenario, step, left(coalesce(status_reason, 'unknown'), 80) AS reason
    FROM messages
    WHERE shop_id = :shop_id AND status = 'suppressed'
      AND requested_at >= :start AND requested_at < :end
) s
GROUP BY GROUPING SETS ((scenario, step), (scenario, step, reason), (scenario), (scenario, reason))
""",
)

# Subjects that entered each scenario: treated (runs_started) and held out (holdout). For the
# abandoned cart, entered = checkouts abandoned.
JOURNEY_RUNS = DailyFigures(
    name="journey_runs",
    sql="""
SELECT scenario AS source, 0 AS step, metric, value FROM (
    SELECT scenario,
        count(*) FILTER (WHERE stop_reason IS DISTINCT FROM 'holdout') AS runs_started,
        count(*) FILTER (WHERE stop_reason = 'holdout') AS holdout
    FROM scenario_runs
    WHERE shop_id = :shop_id AND started_at >= :start AND started_at < :end
    GROUP BY scenario
) r, LATERAL (VALUES ('runs_started', runs_started), ('holdout', holdout)) AS v(metric, value)
""",
)

# Attributed orders (kpi_attributions, one scenario per order), on the order's day. A refund
# takes its amount off the revenue; a fully refunded order is no longer a conversion.
ATTRIBUTED_ORDERS = DailyFigures(
    name="attributed_orders",
    sql="""
SELECT scenario AS source, step, metric, value FROM (
    SELECT scenario, CASE WHEN GROUPING(step) = 1 THEN 0 ELSE step END AS step,
        count(*) FILTER (WHERE revenue > refunded) AS conversions,
        coalesce(sum(revenue - refunded), 0) AS revenue,
        coalesce(sum(revenue), 0) AS gross_revenue,
        coalesce(sum(refunded), 0) AS refunded,
        coalesce(sum(discount_cost), 0) AS discount_cost,
        count(*) FILTER (WHERE via = 'checkout' AND revenue > refunded) AS recovered,
        coalesce(sum(revenue - refunded) FILTER (WHERE via = 'checkout'), 0) AS recovered_revenue
    FROM kpi_attributions
    WHERE shop_id = :shop_id AND day = :day
    GROUP BY GROUPING SETS ((scenario, step), (scenario))
) a, LATERAL (VALUES
    ('conversions', conversions), ('revenue', revenue), ('gross_revenue', gross_revenue),
    ('refunded', refunded), ('discount_cost', discount_cost), ('recovered', recovered),
    ('recovered_revenue', recovered_revenue)
) AS v(metric, value)
""",
)

# The store's own orders (not cancelled), net of refunds, split by loyalty membership at the
# time of the order (an account opened before the order was placed).
STORE_ORDERS = DailyFigures(
    name="store_orders",
    sql="""
SELECT 'store' AS source, 0 AS step, metric, value FROM (
    SELECT count(*) AS orders,
        coalesce(sum(net), 0) AS revenue,
        count(*) FILTER (WHERE member) AS member_orders,
        coalesce(sum(net) FILTER (WHERE member), 0) AS member_revenue,
        count(*) FILTER (WHERE NOT member) AS nonmember_orders,
        coalesce(sum(net) FILTER (WHERE NOT member), 0) AS nonmember_revenue
    FROM (
        -- Joins, not a probe per order: the planner hashes the shop's accounts for a busy
        -- day (4 to 5 times faster at 200,000 orders) and still probes them for a quiet one.
        -- An account is one row per customer, so the refunds' sum is not multiplied.
        SELECT coalesce(o.total_price, 0) - coalesce(sum(r.amount), 0) AS net,
            coalesce(bool_or(a.created_at <= o.placed_at), false) AS member
        FROM orders o
        LEFT JOIN loyalty_accounts a
          ON a.shop_id = o.shop_id AND a.customer_id = o.customer_id
        LEFT JOIN refunds r
          ON r.shop_id = o.shop_id AND r.order_shopify_id = o.shopify_id
        WHERE o.shop_id = :shop_id AND o.placed_at >= :start AND o.placed_at < :end
          AND o.cancelled_at IS NULL
        GROUP BY o.id
    ) o
) s, LATERAL (VALUES
    ('orders', orders), ('revenue', revenue), ('member_orders', member_orders),
    ('member_revenue', member_revenue), ('nonmember_orders', nonmember_orders),
    ('nonmember_revenue', nonmember_revenue)
) AS v(metric, value)
""",
)

# Points movements on the day they were written, and rewards handed out (not given back).
LOYALTY_POINTS = DailyFigures(
    name="loyalty_points",
    sql="""
SELECT 'loyalty' AS source, 0 AS step, metric, value FROM (
    SELECT
        coalesce(sum(delta) FILTER (
            WHERE kind IN ('earn', 'bonus') OR (kind = 'adjust' AND delta > 0)), 0)
            AS points_issued,
        coalesce(-sum(delta) FILTER (WHERE kind = 'redeem'), 0) AS points_redeemed,
        coalesce(-sum(delta) FILTER (WHERE kind = 'expire'), 0) AS points_expired,
        coalesce(-sum(delta) FILTER (
            WHERE kind = 'clawback' OR (kind = 'adjust' AND delta < 0)), 0)
            AS points_taken_back
    FROM points_ledger
    WHERE shop_id = :shop_id AND created_at >= :start AND created_at < :end
) p, LATERAL (VALUES
    ('points_issued', points_issued), ('points_redeemed', points_redeemed),
    ('points_expired', points_expired), ('points_taken_back', points_taken_back),
    ('rewards_distributed', (
        SELECT count(*) FROM loyalty_redemptions
        WHERE shop_id = :shop_id AND issued_at >= :start AND issued_at < :end
          AND status <> 'returned'))
) AS v(metric, value)
""",
)
