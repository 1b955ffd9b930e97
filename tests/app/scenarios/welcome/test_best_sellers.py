"""Step 2's best-sellers: ranked by the units sold in the orders Boomerang stored, shown with
the cards the Admin API (the simulator, in-process) gives for those products."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import count

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.models import Order, OrderLineItem
from app.scenarios.welcome.queries import best_selling_product_ids
from app.shopify.admin.client import AdminClient
from app.shopify.admin.products import ProductCard, ShopifyProducts
from app.shopify.admin.types import ShopRef
from app.shopify.throttle import ShopThrottle
from devstore import SimulatorConfig
from devstore.products import VariantSpec
from devstore.server import Simulator
from tests.support.webhooks import install_shop

NOW = datetime(2026, 12, 5, tzinfo=UTC)
_ids = count(1)


@pytest.fixture
async def shopify(clean_redis: str) -> AsyncIterator[tuple[Simulator, ShopifyProducts, str]]:
    sim = Simulator(SimulatorConfig())
    domain = sim.add_shop("welcome-products").domain
    token = sim.install(domain).access_token

    async def tokens(_shop: ShopRef) -> str:
        return token

    redis = Redis.from_url(clean_redis)
    http = httpx.AsyncClient(transport=sim.transport(), timeout=10)
    client = AdminClient(
        http,
        admin_url=lambda shop_domain: f"http://sim/{shop_domain}",
        api_version="2026-10",
        tokens=tokens,
        throttle=ShopThrottle(redis),
    )
    yield sim, ShopifyProducts(client), domain
    await http.aclose()
    await redis.aclose()
    await sim.webhooks.aclose()


async def sell(
    session: AsyncSession,
    shop_id: int,
    product_id: int,
    units: int,
    *,
    days_ago: int = 3,
    cancelled: bool = False,
) -> None:
    placed = NOW - timedelta(days=days_ago)
    order_id = (
        await session.execute(
            insert(Order)
            .values(
                shop_id=shop_id,
                shopify_id=next(_ids),
                placed_at=placed,
                cancelled_at=placed if cancelled else None,
            )
            .returning(Order.id)
        )
    ).scalar_one()
    await session.execute(
        insert(OrderLineItem).values(
            shop_id=shop_id,
            order_id=order_id,
            shopify_id=next(_ids),
            product_id=product_id,
            title="sold",
            quantity=units,
            price=Decimal("1.00"),
        )
    )


async def test_best_sellers_rank_by_units_and_show_what_is_on_sale(
    sessions: async_sessionmaker[AsyncSession],
    shopify: tuple[Simulator, ShopifyProducts, str],
) -> None:
    sim, products, domain = shopify
    shop = sim.shop(domain)
    shop.products.clear()
    mug = sim.add_product(domain, "Mug", price=Decimal("12.00"), image_url="https://cdn.test/m.jpg")
    scarf = sim.add_product(
        domain,
        "Scarf",
        variants=[VariantSpec("Red", Decimal("30.00")), VariantSpec("Blue", Decimal("35.00"))],
    )
    retired = sim.add_product(domain, "Old Lamp", price=Decimal("50.00"))
    retired.status = "ARCHIVED"
    newest = sim.add_product(domain, "Candle", price=Decimal("8.00"))

    shop_id = await install_shop(sessions)
    async with sessions.begin() as session:
        await sell(session, shop_id, scarf.id, 5)
        await sell(session, shop_id, mug.id, 2)
        await sell(session, shop_id, mug.id, 2)
        await sell(session, shop_id, retired.id, 9)
        await sell(session, shop_id, mug.id, 50, cancelled=True)  # cancelled: not a sale
        await sell(session, shop_id, mug.id, 50, days_ago=400)  # too old to count
        ranked = await best_selling_product_ids(
            session, shop_id, since=NOW - timedelta(days=90), limit=10
        )
    assert ranked == [retired.id, scarf.id, mug.id]

    cards = await products.best_sellers(
        ShopRef(shop_id, domain), ranked, 3, shop_url=f"https://{domain}"
    )

    host = shop.primary_domain_host
    assert cards == [
        ProductCard(
            product_id=scarf.id,
            title="Scarf",
            url=f"https://{host}/products/scarf",
            image_url=None,
            price=Decimal("30.00"),
            price_varies=True,
            currency=shop.currency,
        ),
        ProductCard(
            product_id=mug.id,
            title="Mug",
            url=f"https://{host}/products/mug",
            image_url="https://cdn.test/m.jpg",
            price=Decimal("12.00"),
            price_varies=False,
            currency=shop.currency,
        ),
        # Too few sales for three: topped up with the newest product on sale.
        ProductCard(
            product_id=newest.id,
            title="Candle",
            url=f"https://{host}/products/candle",
            image_url=None,
            price=Decimal("8.00"),
            price_varies=False,
            currency=shop.currency,
        ),
    ]
