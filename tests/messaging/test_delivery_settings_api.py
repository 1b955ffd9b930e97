"""PATCH /api/messaging/settings (and PUT, the same): only the fields sent change, as with a
scenario's settings; every refused field comes back at once; quiet hours have an off switch
that the outbox obeys."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.messaging.config import MessagingConfig
from app.messaging.delivery import deliver_message
from app.messaging.transport import transport_from_settings
from app.settings import Settings
from tests.messaging.conftest import Inbox, enqueue, make_customer, make_shop
from tests.support.session_tokens import bearer, mint_session_token


async def test_a_change_touches_only_the_fields_sent_by_patch_or_put(
    sessions: async_sessionmaker[AsyncSession], client: httpx.AsyncClient
) -> None:
    shop = await make_shop(sessions, quiet_hours=True)
    auth = bearer(mint_session_token(shop.domain))
    before = (await client.get("/api/messaging/settings", headers=auth)).json()
    assert before["quiet_hours_enabled"] is True

    patched = await client.patch("/api/messaging/settings", json={"max_per_day": 2}, headers=auth)
    assert patched.status_code == 200, patched.text
    assert patched.json() == {**before, "max_per_day": 2}

    put = await client.put("/api/messaging/settings", json={"paused": True}, headers=auth)
    assert put.status_code == 200, put.text
    after = (await client.get("/api/messaging/settings", headers=auth)).json()
    assert after == {**before, "max_per_day": 2, "paused": True}

    # A client that sends everything, as before, still works.
    full = await client.put(
        "/api/messaging/settings", json={**after, "quiet_start": "22:30"}, headers=auth
    )
    assert full.json()["quiet_start"] == "22:30:00"


async def test_every_refused_field_comes_back_at_once_in_the_merchants_language(
    sessions: async_sessionmaker[AsyncSession], client: httpx.AsyncClient
) -> None:
    shop = await make_shop(sessions)
    auth = bearer(mint_session_token(shop.domain))
    before = (await client.get("/api/messaging/settings", headers=auth)).json()
    refused = await client.patch(
        "/api/messaging/settings?locale=fr",
        json={"max_per_day": 51, "max_per_week": -1, "quiet_start": "25:00", "colour": "red"},
        headers=auth,
    )
    assert refused.status_code == 400
    problems = {p["field"]: p for p in refused.json()["problems"]}
    assert {f: (p["code"], p["params"]) for f, p in problems.items()} == {
        "max_per_day": ("max", {"limit": 50}),
        "max_per_week": ("min", {"limit": 0}),
        "quiet_start": ("time", {}),
        "colour": ("unknown", {}),
    }
    assert problems["max_per_day"]["message"] == "doit valoir au plus 50 : envoyez 50 ou moins"
    assert (await client.get("/api/messaging/settings", headers=auth)).json() == before


async def test_quiet_hours_switched_off_let_a_message_go_at_night(
    sessions: async_sessionmaker[AsyncSession],
    client: httpx.AsyncClient,
    config: MessagingConfig,
    settings: Settings,
    inbox: Inbox,
) -> None:
    shop = await make_shop(sessions, timezone="Europe/Paris", quiet_hours=True)
    auth = bearer(mint_session_token(shop.domain))
    night = datetime(2026, 6, 3, 21, 30, tzinfo=UTC)  # 23:30 in Paris, inside 21:00–08:00
    transport = transport_from_settings(settings)
    first = await enqueue(sessions, config, shop, await make_customer(sessions, shop), at=night)
    held = await deliver_message(sessions, transport, config, first.id, now=night)
    assert (held.status, held.reason) == ("queued", "quiet_hours")

    off = await client.patch(
        "/api/messaging/settings", json={"quiet_hours_enabled": False}, headers=auth
    )
    assert off.json()["quiet_hours_enabled"] is False
    assert (off.json()["quiet_start"], off.json()["quiet_end"]) == ("21:00:00", "08:00:00")
    second = await enqueue(
        sessions, config, shop, await make_customer(sessions, shop), subject_key="other", at=night
    )
    sent = await deliver_message(sessions, transport, config, second.id, now=night)
    assert sent.status == "sent"
    assert len(inbox.messages) == 1
