"""The daily roll-up (kpi_daily, kpi_attributions, kpi_snapshots), its monthly sums
(kpi_monthly) and the runs' outcomes by start day (kpi_run_outcomes, the holdout lift's), kept
incrementally: the triggers of migrations 0060 and 0070 mark the UTC days
whose raw rows changed (kpi_dirty_days); the
roll-up job claims a batch of them and recomputes each local day they touch, in the shop's
timezone, from the raw rows. `rebuild` recomputes every day of a shop the same way, so the
incremental and the rebuilt roll-ups are equal by construction (tests/app/kpis prove it).
Every month holding a recomputed day is summed again from kpi_daily in the same transaction,
after its days, so kpi_monthly is always the sum of kpi_daily; then the run outcomes of the
start days a change on those days can move (a run's own day, and the LIFT_WINDOW_DAYS before
an order).

Every writing statement leaves a mark of its own, committed with its rows (migration 0093);
claiming deletes the marks of a day in the transaction that recomputes it: a change committed
meanwhile either is seen by the recomputation or its mark, which the claim did not see, stays
for the next one, so no change is ever missed, and no writer waits for another's mark."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.kpis import catalog
from app.kpis.attribution import attribute_day
from app.kpis.lift import LIFT_WINDOW_DAYS, refresh_outcomes
from app.kpis.periods import next_month
from app.kpis.sources import DailyFigures

DEFAULT_WINDOW_DAYS = 5
# A shop's snapshots are recomputed at most this often by the incremental job (a big shop's
# full scans take about 10 s). A change rolled up sooner leaves the shop's snapshots pending
# (a `PENDING` row among them): a later pass recomputes them once they are this old.
SNAPSHOT_EVERY = timedelta(minutes=10)
# Figures of "now" (active versus lapsed customers, the cohorts' last 24 months) move with the
# clock alone: a quiet shop's snapshots are recomputed once they are this old.
SNAPSHOT_MAX_AGE = timedelta(days=1)
# Shops whose snapshots a pass recomputes because they were pending or too old, at most.
SNAPSHOTS_DUE_PER_PASS = 2
# The kpi_snapshots source that says a shop's snapshots miss a change (its computed_at: when
# the first such change was rolled up); never a figure, the API never reads it.
PENDING = "_pending"


@dataclass(frozen=True)
class ShopClock:
    shop_id: int
    timezone: str
    window_days: int


_INSERT_DAILY = (
    "INSERT INTO kpi_daily (shop_id, source, day, step, metric, value) "
    "SELECT :shop_id, source, :day, step, metric, value "
    "FROM ({figures}) AS figures WHERE value <> 0"
)

_DAY_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended(CAST(:key AS text), 0))")

_CLOCK = text("""
SELECT s.timezone, coalesce(a.attribution_window_days, :default_window)
FROM shops s LEFT JOIN analytics_settings a ON a.shop_id = s.id WHERE s.id = :shop_id
""")

_BOUNDS = text("""
SELECT CAST(:day AS date)::timestamp AT TIME ZONE :tz,
       (CAST(:day AS date) + 1)::timestamp AT TIME ZONE :tz
