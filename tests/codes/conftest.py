"""The codes layer against the Shopify simulator in-process (ASGI transport), with the real
Postgres and Redis of the test run."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.codes.offers import CombinesWith, Offer, ValueType
from app.models.shops import Shop
from app.shopify.admin.client import AdminClient, RetryPolicy
from app.shopify.admin.discounts import ShopifyDiscounts
from app.shopify.admin.types import ShopRef, TokenProvider
from app.shopify.throttle import ShopThrottle
from devstore import PlanLimits, SimulatorConfig
from devstore.server import Simulator


@dataclass
class Harness:
    sim: Simulator
    shop: ShopRef
    token: str
    client: AdminClient
    gateway: ShopifyDiscounts
    sessions: async_sessionmaker[AsyncSession]
    redis: Redis
    # The in-process connection to the simulator, for more clients of one process.
    http: httpx.AsyncClient

    def shopify_codes(self) -> list[str]:
        return self.sim.codes(self.shop.domain)

    async def tokens(self, _shop: ShopRef) -> str:
        """The shop's access token, as the app's token provider hands it out."""
        return self.token


def offer(**overrides: object) -> Offer:
    base: dict[str, object] = {
        "title": "Come back: 10% off",
        "value_type": ValueType.PERCENTAGE,
        "value": Decimal("0.10"),
        "minimum_subtotal": Decimal("20"),
        "combines_with": CombinesWith(shipping_discounts=True),
    }
    base.update(overrides)
    return Offer(**base)  # type: ignore[arg-type]


@pytest.fixture
def sim_config() -> SimulatorConfig:
    # A bucket that restores fast keeps the suite quick while every call still goes through
    # the throttle; the benchmark runs the real Standard bucket.
    config = SimulatorConfig()
    config.plans["tight"] = PlanLimits("Basic", 200.0, 1000.0)
    config.plans["slow"] = PlanLimits("Basic", 100.0, 25.0)
    # Restores 10 mutations a second: fewer than any machine sends, however busy, so a burst
    # always outruns it and must wait (at 1000 points a second a loaded machine never did).
    config.plans["narrow"] = PlanLimits("Basic", 200.0, 100.0)
    # A point every half second: an emptied bucket stays short of a 1-point call for longer
    # than a busy machine takes to send it (at 25 points a second, 40 ms, it sometimes was not).
    config.plans["trickle"] = PlanLimits("Basic", 100.0, 2.0)
    config.bulk_code_creation_delay = 0.02
    return config


@pytest.fixture
async def redis(clean_redis: str) -> AsyncIterator[Redis]:
    # Emptied after each test: sync keys are per shop id, and ids restart with each truncate.
    client = Redis.from_url(clean_redis)
    yield client
    await client.aclose()


def admin_client(
    http: httpx.AsyncClient,
    redis: Redis,
    tokens: TokenProvider,
    *,
    policy: RetryPolicy | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> AdminClient:
    """An Admin API client to the in-process simulator, on the test run's Redis throttle."""
    return AdminClient(
        http,
        admin_url=lambda shop_domain: f"http://sim/{shop_domain}",
        api_version="2026-10",
        tokens=tokens,
        throttle=ShopThrottle(redis),
        policy=policy,
        sleep=sleep,
    )


@pytest.fixture
async def harness(
    sim_config: SimulatorConfig,
    sessions: async_sessionmaker[AsyncSession],
    redis: Redis,
) -> AsyncIterator[Harness]:
    sim = Simulator(sim_config)
    name = f"codes-{secrets.token_hex(4)}"
    domain = sim.add_shop(name, plan="standard").domain
    token = sim.install(domain).access_token
    async with sessions() as session, session.begin():
        row = Shop(domain=domain, scopes="write_discounts,write_customers")
        session.add(row)
        await session.flush()
        shop = ShopRef(row.id, domain)

    async def tokens(_shop: ShopRef) -> str:
        return token  # the Harness' own, before it exists

    http = httpx.AsyncClient(transport=sim.transport(), timeout=10)
    client = admin_client(http, redis, tokens)
    yield Harness(
        sim=sim,
        shop=shop,
        token=token,
        client=client,
        gateway=ShopifyDiscounts(client),
        sessions=sessions,
        redis=redis,
        http=http,
    )
    await http.aclose()
    await sim.webhooks.aclose()
