"""Products, variants and their images in the Admin API subset: `product`, `productVariant`,
and product gids in `node`/`nodes`. Reading them needs the `read_products` scope, as on
Shopify; an id that is not a product or variant of the shop answers null."""

from __future__ import annotations

from typing import Any

from devstore.clock import iso
from devstore.graphql.views import Info, connection, require_scope
from devstore.state import Product, ProductVariant, Shop, parse_gid

SCOPE = "read_products"
# Shopify's CDN serves product images at these sizes in the simulator.
IMAGE_SIZE = 1024


def _shop_and_scope(info: Info) -> Shop:
    require_scope(info, SCOPE)
    shop: Shop = info.context.shop
    return shop


def image_view(url: str | None, owner_id: int) -> dict[str, Any] | None:
    if not url:
        return None
    return {
        "__typename": "Image",
        "id": f"gid://shopify/ProductImage/{owner_id}",
        "url": url,
        "altText": None,
        "width": IMAGE_SIZE,
        "height": IMAGE_SIZE,
    }


def product_view(product: Product) -> dict[str, Any]:
    def variants(
        _info: Info, first: int | None = None, last: int | None = None, after: str | None = None
    ) -> dict[str, Any]:
        return connection(
            list(product.variants.values()),
            lambda v: variant_view(v, product),
            lambda v: v.id,
            first=first,
            last=last,
            after=after,
        )

    return {
        "__typename": "Product",
        "id": product.gid,
        "title": product.title,
        "handle": product.handle,
        "featuredImage": image_view(product.featured_image_url, product.id),
        "createdAt": iso(product.created_at),
        "variants": variants,
    }


def variant_view(variant: ProductVariant, product: Product) -> dict[str, Any]:
    return {
        "__typename": "ProductVariant",
        "id": variant.gid,
        "title": variant.title,
        "displayName": f"{product.title} - {variant.title}",
        "price": str(variant.price),
        "sku": variant.sku or None,
        "image": image_view(variant.image_url, variant.id),
        "product": product_view(product),
    }


def product(info: Info, id: str) -> dict[str, Any] | None:
    shop = _shop_and_scope(info)
    number = parse_gid(id, "Product")
    found = shop.products.get(number) if number is not None else None
    return None if found is None else product_view(found)


def product_variant(info: Info, id: str) -> dict[str, Any] | None:
    shop = _shop_and_scope(info)
    number = parse_gid(id, "ProductVariant")
    variant = shop.variant(number) if number is not None else None
    if variant is None:
        return None
    return variant_view(variant, shop.products[variant.product_id])


def product_node(info: Info, id: str) -> dict[str, Any] | None:
    """A Product or ProductVariant gid as `node` answers it; None for any other id."""
    if parse_gid(id, "ProductVariant") is not None:
        return product_variant(info, id)
    if parse_gid(id, "Product") is not None:
        return product(info, id)
    return None
