"""Products, variants and their images in the Admin API subset: `product`, `productVariant`,
and product gids in `node`/`nodes`. Reading them needs the `read_products` scope, as on
Shopify; an id that is not a product or variant of the shop answers null."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from graphql import GraphQLError

from devstore.clock import iso
from devstore.graphql.views import Info, connection, money, require_scope
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

    def price_range(info: Info) -> dict[str, Any]:
        shop: Shop = info.context.shop
        prices = [v.price for v in product.variants.values()] or [Decimal(0)]
        return {
            "minVariantPrice": money(min(prices), shop.currency),
            "maxVariantPrice": money(max(prices), shop.currency),
        }

    def online_store_url(info: Info) -> str | None:
        # Only a product published on the Online Store has a storefront page.
        shop: Shop = info.context.shop
        if product.status != "ACTIVE":
            return None
        return f"https://{shop.primary_domain_host}/products/{product.handle}"

    return {
        "__typename": "Product",
        "id": product.gid,
        "title": product.title,
        "handle": product.handle,
        "featuredImage": image_view(product.featured_image_url, product.id),
        "createdAt": iso(product.created_at),
        "updatedAt": iso(product.created_at),
        "status": product.status,
        "onlineStoreUrl": online_store_url,
        "priceRangeV2": price_range,
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


# What `products(sortKey:)` orders by in the simulator; the others (INVENTORY_TOTAL,
# PRODUCT_TYPE, PUBLISHED_AT, VENDOR, RELEVANCE) are accepted and order by id.
_SORTS = {
    "CREATED_AT": lambda p: (p.created_at, p.id),
    "TITLE": lambda p: (p.title.lower(), p.id),
    "UPDATED_AT": lambda p: (p.created_at, p.id),
}
_STATUSES = {"active": "ACTIVE", "draft": "DRAFT", "archived": "ARCHIVED"}


def _matches(product: Product, query: str | None) -> bool:
    """Shopify's search syntax, the part the simulator knows: `status:active` (or draft,
    archived); any other term is refused rather than silently ignored."""
    for term in (query or "").split():
        field, _, value = term.partition(":")
        if field != "status" or value.lower() not in _STATUSES:
            raise GraphQLError(f"the simulator's products query knows only status:, not {term!r}")
        if product.status != _STATUSES[value.lower()]:
            return False
    return True


def products_connection(
    info: Info,
    first: int | None = None,
    last: int | None = None,
    after: str | None = None,
    reverse: bool = False,
    sortKey: str = "ID",
    query: str | None = None,
) -> dict[str, Any]:
    """The shop's products in one sort order (ID by default), optionally reversed."""
    shop = _shop_and_scope(info)
    order = _SORTS.get(sortKey, lambda p: (p.id,))
    chosen = sorted(
        (p for p in shop.products.values() if _matches(p, query)), key=order, reverse=reverse
    )
    return connection(chosen, product_view, lambda p: p.id, first=first, last=last, after=after)


def product_node(info: Info, id: str) -> dict[str, Any] | None:
    """A Product or ProductVariant gid as `node` answers it; None for any other id."""
    if parse_gid(id, "ProductVariant") is not None:
        return product_variant(info, id)
    if parse_gid(id, "Product") is not None:
        return product(info, id)
    return None
