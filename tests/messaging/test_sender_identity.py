"""Each shop's email comes from the shop: its name, its reply-to, an address on a domain the
operator verified (never one that is not), its logo and colour, its postal address in the
footer; the unsubscribe page speaks the email's language; a dry run drafts the very email
live would send, the code shown as a labelled placeholder."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.messaging.config import MessagingConfig
from app.messaging.controls import DeliveryMode
from app.messaging.delivery import deliver_message
from app.messaging.transport import transport_from_settings
from app.models import Shop
from app.platform.resources import Resources
from app.settings import Settings
from tests.messaging.conftest import (
    CART_CONTEXT,
    Inbox,
    enqueue,
    make_customer,
    make_shop,
    reload,
    run_send_job,
)
from tests.support.session_tokens import bearer, mint_session_token

SHOP = "acme.myshopify.com"
ADDRESS = "Acme SAS\n12 rue des Lilas\n75011 Paris\nFrance"
PLACEHOLDER_EN = "[DISCOUNT CODE: created when this email is sent live]"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # The operator verified one domain for the relay (SPF, DKIM, DMARC).
    return settings.model_copy(update={"sender_domains": "Acme-Shop.test, mail.example.test"})


def _headers(locale: str = "en") -> dict[str, str]:
    return {**bearer(mint_session_token(SHOP)), "Accept-Language": locale}


async def _shop_with_address(sessions: async_sessionmaker[AsyncSession]) -> Shop:
    """An installed shop whose postal address the install read from Shopify."""
    shop = await make_shop(sessions, domain=SHOP)
    async with sessions.begin() as session:
        row = await session.get(Shop, shop.id)
        assert row is not None
        row.postal_address = ADDRESS
    shop.postal_address = ADDRESS
    return shop


async def _reloaded(sessions: async_sessionmaker[AsyncSession], shop: Shop) -> Shop:
    """The shop's row as it is now (the scenarios read it so before each email)."""
    async with sessions.begin() as session:
        row = await session.get(Shop, shop.id)
    assert row is not None
    return row


def _parts(email: EmailMessage) -> tuple[str, str]:
    text, body = email.get_body(("plain",)), email.get_body(("html",))
    assert text is not None
    assert body is not None
    return text.get_content(), body.get_content()


async def test_mail_goes_from_the_shops_verified_address_with_its_brand_and_postal_address(
    sessions: async_sessionmaker[AsyncSession],
    resources: Resources,
    config: MessagingConfig,
    client: httpx.AsyncClient,
    inbox: Inbox,
) -> None:
    shop = await _shop_with_address(sessions)
    saved = await client.put(
        "/api/sender",
        headers=_headers(),
        json={
            "name": "Maison Acme",
            "reply_to": "help@acme-shop.test",
            "address": "News@Acme-Shop.test",
            "logo_url": "https://cdn.acme-shop.test/logo.png",
            "brand_color": "#0B7A75",
        },
    )
    assert saved.status_code == 200, saved.text
    body = saved.json()
    assert body["from_header"] == "Maison Acme <news@acme-shop.test>"
    assert body["reply_to_header"] == "help@acme-shop.test"
    assert body["own_address"] is True
    assert body["verified_domains"] == ["acme-shop.test", "mail.example.test"]

    customer = await make_customer(sessions, shop)
    message = await enqueue(sessions, config, await _reloaded(sessions, shop), customer)
    assert await run_send_job(resources, message.id) == "sent"
    email = inbox.messages[0]
    assert email["From"] == "Maison Acme <news@acme-shop.test>"
    assert email["Reply-To"] == "help@acme-shop.test"
    text, body_html = _parts(email)
    assert 'src="https://cdn.acme-shop.test/logo.png"' in body_html
    assert "background:#0b7a75" in body_html
    assert "Maison Acme" not in body_html  # the layout shows the shop, not the sender name
    footer = "Acme · Acme SAS, 12 rue des Lilas, 75011 Paris, France"
    assert footer in html.unescape(body_html)
    assert footer in text


