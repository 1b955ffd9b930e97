"""Reviews tests: the scenarios' harness (the simulator in-process, signed webhooks into
/webhooks, the worker's jobs for real over the test Redis, a real SMTP server), with helpers
for a fulfilled order, its review link and photos made by Pillow."""

from __future__ import annotations

import copy
import io
import uuid
from datetime import UTC, datetime
from typing import Any

from PIL import Image
from sqlalchemy import select

from app.loyalty.settings import update_settings
from app.models import Order, Review, ReviewPhoto
from app.reviews.tokens import ReviewTokens
from devstore.state import Product
from tests.messaging.conftest import inbox  # noqa: F401  (fixture)
from tests.scenarios.conftest import (  # noqa: F401  (fixtures)
    SHOP,
    Store,
    app,
    settings,
    sim,
    simulator,
    store,
)
from tests.support.fixtures import fixture_json

GPS_TAG = 0x8825


def photo_bytes(
    fmt: str = "JPEG", size: tuple[int, int] = (64, 48), *, with_gps: bool = True
) -> bytes:
    """A small photo in `fmt`, carrying EXIF with a GPS position and a camera make."""
    image = Image.new("RGB", size, (200, 80, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    if with_gps:
        exif[GPS_TAG] = {1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 3.0)}
    out = io.BytesIO()
    image.save(out, fmt, exif=exif.tobytes())
    return out.getvalue()


def products(harness: Store, *titles: str) -> list[Product]:
    return [harness.sim.add_product(SHOP, title) for title in titles]


def fulfilled_payload(
    harness: Store,
    customer: dict[str, Any],
    items: list[Product],
    *,
    locale: str = "en",
) -> dict[str, Any]:
    """Shopify's orders/fulfilled sample, for `customer`, one line per product."""
    payload = copy.deepcopy(fixture_json("orders/fulfilled"))
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    order_id = int(uuid.uuid4().int % 10**12)
    template = payload["line_items"][0]
    lines = [
        {
            **copy.deepcopy(template),
            "id": int(uuid.uuid4().int % 10**12),
            "product_id": product.id,
            "variant_id": next(iter(product.variants)),
            "title": product.title,
            "name": product.title,
        }
        for product in items
    ]
    payload.update(
        id=order_id,
        email=customer["email"],
        created_at=now,
        updated_at=now,
        processed_at=now,
        customer_locale=locale,
        line_items=lines,
        checkout_token=None,
    )
    payload["customer"] = {**payload["customer"], **customer}
    fulfillment = payload["fulfillments"][0]
    fulfillment.update(
        id=int(uuid.uuid4().int % 10**12), order_id=order_id, created_at=now, updated_at=now
    )
    fulfillment["line_items"] = lines
    return payload


async def fulfilled_order(
    harness: Store,
    items: list[Product],
    *,
    email: str = "camille@example.test",
    locale: str = "en",
    first_name: str = "Camille",
) -> dict[str, Any]:
    customer = harness.customer_payload(email=email, first_name=first_name)
    await harness.deliver("customers/create", customer)
    order = fulfilled_payload(harness, customer, items, locale=locale)
    await harness.deliver("orders/fulfilled", order)
    # The webhooks only: the steps' own delays are later than this.
    await harness.work(horizon=0.3)
    return order


async def order_row(harness: Store, shopify_order_id: int) -> Order:
    async with harness.sessions.begin() as session:
        order = await session.scalar(select(Order).where(Order.shopify_id == shopify_order_id))
        assert order is not None
        return order


async def review_path(harness: Store, order: dict[str, Any], *, now: datetime | None = None) -> str:
    """The form's path for the order, signed as the review request signs it."""
    row = await order_row(harness, order["id"])
    tokens = ReviewTokens.from_settings(harness.settings)
    return f"/review/{tokens.token(harness.shop.id, row.id, now or datetime.now(UTC))}"


async def reviews(harness: Store) -> list[Review]:
    async with harness.sessions.begin() as session:
        return list(await session.scalars(select(Review).order_by(Review.id)))


async def photos(harness: Store) -> list[ReviewPhoto]:
    async with harness.sessions.begin() as session:
        return list(await session.scalars(select(ReviewPhoto).order_by(ReviewPhoto.id)))


async def loyalty_on(harness: Store) -> None:
    async with harness.sessions.begin() as session:
        await update_settings(session, harness.shop.id, {"enabled": True})


def form(
    product: Product, rating: str = "5", title: str = "Great", body: str = "Works well"
) -> dict[str, str]:
    return {"product": str(product.id), "rating": rating, "title": title, "body": body}
