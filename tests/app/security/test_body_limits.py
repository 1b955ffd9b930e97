"""Request bodies are capped per route before they are read, on every route, with a 413:
an unauthenticated client cannot make the web process buffer or parse a large body."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx

from app.web.body_limits import DEFAULT_MAX_BODY_BYTES, MIB, max_body_bytes
from webhooks.receiver import MAX_BODY_BYTES as WEBHOOK_MAX_BODY_BYTES

CHUNK = 64 * 1024


class Sender:
    """A streamed body of `total` bytes that counts how much the server pulled."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.pulled = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self.pulled < self.total:
            size = min(CHUNK, self.total - self.pulled)
            self.pulled += size
            yield b"[" * size


async def test_a_declared_200_mib_email_event_body_is_a_413_before_a_byte_is_read(
    client: httpx.AsyncClient,
) -> None:
    body = Sender(200 * MIB)
    answer = await client.post(
        "/hooks/email-events",
        content=body,
        headers={"Content-Length": str(body.total), "X-Boomerang-Signature": "0" * 64},
    )
    assert answer.status_code == 413
    assert answer.json()["error"] == "PayloadTooLarge"
    assert str(max_body_bytes("/hooks/email-events")) in answer.json()["detail"]
    assert body.pulled <= CHUNK


async def test_a_chunked_body_is_cut_off_at_the_cap_not_read_to_the_end(
    client: httpx.AsyncClient,
) -> None:
    body = Sender(200 * MIB)  # no Content-Length: sent chunked
    answer = await client.post("/hooks/email-events", content=body)
    assert answer.status_code == 413
    assert body.pulled <= max_body_bytes("/hooks/email-events") + CHUNK


async def test_approve_all_refuses_a_40_mib_array_before_checking_the_session(
    client: httpx.AsyncClient,
) -> None:
    body = Sender(40 * MIB)
    answer = await client.post(
        "/api/approvals/approve-all",
        content=body,
        headers={"Content-Type": "application/json", "Content-Length": str(body.total)},
    )
    assert answer.status_code == 413
    assert body.pulled <= CHUNK
    chunked = Sender(40 * MIB)
    answer = await client.post(
        "/api/approvals/approve-all",
        content=chunked,
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 413
    assert chunked.pulled <= max_body_bytes("/api/approvals/approve-all") + CHUNK


async def test_every_route_has_a_cap_and_the_refusal_speaks_french(
    client: httpx.AsyncClient,
) -> None:
    for path in ("/api/scenarios/abandoned_cart", "/u/anything", "/auth", "/nowhere"):
        answer = await client.post(path + "?locale=fr", content=b"x" * (DEFAULT_MAX_BODY_BYTES + 1))
        assert answer.status_code == 413, path
        assert "octets au plus" in answer.json()["detail"]


async def test_a_body_under_the_cap_still_reaches_the_route(client: httpx.AsyncClient) -> None:
    answer = await client.post("/hooks/email-events", content=b'{"events": []}')
    assert answer.status_code == 401  # the signature, checked once the body is in


async def test_webhooks_keep_their_own_10_mib_cap(client: httpx.AsyncClient) -> None:
    body = Sender(WEBHOOK_MAX_BODY_BYTES + CHUNK)
    answer = await client.post("/webhooks", content=body)
    assert answer.status_code == 413
    assert body.pulled <= WEBHOOK_MAX_BODY_BYTES + CHUNK
