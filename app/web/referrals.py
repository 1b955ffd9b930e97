"""The referral program's web edges: the public share link `GET /r/{code}` (records the visit,
then redirects to the shop's own `/discount/{code}`; any code we did not issue is a 404 and
leads nowhere), and the admin API under /api/referrals (settings, referrals with their
evidence, the decision on a flagged one, top advocates and the figures)."""

from __future__ import annotations

import html
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from app.errors import InvalidRequest
from app.i18n import Text, request_locale
from app.loyalty.storefront_program import program_changed
from app.referrals import admin, links
from app.referrals.settings import KEY, ReferralSettings, effective
from app.scenarios.config import InvalidSettings
from app.scenarios.settings_store import update_settings
from app.web.auth import CurrentShop, SessionTokenDep
from app.web.deps import BeforeIdQuery, ResourcesDep, RowIdPath
from app.web.shopper_pages import shopper_page

public = APIRouter(tags=["referrals"])
router = APIRouter(prefix="/api/referrals", tags=["referrals"])

Status = Literal["pending", "flagged", "qualified", "rewarded", "rejected", "void"]


@public.get("/r/{code}", include_in_schema=False, response_model=None)
async def share_link(
    code: str, request: Request, resources: ResourcesDep
) -> RedirectResponse | HTMLResponse:
    if len(code) > 64:
        return _unknown_link(request)
    async with resources.sessions.begin() as session:
        target = await links.visit(session, code, datetime.now(UTC))
    if target is None:
        return _unknown_link(request)
    return RedirectResponse(target, status_code=302, headers={"Cache-Control": "no-store"})


_UNKNOWN_LINK = Text(
    en="This referral link is not valid: check it was copied whole, or ask your friend for "
    "their code.",
    fr="Ce lien de parrainage n'est pas valide : vérifiez qu'il a été copié en entier, ou "
    "demandez son code à votre ami.",
)
_REFERRAL_TITLE = Text(en="Referral link", fr="Lien de parrainage")


def _unknown_link(request: Request) -> HTMLResponse:
    """A page in the shopper's language (the link was opened in a browser), leading nowhere."""
    locale = request_locale(request)
    body = f"<p>{html.escape(_UNKNOWN_LINK.in_locale(locale))}</p>"
    return shopper_page(locale, _REFERRAL_TITLE.in_locale(locale), body, status=404)


@router.get("/settings")
async def get_settings(shop: CurrentShop, resources: ResourcesDep) -> dict[str, Any]:
    async with resources.sessions.begin() as session:
        return await effective(session, shop.id)


@router.patch("/settings", response_model=None)
@router.put("/settings", response_model=None)
async def put_settings(
    request: Request,
    shop: CurrentShop,
    resources: ResourcesDep,
    patch: Any = Body(...),  # noqa: B008  (a free-form partial body)
) -> dict[str, Any] | JSONResponse:
    """Partial update (only the keys sent change); pausing issues no new code and gives no
    reward, while the friend codes already out stay valid. Refusals answer 400 with
    `problems`."""
    if not isinstance(patch, dict):
        raise InvalidRequest(
            Text(
                en='Send a JSON object with the settings to change, e.g. {"mode": "live"}.',
                fr="Envoyez un objet JSON avec les réglages à modifier, par exemple "
                '{"mode": "live"}.',
            )
        )
    try:
        async with resources.transaction() as session:
            saved = await update_settings(
                session, shop.id, KEY, ReferralSettings, patch, datetime.now(UTC)
            )
            # The storefront widget shows the referral offer (shop metafield).
            program_changed(session, shop.id)
            return saved
    except InvalidSettings as exc:
        locale = request_locale(request)
        return JSONResponse(
            {
                "error": "InvalidRequest",
                "detail": exc.text.in_locale(locale),
                "problems": [
                    {"field": p.field, "message": p.what.in_locale(locale)} for p in exc.problems
                ],
            },
            status_code=400,
        )


def _row(row: admin.ReferralRow) -> dict[str, Any]:
    data = asdict(row)
    for key in ("order_total",):
        data[key] = None if data[key] is None else str(data[key])
    for key in ("created_at", "due_at", "rewarded_at"):
        data[key] = None if data[key] is None else data[key].isoformat()
    return data


@router.get("")
async def list_referrals(
    shop: CurrentShop,
    resources: ResourcesDep,
    status: Status | None = None,
    before_id: BeforeIdQuery = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[dict[str, Any]]:
    async with resources.sessions.begin() as session:
        rows = await admin.list_referrals(
            session, shop.id, status=status, before_id=before_id, limit=limit
        )
    return [_row(r) for r in rows]


def _actor(token: Any) -> str:
    return f"user:{token.user_id}" if token.user_id else "merchant"


@router.post("/{referral_id}/approve")
async def approve(
    referral_id: RowIdPath, shop: CurrentShop, token: SessionTokenDep, resources: ResourcesDep
) -> dict[str, Any]:
    async with resources.sessions.begin() as session:
        referral = await admin.approve(
            session, shop.id, referral_id, actor=_actor(token), now=datetime.now(UTC)
        )
        return {"id": referral.id, "status": referral.status}


@router.post("/{referral_id}/reject")
async def reject(
    referral_id: RowIdPath, shop: CurrentShop, token: SessionTokenDep, resources: ResourcesDep
) -> dict[str, Any]:
    async with resources.sessions.begin() as session:
        referral = await admin.reject(
            session, shop.id, referral_id, actor=_actor(token), now=datetime.now(UTC)
        )
        return {"id": referral.id, "status": referral.status}


@router.get("/advocates")
async def advocates(
    shop: CurrentShop,
    resources: ResourcesDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> list[dict[str, Any]]:
    async with resources.sessions.begin() as session:
        rows = await admin.top_advocates(session, shop.id, limit=limit)
    return [{**asdict(r), "revenue": str(r.revenue)} for r in rows]


@router.get("/figures")
async def figures(shop: CurrentShop, resources: ResourcesDep) -> dict[str, Any]:
    async with resources.sessions.begin() as session:
        found = await admin.figures(session, shop.id)
    return {**asdict(found), "referred_revenue": str(found.referred_revenue)}