async def test_an_address_on_an_unverified_domain_is_refused_and_mail_uses_the_operators(
    sessions: async_sessionmaker[AsyncSession],
    resources: Resources,
    config: MessagingConfig,
    client: httpx.AsyncClient,
    inbox: Inbox,
) -> None:
    shop = await _shop_with_address(sessions)
    refused = await client.put(
        "/api/sender",
        headers=_headers("fr"),
        json={"address": "hello@elsewhere.test", "brand_color": "teal"},
    )
    assert refused.status_code == 400
    problems = {p["field"]: p["message"] for p in refused.json()["problems"]}
    assert problems["address"].startswith(
        "elsewhere.test n'est pas un domaine vérifié pour l'envoi"
    )
    assert "acme-shop.test, mail.example.test" in problems["address"]
    assert problems["brand_color"].startswith("Écrivez la couleur de marque")
    unchanged = (await client.get("/api/sender", headers=_headers())).json()
    assert unchanged["address"] is None
    assert unchanged["brand_color"] is None

    # Name and reply-to alone: the operator's address (EMAIL_FROM's) under the shop's name.
    saved = await client.put(
        "/api/sender", headers=_headers(), json={"reply_to": "owner@acme-gmail.test"}
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["own_address"] is False
    customer = await make_customer(sessions, shop)
    message = await enqueue(sessions, config, shop, customer)
    assert await run_send_job(resources, message.id) == "sent"
    assert inbox.messages[0]["From"] == "Acme <shop@acme.test>"
    assert inbox.messages[0]["Reply-To"] == "owner@acme-gmail.test"


async def test_a_domain_the_operator_no_longer_verifies_is_not_used(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    config: MessagingConfig,
    client: httpx.AsyncClient,
    inbox: Inbox,
) -> None:
    shop = await _shop_with_address(sessions)
    saved = await client.put(
        "/api/sender", headers=_headers(), json={"address": "news@acme-shop.test"}
    )
    assert saved.status_code == 200, saved.text
    customer = await make_customer(sessions, shop)
    message = await enqueue(sessions, config, shop, customer)
    dropped = MessagingConfig.from_settings(settings.model_copy(update={"sender_domains": ""}))
    result = await deliver_message(sessions, transport_from_settings(settings), dropped, message.id)
    assert result.status == "sent"
    # No reply-to was set: replies go to the shop's own address.
    assert inbox.messages[0]["From"] == "Acme <shop@acme.test>"
    assert inbox.messages[0]["Reply-To"] == "owner@acme.test"


async def test_the_unsubscribe_page_speaks_the_emails_language(
    sessions: async_sessionmaker[AsyncSession],
    resources: Resources,
    config: MessagingConfig,
    client: httpx.AsyncClient,
    inbox: Inbox,
) -> None:
    shop = await _shop_with_address(sessions)  # the shop writes in English
    customer = await make_customer(sessions, shop)  # no language of their own
    # The checkout was in French, so the email is.
    message = await enqueue(
        sessions, config, shop, customer, context={**CART_CONTEXT, "locale": "fr"}
    )
    assert await run_send_job(resources, message.id) == "sent"
    email = inbox.messages[0]
    assert email["Subject"] == "Camille, vous avez oublié quelque chose dans votre panier"
    link = " ".join(str(email["List-Unsubscribe"]).split()).strip("<>")
    path = link.removeprefix(config.app_url)
    assert path.endswith("?l=fr")
    page = await client.get(path)
    assert page.status_code == 200
    assert '<html lang="fr">' in page.text
    assert "Ne plus recevoir les e-mails marketing de Acme ?" in page.text
    done = await client.post(
        path,
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert done.status_code == 200
    assert "Vous êtes désabonné(e)" in done.text


async def test_a_dry_run_drafts_the_email_live_would_send_with_a_labelled_code(
    sessions: async_sessionmaker[AsyncSession], config: MessagingConfig
) -> None:
    shop = await _shop_with_address(sessions)
    customer = await make_customer(sessions, shop)
    at = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    offer: dict[str, Any] = {
        **CART_CONTEXT,
        "discount_kind": "percentage",
        "discount_value": "15",
        "discount_valid_hours": 72,
    }
    live = await enqueue(
        sessions,
        config,
        shop,
        customer,
        step=3,
        subject_key="live-cart",
        at=at,
        context={
            **offer,
            "discount_code": "BACK-15-K3Q9",
            "discount_expires_at": (at + timedelta(hours=72)).isoformat(),
        },
    )
    dry = await enqueue(
        sessions,
        config,
        shop,
        customer,
        step=3,
        subject_key="dry-cart",
        at=at,
        context=offer,
        mode=DeliveryMode.DRY_RUN,
    )
    dry = await reload(sessions, dry.id)
    assert dry.status == "draft"
    # The subject depends on the code being there: the dry run's is live's.
    assert dry.subject == live.subject == "A little something to finish your order"
    assert PLACEHOLDER_EN in dry.html
    assert "It is valid until December 4, 2026." in dry.text_body
    assert dry.html.replace(PLACEHOLDER_EN, "BACK-15-K3Q9") == live.html
    assert dry.text_body.replace(PLACEHOLDER_EN, "BACK-15-K3Q9") == live.text_body
    assert "discount_code" not in dry.context  # nothing downstream takes it for a code
