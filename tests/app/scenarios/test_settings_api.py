"""GET/PUT /api/scenarios/{key}: defaults, partial updates, clear validation errors."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.support.session_tokens import bearer, mint_session_token
from tests.support.shops import create_shop

SHOP = "acme.myshopify.com"


async def test_defaults_are_the_documented_sequence(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await create_shop(sessions, domain=SHOP)
    response = await client.get(
        "/api/scenarios/abandoned_cart", headers=bearer(mint_session_token(SHOP))
    )
    assert response.status_code == 200
    body = response.json()
    assert body["mode"] == "live"
    assert body["transactional"] is False
    assert [s["delay_seconds"] for s in body["steps"]] == [3600, 86400, 259200]
    assert body["steps"][0]["discount"] is None
    assert body["steps"][1]["discount"]["value"] == "10"
    assert body["steps"][1]["discount"]["valid_hours"] == 72


async def test_partial_update_changes_only_what_is_sent(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await create_shop(sessions, domain=SHOP)
    headers = bearer(mint_session_token(SHOP))
    response = await client.put(
        "/api/scenarios/abandoned_cart",
        headers=headers,
        json={"mode": "approval", "steps": [{"delay_seconds": 5}, {"delay_seconds": 10}, {}]},
    )
    assert response.status_code == 200, response.text
    again = (await client.get("/api/scenarios/abandoned_cart", headers=headers)).json()
    assert again["mode"] == "approval"
    assert [s["delay_seconds"] for s in again["steps"]] == [5, 10, 259200]
    assert again["steps"][1]["discount"]["value"] == "10"  # untouched

    await client.put("/api/scenarios/abandoned_cart", headers=headers, json={"transactional": True})
    final = (await client.get("/api/scenarios/abandoned_cart", headers=headers)).json()
    assert final["transactional"] is True
    assert final["mode"] == "approval"


async def test_invalid_settings_are_refused_with_the_reason(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await create_shop(sessions, domain=SHOP)
    headers = bearer(mint_session_token(SHOP))
    for patch, expected in [
        ({"mode": "sometimes"}, "mode: Input should be 'live', 'approval', 'dry_run' or 'paused'"),
        ({"transactional": 0}, "transactional: Input should be a valid boolean"),
        ({"steps": [{"delay_seconds": 0}]}, "steps.0.delay_seconds"),
        ({"steps": [{"delay_seconds": 50}, {"delay_seconds": 10}]}, "later than the one before"),
        ({"steps": [{}, {"discount": {"value": "250"}}]}, "between 1 and 100"),
        ({"colour": "blue"}, "colour: Extra inputs are not permitted"),
    ]:
        response = await client.put("/api/scenarios/abandoned_cart", headers=headers, json=patch)
        assert response.status_code == 400, patch
        assert response.json()["error"] == "InvalidRequest"
        assert expected in response.json()["detail"], response.json()["detail"]
    unchanged = (await client.get("/api/scenarios/abandoned_cart", headers=headers)).json()
    assert unchanged["mode"] == "live"


async def test_unknown_scenario_is_404(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await create_shop(sessions, domain=SHOP)
    response = await client.get("/api/scenarios/teleport", headers=bearer(mint_session_token(SHOP)))
    assert response.status_code == 404
    assert "known: abandoned_cart" in response.json()["detail"]


async def test_settings_are_per_shop(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await create_shop(sessions, domain=SHOP)
    await create_shop(sessions, domain="other.myshopify.com")
    await client.put(
        "/api/scenarios/abandoned_cart",
        headers=bearer(mint_session_token(SHOP)),
        json={"mode": "dry_run"},
    )
    other = await client.get(
        "/api/scenarios/abandoned_cart",
        headers=bearer(mint_session_token("other.myshopify.com")),
    )
    assert other.json()["mode"] == "live"


async def test_settings_need_a_session_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/scenarios/abandoned_cart")
    assert response.status_code == 401


async def test_each_refused_field_is_named_with_its_reason_in_the_requesters_language(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await create_shop(sessions, domain=SHOP)
    headers = bearer(mint_session_token(SHOP))
    patch = {
        "code_prefix": "bad prefix",
        "steps": [{"delay_seconds": 0}, {"discount": {"value": "250"}}, {}],
    }
    english = await client.put("/api/scenarios/abandoned_cart", headers=headers, json=patch)
    assert english.status_code == 400
    problems = {p["field"]: p["message"] for p in english.json()["problems"]}
    assert problems == {
        "code_prefix": "String should match pattern '^[A-Z0-9]+$'",
        "steps.0.delay_seconds": "Input should be greater than or equal to 1",
        "steps.1.discount.value": "a percentage discount is between 1 and 100",
    }
    french = await client.put(
        "/api/scenarios/abandoned_cart", headers={**headers, "Accept-Language": "fr"}, json=patch
    )
    body = french.json()
    assert body["detail"].startswith("Ces réglages ne sont pas valides : ")
    assert {p["field"]: p["message"] for p in body["problems"]} == {
        "code_prefix": "ne respecte pas le format attendu (^[A-Z0-9]+$)",
        "steps.0.delay_seconds": "doit être supérieur ou égal à 1",
        "steps.1.discount.value": "une remise en pourcentage est comprise entre 1 et 100",
    }
    order = await client.put(
        "/api/scenarios/abandoned_cart?locale=fr",
        headers=headers,
        json={"steps": [{"delay_seconds": 50}, {"delay_seconds": 10}]},
    )
    assert order.json()["problems"] == [
        {
            "field": "steps",
            "message": "le délai de chaque étape doit être plus long que celui de la précédente",
        }
    ]
