"""Which shop a delivery is for. Shopify signs the body only: X-Shopify-Shop-Domain is anyone's
to set, so a captured body could be replayed against another shop. Where the topic's payload
names the shop (the compliance topics' `shop_domain`, the shop resource's `myshopify_domain` on
app/uninstalled and shop/update), the header must name the same one.

Only those topics are parsed here, on the request path; their bodies are a few hundred bytes.
Every other topic's body is left unread until the worker."""

from __future__ import annotations

import json
from typing import Any

# The field of each topic's payload that names the shop's *.myshopify.com domain. The shop
# resource's `domain` is its primary domain (possibly the merchant's own), so not comparable.
SHOP_FIELD_OF_TOPIC = {
    "customers/data_request": "shop_domain",
    "customers/redact": "shop_domain",
    "shop/redact": "shop_domain",
    "app/uninstalled": "myshopify_domain",
    "shop/update": "myshopify_domain",
}


def named_shop(topic: str, body: bytes) -> str | None:
    """The shop domain the signed body names (lower case), or None when the topic carries no
    shop or this body names none (not JSON, field missing or null: Shopify's own samples have
    `myshopify_domain: null`). Never raises."""
    field = SHOP_FIELD_OF_TOPIC.get(topic)
    if field is None:
        return None
    try:
        data: Any = json.loads(body)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return None
    value = data.get(field) if isinstance(data, dict) else None
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip().lower()


def names_another_shop(topic: str, header_domain: str, body: bytes) -> bool:
    """True when the body names a shop other than the (already lower-cased) header's."""
    named = named_shop(topic, body)
    return named is not None and named != header_domain
