"""Pacing: how often and when a shopper may hear from the shop. Pure functions over times.
- frequency cap across every scenario (marketing messages only),
- quiet hours in the shop's time zone (deferred to the next allowed time, DST-correct),
- priority when several messages to one shopper are due together."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAY = timedelta(days=1)
WEEK = timedelta(days=7)


def shop_zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _in_quiet(local: time, start: time, end: time) -> bool:
    if start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end


def quiet_hours_end(now: datetime, zone: ZoneInfo, start: time, end: time) -> datetime | None:
    """When `now` falls in quiet hours (local wall-clock time of the shop), the next moment
    sending is allowed again, in UTC; None when sending is allowed now.

    Computed on local wall-clock dates and converted back through zoneinfo, so "08:00 the next
    morning" stays 08:00 local across a DST change (the UTC instant moves, not the wall time)."""
    local = now.astimezone(zone)
    if not _in_quiet(local.time(), start, end):
        return None
    wall = local.time().replace(tzinfo=None)
    # Overnight window (21:00–08:00): before midnight, resume tomorrow; after, today.
    day = local.date() + timedelta(days=1) if start > end and wall >= start else local.date()
    resume = datetime.combine(day, end, tzinfo=zone)
    # A wall time that does not exist (a spring-forward gap) normalises forward.
    return resume.astimezone(UTC)


def frequency_cap_frees_at(
    recent_sends: Sequence[datetime],
    now: datetime,
    *,
    max_per_day: int,
    max_per_week: int,
) -> datetime | None:
    """None when one more marketing email fits under the cap; else the moment it will."""
    frees: list[datetime] = []
    for window, limit in ((DAY, max_per_day), (WEEK, max_per_week)):
        inside = sorted(s for s in recent_sends if s > now - window)
        if limit <= 0:
            return now + window
        if len(inside) >= limit:
            # The oldest sends leave the window first; one more fits when enough have left.
            frees.append(inside[len(inside) - limit] + window)
    return max(frees) if frees else None


def outranked_by(priority: int, competing: Sequence[tuple[int, int]]) -> int | None:
    """Among (message id, priority) pairs also due for the same shopper, the id of one that
    goes first (strictly higher priority), or None when this message may go."""
    better = [(p, -mid) for mid, p in competing if p > priority]
    if not better:
        return None
    return -max(better)[1]
