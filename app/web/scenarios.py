"""Admin API for scenarios: read and change settings (the one way to change a scenario: mode,
transactional choice, steps…), see runs, reports and the timeline, and the labels of the
codes the timeline stores."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select

from app.customers import profile
from app.errors import InvalidRequest, NotFound
from app.i18n import Text, request_locale
from app.models import Customer, ScenarioConversion, ScenarioRun
from app.platform.resources import Resources
from app.scenarios import timeline
from app.scenarios.config import InvalidSettings
from app.scenarios.engine import Scenario
from app.scenarios.reports import ScenarioReport, scenario_report
from app.scenarios.settings_store import effective_settings, update_settings
from app.web.auth import CurrentShop
from app.web.deps import BeforeIdQuery, ResourcesDep, RowIdPath
from app.web.settings_errors import invalid_settings_response

router = APIRouter(prefix="/api", tags=["scenarios"])


def _scenario(resources: Resources, key: str) -> Scenario[Any, Any]:
    """The catalog's scenario `key`, or 404 naming the ones there are."""
    catalog = resources.platform.catalog
    scenario = catalog.find(key)
    if scenario is None:
        names = ", ".join(catalog.sorted_keys())
        raise NotFound(
            Text(
                en=f"There is no scenario {key!r}; known: {names}.",
                fr=f"Il n'existe pas de scénario {key!r} ; scénarios connus : {names}.",
            )
        )
    return scenario


def _known(resources: Resources, key: str) -> str:
    return _scenario(resources, key).key


@router.get("/scenarios")
async def list_scenarios(shop: CurrentShop, resources: ResourcesDep) -> list[dict[str, Any]]:
    """Every scenario of the catalog, by key: its settings and its report (the overview)."""
    catalog = resources.platform.catalog
    async with resources.sessions.begin() as session:
        return [
            {
                "key": key,
                "settings": await effective_settings(
                    session, shop.id, key, catalog.get(key).settings_model
                ),
                "report": _report_json(await scenario_report(session, shop.id, key)),
            }
            for key in catalog.sorted_keys()
        ]


@router.get("/scenarios/labels")
async def timeline_labels(
    request: Request, shop: CurrentShop, resources: ResourcesDep
) -> dict[str, Any]:
    """What each stored timeline kind and reason code means, in the requester's language
    (`locale` query parameter, then Accept-Language)."""
    locale = request_locale(request)
    return {"locale": locale, **resources.platform.labels.catalog(locale)}


@router.get("/scenarios/{key}")
async def get_scenario(key: str, shop: CurrentShop, resources: ResourcesDep) -> dict[str, Any]:
    scenario = _scenario(resources, key)
    async with resources.sessions.begin() as session:
        return await effective_settings(session, shop.id, scenario.key, scenario.settings_model)


@router.patch("/scenarios/{key}", response_model=None)
@router.put("/scenarios/{key}", response_model=None)
async def put_scenario(
    key: str,
    request: Request,
    shop: CurrentShop,
    resources: ResourcesDep,
    patch: Any = Body(...),  # noqa: B008  (FastAPI's way to take a free-form body)
) -> dict[str, Any] | JSONResponse:
    """PATCH (or PUT, the same): only the keys sent change (steps by number or key, see
    app/scenarios/config.py). Pausing stops running sequences at once. Refused settings
    answer 400 with `problems`: each field and why, for the form."""
    if not isinstance(patch, dict):
        raise InvalidRequest(
            Text(
                en='Send a JSON object with the settings to change, e.g. {"mode": "approval"}.',
                fr="Envoyez un objet JSON avec les réglages à modifier, par exemple "
                '{"mode": "approval"}.',
            )
        )
    scenario = _scenario(resources, key)
    try:
        async with resources.sessions.begin() as session:
            return await update_settings(
                session, shop.id, scenario.key, scenario.settings_model, patch, datetime.now(UTC)
            )
    except InvalidSettings as exc:
        return invalid_settings_response(exc, request_locale(request))


@router.get("/scenarios/{key}/report")
async def get_report(key: str, shop: CurrentShop, resources: ResourcesDep) -> dict[str, Any]:
    async with resources.sessions.begin() as session:
        return _report_json(await scenario_report(session, shop.id, _known(resources, key)))


@router.get("/scenarios/{key}/runs")
async def list_runs(
    key: str,
    shop: CurrentShop,
    resources: ResourcesDep,
    status: str | None = None,
    before_id: BeforeIdQuery = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
) -> list[dict[str, Any]]:
    """The newest runs first, `limit` of them; a full page means there may be older ones:
    ask again with `before_id` set to the last id."""
    statement = (
        select(ScenarioRun)
        .where(ScenarioRun.shop_id == shop.id, ScenarioRun.scenario == _known(resources, key))
        .order_by(ScenarioRun.id.desc())
        .limit(limit)
    )
    if before_id is not None:
        statement = statement.where(ScenarioRun.id < before_id)
    if status:
        statement = statement.where(ScenarioRun.status == status)
    async with resources.sessions.begin() as session:
        rows = list(await session.scalars(statement))
        # The runs an order was attributed to (a recovered cart, a converted welcome).
        converted = set(
            await session.scalars(
                select(ScenarioConversion.run_id).where(
                    ScenarioConversion.shop_id == shop.id,
                    ScenarioConversion.run_id.in_([r.id for r in rows]),
                )
            )
        )
    return [
        {
            "id": r.id,
            "subject": r.subject_key,
            "customer_id": r.customer_id,
            "email": r.email,
            "status": r.status,
            "next_step": r.step_index + 1,
            "next_step_at": r.next_step_at.isoformat() if r.next_step_at else None,
            "stop_reason": r.stop_reason,
            "converted": r.id in converted,
            "started_at": r.started_at.isoformat(),
        }
        for r in rows
    ]


@router.get("/customers/{customer_id}/timeline")
async def customer_timeline(
    customer_id: RowIdPath, request: Request, shop: CurrentShop, resources: ResourcesDep
) -> dict[str, Any]:
    locale = request_locale(request)
    async with resources.sessions.begin() as session:
        customer = await session.scalar(
            select(Customer).where(Customer.shop_id == shop.id, Customer.id == customer_id)
        )
        if customer is None:
            raise NotFound(
                Text(
                    en=f"Customer {customer_id} is not a customer of {shop.domain}.",
                    fr=f"Le client {customer_id} n'est pas un client de {shop.domain}.",
                )
            )
        entries = await timeline.for_customer(session, shop.id, customer_id)
        run_orders = await profile.order_names_of_runs(
            session, shop.id, (e.run_id for e in entries if e.run_id is not None)
        )
    labels = resources.platform.labels
    return {
        "customer": {"id": customer.id, "first_name": customer.first_name},
        "entries": [
            {
                "at": e.at.isoformat(),
                "scenario": e.scenario,
                "kind": e.kind,
                "kind_label": labels.kind_label(e.kind, locale, e.scenario),
                "step": e.step,
                "reason": e.reason,
                "reason_label": labels.reason_label(e.reason, locale),
                "detail": e.detail,
                "run_id": e.run_id,
                # The order number the entry is about: the one it names (a recovered or
                # stopping order), else its run's (a review request's order).
                "order": e.detail.get("order")
                or (run_orders.get(e.run_id) if e.run_id is not None else None),
            }
            for e in entries
        ],
    }


def _report_json(report: ScenarioReport) -> dict[str, Any]:
    data = asdict(report)
    data["revenue"] = str(report.revenue)
    data["discount_cost"] = str(report.discount_cost)
    return data
