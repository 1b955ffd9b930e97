"""Click tracking never makes an open redirect: only the links a template writes are
tracked, only to the shop's domains and the app's own, and a URL a shopper put in their name
never becomes a signed /t/c/ link."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.messaging.config import MessagingConfig
from app.messaging.tracking import click_token
from app.models import MessageTemplate, Shop
from app.platform.resources import Resources
from tests.messaging.conftest import Inbox, email_part, enqueue, make_customer, run_send_job

EVIL = "https://evil.example/login"
TRACKED = re.compile(r"http://testserver(/t/c/[A-Za-z0-9_\-.]+)")


async def redirect_hosts(client: httpx.AsyncClient, body: str) -> list[str | None]:
    hosts = []
    for path in TRACKED.findall(body):
        answer = await client.get(path)
        assert answer.status_code == 302, path
        hosts.append(urlsplit(answer.headers["location"]).hostname)
    return hosts


async def test_a_url_in_a_first_name_never_becomes_a_tracked_link(
    sessions: async_sessionmaker[AsyncSession],
    shop: Shop,
    resources: Resources,
    config: MessagingConfig,
    client: httpx.AsyncClient,
    inbox: Inbox,
) -> None:
    shopper = await make_customer(sessions, shop, first_name=EVIL)
    message = await enqueue(sessions, config, shop, shopper)
    assert await run_send_job(resources, message.id) == "sent"
    html, text = email_part(inbox.messages[0], "html"), email_part(inbox.messages[0], "plain")
    assert f"Hi {EVIL}," in text  # shown as the shopper wrote it, not as a tracked link
    assert EVIL in html
    for body in (html, text):
        hosts = await redirect_hosts(client, body)
        assert hosts, "the checkout link is still tracked"
        assert set(hosts) == {"acme.myshopify.com"}


async def test_only_links_to_the_shops_domains_are_tracked(
    sessions: async_sessionmaker[AsyncSession],
    shop: Shop,
    resources: Resources,
    config: MessagingConfig,
    client: httpx.AsyncClient,
    inbox: Inbox,
) -> None:
    async with sessions.begin() as session:
        await session.execute(
            update(Shop).where(Shop.id == shop.id).values(primary_domain_url="https://acme.test")
        )
        session.add(
            MessageTemplate(
                shop_id=shop.id,
                scenario="abandoned_cart",
                step=1,
                locale="en",
                subject="Your cart",
                html='<a href="{{ checkout_url }}">Back</a> <a href="https://acme.test/sale">Sale'
                '</a> <a href="https://instagram.com/acme">IG</a> '
                '<a href="https://acme.myshopify.com\\@evil.example/">odd</a>',
                text_body="{{ checkout_url }} https://instagram.com/acme https://acme.test/other",
            )
        )
    message = await enqueue(sessions, config, shop, await make_customer(sessions, shop))
    assert await run_send_job(resources, message.id) == "sent"
    html, text = email_part(inbox.messages[0], "html"), email_part(inbox.messages[0], "plain")
    assert sorted(await redirect_hosts(client, html)) == ["acme.myshopify.com", "acme.test"]
    assert 'href="https://instagram.com/acme"' in html
    assert "https://acme.myshopify.com\\@evil.example/" in html
    # In text, only what is also a link of the HTML part.
    assert await redirect_hosts(client, text) == ["acme.myshopify.com"]
    assert "https://instagram.com/acme" in text
    assert "https://acme.test/other" in text


async def test_a_signed_click_to_another_host_redirects_nowhere(
    sessions: async_sessionmaker[AsyncSession],
    shop: Shop,
    config: MessagingConfig,
    client: httpx.AsyncClient,
) -> None:
    message = await enqueue(sessions, config, shop, await make_customer(sessions, shop))
    # A token signed before links were limited (or with a leaked key): still no redirect.
    for url in (
        EVIL,
        "https://acme.myshopify.com\\@evil.example/",
        "https://acme.myshopify.com.evil.example/",
    ):
        answer = await client.get(f"/t/c/{click_token(config, message.id, url)}")
        assert answer.status_code == 404
        assert "location" not in answer.headers
    fine = await client.get(
        f"/t/c/{click_token(config, message.id, 'https://acme.myshopify.com/cart')}"
    )
    assert fine.status_code == 302
