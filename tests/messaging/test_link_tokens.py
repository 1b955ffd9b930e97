"""A tracking link's token is exactly what was signed: anything appended to it, or another
spelling of it, is not a link of ours (404, nothing recorded, no redirect)."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.messaging.config import MessagingConfig
from app.models import MessageEvent, Shop
from app.platform.resources import Resources
from tests.messaging.conftest import Inbox, email_part, enqueue, make_customer, run_send_job

BROWSER = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 Version/17.0 Safari"


@pytest.mark.parametrize("junk", ["==", "!!!", "%20", "A", ".x"])
async def test_junk_appended_to_a_click_link_is_not_ours(
    junk: str,
    sessions: async_sessionmaker[AsyncSession],
    shop: Shop,
    resources: Resources,
    config: MessagingConfig,
    client: httpx.AsyncClient,
    inbox: Inbox,
) -> None:
    message = await enqueue(sessions, config, shop, await make_customer(sessions, shop))
    await run_send_job(resources, message.id)
    html = email_part(inbox.messages[0], "html")
    link = re.findall(r'href="http://testserver(/t/c/[^"]+)"', html)[0]

    response = await client.get(link + junk, headers={"User-Agent": BROWSER})

    assert response.status_code == 404
    assert "location" not in response.headers
    async with sessions.begin() as session:
        assert await session.scalar(select(func.count()).select_from(MessageEvent)) == 0
