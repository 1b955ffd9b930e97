"""The lift arithmetic (Newcombe's interval on a published example, Welch's on a data set whose
variance is computed apart) and the lift of a scenario's holdout group through the API."""

from __future__ import annotations

import json
import random
import statistics
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from fastapi.encoders import jsonable_encoder
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.kpis.lift import Group, lift, newcombe, welch
from app.models import Shop
from tests.app.kpis.conftest import get_json, paris
from tests.support.kpi_rows import Rows


def test_newcombe_matches_the_published_example() -> None:
    """Newcombe (1998), Statistics in Medicine 17:873, example (a): 56/70 − 48/80, method 10:
    0.2000, 95 % CI 0.0524 to 0.3339."""
    interval = newcombe(56, 70, 48, 80)
    assert interval.estimate == pytest.approx(0.2)
    assert round(interval.low, 4) == 0.0524
    assert round(interval.high, 4) == 0.3339


def group_of(revenues: list[float]) -> Group:
    return Group(
        subjects=len(revenues),
        converted=sum(1 for r in revenues if r > 0),
        revenue=Decimal(str(sum(revenues))),
        revenue_squares=Decimal(str(sum(r * r for r in revenues))),
    )


def test_welch_interval_on_a_known_data_set() -> None:
    treated = [0.0] * 30 + [20.0] * 8 + [50.0] * 2
    holdout = [0.0] * 34 + [20.0] * 6
    interval = welch(group_of(treated), group_of(holdout))
    difference = statistics.mean(treated) - statistics.mean(holdout)
    se = (
        statistics.variance(treated) / len(treated) + statistics.variance(holdout) / len(holdout)
    ) ** 0.5
    assert interval.estimate == pytest.approx(difference)  # 6.5 − 3.0 = 3.5
    assert interval.estimate == pytest.approx(3.5)
    assert interval.low == pytest.approx(difference - 1.959963984540054 * se)
    assert interval.high == pytest.approx(difference + 1.959963984540054 * se)


def test_too_small_to_tell_is_said_plainly() -> None:
    big = group_of([0.0] * 80 + [10.0] * 20)
    assert lift(big, group_of([0.0] * 20 + [10.0] * 5)).verdict == "too_small"  # 25 held out
    assert lift(big, group_of([0.0] * 97 + [10.0] * 3)).verdict == "too_small"  # 3 converted
    # 20 % vs 15 % of 100 each: the interval spans 0.
    unclear = lift(big, group_of([0.0] * 85 + [10.0] * 15))
    assert unclear.verdict == "no_difference_detected"
    assert unclear.rate_lift is not None
    assert unclear.rate_lift.low < 0 < unclear.rate_lift.high
    # 40 % vs 10 %: it does not.
    clear = lift(group_of([0.0] * 60 + [10.0] * 40), group_of([0.0] * 90 + [10.0] * 10))
    assert clear.verdict == "positive"
    assert clear.rate_lift is not None
    assert clear.rate_lift.estimate == pytest.approx(0.3)
    assert clear.rate_lift.low > 0


async def test_the_lift_of_a_holdout_group_through_the_api(
    client: httpx.AsyncClient,
    rows: Rows,
    rolled: Callable[[], Awaitable[int]],
    auth: dict[str, str],
) -> None:
    """40 treated subjects, 12 ordered 10.00 within 14 days; 40 held out, 6 ordered."""
    started = paris("2026-11-02 08:00")
    for held, converted in ((False, 12), (True, 6)):
        for i in range(40):
            customer = await rows.customer(f"{held}-{i}@example.test")
            await rows.run(
                "welcome", f"w:{held}:{i}", customer_id=customer, started_at=started, holdout=held
            )
            if i < converted:
                await rows.order(
                    customer_id=customer, placed_at=paris("2026-11-10 08:00"), total="10.00"
                )
    # An order after the 14 days does not count.
    await rows.order(customer_id=customer, placed_at=paris("2026-11-20 08:00"), total="99.00")
    await rolled()
    body = await get_json(
        client, "/api/kpis/scenarios/welcome/lift?from=2026-11-01&to=2026-11-30", auth
    )
    assert (body["treated"]["subjects"], body["treated"]["converted"]) == (40, 12)
    assert (body["holdout"]["subjects"], body["holdout"]["converted"]) == (40, 6)
    assert body["rate_lift"]["estimate"] == pytest.approx(0.15)  # 30 % − 15 %
    assert body["revenue_per_subject_lift"]["estimate"] == pytest.approx(1.5)  # 3.00 − 1.50
    assert body["incremental_revenue"]["estimate"] == pytest.approx(60.0)  # 1.50 × 40
    assert body["rate_lift"]["low"] < 0.15 < body["rate_lift"]["high"]
    # 40 subjects a side cannot tell 30 % from 15 % apart at 95 %.
    assert body["verdict"] == "no_difference_detected"
    scenarios = await get_json(client, "/api/kpis/scenarios?from=2026-11-01&to=2026-11-30", auth)
    (welcome,) = [s for s in scenarios["scenarios"] if s["scenario"] == "welcome"]
    assert welcome["figures"]["holdout"]["value"] == "40.0000"
    assert welcome["figures"]["runs_started"]["value"] == "40.0000"


