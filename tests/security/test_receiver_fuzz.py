"""POST /webhooks on random bodies and headers, signed or not: never a 5xx, and nothing is
stored unless the body's HMAC is valid."""

from __future__ import annotations

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import Shop, WebhookEvent
from app.shopify.webhook_verification import sign
from tests.conftest import TEST_API_SECRET
from tests.support.webhooks import SHOP, install_shop

# Header values as HTTP carries them (latin-1, no control characters).
VALUE = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=255, exclude_characters="\x7f"),
    max_size=40,
)
TOPICS = (
    st.sampled_from(
        ["orders/create", "customers/redact", "shop/redact", "app/uninstalled", "checkouts/update"]
    )
    | VALUE
)
TIMES = (
    st.sampled_from(
        ["2026-12-05T05:00:00Z", "2020-01-01T00:00:00Z", "2026-12-05T05:00:00.123456789-05:00"]
    )
    | VALUE
)
BODIES = st.binary(max_size=300) | st.sampled_from(
    [b"{}", b"[]", b'{"shop_domain": "other.myshopify.com"}', b'{"shop_domain": 1}', b"\xff{"]
)


@st.composite
def deliveries(draw: st.DrawFn) -> tuple[bytes, dict[str, str], bool]:
    body = draw(BODIES)
    signed = draw(st.booleans())
    hmac = sign(body, TEST_API_SECRET) if signed else draw(st.none() | VALUE)
    headers = {
        "X-Shopify-Topic": draw(TOPICS),
        "X-Shopify-Shop-Domain": draw(st.sampled_from([SHOP, SHOP.upper(), ""]) | VALUE),
        "X-Shopify-Webhook-Id": draw(VALUE),
        "X-Shopify-Triggered-At": draw(TIMES),
        "X-Shopify-Event-Id": draw(VALUE),
        "X-Shopify-API-Version": draw(VALUE),
    }
    if hmac is not None:
        headers["X-Shopify-Hmac-Sha256"] = hmac
    dropped = draw(st.sets(st.sampled_from(sorted(headers))))
    return body, {k: v for k, v in headers.items() if k not in dropped}, signed


async def stored(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions.begin() as session:
        return int(await session.scalar(select(func.count()).select_from(WebhookEvent)) or 0)


@settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(delivery=deliveries())
async def test_random_deliveries_never_fail_the_server_nor_store_unsigned_bodies(
    delivery: tuple[bytes, dict[str, str], bool],
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    if not await _has_shop(sessions):
        await install_shop(sessions)
    body, headers, signed = delivery
    before = await stored(sessions)

    raw_headers = [(k.encode(), v.encode("latin-1")) for k, v in headers.items()]
    response = await client.post("/webhooks", content=body, headers=raw_headers)

    assert response.status_code < 500, response.text
    valid = signed and "X-Shopify-Hmac-Sha256" in headers
    if not valid:
        assert response.status_code == 401
        assert await stored(sessions) == before


async def _has_shop(sessions: async_sessionmaker[AsyncSession]) -> bool:
    async with sessions.begin() as session:
        return bool(await session.scalar(select(func.count()).select_from(Shop)))
