"""The simulator's online store renders the app's theme app extension as Shopify would: the
blocks' Liquid with the metafields the app set through the Admin API (its `$app:` namespace),
the storefront strings in the page's language, the schema's assets served and linked, the
visitor logged in by the storefront cookie, and the shop reachable at its own host."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from devstore.server import STOREFRONT_CUSTOMER_COOKIE, Simulator
from tests.devstore.conftest import SHOP, gql
from tests.devstore.test_graphql import METAFIELDS

EXTENSION = Path(__file__).resolve().parents[2] / "extensions" / "loyalty-widget"
STATE = re.compile(r'<script type="application/json" data-boomerang-state>(.*?)</script>', re.S)


def states(html: str) -> list[dict[str, Any]]:
    return [json.loads(found) for found in STATE.findall(html)]


@pytest.fixture
def store(sim: Simulator) -> Simulator:
    sim.shop(SHOP).locales = ["en", "fr"]
    sim.install_theme_extension(EXTENSION, settings={"launcher": {"launcher_text": "Club"}})
    return sim


async def test_a_guest_gets_both_blocks_and_their_assets(
    client: httpx.AsyncClient, store: Simulator
) -> None:
    page = await client.get(f"/{SHOP}/pages/rewards")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert [state["customer"] for state in states(html)] == [None, None]
    assert {state["strings"]["guest_join"] for state in states(html)} == {"Create an account"}
    # The app embed before </body>, with the merchant's launcher text; the page's own section.
    assert 'data-boomerang-widget="launcher"' in html.split("</main>", 1)[1]
    assert ">Club<" in html
    assets = f"http://devstore/{SHOP}/cdn/extensions/loyalty-widget/assets"
    assert f'<script src="{assets}/loyalty-widget.js" defer></script>' in html
    assert f'<link rel="stylesheet" href="{assets}/loyalty-widget.css">' in html
    served = await client.get(f"{assets}/loyalty-widget.css")
    assert served.status_code == 200
    assert served.headers["content-type"].startswith("text/css")
    assert (await client.get(f"{assets}/..%2fblocks%2flauncher.liquid")).status_code == 404


async def test_a_member_sees_the_metafields_the_app_set(
    client: httpx.AsyncClient, store: Simulator, token: str
) -> None:
    customer = store.add_customer(SHOP, "ada@example.com", first_name="Ada")
    status = {"pending": 40, "pending_lots": [], "tier_measure": "120", "referral": None}
    fields = [
        {"ownerId": customer.gid, "namespace": "$app:loyalty", "key": "points",
         "type": "number_integer", "value": "160"},
        {"ownerId": customer.gid, "namespace": "$app:loyalty", "key": "tier",
         "type": "single_line_text_field", "value": "silver"},
        {"ownerId": customer.gid, "namespace": "$app:loyalty", "key": "status",
         "type": "json", "value": json.dumps(status)},
        {"ownerId": store.shop(SHOP).gid, "namespace": "$app:loyalty", "key": "program",
         "type": "json", "value": json.dumps({"enabled": True, "rewards": []})},
    ]  # fmt: skip
    body = await gql(client, token, METAFIELDS, {"metafields": fields})
    assert body["data"]["metafieldsSet"]["userErrors"] == []

    client.cookies.set(STOREFRONT_CUSTOMER_COOKIE, str(customer.id))
    page = await client.get(f"/{SHOP}/fr/pages/rewards")
    [state, _] = states(page.text)
    assert state["locale"] == "fr"
    assert state["customer"] == {
        "first_name": "Ada",
        "points": 160,
        "tier": "silver",
        "status": status,
    }
    assert state["program"] == {"enabled": True, "rewards": []}
    assert state["strings"]["spendable"] == "Points utilisables"
    assert "160 pts" in page.text


async def test_the_shop_answers_at_its_own_host(
    client: httpx.AsyncClient, store: Simulator
) -> None:
    page = await client.get("/pages/rewards", headers={"host": f"{SHOP}:8080"})
    assert page.status_code == 200
    assert f'src="http://{SHOP}:8080/cdn/extensions/loyalty-widget/assets/' in page.text
    assert (await client.get("/pages/rewards")).status_code == 404


async def test_a_language_the_shop_does_not_publish_is_not_found(
    client: httpx.AsyncClient, store: Simulator
) -> None:
    assert (await client.get(f"/{SHOP}/de/pages/rewards")).status_code == 404
