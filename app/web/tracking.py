"""Shopper-facing tracking: the open pixel and the click redirect. Public, token-signed."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse

from app.errors import NotFound
from app.i18n import Text
from app.messaging.tracking import Hit, record_click, record_open
from app.web.deps import ResourcesDep
from app.web.messaging_deps import MessagingConfigDep
from app.web.rate_limits import limit_public

# Public: limited per client IP and per token (app/web/rate_limits.py).
router = APIRouter(tags=["tracking"], dependencies=[Depends(limit_public)])

_PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
_NO_STORE = {"Cache-Control": "no-store, max-age=0", "Pragma": "no-cache"}


def _hit(request: Request) -> Hit:
    return Hit(
        method=request.method,
        user_agent=request.headers.get("user-agent"),
        at=datetime.now(UTC),
    )


@router.api_route("/t/o/{token}.gif", methods=["GET", "HEAD"], include_in_schema=False)
async def open_pixel(
    token: str, request: Request, resources: ResourcesDep, config: MessagingConfigDep
) -> Response:
    async with resources.sessions.begin() as session:
        found = await record_open(session, config, token, _hit(request))
    if not found:
        raise NotFound(Text(en="Unknown tracking link.", fr="Lien de suivi inconnu."))
    return Response(_PIXEL, media_type="image/gif", headers=_NO_STORE)


@router.api_route("/t/c/{token}", methods=["GET", "HEAD"], include_in_schema=False)
async def click(
    token: str, request: Request, resources: ResourcesDep, config: MessagingConfigDep
) -> Response:
    async with resources.sessions.begin() as session:
        url = await record_click(session, config, token, _hit(request))
    if url is None:
        raise NotFound(
            Text(
                en="Unknown link: it may have been copied incompletely. Open it again from "
                "the email.",
                fr="Lien inconnu : il a peut-être été copié en partie seulement. Ouvrez-le de "
                "nouveau depuis l'e-mail.",
            )
        )
    # Only ever the URL signed into the token: never an open redirect.
    return RedirectResponse(url, status_code=302, headers=_NO_STORE)
