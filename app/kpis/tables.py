"""Every KPI answer as a flat table (header, rows): what the CSV export writes, and what the
dashboard's table fallbacks show."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from decimal import Decimal
from typing import Any

from app.kpis.lift import Lift

Table = tuple[list[str], list[list[Any]]]


def _cell(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    return "" if value is None else value


def to_csv(table: Table) -> str:
    header, rows = table
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


def figures_table(key_name: str, entries: Iterable[tuple[Any, dict[str, Any]]]) -> Table:
    """(key, figures) pairs, one row per key and metric: value, previous, change."""
    rows = [
        [key, metric, f["value"], f["previous"], f["change"]]
        for key, figures in entries
        for metric, f in figures.items()
    ]
    return [key_name, "metric", "value", "previous", "change"], rows


def series_table(points: Sequence[dict[str, Any]]) -> Table:
    sources = sorted({s for p in points for s in p["values"]})
    return ["day", *sources], [
        [p["day"], *(p["values"].get(s, Decimal(0)) for s in sources)] for p in points
    ]


def cohort_table(cohorts: Sequence[dict[str, Any]]) -> Table:
    depth = max((len(c["retained"]) for c in cohorts), default=0)
    return ["cohort", "size", *(f"month_{m}" for m in range(depth))], [
        [c["cohort"], c["size"], *c["retained"], *([""] * (depth - len(c["retained"])))]
        for c in cohorts
    ]


def snapshot_table(payload: dict[str, Any]) -> Table:
    return ["figure", "value"], [
        [k, v] for k, v in payload.items() if not isinstance(v, list | dict)
    ]


def lift_table(result: Lift) -> Table:
    rows: list[list[Any]] = [
        ["verdict", result.verdict, "", ""],
        ["treated_subjects", result.treated.subjects, "", ""],
        ["treated_converted", result.treated.converted, "", ""],
        ["treated_revenue", result.treated.revenue, "", ""],
        ["holdout_subjects", result.holdout.subjects, "", ""],
        ["holdout_converted", result.holdout.converted, "", ""],
        ["holdout_revenue", result.holdout.revenue, "", ""],
    ]
    for name in (
        "rate_lift",
        "revenue_per_subject_lift",
        "incremental_revenue",
        "incremental_conversions",
    ):
        interval = getattr(result, name)
        if interval is not None:
            d = asdict(interval)
            rows.append([name, d["estimate"], d["low"], d["high"]])
    return ["figure", "estimate", "low_95", "high_95"], rows


def records_table(records: Sequence[dict[str, Any]]) -> Table:
    if not records:
        return [], []
    header = list(records[0])
    return header, [[r[h] for h in header] for r in records]
