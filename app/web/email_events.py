"""Bounces and complaints reported to us: JSON events from a relay or ESP, or a raw DSN
(RFC 3464), each signed with a key derived from the app secret
(`X-Boomerang-Signature: hex HMAC-SHA256 of the body`)."""

from __future__ import annotations

import hmac
from datetime import UTC, datetime
from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, ValidationError

from app.errors import InvalidRequest, Unauthorized
from app.i18n import Text
from app.messaging import signing
from app.messaging.bounces import EmailEvent, apply_email_event, parse_dsn
from app.web.deps import ResourcesDep
from app.web.messaging_deps import MessagingConfigDep

router = APIRouter(prefix="/hooks", tags=["email-events"])


class EmailEventIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")

    type: Literal["bounce", "complaint"]
    message_id: str
    email: str | None = None
    bounce_type: Literal["hard", "soft"] = "hard"
    detail: str | None = None


class EmailEventsIn(BaseModel):
    model_config = ConfigDict(strict=True)

    events: list[EmailEventIn]


async def _verified_body(request: Request, key: bytes) -> bytes:
    body = await request.body()
    given = request.headers.get("x-boomerang-signature", "")
    # Compared as bytes: compare_digest raises on a non-ASCII str, and a header the client
    # wrote must be refused as a bad signature, never answered with a 500.
    expected = signing.body_signature(body, key).encode()
    if not hmac.compare_digest(given.encode(), expected):
        raise Unauthorized(
            Text(
                en="Bad or missing X-Boomerang-Signature: send the hex HMAC-SHA256 of the raw "
                "body.",
                fr="X-Boomerang-Signature absente ou invalide : envoyez le HMAC-SHA256 "
                "hexadécimal du corps brut.",
            )
        )
    return body


async def _apply(resources: ResourcesDep, events: list[EmailEvent]) -> dict[str, int]:
    matched = 0
    async with resources.sessions.begin() as session:
        for event in events:
            matched += await apply_email_event(session, event, datetime.now(UTC))
    return {"received": len(events), "matched": matched}


@router.post("/email-events")
async def email_events(
    request: Request, resources: ResourcesDep, config: MessagingConfigDep
) -> dict[str, int]:
    body = await _verified_body(request, config.events_key)
    try:
        parsed = EmailEventsIn.model_validate_json(body)
    except ValidationError as exc:
        problem = exc.errors()[0]["msg"]
        raise InvalidRequest(
            Text(
                en=f"Expected a JSON body {{'events': [...]}}: {problem}.",
                fr=f"Corps JSON attendu de la forme {{'events': [...]}} : {problem}.",
            )
        ) from None
    events = [
        EmailEvent(
            kind=e.type,
            message_id_header=e.message_id,
            address=e.email,
            hard=e.bounce_type == "hard",
            detail=e.detail,
        )
        for e in parsed.events
    ]
    return await _apply(resources, events)


@router.post("/email-events/dsn")
async def delivery_status_notification(
    request: Request, resources: ResourcesDep, config: MessagingConfigDep
) -> dict[str, int]:
    body = await _verified_body(request, config.events_key)
    return await _apply(resources, parse_dsn(body))
