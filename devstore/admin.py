"""A simulated Shopify admin for developing and testing the embedded app offline.

`/store/{name}/apps/{handle}[/path]` is the admin page that frames the app, as
admin.shopify.com/store/{name}/apps/{handle} does: the iframe opens the app's URL with `shop`,
`host` (base64 of admin.shopify.com/store/{name}), `embedded=1`, `id_token` (a session token
minted for that shop), `locale`, `timestamp` and `hmac`. The page answers the app's App Bridge
(fresh session tokens, toasts, and links into the admin: an anchor to `shopify://admin/…`
opens `/store/{name}/…`, as App Bridge's Navigation API documents, shopify.dev/docs/api/
app-home/apis/user-interface-and-interactions/navigation-api), the app's navigation menu
(`ui-nav-menu` / `s-app-nav`) drawn in the admin's sidebar under the app's name and its title bar
(`ui-title-bar`: title, breadcrumb, actions) drawn above the frame; the admin's address follows
the app's location (`/store/{name}/apps/{handle}#/kpis`), and opening it opens the app there.
`/store/{name}/customers/{id}` and `/store/{name}/orders/{id}` are bare stand-ins of those admin
pages, showing what the simulated shop holds. `/cdn/shopifycloud/…` serves stand-ins of the
CDN scripts the app loads (App Bridge and Polaris web components), so an app whose
SHOPIFY_CDN_URL is `{simulator}/cdn` runs without the internet.
"""

from __future__ import annotations

import json
from html import escape
from importlib import resources
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from devstore.oauth import admin_host, mint_session_token, shopify_hmac
from devstore.runtime import Runtime
from devstore.state import SHOP_DOMAIN, Shop

# Stand-ins served under /cdn/shopifycloud/ (what the app asks of https://cdn.shopify.com).
CDN_SCRIPTS = {
    "app-bridge.js": "app-bridge.js",
    "polaris-1.js": "polaris.js",
    "polaris.js": "polaris.js",
}
_SCRIPT_CACHE = "no-cache"


def _asset(name: str) -> str:
    return resources.files("devstore").joinpath("admin_assets", name).read_text("utf-8")