async def test_a_checkout_scenarios_subject_converts_by_its_checkout(
    client: httpx.AsyncClient,
    rows: Rows,
    rolled: Callable[[], Awaitable[int]],
    auth: dict[str, str],
) -> None:
    """A guest's cart (no customer) held out, its checkout completed: a holdout conversion."""
    started = paris("2026-11-02 08:00")
    await rows.run(
        "abandoned_cart", "tok-guest", customer_id=None, started_at=started, holdout=True
    )
    await rows.run("abandoned_cart", "tok-other", customer_id=None, started_at=started)
    await rows.order(
        customer_id=None,
        placed_at=paris("2026-11-03 08:00"),
        total="25.00",
        checkout_token="tok-guest",
    )
    await rolled()
    body = await get_json(
        client, "/api/kpis/scenarios/abandoned_cart/lift?from=2026-11-01&to=2026-11-30", auth
    )
    assert (body["holdout"]["subjects"], body["holdout"]["converted"]) == (1, 1)
    assert Decimal(body["holdout"]["revenue"]) == Decimal("25.00")
    assert (body["treated"]["subjects"], body["treated"]["converted"]) == (1, 0)
    assert body["verdict"] == "too_small"


# The definition (docs/kpis.md, "Outcome") as one query over the raw rows: what the lift
# endpoint computed on the fly before its roll-up. The rolled-up groups must equal it.
RAW_GROUPS = text("""
WITH r AS (
    SELECT id, customer_id, subject_key, started_at,
           stop_reason IS NOT DISTINCT FROM 'holdout' AS held
    FROM scenario_runs
    WHERE shop_id = :shop_id AND scenario = :scenario
      AND started_at >= CAST(:first AS date)::timestamp AT TIME ZONE 'Europe/Paris'
      AND started_at < (CAST(:last AS date) + 1)::timestamp AT TIME ZONE 'Europe/Paris'
), o AS (
    SELECT id, customer_id, checkout_token, placed_at, coalesce(total_price, 0) AS total
    FROM orders WHERE shop_id = :shop_id AND cancelled_at IS NULL
), matched AS (
    SELECT r.id AS run_id, o.id AS order_id, o.total
    FROM r JOIN o ON o.customer_id = r.customer_id
    WHERE o.placed_at >= r.started_at AND o.placed_at < r.started_at + interval '14 days'
    UNION
    SELECT r.id, o.id, o.total
    FROM r JOIN o ON :by_checkout AND o.checkout_token = r.subject_key
    WHERE o.placed_at >= r.started_at AND o.placed_at < r.started_at + interval '14 days'
), per_run AS (
    SELECT run_id, sum(total) AS revenue FROM matched GROUP BY run_id
)
SELECT r.held, count(*) AS subjects, count(p.run_id) AS converted,
       coalesce(sum(p.revenue), 0) AS revenue,
       coalesce(sum(p.revenue * p.revenue), 0) AS revenue_squares
FROM r LEFT JOIN per_run p ON p.run_id = r.id
GROUP BY r.held
""")


