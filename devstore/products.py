"""The store's products: variants with their images, as the Admin API serves them. Shopify's
checkout and order webhooks carry no image for their line items; an app that shows one asks
the Admin API for the variant (ProductVariant.image, else Product.featuredImage)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from devstore.payloads import CATALOG
from devstore.state import Product, ProductVariant, Shop


@dataclass(frozen=True)
class VariantSpec:
    title: str
    price: Decimal
    sku: str = ""
    id: int | None = None
    image_url: str | None = None


def _handle(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "product"


def image_url(shop: Shop, handle: str, variant: str | None = None) -> str:
    """A CDN-looking URL, stable for a shop, product and variant."""
    name = handle if variant is None else f"{handle}-{_handle(variant)}"
    return f"https://cdn.shopify.com/s/files/1/{shop.id % 10_000:04d}/products/{name}.jpg"


def add_product(
    shop: Shop,
    *,
    product_id: int,
    title: str,
    variants: list[VariantSpec],
    next_id: int,
    created_at: datetime,
    featured_image_url: str | None = None,
) -> Product:
    """Add (or replace) a product; variants without an id get ids from `next_id` upwards."""
    product = Product(
        id=product_id,
        title=title,
        handle=_handle(title),
        featured_image_url=featured_image_url,
        created_at=created_at,
    )
    for spec in variants:
        number = spec.id if spec.id is not None else next_id
        next_id = max(next_id, number) + 1
        product.variants[number] = ProductVariant(
            id=number,
            product_id=product_id,
            title=spec.title,
            price=spec.price,
            sku=spec.sku,
            image_url=spec.image_url,
        )
    shop.products[product_id] = product
    return product


def stock_catalog(shop: Shop, created_at: datetime) -> None:
    """The products the traffic generator sells (devstore.payloads.CATALOG), each with a
    featured image; variants with an option (size, colour) have their own image too."""
    for item in CATALOG:
        if item.product_id in shop.products:
            continue
        handle = _handle(item.title)
        add_product(
            shop,
            product_id=item.product_id,
            title=item.title,
            variants=[
                VariantSpec(
                    title=item.variant_title or "Default Title",
                    price=item.price,
                    sku=item.sku,
                    id=item.variant_id,
                    image_url=image_url(shop, handle, item.variant_title)
                    if item.variant_title
                    else None,
                )
            ],
            next_id=item.variant_id,
            created_at=created_at,
            featured_image_url=image_url(shop, handle),
        )
