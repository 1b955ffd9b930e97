"""Approving or rejecting a selection (POST /api/approvals/approve-all or reject-all with
`ids`): only the messages named, only the shop's own, only those still waiting."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.messaging.config import MessagingConfig
from app.messaging.controls import DeliveryMode
from tests.messaging.conftest import enqueue, make_customer, make_shop, reload
from tests.support.session_tokens import bearer, mint_session_token


async def test_a_selection_is_approved_or_rejected_and_nothing_else(
    sessions: async_sessionmaker[AsyncSession],
    config: MessagingConfig,
    client: httpx.AsyncClient,
) -> None:
    shop = await make_shop(sessions)
    other = await make_shop(sessions, domain="other.myshopify.com")
    held = [
        await enqueue(
            sessions,
            config,
            shop,
            await make_customer(sessions, shop),
            subject_key=f"cart-{n}",
            mode=DeliveryMode.APPROVAL,
        )
        for n in range(3)
    ]
    theirs = await enqueue(
        sessions,
        config,
        other,
        await make_customer(sessions, other),
        subject_key="cart-x",
        mode=DeliveryMode.APPROVAL,
    )
    assert {m.status for m in [*held, theirs]} == {"pending_approval"}
    auth = bearer(mint_session_token(shop.domain))

    approved = await client.post(
        "/api/approvals/approve-all", json={"ids": [held[0].id, theirs.id]}, headers=auth
    )
    assert approved.json() == {"approved": 1}
    rejected = await client.post(
        "/api/approvals/reject-all", json={"ids": [held[0].id, held[1].id]}, headers=auth
    )
    assert rejected.json() == {"rejected": 1}  # the first is no longer waiting

    statuses = [(await reload(sessions, m.id)).status for m in [*held, theirs]]
    assert statuses == ["queued", "suppressed", "pending_approval", "pending_approval"]
    too_many = await client.post(
        "/api/approvals/approve-all", json={"ids": list(range(1, 502))}, headers=auth
    )
    assert too_many.status_code == 422
