"""The lift arithmetic (Newcombe's interval on a published example, Welch's on a data set whose
variance is computed apart) and the lift of a scenario's holdout group through the API."""

from __future__ import annotations

import statistics
from collections.abc import Awaitable, Callable
from decimal import Decimal

import httpx
import pytest

from app.kpis.lift import Group, lift, newcombe, welch
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
