"""The merchant's template editor: errors at save time with the line, sandboxed rendering,
previews on a real customer's data, test sends to the merchant's own address."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.messaging.config import MessagingConfig
from app.messaging.defaults import DEFAULTS
from app.messaging.templates import validate
from tests.messaging.conftest import Inbox, enqueue, make_customer, make_shop
from tests.support.session_tokens import bearer, mint_session_token

URL = "/api/templates/abandoned_cart/1/en"


def test_every_default_template_validates() -> None:
    for (_, _, locale), source in DEFAULTS.items():
        validate(source, locale)


async def test_template_error_is_shown_at_save_time_with_its_line(
    sessions: async_sessionmaker[AsyncSession], client: httpx.AsyncClient
) -> None:
    shop = await make_shop(sessions)
    auth = bearer(mint_session_token(shop.domain))
    broken = {"subject": "Hi", "html": "<p>ok</p>\n<p>{% if first_name %}</p>", "text": "t"}
    # The merchant's admin speaks French: the error comes back in French.
    response = await client.put(URL, json=broken, headers={**auth, "Accept-Language": "fr-FR"})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "TemplateInvalid"
    assert body["part"] == "html"
    assert body["line"] == 2
    assert body["detail"].startswith("Le champ corps HTML de ce modèle contient une erreur à la ")
    assert "ligne 2" in body["detail"]
    english = await client.put(f"{URL}?locale=en", json=broken, headers=auth)
    assert english.json()["detail"].startswith("The HTML body of this template has an error on ")
    assert ".. " not in english.json()["detail"]
    typo = {"subject": "Hi {{ frist_name }}", "html": "<p>x</p>", "text": "t"}
    response = await client.put(URL, json=typo, headers=auth)
    assert response.status_code == 400
    assert "frist_name" in response.json()["detail"]
    sandbox = {"subject": "{{ ''.__class__.__mro__ }}", "html": "<p>x</p>", "text": "t"}
    assert (await client.put(URL, json=sandbox, headers=auth)).status_code == 400
    current = (await client.get(URL, headers=auth)).json()
    assert current["customized"] is False


async def test_saved_override_is_used_and_previewed_on_a_real_customer(
    sessions: async_sessionmaker[AsyncSession],
    config: MessagingConfig,
    client: httpx.AsyncClient,
    inbox: Inbox,
) -> None:
    shop = await make_shop(sessions)
    auth = bearer(mint_session_token(shop.domain))
    template = {
        "subject": "{{ first_name }}, your {{ cart_total | money }} cart",
        "html": "<p>Come back, {{ first_name }}</p>",
        "text": "Come back, {{ first_name }}",
    }
    saved = await client.put(URL, json=template, headers=auth)
    assert saved.status_code == 200, saved.text
    assert saved.json()["subject"] == "Camille, your €59.00 cart"
    customer = await make_customer(sessions, shop, first_name="Zoé")
    preview = await client.post(f"{URL}/preview", json={"customer_id": customer.id}, headers=auth)
    assert preview.json()["html"].count("Come back, Zoé") == 1
    message = await enqueue(sessions, config, shop, customer)
    assert message.subject == "Zoé, your €2,469.00 cart"

    sent = await client.post(f"{URL}/test-send", json={}, headers=auth)
    assert sent.status_code == 200, sent.text
    assert inbox.messages[0]["To"] == "owner@acme.test"
    assert inbox.messages[0]["Subject"].startswith("[Test] ")
