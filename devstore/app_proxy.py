"""The storefront's app proxy, as Shopify plays it (shopify.dev: apps/build/online-store/
app-proxies/authenticate-app-proxies): a request to `https://{shop}/{prefix}/{subpath}/extra?q`
is forwarded to the app's proxy URL + `/extra`, its query kept and extended with `shop`,
`logged_in_customer_id` (empty for a visitor not logged in), `path_prefix`, `timestamp` and
`signature`. The signature is the hex HMAC-SHA256, with the app's client secret, of every
query parameter but `signature`, sorted by key, each written `key=value` (several values of one
key joined by `,`), concatenated with no separator. Shopify strips the visitor's cookies; the
body and method are forwarded as they are."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

import httpx


def proxy_signature(params: Iterable[tuple[str, str]], secret: str) -> str:
    """Shopify's signature over the forwarded query's parameters (`signature` left out)."""
    grouped: dict[str, list[str]] = {}
    for key, value in params:
        if key != "signature":
            grouped.setdefault(key, []).append(value)
    message = "".join(f"{key}={','.join(values)}" for key, values in sorted(grouped.items()))
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class AppProxy:
    """The app's `[app_proxy]` declaration: where Shopify forwards `/{prefix}/{subpath}/…`."""

    url: str  # the app's proxy URL, e.g. https://app.example/proxy
    prefix: str = "apps"
    subpath: str = "boomerang"

    @property
    def path_prefix(self) -> str:
        return f"/{self.prefix}/{self.subpath}"

    def forwarded_url(
        self,
        shop_domain: str,
        extra_path: str,
        *,
        secret: str,
        timestamp: int,
        customer_id: int | None,
        query: Iterable[tuple[str, str]] = (),
    ) -> str:
        """The URL Shopify requests at the app for the storefront's
        `/{prefix}/{subpath}{extra_path}?{query}`, signed."""
        params = [
            *query,
            ("shop", shop_domain),
            ("logged_in_customer_id", "" if customer_id is None else str(customer_id)),
            ("path_prefix", self.path_prefix),
            ("timestamp", str(timestamp)),
        ]
        params.append(("signature", proxy_signature(params, secret)))
        return f"{self.url.rstrip('/')}{extra_path}?{urlencode(params)}"


# Hop-by-hop and identity headers Shopify does not forward (cookies are stripped: the app
# learns who is logged in from `logged_in_customer_id` alone).
_NOT_FORWARDED = frozenset({"cookie", "host", "content-length", "connection", "authorization"})


async def forward(
    proxy: AppProxy,
    transport: httpx.AsyncBaseTransport | None,
    *,
    shop_domain: str,
    method: str,
    extra_path: str,
    secret: str,
    timestamp: int,
    customer_id: int | None,
    query: Iterable[tuple[str, str]] = (),
    body: bytes = b"",
    headers: Mapping[str, str] | None = None,
) -> httpx.Response:
    """Forward one storefront request to the app as Shopify does, and return its answer."""
    url = proxy.forwarded_url(
        shop_domain,
        extra_path,
        secret=secret,
        timestamp=timestamp,
        customer_id=customer_id,
        query=query,
    )
    sent = {k: v for k, v in (headers or {}).items() if k.lower() not in _NOT_FORWARDED}
    async with httpx.AsyncClient(transport=transport, timeout=10) as client:
        return await client.request(method, url, content=body, headers=sent)
