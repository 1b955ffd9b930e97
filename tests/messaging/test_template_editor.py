"""The merchant's template editor: errors at save time with the line, sandboxed rendering,
previews on a real customer's data, test sends to the merchant's own address."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.messaging.config import MessagingConfig
from app.messaging.templates import validate
from app.models import Checkout, DiscountCode, MessageEvent, Shop
from app.platform.composition import PLATFORM
from app.platform.resources import Resources
from tests.messaging.conftest import Inbox, enqueue, make_customer, run_send_job

URL = "/api/templates/abandoned_cart/1/en"


def test_every_default_template_validates() -> None:
    for scenario, step, locale in PLATFORM.templates.entries():
        source = PLATFORM.templates.source(scenario, step, locale)
        assert source is not None
        validate(source, locale)


async def test_template_error_is_shown_at_save_time_with_its_line(
    auth: dict[str, str], client: httpx.AsyncClient
) -> None:
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
    shop: Shop,
    auth: dict[str, str],
    config: MessagingConfig,
    client: httpx.AsyncClient,
    inbox: Inbox,
) -> None:
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
    assert sent.json() == {
        "status": "sent",
        "to": "owner@acme.test",
        "detail": "Test email sent to owner@acme.test.",
    }
    assert inbox.messages[0]["To"] == "owner@acme.test"
    assert inbox.messages[0]["Subject"].startswith("[Test] ")


async def test_a_test_send_is_marked_in_the_templates_language(
    auth: dict[str, str], client: httpx.AsyncClient, inbox: Inbox
) -> None:
    french = {**auth, "Accept-Language": "fr"}
    sent = await client.post(
        "/api/templates/abandoned_cart/1/fr/test-send", json={}, headers=french
    )
    assert sent.status_code == 200, sent.text
    assert sent.json()["detail"] == "E-mail de test envoyé à owner@acme.test."
    assert inbox.messages[0]["Subject"] == (
        "[Essai] Camille, vous avez oublié quelque chose dans votre panier"
    )


LAST_REMINDER = "/api/templates/abandoned_cart/3/en"


def _samples(body: dict[str, Any]) -> dict[str, str]:
    return {s["variable"]: s["note"] for s in body["samples"]}


async def test_preview_on_a_customer_labels_only_what_they_do_not_have_yet(
    sessions: async_sessionmaker[AsyncSession],
    shop: Shop,
    auth: dict[str, str],
    client: httpx.AsyncClient,
) -> None:
    french = {**auth, "Accept-Language": "fr"}
    customer = await make_customer(sessions, shop, first_name="Zoé")

    bare = await client.post(
        f"{LAST_REMINDER}/preview", json={"customer_id": customer.id}, headers=french
    )
    assert bare.status_code == 200, bare.text
    samples = _samples(bare.json())
    # Her name is real; she has no cart and no code yet: those are samples, and say so.
    assert "first_name" not in samples
    assert samples["discount_code"] == (
        "Valeur d'exemple : ce client n'a pas encore de code de réduction actif."
    )
    assert samples["items"] == "Valeur d'exemple : ce client n'a pas encore de panier."
    assert {"cart_total", "checkout_url", "discount_expires_at"} <= samples.keys()
    # The sample code carries the cart's code prefix as this shop set it (the default here).
    assert "COMEBACK-SAMPLE42" in bare.json()["html"]

    now = datetime.now(UTC)
    async with sessions.begin() as session:
        session.add(
            Checkout(
                shop_id=shop.id,
                token="real-cart",
                customer_id=customer.id,
                line_items=[{"title": "Wool scarf", "quantity": 1, "price": "35.00"}],
                total_price=Decimal("35.00"),
                currency="EUR",
                abandoned_checkout_url="https://acme.myshopify.com/checkouts/real/recover",
            )
        )
        session.add(
            DiscountCode(
                shop_id=shop.id,
                purpose="abandoned_cart",
                idempotency_key="abandoned_cart:real-cart:2",
                code="BACK-15-ZOE",
                status="active",
                customer_id=customer.id,
                value_type="percentage",
                value=Decimal("0.15"),
                title="Boomerang",
                starts_at=now,
                ends_at=now + timedelta(days=7),
            )
        )
    real = await client.post(
        f"{LAST_REMINDER}/preview", json={"customer_id": customer.id}, headers=french
    )
    body = real.json()
    assert "BACK-15-ZOE" in body["html"]
    assert "Wool scarf" in body["text"]
    assert "SAMPLE42" not in body["html"]
    assert not {"discount_code", "items", "cart_total", "checkout_url"} & _samples(body).keys()

    anonymous = await client.post(f"{LAST_REMINDER}/preview", json={}, headers=french)
    assert _samples(anonymous.json())["first_name"] == (
        "Valeur d'exemple : choisissez un client pour prévisualiser avec ses propres données."
    )
    missing = await client.post(
        f"{LAST_REMINDER}/preview", json={"customer_id": customer.id + 99}, headers=french
    )
    assert missing.status_code == 404
    assert missing.json()["detail"].startswith(f"Le client {customer.id + 99} n'existe pas")


async def test_a_french_preview_shows_french_sample_values(
    shop: Shop, auth: dict[str, str], client: httpx.AsyncClient
) -> None:
    cart = await client.post("/api/templates/abandoned_cart/1/fr/preview", json={}, headers=auth)
    assert cart.status_code == 200, cart.text
    assert "Chemise en lin" in cart.json()["html"]
    assert "M / Bleu" in cart.json()["html"]
    assert "Linen shirt" not in cart.json()["html"]
    tier = await client.post("/api/templates/loyalty/2/fr/preview", json={}, headers=auth)
    assert tier.status_code == 200, tier.text
    assert "palier <strong>Or</strong>" in tier.json()["html"]
    english = await client.post("/api/templates/loyalty/2/en/preview", json={}, headers=auth)
    assert "<strong>Gold</strong> tier" in english.json()["html"]


async def test_a_template_that_fails_on_real_data_falls_back_to_the_default_and_says_why(
    sessions: async_sessionmaker[AsyncSession],
    shop: Shop,
    auth: dict[str, str],
    resources: Resources,
    config: MessagingConfig,
    client: httpx.AsyncClient,
    inbox: Inbox,
) -> None:
    # Fine on the sample data (which has a code); this shopper's first reminder has none.
    template = {
        "subject": "Your cart, {{ first_name }}",
        "html": "<p>Hello</p>\n<p>Code: {{ discount_code.upper() }}</p>",
        "text": "Code: {{ discount_code }}",
    }
    assert (await client.put(URL, json=template, headers=auth)).status_code == 200
    customer = await make_customer(sessions, shop)
    message = await enqueue(sessions, config, shop, customer)
    assert message.status == "queued"
    assert message.subject == "Camille, you left something in your cart"  # the default
    assert "Your cart at Acme is saved for you." in message.html
    assert await run_send_job(resources, message.id) == "sent"
    assert inbox.messages[0]["Subject"] == "Camille, you left something in your cart"

    async with sessions.begin() as session:
        events = list(await session.scalars(select(MessageEvent)))
    assert [(e.message_id, e.kind) for e in events] == [(message.id, "template_error")]
    assert events[0].detail is not None
    assert "HTML body" in events[0].detail
    assert "line 2" in events[0].detail

    shown = (await client.get(URL, headers={**auth, "Accept-Language": "fr"})).json()
    assert shown["customized"] is True
    assert shown["send_error"]["detail"].startswith("Le champ corps HTML de ce modèle contient")
    assert "ligne 2" in shown["send_error"]["detail"]
    assert "'discount_code' is undefined" in shown["send_error"]["detail"]

    # A new version clears it; one failing on arithmetic is caught the same way.
    arithmetic = {**template, "html": "<p>Hi</p>", "text": "{{ 10 // (points_balance | int) }}"}
    assert (await client.put(URL, json=arithmetic, headers=auth)).status_code == 200
    assert (await client.get(URL, headers=auth)).json()["send_error"] is None
    other = await make_customer(sessions, shop)
    second = await enqueue(
        sessions, config, shop, other, subject_key="cart-2", context={"points_balance": 0}
    )
    assert second.id != message.id
    assert second.subject == "Camille, you left something in your cart"
    after = (await client.get(URL, headers=auth)).json()["send_error"]["detail"]
    assert after.startswith("The plain-text body of this template has an error")
    assert "ZeroDivisionError" in after


async def test_editor_errors_answer_in_the_merchants_language(
    auth: dict[str, str], client: httpx.AsyncClient
) -> None:
    french = {**auth, "Accept-Language": "fr-CA,fr;q=0.9"}
    unknown = await client.get("/api/templates/abandoned_cart/9/en", headers=french)
    assert unknown.status_code == 404
    assert unknown.json() == {
        "error": "UnknownTemplate",
        "detail": "Il n'existe pas de modèle pour le scénario 'abandoned_cart' à l'étape 9 : "
        "vérifiez le nom du scénario et le numéro de l'étape.",
    }
    english = await client.get("/api/templates/abandoned_cart/9/en", headers=auth)
    assert english.json()["detail"].startswith("There is no template for scenario")
    locale = await client.get("/api/templates/abandoned_cart/1/de", headers=french)
    assert locale.status_code == 400
    assert locale.json()["detail"] == (
        "La langue du modèle doit être l'une de en, fr : utilisez-en une dans l'URL."
    )
