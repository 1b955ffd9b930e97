"""The setup guide's steps are what really happened: the sender saved, a preview on one of
the shop's customers (not on sample data), a test the mail server accepted, a scenario on.
Dismissing it is remembered, and it can be shown again."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import Shop
from tests.messaging.conftest import Inbox, make_customer, make_shop
from tests.support.session_tokens import bearer, mint_session_token

SHOP = "acme.myshopify.com"
TEMPLATE = "/api/templates/abandoned_cart/1/en"


def _headers() -> dict[str, str]:
    return bearer(mint_session_token(SHOP))


async def _done(client: httpx.AsyncClient) -> dict[str, bool]:
    guide = await client.get("/api/setup-guide", headers=_headers())
    assert guide.status_code == 200, guide.text
    return {step["key"]: step["done"] for step in guide.json()["steps"]}


async def test_each_step_is_done_when_it_really_happened(
    sessions: async_sessionmaker[AsyncSession], client: httpx.AsyncClient, inbox: Inbox
) -> None:
    shop = await make_shop(sessions, domain=SHOP)
    # A shop installed before new installs started paused: its cart reminder runs live (its
    # default); win-back, added later, waits to be turned on (its default, as welcome's).
    assert await _done(client) == {
        "sender": False,
        "preview": False,
        "test": False,
        "turn_on": True,
    }
    guide = (await client.get("/api/setup-guide", headers=_headers())).json()
    assert guide["on"] == {"abandoned_cart": "live"}
    paused = await client.put(
        "/api/scenarios/abandoned_cart", headers=_headers(), json={"mode": "paused"}
    )
    assert paused.status_code == 200
    assert (await _done(client))["turn_on"] is False

    # A preview on sample data is not a preview on a real customer.
    sample = await client.post(f"{TEMPLATE}/preview", headers=_headers(), json={})
    assert sample.status_code == 200, sample.text
    assert (await _done(client))["preview"] is False
    customer = await make_customer(sessions, shop)
    real = await client.post(
        f"{TEMPLATE}/preview", headers=_headers(), json={"customer_id": customer.id}
    )
    assert real.status_code == 200, real.text
    assert (await _done(client))["preview"] is True

    sent = await client.post(f"{TEMPLATE}/test-send", headers=_headers(), json={})
    assert sent.status_code == 200, sent.text
    assert [m["To"] for m in inbox.messages] == ["owner@acme.test"]
    assert (await _done(client))["test"] is True

    saved = await client.put("/api/sender", headers=_headers(), json={"name": "Maison Acme"})
    assert saved.status_code == 200, saved.text
    dry_run = await client.put(
        "/api/scenarios/welcome", headers=_headers(), json={"mode": "dry_run"}
    )
    assert dry_run.status_code == 200
    guide = (await client.get("/api/setup-guide", headers=_headers())).json()
    assert guide["complete"] is True
    assert (guide["done"], guide["total"]) == (4, 4)
    assert guide["on"] == {"welcome": "dry_run"}


async def test_a_failed_test_send_does_not_count(
    sessions: async_sessionmaker[AsyncSession], client: httpx.AsyncClient, inbox: Inbox
) -> None:
    shop = await make_shop(sessions, domain=SHOP)
    async with sessions.begin() as session:
        row = await session.get(Shop, shop.id)
        assert row is not None
        row.email = None  # nowhere to send the test
    refused = await client.post(f"{TEMPLATE}/test-send", headers=_headers(), json={})
    assert refused.status_code >= 400
    assert (await _done(client))["test"] is False
    assert inbox.messages == []


async def test_the_guide_is_dismissed_and_shown_again(
    sessions: async_sessionmaker[AsyncSession], client: httpx.AsyncClient
) -> None:
    await make_shop(sessions, domain=SHOP)
    hidden = await client.put("/api/setup-guide", headers=_headers(), json={"dismissed": True})
    assert hidden.json()["dismissed"] is True
    assert (await client.get("/api/setup-guide", headers=_headers())).json()["dismissed"] is True
    shown = await client.put("/api/setup-guide", headers=_headers(), json={"dismissed": False})
    assert shown.json()["dismissed"] is False
    refused = await client.put("/api/setup-guide", headers=_headers(), json={"dismissed": "yes"})
    assert refused.status_code == 422
