"""Win-back's SQL, shop id first.

The selection is one query per keyset page: the shop's customer_order_stats rows after
`after_id` in primary-key order (shop_id, customer_id), each joined to its customer by primary
key, filtered by the same rule as rule.why_not_start, and a page of at most `limit` matches
returned. The stats row (kept by the orders handler, app/order_stats.py) already holds the
count, the last order and the median gap, so no page aggregates orders; the whole selection
reads each of the shop's stats rows once, whatever the page size. An uninstalled (or erased,
or token-refused) shop selects nothing: the shop's row is part of the same query."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import (
    Customer,
    CustomerOrderStats,
    Message,
    ScenarioRun,
    Shop,
)
from app.scenarios import runs
from app.scenarios.winback.rule import SUBSCRIBED, LapseRule, WinbackSnapshot

KEY = "winback"
PAGE_SIZE = 1000
# Ends the subject key of a run started in dry run: a rehearsal, which neither counts as a
# win-back the customer had (the cooldown) nor keys the run a live walk starts for them.
DRY_RUN_SUFFIX = ":dry-run"
_DRY_RUN_PATTERN = "%" + DRY_RUN_SUFFIX


def is_dry_run(subject_key: str) -> bool:
    return subject_key.endswith(DRY_RUN_SUFFIX)


@dataclass(frozen=True)
class LapsedCustomer:
    customer_id: int
    email: str
    locale: str | None
    last_order_at: datetime
    orders_count: int
    median_interval_seconds: float | None = None


_LAPSED_PAGE = text(
    """
SELECT s.customer_id, c.email, c.locale, s.last_order_at, s.orders_count,
       s.median_interval_seconds
FROM shops AS sh
JOIN customer_order_stats AS s ON s.shop_id = sh.id
JOIN customers AS c ON c.id = s.customer_id
WHERE sh.id = :shop_id
  AND sh.uninstalled_at IS NULL AND sh.redacted_at IS NULL AND sh.token_invalid_at IS NULL
  AND s.customer_id > :after_id
  AND (
        s.last_order_at < :lapsed_before
     OR (s.orders_count >= :min_orders
         AND s.median_interval_seconds > 0
         AND s.last_order_at < :floor_before
         AND s.last_order_at
             < CAST(:now AS timestamptz)
               - make_interval(secs => s.median_interval_seconds * CAST(:multiplier AS float8)))
  )
  -- Bounds the join's scan of customers to this page's range too (without it a merge join
  -- reads customers from the first id on every page: quadratic over the selection).
  AND c.shop_id = :shop_id AND c.id > :after_id
  AND c.redacted_at IS NULL
  AND c.email IS NOT NULL AND c.email <> ''
  AND c.email_marketing_state = :subscribed
  AND NOT EXISTS (
        SELECT 1 FROM scenario_runs AS r
        WHERE r.shop_id = :shop_id AND r.customer_id = s.customer_id
          AND r.scenario = :scenario AND r.started_at > :cooldown_since
          AND r.subject_key NOT LIKE :dry_run_pattern
  )
ORDER BY s.customer_id
LIMIT :limit
"""
)


def lapsed_page_parameters(
    shop_id: int, *, after_id: int, rule: LapseRule, now: datetime, limit: int
) -> dict[str, object]:
    """The bound values of one page's query (_LAPSED_PAGE)."""
    return {
        "shop_id": shop_id,
        "after_id": after_id,
        "lapsed_before": now - rule.lapsed_after,
        "min_orders": rule.min_orders_for_rhythm,
        "now": now,
        "multiplier": rule.median_multiplier,
        "floor_before": now - rule.lapse_floor,
        "subscribed": SUBSCRIBED,
        "scenario": KEY,
        "cooldown_since": now - rule.cooldown,
        "dry_run_pattern": _DRY_RUN_PATTERN,
        "limit": limit,
    }


async def select_lapsed_page(
    session: AsyncSession,
    shop_id: int,
    *,
    after_id: int,
    rule: LapseRule,
    now: datetime,
    limit: int = PAGE_SIZE,
) -> list[LapsedCustomer]:
    """Up to `limit` customers of the shop after `after_id` (customer id) whom a win-back may
    start for now, in customer id order. An empty or short page is the last."""
    rows = await session.execute(
        _LAPSED_PAGE,
        lapsed_page_parameters(shop_id, after_id=after_id, rule=rule, now=now, limit=limit),
    )
    return [
        LapsedCustomer(
            customer_id=int(row.customer_id),
            email=str(row.email),
            locale=row.locale,
            last_order_at=row.last_order_at,
            orders_count=int(row.orders_count),
            median_interval_seconds=row.median_interval_seconds,
        )
        for row in rows
    ]


