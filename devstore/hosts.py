"""Shops reached at their own host, as at Shopify: a request whose Host is a simulated shop's
`{name}.myshopify.com` (a browser told to resolve it to the simulator, e.g. Chromium's
`--host-resolver-rules`) is served as `/{shop domain}{path}`, so the storefront's own paths
(`/pages/rewards`, `/apps/boomerang/…`, `/discount/CODE`) work as they do on a real store.
Requests to the simulator's own address (the app's Admin API calls, the tests) are untouched."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from devstore.state import Store


class ShopHosts:
    def __init__(self, app: ASGIApp, store: Store) -> None:
        self.app = app
        self.store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            host = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")
            domain = host.split(":", 1)[0].lower()
            if domain in self.store.shops:
                path = f"/{domain}{scope['path']}"
                scope = {**scope, "path": path, "raw_path": path.encode()}
        await self.app(scope, receive, send)
