"""When each step of a run is due: its delay after the anchor; a step that is off, then or
with the next step that is on if that one comes sooner (the settings no longer compare an off
step's delay with the others', so it never holds the next step back)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.scenarios.engine import StepPlan, due_at

ANCHOR = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def test_a_step_is_due_its_delay_after_the_anchor() -> None:
    plan = [StepPlan("a", HOUR, True), StepPlan("b", 24 * HOUR, True), StepPlan("c", HOUR, False)]
    # A step that is off with nothing on after it keeps its own time.
    assert [due_at(ANCHOR, plan, i) for i in range(3)] == [
        ANCHOR + HOUR,
        ANCHOR + 24 * HOUR,
        ANCHOR + HOUR,
    ]


def test_a_step_that_is_off_never_holds_the_next_one_back() -> None:
    # The second step is off with a delay past the third's: the third still goes at 72 h.
    plan = [
        StepPlan("a", HOUR, True),
        StepPlan("b", 100 * HOUR, False),
        StepPlan("c", 72 * HOUR, True),
    ]
    assert [due_at(ANCHOR, plan, i) for i in range(3)] == [
        ANCHOR + HOUR,
        ANCHOR + 72 * HOUR,
        ANCHOR + 72 * HOUR,
    ]


def test_a_step_that_is_off_and_in_order_keeps_its_time() -> None:
    plan = [
        StepPlan("a", HOUR, True),
        StepPlan("b", 5 * HOUR, False),
        StepPlan("c", 9 * HOUR, True),
    ]
    assert due_at(ANCHOR, plan, 1) == ANCHOR + 5 * HOUR
