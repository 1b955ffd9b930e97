"""The same limits on a merchant's template for saving, previewing, test sends and the
worker's sends: its size, its render time, what it may build, and the immutable sandbox; the
compile cache is bounded in bytes."""

from __future__ import annotations

import time

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.messaging.config import MessagingConfig
from app.messaging.defaults import TemplateSource
from app.messaging.templates import COMPILED, MAX_HTML_CHARS, render
from app.models import MessageEvent, MessageTemplate
from app.platform.resources import Resources
from tests.messaging.conftest import Inbox, enqueue, make_customer, make_shop, run_send_job
from tests.support.session_tokens import bearer, mint_session_token

URL = "/api/templates/abandoned_cart/1/en"
SLOW = "{% set r = range(10000) %}{% for i in r %}{% for j in r %}{% endfor %}{% endfor %}"
OVERSIZED = "<p>" + "x" * MAX_HTML_CHARS + "</p>"


async def test_an_oversized_template_is_refused_everywhere_naming_the_limit(
    sessions: async_sessionmaker[AsyncSession], client: httpx.AsyncClient, inbox: Inbox
) -> None:
    shop = await make_shop(sessions)
    auth = bearer(mint_session_token(shop.domain))
    template = {"subject": "Hi", "html": OVERSIZED, "text": "t"}
    for method, path, body in (
        ("PUT", URL, template),
        ("POST", f"{URL}/preview", {"html": OVERSIZED}),
        ("POST", f"{URL}/test-send", {"html": OVERSIZED}),
    ):
        answer = await client.request(method, path, json=body, headers=auth)
        assert answer.status_code == 400, (path, answer.text)
        assert answer.json()["part"] == "html"
        assert "the limit is 200,000" in answer.json()["detail"]
    french = await client.post(
        f"{URL}/preview", json={"subject": "x" * 501}, headers={**auth, "Accept-Language": "fr"}
    )
    assert "la limite est de 500" in french.json()["detail"]
    assert inbox.messages == []


async def test_a_template_over_its_time_budget_is_refused_in_about_a_second(
    sessions: async_sessionmaker[AsyncSession], client: httpx.AsyncClient
) -> None:
    shop = await make_shop(sessions)
    auth = bearer(mint_session_token(shop.domain))
    started = time.monotonic()
    answer = await client.put(URL, json={"subject": "Hi", "html": SLOW, "text": "t"}, headers=auth)
    assert time.monotonic() - started < 3
    assert answer.status_code == 400
    assert "more than 1 s to render" in answer.json()["detail"]
    assert (await client.get(URL, headers=auth)).json()["customized"] is False


async def test_templates_cannot_build_huge_values_or_change_their_data(
    sessions: async_sessionmaker[AsyncSession], client: httpx.AsyncClient
) -> None:
    shop = await make_shop(sessions)
    auth = bearer(mint_session_token(shop.domain))
    for html, named in (
        ("{{ 'x' * 100000000 }}", "1,000,000 characters"),
        ("{{ 'x'|center(100000000) }}", "1,000,000 characters"),
        ("{{ ('x' * 100000).join(range(10000)) }}", "1,000,000 characters"),
        ("{{ '%999999999d' % 1 }}", "1,000,000 characters"),
        ("{{ 9 ** 999999 }}", "1,000 digits"),
        ("{% for i in range(100000) %}{% endfor %}", "10,000 numbers"),
        ("{{ items|batch(1000000000, 'x')|list }}", "10,000 numbers"),
        ("{{ items|slice(1000000000)|list }}", "10,000 numbers"),
        ("{{ '{:>99999999}'.format(1) }}", "1,000,000 characters"),
        ("{{ range(10000)|map('string')|join('x' * 1000) }}", "1,000,000 characters"),
        ("{{ ('x' * 1000).join(range(10000)|map('string')) }}", "1,000,000 characters"),
        ("{{ ('a\n' * 100000)|indent(1000) }}", "1,000,000 characters"),
        ("{% for i in range(9000) %}{% for j in range(9000) %}xx{% endfor %}{% endfor %}", ""),
        ("{{ 'x'.ljust(100000000) }}", "unsafe"),
        ("{{ items.append(1) }}", "unsafe"),
        ("{{ lipsum(100000) }}", "undefined"),
    ):
        answer = await client.post(f"{URL}/preview", json={"html": html}, headers=auth)
        assert answer.status_code == 400, html
        assert named in answer.json()["detail"], (html, answer.json()["detail"])


async def test_the_workers_send_holds_the_same_limits_and_falls_back_to_the_default(
    sessions: async_sessionmaker[AsyncSession],
    resources: Resources,
    config: MessagingConfig,
    inbox: Inbox,
) -> None:
    shop = await make_shop(sessions)
    # Stored before the limits existed (or by hand): never validated.
    async with sessions.begin() as session:
        session.add(
            MessageTemplate(
                shop_id=shop.id,
                scenario="abandoned_cart",
                step=1,
                locale="en",
                subject="Hi",
                html=SLOW,
                text_body="t",
            )
        )
    customer = await make_customer(sessions, shop)
    started = time.monotonic()
    message = await enqueue(sessions, config, shop, customer)
    assert time.monotonic() - started < 3
    assert message.subject == "Camille, you left something in your cart"  # the default
    assert await run_send_job(resources, message.id) == "sent"
    async with sessions.begin() as session:
        event = await session.scalar(
            select(MessageEvent).where(MessageEvent.kind == "template_error")
        )
    assert event is not None
    assert event.detail is not None
    assert "more than 1 s to render" in event.detail


def test_the_compile_cache_is_bounded_in_bytes_not_entries() -> None:
    # Twenty 5 MB templates grew the process by 318 MiB; 60 of 190 KB (11 MB) must not all
    # be kept.
    for n in range(60):
        html = f"<p>{n} {{{{ first_name }}}}</p>" + "x" * 190_000
        rendered = render(TemplateSource("s", html, "t"), {"first_name": "Ana"}, "en")
        assert f"<p>{n} Ana</p>" in rendered.html
    assert COMPILED.size <= COMPILED.max_bytes
    assert len(COMPILED) < 60
