"""The attribution rule (docs/kpis.md): each order placed in a day, not cancelled, is
attributed to at most one scenario, recomputed from the raw rows whenever its day is rolled up:

1. an order that completes the checkout of a checkout scenario's run (the abandoned cart)
   after one of its reminders was sent counts for that scenario (its last step sent);
2. otherwise, the last message of any scenario's run the customer opened or clicked (a person,
   not a machine) within the window before the order (default 5 days, per shop) takes it; a
   message of no run (a loyalty notice, a referral email) is passed over, never the end.

Revenue is the order's total; refunds are kept apart (the roll-up subtracts them); the
discount cost is what the attributed run's own codes took off the order."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

CHECKOUT = "checkout"
ENGAGEMENT = "engagement"

_ATTRIBUTE = text("""
WITH o AS (
    SELECT id, shopify_id, customer_id, checkout_token, placed_at,
           coalesce(total_price, 0) AS total
    FROM orders
    WHERE shop_id = :shop_id AND placed_at >= :start AND placed_at < :end
      AND cancelled_at IS NULL
), by_checkout AS (
    SELECT o.id AS order_id, r.id AS run_id, r.scenario, s.step, s.message_id,
           'checkout' AS via
    FROM o
    JOIN scenario_runs r ON r.shop_id = :shop_id AND r.subject_key = o.checkout_token
        AND r.scenario = ANY(CAST(:checkout_scenarios AS text[]))
    CROSS JOIN LATERAL (
        SELECT m.step, m.id AS message_id FROM messages m
        WHERE m.shop_id = :shop_id AND m.scenario = r.scenario
          AND m.subject_key = r.subject_key AND m.status IN ('sent', 'unconfirmed')
          AND date_trunc('second', coalesce(m.sent_at, m.sending_started_at)) <= o.placed_at
        ORDER BY m.step DESC LIMIT 1
    ) s
    WHERE o.checkout_token IS NOT NULL
), by_engagement AS (
    SELECT o.id AS order_id, x.run_id, x.scenario, x.step, x.message_id,
           'engagement' AS via
    FROM o
    CROSS JOIN LATERAL (
        -- Only a message of a scenario's run can take the order: a message of no run (a
        -- loyalty notice, a referral email) opened later does not hide it.
        SELECT r.id AS run_id, m.scenario, m.step, m.id AS message_id
        FROM messages m JOIN message_events e ON e.shop_id = :shop_id AND e.message_id = m.id
        JOIN scenario_runs r ON r.shop_id = :shop_id AND r.scenario = m.scenario
            AND r.subject_key = m.subject_key
        WHERE m.shop_id = :shop_id AND m.customer_id = o.customer_id
          AND m.sent_at IS NOT NULL AND m.sent_at <= o.placed_at
          AND e.kind IN ('open', 'click') AND e.human
          AND date_trunc('second', e.occurred_at) <= o.placed_at
          AND e.occurred_at > o.placed_at - make_interval(days => :window)
        ORDER BY e.occurred_at DESC, e.id DESC LIMIT 1
    ) x
    WHERE o.customer_id IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM by_checkout c WHERE c.order_id = o.id)
), chosen AS (
    SELECT DISTINCT ON (order_id) * FROM (
        SELECT * FROM by_checkout UNION ALL SELECT * FROM by_engagement
    ) a ORDER BY order_id, via, step DESC
)
INSERT INTO kpi_attributions (shop_id, order_id, scenario, run_id, step, message_id, via, day,
                              placed_at, revenue, refunded, discount_cost)
SELECT :shop_id, c.order_id, c.scenario, c.run_id, c.step, c.message_id, c.via, :day,
       o.placed_at, o.total,
       coalesce((SELECT sum(f.amount) FROM refunds f
                 WHERE f.shop_id = :shop_id AND f.order_shopify_id = o.shopify_id), 0),
       coalesce((SELECT sum(d.amount) FROM order_discount_codes d, scenario_runs r
                 WHERE d.shop_id = :shop_id AND d.order_id = o.id AND r.id = c.run_id
                   AND upper(d.code) IN (SELECT upper(code) FROM unnest(r.issued_codes) code)
                ), 0)
FROM chosen c JOIN o ON o.id = c.order_id
""")


async def attribute_day(
    session: AsyncSession,
    *,
    shop_id: int,
    day: date,
    start: datetime,
    end: datetime,
    window_days: int,
    checkout_scenarios: Sequence[str],
) -> None:
    """Recompute the attributions of the orders placed in [start, end) (the shop's local
    `day`): the previous ones of that day are replaced."""
    await session.execute(
        # The day's previous attributions, and those of orders moved into it since.
        text(
            "DELETE FROM kpi_attributions WHERE shop_id = :shop_id AND (day = :day OR order_id "
            "IN (SELECT id FROM orders WHERE shop_id = :shop_id AND placed_at >= :start "
            "AND placed_at < :end))"
        ),
        {"shop_id": shop_id, "day": day, "start": start, "end": end},
    )
    await session.execute(
        _ATTRIBUTE,
        {
            "shop_id": shop_id,
            "day": day,
            "start": start,
            "end": end,
            "window": window_days,
            "checkout_scenarios": list(checkout_scenarios),
        },
    )
