"""schemathesis over the app's OpenAPI spec, in process through ASGI: every operation (the admin
API with a valid session token, the public endpoints without) answers random but schema-shaped
requests without a 5xx. The shopper links kept out of the spec (tracking, unsubscribe) get
random tokens. Bounded: a few examples per operation, the whole file in seconds."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.main import create_app
from app.settings import Settings
from tests.conftest import TEST_API_KEY, TEST_API_SECRET, TEST_FERNET_KEY
from tests.support.session_tokens import bearer, mint_session_token
from tests.support.shops import create_shop

SHOP = "fuzz.myshopify.com"


def _spec() -> dict[str, Any]:
    """The spec the app serves at /openapi.json (built without connecting anywhere)."""
    offline = Settings(
        shopify_api_key=TEST_API_KEY,
        shopify_api_secret=SecretStr(TEST_API_SECRET),
        token_encryption_keys=SecretStr(TEST_FERNET_KEY),
    )
    return create_app(offline).openapi()


SCHEMA = schemathesis.openapi.from_dict(_spec())
OPERATIONS = [
    (method.upper(), path)
    for path, methods in SCHEMA.raw_schema["paths"].items()
    for method in methods
]
FUZZ = settings(
    max_examples=8,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def test_the_spec_covers_the_admin_api_and_the_public_endpoints() -> None:
    paths = {path for _, path in OPERATIONS}
    assert sum(p.startswith("/api/") for p in paths) >= 15
    assert {"/auth", "/auth/callback", "/hooks/email-events", "/"} <= paths


@pytest.fixture
async def shop_token(sessions: async_sessionmaker[AsyncSession]) -> str:
    await create_shop(sessions, domain=SHOP)
    return mint_session_token(SHOP)


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
@FUZZ
@given(data=st.data())
async def test_no_operation_answers_a_5xx(
    method: str, path: str, data: st.DataObject, client: httpx.AsyncClient, shop_token: str
) -> None:
    case = data.draw(SCHEMA[path][method].as_strategy(), label="case")
    headers = bearer(mint_session_token(SHOP)) if path.startswith("/api/") else {}
    request = case.as_transport_kwargs(base_url="http://testserver", headers=headers)
    sent_headers = dict(request.get("headers") or {})
    if cookies := request.get("cookies"):
        sent_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    response = await client.request(
        request["method"],
        request["url"],
        params=request.get("params"),
        headers=sent_headers,
        json=request.get("json"),
        content=request.get("data"),
    )
    assert response.status_code < 500, f"{case.as_curl_command()}\n{response.text[:500]}"


@FUZZ
@given(
    route=st.sampled_from(["/t/o/{}.gif", "/t/c/{}", "/u/{}", "/r/{}"]),
    method=st.sampled_from(["GET", "HEAD", "POST"]),
    token=st.text(min_size=1, max_size=60).filter(lambda t: "/" not in t and t not in {".", ".."}),
)
async def test_shopper_links_with_random_tokens_are_404_not_5xx(
    route: str, method: str, token: str, client: httpx.AsyncClient
) -> None:
    response = await client.request(method, route.format(quote(token, safe="")))
    assert response.status_code < 500
    assert response.status_code in (404, 405)
