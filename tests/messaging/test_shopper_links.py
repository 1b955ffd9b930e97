"""Links in emails: one-click unsubscribe, tracking that tells people from machines, no open
redirect, and tampered tokens that change nothing."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.messaging.config import MessagingConfig
from app.models import Customer, EmailSuppression, MessageEvent
from app.platform.resources import Resources
from tests.messaging.conftest import Inbox, enqueue, make_customer, make_shop, run_send_job

BROWSER = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 Version/17.0 Safari"


async def _customer(sessions: async_sessionmaker[AsyncSession], customer_id: int) -> Customer:
    async with sessions.begin() as session:
        row = await session.get(Customer, customer_id)
        assert row is not None
        return row


async def test_tampered_unsubscribe_token_is_404_and_changes_nothing(
    sessions: async_sessionmaker[AsyncSession], config: MessagingConfig, client: httpx.AsyncClient
) -> None:
    shop = await make_shop(sessions)
    customer = await make_customer(sessions, shop)
    token = config.unsubscribe_token(shop.id, customer.id)
    other = config.unsubscribe_token(shop.id, customer.id + 1)
    forged = token.split(".")[0][:-2] + "xx." + token.split(".")[1]
    for bad in (forged, other.split(".")[0] + "." + token.split(".")[1], "garbage"):
        assert (
            await client.post(f"/u/{bad}", content=b"List-Unsubscribe=One-Click")
        ).status_code == 404
        assert (await client.get(f"/u/{bad}")).status_code == 404
    assert (await _customer(sessions, customer.id)).email_marketing_state == "subscribed"


async def test_one_click_post_unsubscribes_and_get_only_asks(
    sessions: async_sessionmaker[AsyncSession], config: MessagingConfig, client: httpx.AsyncClient
) -> None:
    shop = await make_shop(sessions)
    customer = await make_customer(sessions, shop, locale="fr")
    url = config.unsubscribe_url(shop.id, customer.id).removeprefix(config.app_url)
    page = await client.get(url)
    assert page.status_code == 200
    assert "Ne plus recevoir les e-mails marketing de Acme" in page.text
    assert (await _customer(sessions, customer.id)).email_marketing_state == "subscribed"

    response = await client.post(
        url,
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200
    assert "Vous êtes désabonné(e)" in response.text
    assert (await _customer(sessions, customer.id)).email_marketing_state == "unsubscribed"
    async with sessions.begin() as session:
        reasons = (await session.scalars(select(EmailSuppression.reason))).all()
    assert reasons == ["unsubscribed"]
    later = await enqueue(sessions, config, shop, await _customer(sessions, customer.id))
    assert later.status_reason == "unsubscribed"


async def _sent_links(
    sessions: async_sessionmaker[AsyncSession],
    resources: Resources,
    config: MessagingConfig,
    inbox: Inbox,
) -> tuple[str, list[str]]:
    shop = await make_shop(sessions)
    message = await enqueue(sessions, config, shop, await make_customer(sessions, shop))
    await run_send_job(resources, message.id)
    html_part = inbox.messages[0].get_body(("html",))
    assert html_part is not None
    html = html_part.get_content()
    pixel = re.findall(r'src="http://testserver(/t/o/[^"]+)"', html)[0]
    clicks = re.findall(r'href="http://testserver(/t/c/[^"]+)"', html)
    return pixel, clicks


async def _events(sessions: async_sessionmaker[AsyncSession]) -> list[tuple[str, bool, str | None]]:
    async with sessions.begin() as session:
        rows = await session.execute(
            select(MessageEvent.kind, MessageEvent.human, MessageEvent.machine_reason).order_by(
                MessageEvent.id
            )
        )
        return [(r[0], r[1], r[2]) for r in rows]


async def test_apple_proxy_and_head_opens_are_machine_a_browser_open_is_human(
    sessions: async_sessionmaker[AsyncSession],
    resources: Resources,
    config: MessagingConfig,
    client: httpx.AsyncClient,
    inbox: Inbox,
) -> None:
    import asyncio

    pixel, _ = await _sent_links(sessions, resources, config, inbox)
    apple = await client.get(pixel, headers={"User-Agent": "Mozilla/5.0"})
    assert apple.headers["content-type"] == "image/gif"
    await client.head(pixel, headers={"User-Agent": BROWSER})
    await asyncio.sleep(2.1)  # past the delivery grace
    await client.get(pixel, headers={"User-Agent": BROWSER})
    assert await _events(sessions) == [
        ("open", False, "apple_privacy_proxy"),
        ("open", False, "head_request"),
        ("open", True, None),
    ]
    assert (await client.get(pixel.replace(".gif", "x.gif"))).status_code == 404


async def test_click_redirects_only_to_the_signed_url_and_scanners_are_machine(
    sessions: async_sessionmaker[AsyncSession],
    resources: Resources,
    config: MessagingConfig,
    client: httpx.AsyncClient,
    inbox: Inbox,
) -> None:
    _, clicks = await _sent_links(sessions, resources, config, inbox)
    first = await client.get(clicks[0], headers={"User-Agent": BROWSER})
    assert first.status_code == 302
    assert first.headers["location"] == "https://acme.myshopify.com/checkouts/abc/recover?key=1&x=2"
    scanner = await client.get(clicks[0], headers={"User-Agent": "Barracuda Sentinel (EE)"})
    assert scanner.status_code == 302
    assert await _events(sessions) == [
        ("click", False, "too_soon_after_delivery"),
        ("click", False, "scanner_user_agent"),
    ]
    # A token whose URL was swapped for another is not ours: no redirect anywhere.
    payload, mac = clicks[0].removeprefix("/t/c/").split(".")
    evil = config.tracking_key[::-1]
    from app.messaging import signing

    other = signing.sign({"m": 1, "k": "c", "u": "https://evil.example"}, evil).split(".")[0]
    for bad in (f"/t/c/{other}.{mac}", f"/t/c/{payload}x.{mac}", "/t/c/nothing"):
        response = await client.get(bad)
        assert response.status_code == 404
        assert "location" not in response.headers
