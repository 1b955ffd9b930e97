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
        json={"mode": "approval", "steps": [{"delay_seconds": 5}, {"delay_seconds": 10}]},
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
        ({"mode": "sometimes"}, "mode: must be one of 'live', 'approval', 'dry_run' or 'paused'"),
        ({"transactional": 0}, "transactional: must be true or false"),
        (
            {"steps": [{"delay_seconds": 0}]},
            "steps.first_reminder.delay_seconds: must be at least 1: send 1 or more",
        ),
        (
            {"steps": [{"delay_seconds": 50}, {"delay_seconds": 10}]},
            "steps.second_reminder.delay_seconds: step 2 (second_reminder) must come later than "
            "step 1 (first_reminder)",
        ),
        ({"steps": [{}, {"discount": {"value": "250"}}]}, "between 1 and 100"),
        ({"code_prefix": "back-10"}, "code_prefix: may hold only capital letters"),
        ({"colour": "blue"}, "colour: is not a setting of this scenario: remove it"),
    ]:
        response = await client.put("/api/scenarios/abandoned_cart", headers=headers, json=patch)
        assert response.status_code == 400, patch
        assert response.json()["error"] == "InvalidRequest"
        assert expected in response.json()["detail"], response.json()["detail"]
    unchanged = (await client.get("/api/scenarios/abandoned_cart", headers=headers)).json()
    assert unchanged["mode"] == "live"


