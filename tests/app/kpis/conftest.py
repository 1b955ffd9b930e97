"""A shop in Paris time, its raw-row factories, and the roll-up job's unit of work."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.kpis.jobs import roll_up
from app.models import Shop
from tests.support.kpi_rows import Rows
from tests.support.session_tokens import bearer, mint_session_token
from tests.support.shops import create_shop

PARIS = ZoneInfo("Europe/Paris")


def paris(text: str) -> datetime:
    """A wall-clock time in Paris, e.g. "2026-11-10 09:00"."""
    return datetime.fromisoformat(text).replace(tzinfo=PARIS)


@pytest.fixture
async def shop(sessions: async_sessionmaker[AsyncSession]) -> Shop:
    shop = await create_shop(sessions)
    async with sessions.begin() as session:
        await session.execute(
            update(Shop).where(Shop.id == shop.id).values(timezone="Europe/Paris", currency="EUR")
        )
    return shop


@pytest.fixture
def rows(sessions: async_sessionmaker[AsyncSession], shop: Shop) -> Rows:
    return Rows(sessions, shop.id)


@pytest.fixture
def rolled(sessions: async_sessionmaker[AsyncSession]) -> Callable[[], Awaitable[int]]:
    async def run() -> int:
        return await roll_up(sessions)

    return run


@pytest.fixture
def auth(shop: Shop) -> dict[str, str]:
    return bearer(mint_session_token(shop.domain))


async def get_json(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> dict:  # type: ignore[type-arg]
    response = await client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    body: dict = response.json()  # type: ignore[type-arg]
    return body
