"""The merchant's view of the outbox (GET /api/messages) and reject-all
(POST /api/approvals/reject-all), always scoped to the session token's shop."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.messaging.config import MessagingConfig
from app.messaging.controls import DeliveryMode
from app.platform.resources import Resources
from tests.messaging.conftest import Inbox, enqueue, make_customer, make_shop, reload, run_send_job
from tests.support.session_tokens import bearer, mint_session_token


async def test_outbox_lists_drafts_and_suppressed_messages_with_their_reason(
    sessions: async_sessionmaker[AsyncSession],
    config: MessagingConfig,
    client: httpx.AsyncClient,
) -> None:
    shop = await make_shop(sessions)
    camille = await make_customer(sessions, shop, first_name="Camille")
    unsubscribed = await make_customer(sessions, shop, state="unsubscribed")
    draft = await enqueue(
        sessions, config, shop, camille, subject_key="draft", mode=DeliveryMode.DRY_RUN
    )
    blocked = await enqueue(sessions, config, shop, unsubscribed, subject_key="blocked")
    auth = bearer(mint_session_token(shop.domain))

    everything = (await client.get("/api/messages", headers=auth)).json()
    assert [m["id"] for m in everything["messages"]] == [blocked.id, draft.id]  # newest first
    assert everything["next_before_id"] is None

    drafts = (await client.get("/api/messages?status=draft", headers=auth)).json()["messages"]
    assert len(drafts) == 1
    listed = drafts[0]
    assert listed["status"] == "draft"
    assert listed["status_reason"] == "dry_run"
    assert listed["customer_name"] == "Camille Martin"
    assert listed["to"] == camille.email
    assert listed["sent_at"] is None
    assert "Camille" in listed["text"]
    assert listed["html"].startswith("<")
    assert listed["subject"]

    suppressed = (await client.get("/api/messages?status=suppressed", headers=auth)).json()
    assert [(m["id"], m["status_reason"]) for m in suppressed["messages"]] == [
        (blocked.id, "no_marketing_consent:unsubscribed")
    ]
    by_scenario = await client.get("/api/messages?scenario=winback", headers=auth)
    assert by_scenario.json()["messages"] == []


async def test_outbox_shows_when_a_message_was_sent(
    sessions: async_sessionmaker[AsyncSession],
    config: MessagingConfig,
    resources: Resources,
    client: httpx.AsyncClient,
    inbox: Inbox,
) -> None:
    shop = await make_shop(sessions)
    message = await enqueue(sessions, config, shop, await make_customer(sessions, shop))
    assert await run_send_job(resources, message.id) == "sent"
    auth = bearer(mint_session_token(shop.domain))
    sent = (await client.get("/api/messages?status=sent", headers=auth)).json()["messages"]
    assert [m["id"] for m in sent] == [message.id]
    assert sent[0]["sent_at"] is not None
    assert len(inbox.messages) == 1


async def test_outbox_pages_by_id(
    sessions: async_sessionmaker[AsyncSession],
    config: MessagingConfig,
    client: httpx.AsyncClient,
) -> None:
    shop = await make_shop(sessions)
    ids = [
        (
            await enqueue(
                sessions, config, shop, await make_customer(sessions, shop), subject_key=f"p{n}"
            )
        ).id
        for n in range(3)
    ]
    auth = bearer(mint_session_token(shop.domain))
    first = (await client.get("/api/messages?limit=2", headers=auth)).json()
    assert [m["id"] for m in first["messages"]] == [ids[2], ids[1]]
    assert first["next_before_id"] == ids[1]
    rest = await client.get(f"/api/messages?limit=2&before_id={ids[1]}", headers=auth)
    assert [m["id"] for m in rest.json()["messages"]] == [ids[0]]
    assert rest.json()["next_before_id"] is None


async def test_an_unknown_status_is_refused_in_the_requesters_language(
    sessions: async_sessionmaker[AsyncSession], client: httpx.AsyncClient
) -> None:
    shop = await make_shop(sessions)
    auth = bearer(mint_session_token(shop.domain))
    english = await client.get("/api/messages?status=lost", headers=auth)
    assert english.status_code == 400
    assert english.json()["error"] == "UnknownMessageStatus"
    assert "use one of draft, pending_approval" in english.json()["detail"]
    french = await client.get(
        "/api/messages?status=lost", headers={**auth, "Accept-Language": "fr-FR,fr;q=0.9"}
    )
    assert "choisissez parmi draft" in french.json()["detail"]


async def test_outbox_needs_a_session_token_and_shows_only_its_shop(
    sessions: async_sessionmaker[AsyncSession],
    config: MessagingConfig,
    client: httpx.AsyncClient,
) -> None:
    shop = await make_shop(sessions)
    other = await make_shop(sessions, domain="other.myshopify.com")
    await enqueue(sessions, config, shop, await make_customer(sessions, shop))
    assert (await client.get("/api/messages")).status_code == 401
    foreign = bearer(mint_session_token(other.domain))
    assert (await client.get("/api/messages", headers=foreign)).json()["messages"] == []


async def test_reject_all_suppresses_every_waiting_message_of_its_shop_only(
    sessions: async_sessionmaker[AsyncSession],
    config: MessagingConfig,
    resources: Resources,
    client: httpx.AsyncClient,
    inbox: Inbox,
) -> None:
    shop = await make_shop(sessions)
    other = await make_shop(sessions, domain="other.myshopify.com")
    held = [
        await enqueue(
            sessions,
            config,
            shop,
            await make_customer(sessions, shop),
            subject_key=f"h{n}",
            mode=DeliveryMode.APPROVAL,
        )
        for n in range(2)
    ]
    elsewhere = await enqueue(
        sessions, config, other, await make_customer(sessions, other), mode=DeliveryMode.APPROVAL
    )
    live = await enqueue(
        sessions, config, shop, await make_customer(sessions, shop), subject_key="live"
    )

    auth = bearer(mint_session_token(shop.domain))
    response = await client.post("/api/approvals/reject-all", json={}, headers=auth)
    assert response.status_code == 200
    assert response.json() == {"rejected": 2}
    for message in held:
        rejected = await reload(sessions, message.id)
        assert (rejected.status, rejected.status_reason) == ("suppressed", "rejected_by_merchant")
        assert await run_send_job(resources, message.id) == "suppressed"
    assert (await reload(sessions, elsewhere.id)).status == "pending_approval"
    assert (await reload(sessions, live.id)).status == "queued"
    again = await client.post("/api/approvals/reject-all", json={}, headers=auth)
    assert again.json() == {"rejected": 0}
    assert inbox.messages == []


async def test_reject_all_can_be_limited_to_one_scenario(
    sessions: async_sessionmaker[AsyncSession],
    config: MessagingConfig,
    client: httpx.AsyncClient,
) -> None:
    shop = await make_shop(sessions)
    cart = await enqueue(
        sessions, config, shop, await make_customer(sessions, shop), mode=DeliveryMode.APPROVAL
    )
    welcome = await enqueue(
        sessions,
        config,
        shop,
        await make_customer(sessions, shop),
        scenario="winback",
        subject_key="w",
        mode=DeliveryMode.APPROVAL,
    )
    auth = bearer(mint_session_token(shop.domain))
    response = await client.post(
        "/api/approvals/reject-all", json={"scenario": "abandoned_cart"}, headers=auth
    )
    assert response.json() == {"rejected": 1}
    assert (await reload(sessions, cart.id)).status == "suppressed"
    assert (await reload(sessions, welcome.id)).status == "pending_approval"