""")

# The local days a UTC day overlaps (one or two).
_LOCAL_DAYS = text("""
SELECT DISTINCT d FROM (VALUES
    (((CAST(:day AS date)::timestamp AT TIME ZONE 'UTC') AT TIME ZONE :tz)::date),
    (((((CAST(:day AS date) + 1)::timestamp AT TIME ZONE 'UTC') - interval '1 microsecond')
        AT TIME ZONE :tz)::date)
) AS v(d) ORDER BY d
""")


async def shop_clock(session: AsyncSession, shop_id: int) -> ShopClock | None:
    row = (
        await session.execute(_CLOCK, {"shop_id": shop_id, "default_window": DEFAULT_WINDOW_DAYS})
    ).one_or_none()
    if row is None:
        return None
    return ShopClock(shop_id, row[0] or "UTC", int(row[1]))


async def day_bounds(session: AsyncSession, day: date, tz: str) -> tuple[datetime, datetime]:
    """The instants a local day starts and ends at (23 or 25 hours apart across DST)."""
    start, end = (await session.execute(_BOUNDS, {"day": day, "tz": tz})).one()
    return start, end


async def refresh_day(
    session: AsyncSession,
    clock: ShopClock,
    day: date,
    daily: Sequence[DailyFigures] = catalog.DAILY,
) -> None:
    """Recompute one local day of one shop from the raw rows: its attributions, then every
    declared daily figure."""
    # Two passes may reach the same local day from two UTC days (or a rebuild meet the job):
    # one at a time per shop and day, in (shop, day) order everywhere, so no deadlock.
    await session.execute(_DAY_LOCK, {"key": f"kpis:{clock.shop_id}:{day.isoformat()}"})
    start, end = await day_bounds(session, day, clock.timezone)
    await attribute_day(
        session,
        shop_id=clock.shop_id,
        day=day,
        start=start,
        end=end,
        window_days=clock.window_days,
        checkout_scenarios=catalog.CHECKOUT_SCENARIOS,
    )
    await session.execute(
        text("DELETE FROM kpi_daily WHERE shop_id = :shop_id AND day = :day"),
        {"shop_id": clock.shop_id, "day": day},
    )
    params = {"shop_id": clock.shop_id, "day": day, "start": start, "end": end}
    for figures in daily:
        # The declared SQL is code from the catalog, never input.
        statement = _INSERT_DAILY.format(figures=figures.sql)
        await session.execute(text(statement), params)


_DELETE_MONTH = text("DELETE FROM kpi_monthly WHERE shop_id = :shop_id AND month = :month")
_INSERT_MONTH = text("""
INSERT INTO kpi_monthly (shop_id, month, source, step, metric, value)
SELECT :shop_id, :month, source, step, metric, sum(value) FROM kpi_daily
WHERE shop_id = :shop_id AND day >= :month AND day < :next
GROUP BY source, step, metric HAVING sum(value) <> 0
""")


def month_of(day: date) -> date:
    return day.replace(day=1)


async def refresh_months(session: AsyncSession, shop_id: int, days: Iterable[date]) -> int:
    """Sum again the months of these local days from kpi_daily (after the days themselves
    were recomputed, in the same transaction). Returns the months summed."""
    months = sorted({month_of(day) for day in days})
    for month in months:
        # After the shop's day locks (the same order everywhere): one pass per month.
        await session.execute(_DAY_LOCK, {"key": f"kpis:{shop_id}:month:{month.isoformat()}"})
        params = {"shop_id": shop_id, "month": month, "next": next_month(month)}
        await session.execute(_DELETE_MONTH, params)
        await session.execute(_INSERT_MONTH, params)
    return len(months)


def outcome_days(days: Iterable[date]) -> list[tuple[date, date]]:
    """The local days whose runs' outcomes a change on these local days can move, as ranges:
    an order counts for the runs started up to LIFT_WINDOW_DAYS before it (one more day for a
    window that crosses a DST change), a run for its own start day."""
    ranges: list[tuple[date, date]] = []
    for day in sorted(days):
        first = day - timedelta(days=LIFT_WINDOW_DAYS + 1)
        if ranges and first <= ranges[-1][1] + timedelta(days=1):
            ranges[-1] = (ranges[-1][0], max(ranges[-1][1], day))
        else:
            ranges.append((first, day))
    return ranges


async def refresh_run_outcomes(
    session: AsyncSession, clock: ShopClock, ranges: Iterable[tuple[date, date]]
) -> None:
    """Recompute the run outcomes (the holdout lift's roll-up) of these ranges of local days,
    after the days and months (the same lock order everywhere): one pass per shop at a time."""
    await session.execute(_DAY_LOCK, {"key": f"kpis:{clock.shop_id}:outcomes"})
    for first, last in ranges:
        start, _ = await day_bounds(session, first, clock.timezone)
        _, end = await day_bounds(session, last, clock.timezone)
        await refresh_outcomes(
            session,
            shop_id=clock.shop_id,
            first=first,
            last=last,
            start=start,
            end=end,
            timezone=clock.timezone,
            checkout_scenarios=catalog.CHECKOUT_SCENARIOS,
        )


async def refresh_snapshots(session: AsyncSession, clock: ShopClock, now: datetime) -> None:
    # The pending mark first: a change committed before this statement is seen by the
    # computations below (each statement reads what was committed when it began); one
    # committed later leaves its mark for the next pass.
    await session.execute(
        text("DELETE FROM kpi_snapshots WHERE shop_id = :shop_id AND source = :pending"),
        {"shop_id": clock.shop_id, "pending": PENDING},
    )
    for snapshot in catalog.SNAPSHOTS:
        payload = await snapshot.compute(session, clock.shop_id, clock.timezone, now)
        await session.execute(
            text(
                "INSERT INTO kpi_snapshots (shop_id, source, payload, computed_at) "
                "VALUES (:shop_id, :source, CAST(:payload AS jsonb), :now) "
                "ON CONFLICT (shop_id, source) DO UPDATE "
                "SET payload = EXCLUDED.payload, computed_at = EXCLUDED.computed_at"
            ),
            {
                "shop_id": clock.shop_id,
                "source": snapshot.source,
                "payload": _json(payload),
                "now": now,
            },
        )


def _json(payload: object) -> str:
    return json.dumps(payload, separators=(",", ":"))


@dataclass(frozen=True)
class RefreshReport:
    utc_days: int = 0
    local_days: int = 0
    shops: int = 0


# Up to :limit marked days, each taken whole (every mark of it committed so far) by one
# claimer at a time: the first days in order whose advisory lock this transaction gets
# (another claimer's days are left to it). A mark committed after this statement began is
# not deleted: it stays for the next claim, with the rows it stands for.
_CLAIM = text("""
WITH days AS MATERIALIZED (
    SELECT DISTINCT shop_id, day FROM kpi_dirty_days ORDER BY shop_id, day LIMIT :limit
), mine AS MATERIALIZED (
    SELECT shop_id, day FROM days
    WHERE pg_try_advisory_xact_lock(
        hashtextextended('kpi-day:' || shop_id || ':' || CAST(day AS text), 0))
), taken AS (
    DELETE FROM kpi_dirty_days AS m USING mine
    WHERE m.shop_id = mine.shop_id AND m.day = mine.day
    RETURNING m.shop_id, m.day, m.outcomes
)
SELECT shop_id, day, bool_or(outcomes) AS outcomes FROM taken
GROUP BY shop_id, day ORDER BY shop_id, day
""")


async def refresh_dirty(session: AsyncSession, now: datetime, limit: int = 200) -> RefreshReport:
    """Claim up to `limit` marked UTC days and recompute the local days they touch; a shop
    touched gets its snapshots recomputed when they are older than SNAPSHOT_EVERY, else left
    pending (for `refresh_due_snapshots`). In the caller's transaction."""
    claimed = list((await session.execute(_CLAIM, {"limit": limit})).all())
    local: dict[int, set[date]] = {}
    # The local days marked by a change a run's outcome reads (a run, an order): only these
    # move the outcomes; a day marked only by messages, opens and clicks does not.
    for_outcomes: dict[int, set[date]] = {}
    clocks: dict[int, ShopClock] = {}
    for shop_id, utc_day, outcomes in claimed:
        clock = clocks.get(shop_id) or await shop_clock(session, shop_id)
        if clock is None:
            continue  # the shop is gone (its rows with it)
        clocks[shop_id] = clock
        for (day,) in await session.execute(_LOCAL_DAYS, {"day": utc_day, "tz": clock.timezone}):
            local.setdefault(shop_id, set()).add(day)
            if outcomes:
                for_outcomes.setdefault(shop_id, set()).add(day)
    for shop_id, days in sorted(local.items()):
        for day in sorted(days):
            await refresh_day(session, clocks[shop_id], day)
        await refresh_months(session, shop_id, days)
        if shop_id in for_outcomes:
            await refresh_run_outcomes(
                session, clocks[shop_id], outcome_days(for_outcomes[shop_id])
            )
        computed_at = await session.scalar(
            text(
                "SELECT min(computed_at) FROM kpi_snapshots "
                "WHERE shop_id = :shop_id AND source <> :pending"
            ),
            {"shop_id": shop_id, "pending": PENDING},
        )
        if computed_at is None or now - computed_at >= SNAPSHOT_EVERY:
            await refresh_snapshots(session, clocks[shop_id], now)
        else:
            # Too recent to recompute now: pending, for a pass SNAPSHOT_EVERY after it.
            await session.execute(
                _MARK_PENDING, {"shop_id": shop_id, "pending": PENDING, "now": now}
            )
    return RefreshReport(len(claimed), sum(len(d) for d in local.values()), len(local))


_MARK_PENDING = text(
    "INSERT INTO kpi_snapshots (shop_id, source, payload, computed_at) "
    "VALUES (:shop_id, :pending, CAST('{}' AS jsonb), :now) ON CONFLICT DO NOTHING"
)

# The shops whose snapshots are at least SNAPSHOT_EVERY old and either miss a change (pending)
# or are older than SNAPSHOT_MAX_AGE, oldest first. An uninstalled shop's go stale only when a
# change of its rows left them pending.
_DUE = text("""
SELECT k.shop_id FROM kpi_snapshots k JOIN shops s ON s.id = k.shop_id
GROUP BY k.shop_id, s.uninstalled_at
HAVING min(k.computed_at) FILTER (WHERE k.source <> :pending) <= :fresh
   AND (bool_or(k.source = :pending)
        OR (s.uninstalled_at IS NULL
            AND min(k.computed_at) FILTER (WHERE k.source <> :pending) <= :old))
ORDER BY min(k.computed_at) FILTER (WHERE k.source <> :pending), k.shop_id
LIMIT :limit
""")

_TRY_SNAPSHOT_LOCK = text(
    "SELECT pg_try_advisory_xact_lock(hashtextextended(CAST(:key AS text), 0))"
)


async def refresh_due_snapshots(
    session: AsyncSession, now: datetime, limit: int = SNAPSHOTS_DUE_PER_PASS
) -> int:
    """Recompute the snapshots of up to `limit` shops that are due (a change rolled up less
    than SNAPSHOT_EVERY after their last computation left them pending, or they are older than
    SNAPSHOT_MAX_AGE). In a transaction of its own, holding no day lock: its shops are taken
    in shop order, as the roll-up's passes take theirs, and a shop another pass is
    recomputing is skipped. Returns the shops recomputed."""
    candidates = list(
        await session.scalars(
            _DUE,
            {
                "pending": PENDING,
                "fresh": now - SNAPSHOT_EVERY,
                "old": now - SNAPSHOT_MAX_AGE,
                "limit": limit * 10,
            },
        )
    )
    due: list[int] = []
    for shop_id in candidates:
        if len(due) == limit:
            break
        if await session.scalar(_TRY_SNAPSHOT_LOCK, {"key": f"kpis:{shop_id}:snapshots"}):
            due.append(shop_id)
    for shop_id in sorted(due):
        clock = await shop_clock(session, shop_id)
        if clock is not None:
            await refresh_snapshots(session, clock, now)
    return len(due)


_SPAN = text("""
SELECT min(t), max(t) FROM (
    SELECT min(placed_at) AS t FROM orders WHERE shop_id = :shop_id
    UNION ALL SELECT max(placed_at) FROM orders WHERE shop_id = :shop_id
    UNION ALL SELECT min(requested_at) FROM messages WHERE shop_id = :shop_id
    UNION ALL SELECT max(coalesce(sent_at, requested_at)) FROM messages WHERE shop_id = :shop_id
    UNION ALL SELECT min(started_at) FROM scenario_runs WHERE shop_id = :shop_id
    UNION ALL SELECT max(started_at) FROM scenario_runs WHERE shop_id = :shop_id
    UNION ALL SELECT min(created_at) FROM points_ledger WHERE shop_id = :shop_id
    UNION ALL SELECT max(created_at) FROM points_ledger WHERE shop_id = :shop_id
    UNION ALL SELECT max(issued_at) FROM loyalty_redemptions WHERE shop_id = :shop_id
    UNION ALL SELECT min(visited_at) FROM referral_visits WHERE shop_id = :shop_id
    UNION ALL SELECT max(visited_at) FROM referral_visits WHERE shop_id = :shop_id
    UNION ALL SELECT min(created_at) FROM referral_codes WHERE shop_id = :shop_id
    UNION ALL SELECT max(created_at) FROM referral_codes WHERE shop_id = :shop_id
    UNION ALL SELECT min(created_at) FROM referrals WHERE shop_id = :shop_id
    UNION ALL SELECT max(greatest(created_at, qualified_at, rewarded_at)) FROM referrals
        WHERE shop_id = :shop_id
    UNION ALL SELECT min(submitted_at) FROM reviews WHERE shop_id = :shop_id
    UNION ALL SELECT max(submitted_at) FROM reviews WHERE shop_id = :shop_id
) span
""")


_ROLLED_DAYS = text("""
SELECT day FROM kpi_daily WHERE shop_id = :shop_id
UNION SELECT day FROM kpi_attributions WHERE shop_id = :shop_id
UNION SELECT month FROM kpi_monthly WHERE shop_id = :shop_id
""")


async def rebuild_shop(session: AsyncSession, shop_id: int, now: datetime) -> int:
    """Recompute every local day of the shop that holds a raw row or a roll-up (in its current
    timezone: a day left from another timezone is emptied), its months, run outcomes and
    snapshots. Returns the number of days recomputed. In the caller's transaction.

    Safe beside the incremental passes (the timezone-change job runs while they do): it takes
    the same locks in the same order (each day's lock before touching the day, in order, then
    the months', then the outcomes'), never deleting a roll-up row outside them, so a pass's
    rows are either seen and replaced here or wait for this transaction's end."""
    clock = await shop_clock(session, shop_id)
    if clock is None:
        return 0
    # Every mark committed so far is dealt with by the recomputation below (each day is read
    # after its lock); a mark committed later stays for the next pass.
    await session.execute(
        text("DELETE FROM kpi_dirty_days WHERE shop_id = :shop_id"), {"shop_id": shop_id}
    )
    first, last = (await session.execute(_SPAN, {"shop_id": shop_id})).one()
    days: set[date] = set(await session.scalars(_ROLLED_DAYS, {"shop_id": shop_id}))
    first_day = last_day = None
    if first is not None:
        first_day, last_day = (
            await session.execute(
                text(
                    "SELECT (CAST(:a AS timestamptz) AT TIME ZONE :tz)::date, "
                    "(CAST(:b AS timestamptz) AT TIME ZONE :tz)::date"
                ),
                {"a": first, "b": last, "tz": clock.timezone},
            )
        ).one()
        days.update(first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1))
    for day in sorted(days):
        await refresh_day(session, clock, day)
    await refresh_months(session, shop_id, days)
    # The outcomes under their lock: those of days out of the span (another timezone's) go.
    await session.execute(_DAY_LOCK, {"key": f"kpis:{shop_id}:outcomes"})
    await session.execute(
        text("DELETE FROM kpi_run_outcomes WHERE shop_id = :shop_id"), {"shop_id": shop_id}
    )
    if first_day is not None and last_day is not None:
        await refresh_run_outcomes(session, clock, [(first_day, last_day)])
    await refresh_snapshots(session, clock, now)
    return len(days)


async def all_shop_ids(session: AsyncSession) -> list[int]:
    return list(await session.scalars(text("SELECT id FROM shops ORDER BY id")))


def utc_now() -> datetime:
    return datetime.now(UTC)
