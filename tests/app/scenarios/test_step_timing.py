"""When each step of a run is due: a step that is on, its delay after the anchor; a step that
is off, as soon as the step before it (its delay, no longer checked against the others',
never holds back the steps after it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.scenarios.engine import StepPlan, due_at

ANCHOR = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def test_a_step_that_is_on_is_due_its_delay_after_the_anchor() -> None:
    plan = [StepPlan("a", HOUR, True), StepPlan("b", 24 * HOUR, True)]
    assert [due_at(ANCHOR, plan, i) for i in range(2)] == [ANCHOR + HOUR, ANCHOR + 24 * HOUR]


def test_a_step_that_is_off_is_passed_over_with_the_step_before_it() -> None:
    # The second step is off with a delay past the third's: the third still goes at 72 h.
    plan = [
        StepPlan("a", HOUR, True),
        StepPlan("b", 100 * HOUR, False),
        StepPlan("c", 72 * HOUR, True),
    ]
    assert [due_at(ANCHOR, plan, i) for i in range(3)] == [
        ANCHOR + HOUR,
        ANCHOR + HOUR,
        ANCHOR + 72 * HOUR,
    ]


def test_a_first_step_that_is_off_is_passed_over_at_once() -> None:
    plan = [StepPlan("a", 5 * HOUR, False), StepPlan("b", 2 * HOUR, True)]
    assert [due_at(ANCHOR, plan, i) for i in range(2)] == [ANCHOR, ANCHOR + 2 * HOUR]
