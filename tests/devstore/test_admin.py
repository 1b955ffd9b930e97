"""The simulated admin: the page that frames the app as Shopify's admin does, its token
endpoint for App Bridge, and the CDN stand-ins."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from html import unescape
from urllib.parse import parse_qsl, urlsplit

import httpx
import jwt

from devstore.server import Simulator

STORE = "demo"
SHOP = "demo.myshopify.com"


def _iframe_src(page: str) -> str:
    found = re.search(r'<iframe id="app-iframe"[^>]*src="([^"]+)"', page)
    assert found is not None, page
    return unescape(found.group(1))


def _claims(sim: Simulator, token: str) -> dict[str, object]:
    claims: dict[str, object] = jwt.decode(
        token,
        sim.config.api_secret,
        algorithms=["HS256"],
        audience=sim.config.api_key,
        # The simulator's clock is a manual one: its times are not the wall clock's.
        options={"verify_exp": False, "verify_nbf": False, "verify_iat": False},
    )
    return claims


async def test_admin_frames_the_app_with_shopifys_parameters(
    sim_and_client: tuple[Simulator, httpx.AsyncClient],
) -> None:
    sim, client = sim_and_client
    response = await client.get(f"/store/{STORE}/apps/boomerang/settings?locale=fr")
    assert response.status_code == 200
    assert '<html lang="fr">' in response.text
    src = _iframe_src(response.text)
    parts = urlsplit(src)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://app.example.com/settings"
    params = dict(parse_qsl(parts.query))
    assert params["shop"] == SHOP
    assert params["embedded"] == "1"
    assert params["locale"] == "fr"
    padded = params["host"] + "=" * (-len(params["host"]) % 4)
    assert base64.urlsafe_b64decode(padded) == b"admin.shopify.com/store/demo"
    claims = _claims(sim, params["id_token"])
    assert claims["dest"] == f"https://{SHOP}"
    assert claims["iss"] == f"https://{SHOP}/admin"
    signed = {k: v for k, v in params.items() if k != "hmac"}
    message = "&".join(f"{k}={v}" for k, v in sorted(signed.items()))
    expected = hmac.new(sim.config.api_secret.encode(), message.encode(), hashlib.sha256)
    assert hmac.compare_digest(params["hmac"], expected.hexdigest())


async def test_admin_gives_app_bridge_fresh_tokens_for_its_shop_only(
    sim_and_client: tuple[Simulator, httpx.AsyncClient],
) -> None:
    sim, client = sim_and_client
    first = (await client.post(f"/store/{STORE}/session-token")).json()["session_token"]
    second = (await client.post(f"/store/{STORE}/session-token")).json()["session_token"]
    assert first != second  # a new token (jti) each time
    assert _claims(sim, second)["dest"] == f"https://{SHOP}"
    assert (await client.post("/store/nobody/session-token")).status_code == 404
    assert (await client.get("/store/nobody/apps/boomerang")).status_code == 404
    assert (await client.get("/store/bad..name/apps/boomerang")).status_code == 404


async def test_cdn_stand_ins_are_served_as_scripts(
    sim_and_client: tuple[Simulator, httpx.AsyncClient],
) -> None:
    _, client = sim_and_client
    bridge = await client.get("/cdn/shopifycloud/app-bridge.js")
    assert bridge.status_code == 200
    assert bridge.headers["content-type"].startswith("text/javascript")
    assert "idToken" in bridge.text
    assert "X-Shopify-Retry-Invalid-Session-Request" in bridge.text
    polaris = await client.get("/cdn/shopifycloud/polaris-1.js")
    for element in ("s-page", "s-section", "s-button", "s-text-field", "s-choice-list"):
        assert f'"{element}"' in polaris.text
    assert (await client.get("/cdn/shopifycloud/unknown.js")).status_code == 404


async def test_a_customers_admin_page_shows_what_the_shop_holds(
    sim_and_client: tuple[Simulator, httpx.AsyncClient],
) -> None:
    """Where an app's `shopify://admin/customers/{id}` link lands (App Bridge's Navigation
    API): the admin's page of that customer."""
    sim, client = sim_and_client
    customer = sim.add_customer(SHOP, "lou@example.test", first_name="Lou")
    page = await client.get(f"/store/{STORE}/customers/{customer.id}")
    assert page.status_code == 200
    assert "<h1>Lou" in page.text
    assert "lou@example.test" in page.text
    assert (await client.get(f"/store/{STORE}/customers/999999999")).status_code == 404
    assert (await client.get(f"/store/{STORE}/orders/999999999")).status_code == 404
    assert (await client.get(f"/store/{STORE}/products/1")).status_code == 404
