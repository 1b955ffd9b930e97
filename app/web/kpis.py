"""Admin API for the KPIs (definitions: docs/kpis.md): per scenario and per step for a period
of local days compared with the period before, time series by day in the shop's timezone,
retention, loyalty, the holdout lift, the analytics settings. Every table answers as CSV
with `format=csv`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Body, Depends, Query
from fastapi.responses import Response

from app.errors import InvalidRequest, NotFound
from app.i18n import Text
from app.kpis import report, settings, tables
from app.kpis.periods import Period
from app.kpis.report import LOYALTY_METRICS, REFERRAL_METRICS, REVIEW_METRICS, STORE_METRICS
from app.models import Shop
from app.platform.resources import Resources
from app.web.auth import CurrentShop
from app.web.deps import ResourcesDep

router = APIRouter(prefix="/api/kpis", tags=["kpis"])

# `from` is a Python keyword: the parameter is from_, the query says from.
FromQuery = Annotated[str | None, Query(alias="from", max_length=10)]

DEFAULT_DAYS = 30
MAX_DAYS = 731


def _today(shop: Shop) -> date:
    try:
        zone = ZoneInfo(shop.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return datetime.now(zone).date()


def _date(name: str, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidRequest(
            Text(
                en=f"{name} is a date as YYYY-MM-DD (a day in your store's timezone), e.g. "
                "2026-11-01.",
                fr=f"{name} est une date au format AAAA-MM-JJ (un jour dans le fuseau horaire de "
                "votre boutique), par exemple 2026-11-01.",
            )
        ) from None


def period_of(shop: Shop, first: str | None, last: str | None) -> Period:
    """The period asked for: `from` and `to` inclusive, by default the last 30 days."""
    end = _date("to", last) if last else _today(shop)
    start = _date("from", first) if first else end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end or (end - start).days + 1 > MAX_DAYS:
        raise InvalidRequest(
            Text(
                en=f"from must be on or before to, and the period at most {MAX_DAYS} days long.",
                fr=f"from doit précéder ou égaler to, et la période durer au plus {MAX_DAYS} "
                "jours.",
            )
        )
    return Period(start, end)


def _csv(table: tables.Table, name: str) -> Response:
    return Response(
        tables.to_csv(table),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def _period_json(period: Period) -> dict[str, Any]:
    previous = period.previous()
    return {
        "from": period.first.isoformat(),
        "to": period.last.isoformat(),
        "previous_from": previous.first.isoformat(),
        "previous_to": previous.last.isoformat(),
    }


def _known_scenario(resources: Resources, key: str) -> str:
    catalog = resources.platform.catalog
    if key not in catalog:
        names = ", ".join(catalog.sorted_keys())
        raise NotFound(
            Text(
                en=f"There is no scenario {key!r}; known: {names}.",
                fr=f"Il n'existe pas de scénario {key!r} ; scénarios connus : {names}.",
            )
        )
    return key


def wants_csv(format: str | None = None) -> bool:
    """`format=csv` asks for the table as CSV; anything else answers JSON."""
    return format == "csv"


WantsCsv = Annotated[bool, Depends(wants_csv)]


def answer(
    csv: bool, name: str, table: Callable[[], tables.Table], body: dict[str, Any]
) -> dict[str, Any] | Response:
    """The one way a KPI route answers: the table as a CSV download `<name>.csv`, or the JSON
    body."""
    if csv:
        return _csv(table(), name)
    return body


@dataclass(frozen=True)
class KpiQuery:
    """What every KPI route over a period is asked: the shop, the period (`from`, `to`) and
    whether to answer CSV."""

    shop: Shop
    period: Period
    csv: bool

    def answer(
        self, name: str, table: Callable[[], tables.Table], **body: Any
    ) -> dict[str, Any] | Response:
        """The table as CSV, or the JSON body led by the period and the one before."""
        return answer(self.csv, name, table, {"period": _period_json(self.period), **body})


def kpi_query(
    shop: CurrentShop, csv: WantsCsv, from_: FromQuery = None, to: str | None = None
) -> KpiQuery:
    return KpiQuery(shop=shop, period=period_of(shop, from_, to), csv=csv)


KpiQueryDep = Annotated[KpiQuery, Depends(kpi_query)]


@router.get("/scenarios", response_model=None)
async def kpi_scenarios(q: KpiQueryDep, resources: ResourcesDep) -> dict[str, Any] | Response:
    async with resources.sessions.begin() as session:
        rows = await report.scenarios(
            session, q.shop.id, q.period, resources.platform.catalog.sorted_keys()
        )
    return q.answer(
        "kpis-scenarios",
        lambda: tables.figures_table("scenario", ((r["scenario"], r["figures"]) for r in rows)),
        scenarios=rows,
    )


@router.get("/scenarios/{key}/steps", response_model=None)
async def kpi_steps(key: str, q: KpiQueryDep, resources: ResourcesDep) -> dict[str, Any] | Response:
    async with resources.sessions.begin() as session:
        rows = await report.scenario_steps(
            session, q.shop.id, q.period, _known_scenario(resources, key)
        )
    return q.answer(
        f"kpis-{key}-steps",
        lambda: tables.figures_table("step", ((r["step"], r["figures"]) for r in rows)),
        scenario=key,
        steps=rows,
    )


@router.get("/series", response_model=None)
async def kpi_series(
    q: KpiQueryDep,
    resources: ResourcesDep,
    metric: str = "revenue",
    source: str | None = None,
    step: int = 0,
) -> dict[str, Any] | Response:
    async with resources.sessions.begin() as session:
        points = await report.series(session, q.shop.id, q.period, metric, source, step)
    return q.answer(
        f"kpis-{metric}-by-day",
        lambda: tables.series_table(points),
        metric=metric,
        timezone=q.shop.timezone,
        points=points,
    )


@router.get("/store", response_model=None)
async def kpi_store(q: KpiQueryDep, resources: ResourcesDep) -> dict[str, Any] | Response:
    return await _figures_and_snapshot(
        resources,
        q,
        source="store",
        metrics=STORE_METRICS,
        snapshot="retention",
        row_label="retention",
        json_key="retention",
    )


@router.get("/cohorts", response_model=None)
async def kpi_cohorts(
    shop: CurrentShop, resources: ResourcesDep, csv: WantsCsv
) -> dict[str, Any] | Response:
    async with resources.sessions.begin() as session:
        retention = await report.snapshot(session, shop.id, "retention")
    cohorts = retention["cohorts"] if retention else []
    return answer(
        csv,
        "kpis-cohorts",
        lambda: tables.cohort_table(cohorts),
        {"cohorts": cohorts, "computed_at": retention["computed_at"] if retention else None},
    )


@router.get("/loyalty", response_model=None)
async def kpi_loyalty(q: KpiQueryDep, resources: ResourcesDep) -> dict[str, Any] | Response:
    async with resources.sessions.begin() as session:
        figures, store = await report.many_source_figures(
            session, q.shop.id, q.period, (("loyalty", LOYALTY_METRICS), ("store", STORE_METRICS))
        )
        state = await report.snapshot(session, q.shop.id, "loyalty")

    def table() -> tables.Table:
        header, rows = tables.figures_table("source", [("loyalty", figures), ("store", store)])
        if state:
            rows += [
                ["loyalty_state", k, v, "", ""]
                for k, v in state.items()
                if not isinstance(v, list | dict)
            ]
            rows += [
                ["members_per_tier", t["tier"] or "", t["members"], "", ""]
                for t in state["members_per_tier"]
            ]
        return header, rows

    return q.answer(
        "kpis-loyalty",
        table,
        figures=figures,
        member_revenue={k: store[k] for k in ("member_revenue", "nonmember_revenue")},
        state=state,
    )


@router.get("/referrals", response_model=None)
async def kpi_referrals(q: KpiQueryDep, resources: ResourcesDep) -> dict[str, Any] | Response:
    """The referral program over the period: link visits, codes used, flagged, qualified,
    rewarded, referred revenue, and the rates (docs/kpis.md, "Referrals")."""
    async with resources.sessions.begin() as session:
        figures = await report.source_figures(
            session, q.shop.id, q.period, "referrals", REFERRAL_METRICS
        )
    return q.answer(
        "kpis-referrals",
        lambda: tables.figures_table("source", [("referrals", figures)]),
        currency=q.shop.currency,
        figures=figures,
    )


@router.get("/reviews", response_model=None)
async def kpi_reviews(q: KpiQueryDep, resources: ResourcesDep) -> dict[str, Any] | Response:
    """The reviews program over the period (requests, response rate, average rating, share
    with photos) and every review the shop holds (docs/kpis.md, "Reviews")."""
    return await _figures_and_snapshot(
        resources,
        q,
        source="reviews",
        metrics=REVIEW_METRICS,
        snapshot="reviews",
        row_label="reviews_all_time",
        json_key="all_time",
    )


@router.get("/scenarios/{key}/lift", response_model=None)
async def kpi_lift(key: str, q: KpiQueryDep, resources: ResourcesDep) -> dict[str, Any] | Response:
    async with resources.sessions.begin() as session:
        result = await report.lift(session, q.shop.id, q.period, _known_scenario(resources, key))
    return q.answer(
        f"kpis-{key}-lift", lambda: tables.lift_table(result), scenario=key, **asdict(result)
    )


@router.get("/attributions", response_model=None)
async def kpi_attributions(q: KpiQueryDep, resources: ResourcesDep) -> dict[str, Any] | Response:
    async with resources.sessions.begin() as session:
        records = await report.attributions(session, q.shop.id, q.period)
    return q.answer(
        "kpis-attributions", lambda: tables.records_table(records), attributions=records
    )


@router.get("/settings")
async def kpi_settings(shop: CurrentShop, resources: ResourcesDep) -> dict[str, Any]:
    async with resources.sessions.begin() as session:
        return await settings.read(session, shop.id)


@router.patch("/settings")
@router.put("/settings")
async def put_kpi_settings(
    shop: CurrentShop,
    resources: ResourcesDep,
    patch: Any = Body(...),  # noqa: B008  (FastAPI's way to take a free-form body)
) -> dict[str, Any]:
    """Partial update: {"attribution_window_days": 7, "holdouts": {"welcome": true}}."""
    if not isinstance(patch, dict):
        raise InvalidRequest(
            Text(
                en='Send a JSON object, e.g. {"holdouts": {"welcome": 10}}.',
                fr='Envoyez un objet JSON, par exemple {"holdouts": {"welcome": 10}}.',
            )
        )
    async with resources.sessions.begin() as session:
        return await settings.update(
            session, shop.id, patch, resources.platform.catalog.sorted_keys()
        )


async def _figures_and_snapshot(
    resources: Resources,
    q: KpiQuery,
    *,
    source: str,
    metrics: tuple[str, ...],
    snapshot: str,
    row_label: str,
    json_key: str,
) -> dict[str, Any] | Response:
    """One source's figures over the period beside one of its snapshots, as JSON or CSV (the
    snapshot's scalar values as extra rows labelled `row_label`)."""
    async with resources.sessions.begin() as session:
        figures = await report.source_figures(session, q.shop.id, q.period, source, metrics)
        held = await report.snapshot(session, q.shop.id, snapshot)

    def table() -> tables.Table:
        header, rows = tables.figures_table("source", [(source, figures)])
        if held:
            rows += [
                [row_label, k, v, "", ""] for k, v in held.items() if not isinstance(v, list | dict)
            ]
        return header, rows

    return q.answer(f"kpis-{source}", table, figures=figures, **{json_key: held})
