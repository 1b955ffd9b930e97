"""Win-back in the admin API: listed with the cart, its settings read and changed through
GET/PUT /api/scenarios/winback with refusals per field in English and French, its default
emails on the templates page in both languages, its labels, runs and report."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.support.session_tokens import bearer, mint_session_token
from tests.support.shops import create_shop

SHOP = "acme.myshopify.com"


async def test_win_back_is_listed_with_its_settings_and_report(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await create_shop(sessions, domain=SHOP)
    headers = bearer(mint_session_token(SHOP))
    listed = (await client.get("/api/scenarios", headers=headers)).json()
    by_key = {summary["key"]: summary for summary in listed}
    assert {"abandoned_cart", "winback"} <= set(by_key)
    settings = by_key["winback"]["settings"]
    assert (settings["lapsed_after_days"], settings["min_orders_for_rhythm"]) == (90, 3)
    assert (settings["median_multiplier"], settings["cooldown_days"]) == ("2", 180)
    assert [s["key"] for s in settings["steps"]] == ["offer", "reminder"]
    assert [s["delay_seconds"] for s in settings["steps"]] == [0, 7 * 86400]

    for path in ("/api/scenarios/winback/report", "/api/scenarios/winback/runs"):
        response = await client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.text)
    labels = (await client.get("/api/scenarios/labels", headers=headers)).json()
    assert labels["scenarios"]["winback"]["kinds"]["started"] == "Win-back started"
    assert "customer_lapsed" in labels["reasons"]


async def test_the_lapse_settings_change_and_refuse_per_field(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await create_shop(sessions, domain=SHOP)
    headers = bearer(mint_session_token(SHOP))
    changed = await client.put(
        "/api/scenarios/winback",
        headers=headers,
        json={
            "lapsed_after_days": 60,
            "median_multiplier": "2.5",
            "min_orders_for_rhythm": 4,
            "min_lapse_days": 21,
            "cooldown_days": 90,
            "steps": {"reminder": {"delay_seconds": 3 * 86400}},
        },
    )
    assert changed.status_code == 200, changed.text
    again = (await client.get("/api/scenarios/winback", headers=headers)).json()
    assert (again["lapsed_after_days"], again["median_multiplier"]) == (60, "2.5")
    assert (again["min_orders_for_rhythm"], again["cooldown_days"]) == (4, 90)
    assert again["min_lapse_days"] == 21
    assert again["steps"][1]["delay_seconds"] == 3 * 86400

    refused = await client.put(
        "/api/scenarios/winback",
        headers={**headers, "Accept-Language": "fr-FR,fr;q=0.9"},
        json={
            "lapsed_after_days": 3,
            "median_multiplier": "0.5",
            "min_orders_for_rhythm": 1,
            "min_lapse_days": 0,
            "cooldown_days": 0,
        },
    )
    assert refused.status_code == 400
    problems = {p["field"]: p["message"] for p in refused.json()["problems"]}
    assert set(problems) == {
        "lapsed_after_days",
        "median_multiplier",
        "min_orders_for_rhythm",
        "min_lapse_days",
        "cooldown_days",
    }
    assert "au moins 7" in problems["lapsed_after_days"]
    unchanged = (await client.get("/api/scenarios/winback", headers=headers)).json()
    assert unchanged["lapsed_after_days"] == 60


async def test_the_default_emails_are_on_the_templates_page(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await create_shop(sessions, domain=SHOP)
    headers = bearer(mint_session_token(SHOP))
    for step, locale, words in [
        (1, "en", "We miss you"),
        (1, "fr", "Vous nous manquez"),
        (2, "en", "ends soon"),
        (2, "fr", "expire bientôt"),
    ]:
        response = await client.get(f"/api/templates/winback/{step}/{locale}", headers=headers)
        assert response.status_code == 200, response.text
        assert words in response.json()["subject"]
    missing = await client.get("/api/templates/win_back/1/en", headers=headers)
    assert missing.status_code == 404