async def test_validation_errors_answer_in_french_when_asked(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await create_shop(sessions, domain=SHOP)
    headers = {**bearer(mint_session_token(SHOP)), "Accept-Language": "fr-FR,fr;q=0.9"}
    for patch, expected in [
        ({"mode": "sometimes"}, "mode : doit être l'une de ces valeurs : 'live', 'approval', "),
        ({"transactional": 0}, "transactional : doit valoir true ou false"),
        (
            {"steps": {"2": {"delay_seconds": 0}}},
            "steps.second_reminder.delay_seconds : doit valoir au moins 1 : envoyez 1 ou plus",
        ),
        ({"steps": [{}, {"discount": {"value": "250"}}]}, "comprise entre 1 et 100"),
        ({"colour": "blue"}, "colour : n'est pas un réglage de ce scénario"),
        ({"steps": {"9": {}}}, "steps.9 : cette étape n'existe pas"),
    ]:
        response = await client.put("/api/scenarios/abandoned_cart", headers=headers, json=patch)
        assert response.status_code == 400, patch
        detail = response.json()["detail"]
        assert detail.startswith("Ces réglages ne sont pas valides : "), detail
        assert expected in detail, detail


async def test_one_step_changes_by_number_or_key_and_the_others_stay(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await create_shop(sessions, domain=SHOP)
    headers = bearer(mint_session_token(SHOP))
    by_number = await client.put(
        "/api/scenarios/abandoned_cart",
        headers=headers,
        json={"steps": {"2": {"delay_seconds": 7200}}},
    )
    assert by_number.status_code == 200, by_number.text
    by_key = await client.put(
        "/api/scenarios/abandoned_cart",
        headers=headers,
        json={"steps": {"last_reminder": {"enabled": True, "discount": {"value": "20"}}}},
    )
    assert by_key.status_code == 200, by_key.text
    # A list shorter than the sequence changes its first steps only.
    short_list = await client.put(
        "/api/scenarios/abandoned_cart", headers=headers, json={"steps": [{"delay_seconds": 60}]}
    )
    assert short_list.status_code == 200, short_list.text
    steps = (await client.get("/api/scenarios/abandoned_cart", headers=headers)).json()["steps"]
    assert [s["key"] for s in steps] == ["first_reminder", "second_reminder", "last_reminder"]
    assert [s["delay_seconds"] for s in steps] == [60, 7200, 259200]
    assert [s["enabled"] for s in steps] == [True, True, True]
    assert steps[1]["discount"]["value"] == "10"
    assert steps[2]["discount"]["value"] == "20"
    assert steps[2]["discount"]["valid_hours"] == 72  # kept from the default


async def test_step_patches_that_cannot_apply_say_what_to_send(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await create_shop(sessions, domain=SHOP)
    headers = bearer(mint_session_token(SHOP))
    for patch, expected in [
        ({"steps": [{}, {}, {}, {"delay_seconds": 9}]}, "the sequence has 3 steps"),
        ({"steps": {"fourth": {}}}, "steps.fourth: there is no such step"),
        ({"steps": {"1": 5}}, "steps.1: a step's change is an object"),
        ({"steps": "all"}, "steps: send a list of step changes or an object"),
        ({"steps": {"1": {"key": "renamed"}}}, "a step's key cannot be changed"),
    ]:
        response = await client.put("/api/scenarios/abandoned_cart", headers=headers, json=patch)
        assert response.status_code == 400, patch
        assert expected in response.json()["detail"], response.json()["detail"]


async def test_an_omitted_setting_keeps_its_value(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """Changing the mode alone keeps the merchant's transactional choice (the old delivery
    route reset it when omitted)."""
    await create_shop(sessions, domain=SHOP)
    headers = bearer(mint_session_token(SHOP))
    await client.put("/api/scenarios/abandoned_cart", headers=headers, json={"transactional": True})
    await client.put("/api/scenarios/abandoned_cart", headers=headers, json={"mode": "approval"})
    final = (await client.get("/api/scenarios/abandoned_cart", headers=headers)).json()
    assert (final["mode"], final["transactional"]) == ("approval", True)
    gone = await client.put(
        "/api/messaging/scenarios/abandoned_cart", headers=headers, json={"mode": "live"}
    )
    assert gone.status_code in (404, 405)


async def test_the_timeline_labels_come_in_both_languages(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await create_shop(sessions, domain=SHOP)
    headers = bearer(mint_session_token(SHOP))
    english = (await client.get("/api/scenarios/labels", headers=headers)).json()
    french = (await client.get("/api/scenarios/labels?locale=fr", headers=headers)).json()
    assert english["reasons"]["customer_placed_another_order"] == (
        "The customer placed another order meanwhile"
    )
    assert french["reasons"]["customer_placed_another_order"] == (
        "Le client a passé une autre commande entre-temps"
    )
    assert french["kinds"]["message_deferred"] == "E-mail reporté"
    assert set(english["reasons"]) == set(french["reasons"])
    assert set(english["kinds"]) == set(french["kinds"])


async def test_unknown_scenario_is_404(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await create_shop(sessions, domain=SHOP)
    response = await client.get("/api/scenarios/teleport", headers=bearer(mint_session_token(SHOP)))
    assert response.status_code == 404
    assert "known: abandoned_cart" in response.json()["detail"]
    french = await client.get(
        "/api/scenarios/teleport?locale=fr", headers=bearer(mint_session_token(SHOP))
    )
    assert "scénarios connus : abandoned_cart" in french.json()["detail"]


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
        "code_prefix": 'may hold only capital letters A–Z and digits 0–9, e.g. "COMEBACK"',
        "steps.0.delay_seconds": "must be at least 1: send 1 or more",
        "steps.1.discount.value": 'a percentage discount is between 1 and 100: send e.g. "value": '
        '"10"',
    }
    french = await client.put(
        "/api/scenarios/abandoned_cart", headers={**headers, "Accept-Language": "fr"}, json=patch
    )
    body = french.json()
    assert body["detail"].startswith("Ces réglages ne sont pas valides : ")
    assert {p["field"]: p["message"] for p in body["problems"]} == {
        "code_prefix": "ne peut contenir que des lettres majuscules A–Z et des chiffres 0–9, par "
        'exemple "COMEBACK"',
        "steps.0.delay_seconds": "doit valoir au moins 1 : envoyez 1 ou plus",
        "steps.1.discount.value": "une remise en pourcentage est comprise entre 1 et 100 : envoyez "
        'par exemple "value": "10"',
    }
    order = await client.put(
        "/api/scenarios/abandoned_cart?locale=fr",
        headers=headers,
        json={"steps": [{"delay_seconds": 50}, {"delay_seconds": 10}]},
    )
    # Said on the step that is out of order, with what a form needs to word it in the
    # merchant's unit (the one before's delay).
    assert order.json()["problems"] == [
        {
            "field": "steps.1.delay_seconds",
            "message": "l'étape 2 (second_reminder) doit venir après l'étape 1 (first_reminder) "
            ": son delay_seconds vaut 10, envoyez plus de 50 (ou désactivez l'une des deux)",
            "code": "delay_order",
            "params": {"step": 2, "before": 1, "before_delay_seconds": 50},
        }
    ]


async def test_patch_changes_only_what_is_sent_like_put(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await create_shop(sessions, domain=SHOP)
    headers = bearer(mint_session_token(SHOP))
    patched = await client.patch(
        "/api/scenarios/abandoned_cart", headers=headers, json={"steps": {"2": {"enabled": False}}}
    )
    assert patched.status_code == 200, patched.text
    again = await client.patch(
        "/api/scenarios/abandoned_cart", headers=headers, json={"mode": "approval"}
    )
    body = again.json()
    assert (body["mode"], [s["enabled"] for s in body["steps"]]) == (
        "approval",
        [True, False, False],
    )


async def test_a_step_that_is_off_is_not_checked_against_the_others(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await create_shop(sessions, domain=SHOP)
    headers = bearer(mint_session_token(SHOP))
    # The second reminder off, its delay before the first's: nothing to refuse.
    off = await client.patch(
        "/api/scenarios/abandoned_cart",
        headers=headers,
        json={"steps": {"2": {"enabled": False, "delay_seconds": 60}}},
    )
    assert off.status_code == 200, off.text
    # Turned on as it stands, it is out of order: refused on its own delay.
    on = await client.patch(
        "/api/scenarios/abandoned_cart", headers=headers, json={"steps": {"2": {"enabled": True}}}
    )
    assert on.status_code == 400
    [problem] = on.json()["problems"]
    assert (problem["field"], problem["code"]) == ("steps.1.delay_seconds", "delay_order")
    assert problem["params"]["before_delay_seconds"] == 3600


async def test_every_refused_field_comes_back_at_once_with_a_code_for_the_form(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await create_shop(sessions, domain=SHOP)
    response = await client.patch(
        "/api/scenarios/abandoned_cart",
        headers=bearer(mint_session_token(SHOP)),
        json={
            "code_prefix": "",
            "attribution_window_days": 400,
            "steps": [{"delay_seconds": 0}, {"discount": {"value": "abc", "valid_hours": 0}}],
        },
    )
    assert response.status_code == 400
    codes = {p["field"]: (p["code"], p["params"]) for p in response.json()["problems"]}
    assert codes == {
        "code_prefix": ("too_short", {"limit": 1}),
        "attribution_window_days": ("max", {"limit": 90}),
        "steps.0.delay_seconds": ("min", {"limit": 1}),
        "steps.1.discount.value": ("number", {}),
        "steps.1.discount.valid_hours": ("min", {"limit": 1}),
    }
