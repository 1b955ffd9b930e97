"""The authorization-code grant as a browser goes through it, against the simulator."""

from __future__ import annotations

import hashlib
import hmac
import html
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx

from devstore.server import Simulator
from tests.conftest import TEST_API_SECRET


async def grant(sim: Simulator, authorize: str) -> dict[str, str]:
    """Shopify's grant screen, approved: the query it sends back to the callback."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sim.app()), base_url="http://sim"
    ) as shopify:
        granted = await shopify.get(authorize)
    assert granted.status_code == 302, granted.text
    callback = granted.headers["location"]
    assert callback.startswith("http://testserver/auth/callback?")
    return dict(parse_qsl(urlsplit(callback).query))


async def start_install(client: httpx.AsyncClient, sim: Simulator, shop: str) -> dict[str, str]:
    """GET /auth, then let the simulated Shopify grant it: the callback's query."""
    begin = await client.get("/auth", params={"shop": shop})
    assert begin.status_code == 302
    authorize = begin.headers["location"]
    assert authorize.startswith(f"http://sim/{shop}/admin/oauth/authorize?")
    return await grant(sim, authorize)


async def install(client: httpx.AsyncClient, sim: Simulator, shop: str) -> httpx.Response:
    """The whole grant: /auth, Shopify's screen, /auth/callback."""
    query = await start_install(client, sim, shop)
    done = await client.get("/auth/callback?" + urlencode(query))
    assert done.status_code == 302, done.text
    return done


def signed(query: dict[str, str], secret: str = TEST_API_SECRET) -> dict[str, str]:
    """`query` re-signed as Shopify signs callbacks (hex HMAC over the sorted pairs)."""
    rest = {k: v for k, v in query.items() if k != "hmac"}
    message = "&".join(f"{k}={rest[k]}" for k in sorted(rest))
    rest["hmac"] = hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
    return rest


@dataclass(frozen=True)
class InstallFailure:
    """What the install's error page says: the error's class, its language, the page title
    and the specific reason."""

    error: str
    lang: str
    title: str
    reason: str


def install_failure(response: httpx.Response) -> InstallFailure:
    assert response.headers["content-type"].startswith("text/html")
    page = response.text

    def find(pattern: str) -> str:
        found = re.search(pattern, page, re.DOTALL)
        assert found is not None, f"{pattern!r} not in the error page"
        return html.unescape(found.group(1))

    return InstallFailure(
        error=find(r'<meta name="boomerang-error" content="([^"]+)">'),
        lang=find(r'<html lang="([^"]+)">'),
        title=find(r"<h1>(.*?)</h1>"),
        reason=find(r'<p id="reason">(.*?)</p>'),
    )