async def raw_groups(
    sessions: async_sessionmaker[AsyncSession], shop_id: int, scenario: str, first: str, last: str
) -> tuple[Group, Group]:
    async with sessions.begin() as session:
        found = {
            bool(row.held): Group(
                int(row.subjects),
                int(row.converted),
                Decimal(row.revenue),
                Decimal(row.revenue_squares),
            )
            for row in await session.execute(
                RAW_GROUPS,
                {
                    "shop_id": shop_id,
                    "scenario": scenario,
                    "first": date.fromisoformat(first),
                    "last": date.fromisoformat(last),
                    "by_checkout": scenario == "abandoned_cart",
                },
            )
        }
    empty = Group(0, 0, Decimal(0), Decimal(0))
    return found.get(False, empty), found.get(True, empty)


def as_json(value: object) -> object:
    return json.loads(json.dumps(jsonable_encoder(value)))


async def test_the_rolled_up_lift_equals_the_raw_definition(
    sessions: async_sessionmaker[AsyncSession],
    shop: Shop,
    client: httpx.AsyncClient,
    rows: Rows,
    rolled: Callable[[], Awaitable[int]],
    auth: dict[str, str],
) -> None:
    """Runs around Paris's autumn DST change (2026-10-25, 25 hours), treated and held out;
    their orders arrive in later roll-up passes, some at the window's edges, some cancelled
    afterwards; guest carts convert by their checkout. For every period tried, the endpoint's
    groups (and so its intervals) are the raw definition's, to the cent and the cent²."""
    rng = random.Random(19)
    origin = datetime(2026, 10, 20, tzinfo=UTC)
    runs: list[tuple[str, str, int | None, datetime]] = []
    for i in range(90):
        customer = await rows.customer(f"lift{i}@example.test")
        started = origin + timedelta(minutes=rng.randrange(0, 12 * 24 * 60))
        if i % 3 == 2:
            subject, scenario = f"tok-lift-{i}", "abandoned_cart"
            guest = i % 2 == 0
            runs.append((scenario, subject, None if guest else customer, started))
        else:
            subject, scenario = f"customer:{customer}", "welcome"
            runs.append((scenario, subject, customer, started))
        await rows.run(
            scenario,
            subject,
            customer_id=runs[-1][2],
            started_at=started,
            holdout=i % 2 == 1,
        )
    await rolled()
    placed: list[int] = []
    for n, (scenario, subject, customer, started) in enumerate(runs):
        offsets = [timedelta(hours=rng.uniform(-48, 20 * 24)) for _ in range(rng.randrange(0, 3))]
        if n % 10 == 0:  # the edges: at the start (in), a second before 14 days (in), at 14 (out)
            offsets += [timedelta(0), timedelta(days=14, seconds=-1), timedelta(days=14)]
        if n % 10 == 5:
            offsets += [timedelta(seconds=-1)]  # a second before the start: out
        for offset in offsets:
            by_checkout = scenario == "abandoned_cart" and rng.random() < 0.6
            order_id, _ = await rows.order(
                customer_id=customer,
                placed_at=started + offset,
                total=f"{rng.randrange(100, 20000) / 100:.2f}",
                checkout_token=subject if by_checkout else None,
            )
            placed.append(order_id)
        if n % 30 == 29:
            await rolled()  # orders reach runs whose days were rolled up already
    await rolled()
    for order_id in placed[::9]:
        await rows.cancel(order_id, datetime(2026, 11, 30, tzinfo=UTC))
    await rolled()

    periods = [
        ("2026-10-01", "2026-11-30"),
        ("2026-10-25", "2026-10-25"),  # 25 hours long
        ("2026-10-24", "2026-10-26"),
        ("2026-10-20", "2026-10-27"),
        ("2026-10-28", "2026-11-05"),
    ]
    held_subjects = 0
    for scenario in ("welcome", "abandoned_cart"):
        for first, last in periods:
            treated, holdout = await raw_groups(sessions, shop.id, scenario, first, last)
            body = await get_json(
                client, f"/api/kpis/scenarios/{scenario}/lift?from={first}&to={last}", auth
            )
            expected = as_json(asdict(lift(treated, holdout)))
            assert {k: body[k] for k in expected} == expected, (scenario, first, last)
            if first == "2026-10-01":
                held_subjects += holdout.subjects
                assert treated.converted >= 3
                assert holdout.converted >= 3
                # The intervals were compared too (not "too small" to have any).
                assert scenario != "welcome" or body["verdict"] != "too_small"
    assert held_subjects == 45