async def lapsed_customers(
    session: AsyncSession,
    shop_id: int,
    *,
    rule: LapseRule,
    now: datetime,
    page_size: int = PAGE_SIZE,
) -> AsyncIterator[list[LapsedCustomer]]:
    """The whole selection, page by page (a scheduled trigger may instead keep `after_id`
    between jobs and ask for one page at a time)."""
    after_id = 0
    while True:
        page = await select_lapsed_page(
            session, shop_id, after_id=after_id, rule=rule, now=now, limit=page_size
        )
        if page:
            yield page
        if len(page) < page_size:
            return
        after_id = page[-1].customer_id


async def load_snapshot(
    session: AsyncSession, shop_id: int, customer_id: int
) -> WinbackSnapshot | None:
    """The rule's view of one customer of one shop (at send time, or to explain a choice);
    None when the shop holds no such customer."""
    last_win_back = (
        select(func.max(ScenarioRun.started_at))
        .where(
            ScenarioRun.shop_id == shop_id,
            ScenarioRun.customer_id == customer_id,
            ScenarioRun.scenario == KEY,
            ScenarioRun.subject_key.not_like(_DRY_RUN_PATTERN),
        )
        .scalar_subquery()
    )
    row = (
        await session.execute(
            select(
                Customer.email,
                Customer.email_marketing_state,
                Customer.redacted_at,
                Shop.uninstalled_at,
                Shop.redacted_at.label("shop_redacted_at"),
                Shop.token_invalid_at,
                CustomerOrderStats.orders_count,
                CustomerOrderStats.last_order_at,
                CustomerOrderStats.median_interval_seconds,
                last_win_back.label("last_win_back_at"),
            )
            .join(Shop, Shop.id == Customer.shop_id)
            .outerjoin(
                CustomerOrderStats,
                (CustomerOrderStats.shop_id == Customer.shop_id)
                & (CustomerOrderStats.customer_id == Customer.id),
            )
            .where(Customer.shop_id == shop_id, Customer.id == customer_id)
        )
    ).one_or_none()
    if row is None:
        return None
    median = row.median_interval_seconds
    return WinbackSnapshot(
        email=row.email,
        email_marketing_state=row.email_marketing_state,
        redacted=row.redacted_at is not None,
        shop_uninstalled=any(
            t is not None for t in (row.uninstalled_at, row.shop_redacted_at, row.token_invalid_at)
        ),
        orders_count=int(row.orders_count or 0),
        last_order_at=row.last_order_at,
        median_interval=timedelta(seconds=median) if median is not None else None,
        last_win_back_at=row.last_win_back_at,
    )


# -- what an order does to the customer's win-backs ------------------------------------------


async def runs_an_order_concerns_locked(
    session: AsyncSession, shop_id: int, customer_id: int, since: datetime
) -> list[ScenarioRun]:
    """The customer's win-back runs an order may stop or be attributed to: still running, or
    started within the attribution window (row-locked, oldest first)."""
    return list(
        await session.scalars(
            select(ScenarioRun)
            .where(
                ScenarioRun.shop_id == shop_id,
                ScenarioRun.scenario == KEY,
                ScenarioRun.customer_id == customer_id,
                or_(ScenarioRun.status == runs.ACTIVE, ScenarioRun.anchor_at >= since),
            )
            .order_by(ScenarioRun.id)
            .with_for_update(key_share=True)
        )
    )


async def email_sent_by(session: AsyncSession, run: ScenarioRun, placed: datetime) -> bool:
    """Whether one of the run's emails actually left (status sent) by the time the order was
    placed: a draft, a held or suppressed email wins nobody back."""
    sent = await session.scalar(
        select(
            exists().where(
                Message.shop_id == run.shop_id,
                Message.scenario == KEY,
                Message.subject_key == run.subject_key,
                Message.status == "sent",
                func.date_trunc("second", Message.sent_at) <= placed,
            )
        )
    )
    return bool(sent)