class AdminRoutes:
    """The admin page, its token endpoint and the CDN stand-ins."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def routes(self) -> list[Route]:
        return [
            Route("/store/{store}/apps/{handle}", self.app_page, methods=["GET"]),
            Route("/store/{store}/apps/{handle}/{rest:path}", self.app_page, methods=["GET"]),
            Route("/store/{store}/session-token", self.session_token, methods=["POST"]),
            Route("/store/{store}/scopes", self.scopes, methods=["POST"]),
            Route(
                "/store/{store}/{resource:str}/{resource_id:int}",
                self.resource_page,
                methods=["GET"],
            ),
            Route("/cdn/shopifycloud/{script}", self.cdn_script, methods=["GET"]),
        ]

    def _shop(self, store: str) -> Shop | None:
        domain = f"{store.lower()}.myshopify.com"
        if not SHOP_DOMAIN.match(domain):
            return None
        return self.runtime.store.shop(domain)

    async def app_page(self, request: Request) -> Response:
        store = request.path_params["store"]
        shop = self._shop(store)
        if shop is None:
            return HTMLResponse(f"<h1>No store named {escape(store)}</h1>", status_code=404)
        domain = shop.domain
        locale = request.query_params.get("locale", "en")
        rest = request.path_params.get("rest", "")
        config = self.runtime.config
        # The query Shopify's admin appends to an app URL, signed as OAuth callbacks are.
        params = {
            "embedded": "1",
            "host": admin_host(domain),
            "id_token": mint_session_token(self.runtime, domain),
            "locale": locale,
            "shop": domain,
            "timestamp": str(int(self.runtime.clock.now().timestamp())),
        }
        query = urlencode({**params, "hmac": shopify_hmac(params, config.api_secret)})
        app_url = f"{config.app_url.rstrip('/')}/{rest}?{query}"
        page = _asset("admin.html")
        settings = json.dumps(
            {
                "appOrigin": _origin(config.app_url),
                "tokenUrl": f"/store/{store}/session-token",
                "scopesUrl": f"/store/{store}/scopes",
                "storeUrl": f"/store/{store}",
                "appPageUrl": f"/store/{store}/apps/{request.path_params['handle']}",
            }
        ).replace("</", "<\\/")
        values = {
            "{{locale}}": escape(locale[:2]),
            "{{shop_name}}": escape(shop.name),
            "{{app_url}}": escape(app_url),
            "{{settings}}": settings,
        }
        for placeholder, value in values.items():
            page = page.replace(placeholder, value)
        return HTMLResponse(page)

    async def resource_page(self, request: Request) -> Response:
        """A customer's or an order's admin page, as far as the simulated shop knows it."""
        shop = self._shop(request.path_params["store"])
        resource = request.path_params["resource"]
        resource_id = request.path_params["resource_id"]
        if shop is None or resource not in ("customers", "orders"):
            return HTMLResponse("<h1>Not found</h1>", status_code=404)
        if resource == "customers":
            customer = shop.customers.get(resource_id)
            if customer is None:
                return HTMLResponse("<h1>No such customer</h1>", status_code=404)
            name = " ".join(p for p in (customer.first_name, customer.last_name) if p)
            heading, detail = name or str(resource_id), customer.email or ""
        else:
            order = shop.orders.get(resource_id)
            if order is None:
                return HTMLResponse("<h1>No such order</h1>", status_code=404)
            heading, detail = str(order.get("name") or resource_id), str(order.get("email") or "")
        title = "Customers" if resource == "customers" else "Orders"
        return HTMLResponse(
            f'<!doctype html><html lang="en"><title>{escape(heading)} · {title}</title>'
            f"<main><p>{title}</p><h1>{escape(heading)}</h1><p>{escape(detail)}</p></main>"
            "</html>"
        )

    async def session_token(self, request: Request) -> Response:
        shop = self._shop(request.path_params["store"])
        if shop is None:
            return JSONResponse({"error": "no such store"}, status_code=404)
        return JSONResponse({"session_token": mint_session_token(self.runtime, shop.domain)})

    async def scopes(self, request: Request) -> Response:
        """App Bridge's Scopes API behind the admin: `query`, `request` (the merchant's
        permission modal, accepted here: a dev store's owner is the one testing) and `revoke`
        of the app's optional scopes. Answers are ScopesDetail, and for a request a
        ScopesRequestResponse (`result: granted-all | declined-all`, `detail`)
        (shopify.dev/docs/api/app-home/apis/authentication-and-data/scopes-api)."""
        shop = self._shop(request.path_params["store"])
        if shop is None:
            return JSONResponse({"error": "no such store"}, status_code=404)
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            return JSONResponse({"error": "send a JSON object"}, status_code=400)
        action = body.get("action") if isinstance(body, dict) else None
        wanted = body.get("scopes") if isinstance(body, dict) else None
        config = self.runtime.config
        if action in ("request", "revoke"):
            if not isinstance(wanted, list) or not all(isinstance(s, str) for s in wanted):
                return JSONResponse({"error": "scopes: a list of scope handles"}, status_code=400)
            unknown = set(wanted) - set(config.optional_scopes)
            if unknown:
                message = f"not optional scopes of this app: {', '.join(sorted(unknown))}"
                return JSONResponse({"error": message}, status_code=400)
            if action == "request":
                shop.granted_optional_scopes |= set(wanted)
            else:
                shop.granted_optional_scopes -= set(wanted)
        elif action != "query":
            return JSONResponse({"error": "action: query, request or revoke"}, status_code=400)
        detail = {
            "granted": sorted(set(config.scopes) | shop.granted_optional_scopes),
            "required": sorted(config.scopes),
            "optional": sorted(config.optional_scopes),
        }
        if action == "request":
            return JSONResponse({"result": "granted-all", "detail": detail})
        return JSONResponse(detail)

    async def cdn_script(self, request: Request) -> Response:
        name = CDN_SCRIPTS.get(request.path_params["script"])
        if name is None:
            return Response("not found", status_code=404, media_type="text/plain")
        return Response(
            _asset(name),
            media_type="text/javascript",
            headers={"Cache-Control": _SCRIPT_CACHE, "Access-Control-Allow-Origin": "*"},
        )


def _origin(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"
