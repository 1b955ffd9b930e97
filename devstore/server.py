"""The simulator as one ASGI app plus `Simulator`, its Python handle for tests, demo, benchmarks."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Route

from devstore.admin import AdminRoutes
from devstore.app_proxy import AppProxy, forward
from devstore.clock import Clock, SystemClock
from devstore.config import SimulatorConfig
from devstore.delivery_control import DeliveryControl, delivery_view
from devstore.graphql.endpoint import AdminGraphQL
from devstore.graphql.faults import Fault, FaultKind, SimulatorTransport, parse_fault
from devstore.hosts import ShopHosts
from devstore.oauth import OAuthRoutes, OAuthService, mint_session_token
from devstore.payloads import CATALOG, LineItem, Payloads
from devstore.products import VariantSpec, add_product, stock_catalog
from devstore.runtime import Runtime
from devstore.state import (
    SHOP_DOMAIN,
    CodeDiscount,
    Customer,
    Metafield,
    Product,
    Shop,
    ShopAddress,
    Store,
    StoreCreditAccount,
    default_shop_address,
    parse_gid,
)
from devstore.storefront import CheckoutError, PlacedOrder, Storefront
from devstore.theme import StorefrontPage, ThemeAppExtension, render_page
from devstore.webhooks import Delivery, WebhookSender

# The simulator's stand-in for a storefront login (a test or the demo sets it).
STOREFRONT_CUSTOMER_COOKIE = "storefront_customer_id"
# What an uninstalled app still receives (shop/redact comes 48 hours after the uninstall).
DELIVERED_AFTER_UNINSTALL = frozenset({"app/uninstalled", "shop/redact"})


def _unsubscriber(shop: Shop, subscription_id: int) -> Callable[[Delivery], None]:
    """Shopify deletes a subscription made through the Admin API once a delivery to it has
    failed every retry; toml-declared subscriptions stay."""

    def unsubscribe(_delivery: Delivery) -> None:
        shop.subscriptions.pop(subscription_id, None)

    return unsubscribe


def shop_domain(name: str) -> str:
    """`demo` or `demo.myshopify.com` -> `demo.myshopify.com` (validated)."""
    domain = name.lower() if name.endswith(".myshopify.com") else f"{name.lower()}.myshopify.com"
    if not SHOP_DOMAIN.match(domain):
        raise ValueError(f"not a valid shop domain: {name!r}")
    return domain


@dataclass
class InstalledTokens:
    access_token: str
    refresh_token: str | None
    scope: str


class Simulator:
    """Python handle on the simulated Shopify: shops, tokens, codes, webhooks, checkout."""

    def __init__(
        self,
        config: SimulatorConfig | None = None,
        *,
        clock: Clock | None = None,
        webhook_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.config = config or SimulatorConfig()
        self.clock: Clock = clock or SystemClock()
        self.store = Store()
        self.runtime = Runtime(self.config, self.store, self.clock)
        self.oauth = OAuthService(self.runtime)
        self.graphql = AdminGraphQL(self.runtime)
        self.storefront = Storefront(self.runtime)
        self.webhooks = WebhookSender(self.config, self.clock, transport=webhook_transport)
        # Deliveries lost on purpose (`emit(drop=True)`, a disorder's drop_rate): shop, topic, body.
        self.dropped: list[tuple[str, str, dict[str, Any]]] = []
        # The app's theme app extension as every shop's theme shows it (online store pages),
        # with each block's settings as the merchant chose them in the theme editor.
        self.theme_extension: ThemeAppExtension | None = None
        self.theme_settings: dict[str, dict[str, Any]] = {}

    def install_theme_extension(
        self, root: Path, settings: dict[str, dict[str, Any]] | None = None
    ) -> ThemeAppExtension:
        """Add the extension's blocks to the shops' theme (app embeds on, the section blocks
        on the storefront's pages), each with `settings[block name]` over its defaults."""
        self.theme_extension = ThemeAppExtension.load(root)
        self.theme_settings = dict(settings or {})
        return self.theme_extension

    # -- shops and customers ----------------------------------------------------------------

    def add_shop(
        self,
        name: str,
        *,
        plan: str = "standard",
        email: str | None = None,
        currency: str = "USD",
        iana_timezone: str = "America/New_York",
        shop_name: str | None = None,
        primary_locale: str = "en",
        address: ShopAddress | None = None,
    ) -> Shop:
        domain = shop_domain(name)
        if domain in self.store.shops:
            raise ValueError(f"shop {domain} already exists")
        self.config.plan(plan)  # unknown plans fail here, not on the first API call
        handle = domain.removesuffix(".myshopify.com")
        shop = Shop(
            domain=domain,
            id=self.store.ids.next(),
            name=shop_name or handle.replace("-", " ").title(),
            email=email or f"owner@{handle}.example",
            currency=currency,
            iana_timezone=iana_timezone,
            plan=plan,
            primary_domain_host=f"{handle}.example",
            created_at=self.clock.now(),
            locales=[primary_locale],
        )
        shop.address = address or default_shop_address(shop.name, currency)
        self.store.shops[domain] = shop
        # The products the traffic generator sells, with their images.
        stock_catalog(shop, self.clock.now())
        return shop

    def shop(self, name: str) -> Shop:
        found = self.store.shop(shop_domain(name))
        if found is None:
            raise KeyError(f"no shop {name!r}")
        return found

    def grant_scopes(self, shop: str, scopes: Iterable[str]) -> list[str]:
        """The merchant accepts the app's request for optional scopes (App Bridge's
        `shopify.scopes.request`, or the admin's permission page): they hold for the app's
        installation, whatever token it calls with. Only scopes the app declared optional can
        be granted this way; returns what the installation now holds beyond its tokens'."""
        wanted = set(scopes)
        unknown = wanted - set(self.config.optional_scopes)
        if unknown:
            raise ValueError(f"not optional scopes of the app: {', '.join(sorted(unknown))}")
        found = self.shop(shop)
        found.granted_optional_scopes |= wanted
        return sorted(found.granted_optional_scopes)

    def revoke_scopes(self, shop: str, scopes: Iterable[str]) -> None:
        """The merchant (or the app, appRevokeAccessScopes) takes optional scopes back."""
        self.shop(shop).granted_optional_scopes -= set(scopes)

    def store_credit_accounts(self, shop: str, customer_id: int) -> list[StoreCreditAccount]:
        """The customer's store credit accounts, one per currency."""
        return [
            account
            for account in self.shop(shop).store_credit_accounts.values()
            if account.owner_id == customer_id
        ]

    def set_plan(self, name: str, plan: str) -> None:
        self.config.plan(plan)
        self.shop(name).plan = plan

    def add_customer(
        self,
        shop: str,
        email: str,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        locale: str = "en",
        accepts_marketing: bool = False,
        tags: list[str] | None = None,
    ) -> Customer:
        customer, _ = self.storefront.ensure_customer(
            self.shop(shop),
            email,
            first_name=first_name,
            last_name=last_name,
            locale=locale,
            accepts_marketing=accepts_marketing,
        )
        if tags:
            customer.tags.extend(t for t in tags if t not in customer.tags)
        return customer

    def add_product(
        self,
        shop: str,
        title: str,
        *,
        variants: list[VariantSpec] | None = None,
        price: Decimal = Decimal("10.00"),
        image_url: str | None = None,
        product_id: int | None = None,
    ) -> Product:
        """A product with its variants (one "Default Title" variant when none are given) and
        its featured image; a variant's own image goes in its VariantSpec."""
        return add_product(
            self.shop(shop),
            product_id=product_id if product_id is not None else self.store.ids.next(),
            title=title,
            variants=variants or [VariantSpec("Default Title", price)],
            next_id=self.store.ids.next(),
            created_at=self.clock.now(),
            featured_image_url=image_url,
        )

    def products(self, shop: str) -> list[Product]:
        return list(self.shop(shop).products.values())

    def payloads(self, shop: str) -> Payloads:
        return Payloads(self.shop(shop), self.store.ids)

    # -- auth -------------------------------------------------------------------------------

    def mint_session_token(
        self,
        shop: str,
        *,
        user_id: int = 1,
        lifetime: float = 60.0,
        secret: str | None = None,
        audience: str | None = None,
    ) -> str:
        return mint_session_token(
            self.runtime,
            shop_domain(shop),
            user_id=user_id,
            lifetime=lifetime,
            secret=secret,
            audience=audience,
        )

    def install(self, shop: str, *, expiring: bool = True) -> InstalledTokens:
        """The merchant installs the app (again) and it exchanges a session token for its
        tokens, as with managed installation (tests that skip the OAuth dance)."""
        self.oauth.mark_installed(shop_domain(shop))
        body = self.oauth.token(
            shop_domain(shop),
            {
                "client_id": self.config.api_key,
                "client_secret": self.config.api_secret,
                "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
                "subject_token": self.mint_session_token(shop),
                "subject_token_type": "urn:ietf:params:oauth:token-type:id_token",
                "requested_token_type": "urn:shopify:params:oauth:token-type:offline-access-token",
                "expiring": "1" if expiring else "0",
            },
        )
        return InstalledTokens(body["access_token"], body.get("refresh_token"), body["scope"])

    async def uninstall(self, shop: str) -> list[Delivery]:
        """The merchant removes the app: tokens die, the app's API subscriptions go, and
        app/uninstalled is delivered; shop/redact follows 48 hours later (compressed)."""
        found = self.shop(shop)
        self.oauth.revoke_shop(found.domain)
        found.installed = False
        found.uninstalled = True
        found.subscriptions.clear()
        body = self.payloads(shop).shop_body(self.clock.now())
        deliveries = await self.emit(found.domain, "app/uninstalled", body)
        self._redact_shop_later(found.domain)
        return deliveries

    def _redact_shop_later(self, domain: str) -> None:
        later = self.config.shop_redact_after
        body = self.payloads(domain).shop_redact()
        at = self.clock.now() + timedelta(seconds=later)
        delivery = self.webhooks.build(domain, "shop/redact", body, at=at)
        self.webhooks.send_later(delivery, later)

    # -- edge failures ----------------------------------------------------------------------

    def inject_faults(
        self,
        shop: str,
        kind: FaultKind,
        *,
        count: int = 1,
        retry_after: float | None = None,
        delay: float = 0.0,
    ) -> None:
        """The shop's next `count` Admin API calls fail at the edge: "429" (with Retry-After,
        2 s unless given), "502"/"503"/"504", "garbled" (a 200 whose body is not JSON), "drop"
        (the connection is lost mid-answer), or "stall" (answered normally after `delay`
        seconds)."""
        domain = self.shop(shop).domain
        self.graphql.faults.add(domain, Fault(kind, retry_after, delay), count)

    def pending_faults(self, shop: str) -> int:
        return self.graphql.faults.pending(shop_domain(shop))

    def clear_faults(self, shop: str) -> None:
        self.graphql.faults.clear(shop_domain(shop))

    def transport(self) -> httpx.AsyncBaseTransport:
        """An httpx transport to this simulator in process; a dropped connection raises the
        transport error a socket would."""
        return SimulatorTransport(app=self.app())

    # -- the merchant in Shopify's admin ------------------------------------------------------

    def merchant_deletes_discount(self, shop: str, discount_gid: str) -> None:
        """The merchant deletes a code discount in Shopify's admin (as discountCodeDelete):
        its codes stop working at checkout and it is gone from the Admin API."""
        number = parse_gid(discount_gid, "DiscountCodeNode")
        found = self.shop(shop)
        if number is None or number not in found.discounts:
            raise KeyError(f"{shop} has no code discount {discount_gid}")
        found.delete_discount(number)

    def merchant_deactivates_discount(self, shop: str, discount_gid: str) -> None:
        """The merchant deactivates a code discount in Shopify's admin (as
        discountCodeDeactivate): its status becomes EXPIRED and its codes stop working."""
        number = parse_gid(discount_gid, "DiscountCodeNode")
        discount = self.shop(shop).discounts.get(number) if number is not None else None
        if discount is None:
            raise KeyError(f"{shop} has no code discount {discount_gid}")
        if discount.deactivated_at is None:
            discount.deactivated_at = self.clock.now()

    # -- inspection -------------------------------------------------------------------------

    def discounts(self, shop: str) -> list[CodeDiscount]:
        found = self.shop(shop)
        found.settle(self.clock.monotonic(), self.store.ids)
        return list(found.discounts.values())

    def codes(self, shop: str) -> list[str]:
        return [code.code for discount in self.discounts(shop) for code in discount.codes]

    def metafields(self, shop: str, owner: str | None = None) -> list[Metafield]:
        return [
            m for m in self.shop(shop).metafields.values() if owner is None or m.owner_id == owner
        ]

    def tags(self, shop: str, customer_id: int) -> list[str]:
        return list(self.shop(shop).customers[customer_id].tags)

    @property
    def app_proxy(self) -> AppProxy:
        return AppProxy(
            url=self.config.app_url.rstrip("/") + self.config.app_proxy_path,
            prefix=self.config.app_proxy_prefix,
            subpath=self.config.app_proxy_subpath,
        )

    async def storefront_proxy(
        self,
        shop: str,
        method: str,
        extra_path: str,
        *,
        customer_id: int | None = None,
        query: list[tuple[str, str]] | None = None,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timestamp: int | None = None,
    ) -> httpx.Response:
        """A storefront visitor (logged in as `customer_id`, or not) requests
        `/{prefix}/{subpath}{extra_path}`: Shopify forwards it to the app, signed, and hands
        back the app's answer. `transport` reaches the app (default: the webhook sender's)."""
        return await forward(
            self.app_proxy,
            transport or self.webhooks.transport,
            shop_domain=shop_domain(shop),
            method=method,
            extra_path=extra_path,
            secret=self.config.api_secret,
            timestamp=int(self.clock.now().timestamp()) if timestamp is None else timestamp,
            customer_id=customer_id,
            query=query or [],
            body=body,
            headers=headers,
        )

    def graphql_url(self, base_url: str, shop: str) -> str:
        version = self.config.api_version
        return f"{base_url.rstrip('/')}/{shop_domain(shop)}/admin/api/{version}/graphql.json"

    # -- webhooks and checkout --------------------------------------------------------------

    async def emit(
        self,
        shop: str,
        topic: str,
        payload: dict[str, Any],
        *,
        duplicate: bool = False,
        delay: float = 0.0,
        event_id: str | None = None,
        at: datetime | None = None,
        drop: bool = False,
    ) -> list[Delivery]:
        """Deliver `topic` to the app's toml-declared URL and to API subscriptions for it.

        Only an installed app hears from the shop; once uninstalled it gets app/uninstalled
        and, later, shop/redact, nothing else. `duplicate` posts each delivery twice; `delay`
        holds them back (seconds of Shopify time, in the background). `drop` loses the
        delivery (Shopify does not guarantee delivery): the change is still in the shop, and
        in its Admin API, but the app never hears of it."""
        domain = shop_domain(shop)
        found = self.shop(domain)
        found.remember(topic, payload)
        if drop:
            self.dropped.append((domain, topic, payload))
            return []
        if not found.installed and topic not in DELIVERED_AFTER_UNINSTALL:
            return []
        api_topic = topic.upper().replace("/", "_")
        targets: dict[str, int | None] = {self.config.webhook_url: None}
        for subscription in found.subscriptions.values():
            wanted = subscription.topic == api_topic and subscription.uri.startswith("http")
            if wanted and subscription.uri not in targets:
                targets[subscription.uri] = subscription.id
        shared_event = event_id or str(uuid.uuid4())
        deliveries: list[Delivery] = []
        for url, subscription_id in targets.items():
            delivery = self.webhooks.build(
                domain, topic, payload, url=url, event_id=shared_event, at=at
            )
            give_up = None if subscription_id is None else _unsubscriber(found, subscription_id)
            if delay > 0:
                self.webhooks.send_later(delivery, delay, duplicate=duplicate, on_give_up=give_up)
            else:
                await self.webhooks.deliver(delivery, duplicate=duplicate, on_give_up=give_up)
            deliveries.append(delivery)
        return deliveries

    async def request_customer_data(self, shop: str, customer_id: int) -> list[Delivery]:
        """The compliance webhook customers/data_request for one customer."""
        found = self.shop(shop)
        customer = found.customers[customer_id]
        orders = [o["id"] for o in found.orders.values() if o.get("email") == customer.email]
        body = self.payloads(shop).customers_data_request(customer, orders, self.store.ids.next())
        return await self.emit(shop, "customers/data_request", body)

    async def redact_customer(self, shop: str, customer_id: int) -> list[Delivery]:
        """The compliance webhook customers/redact for one customer."""
        found = self.shop(shop)
        customer = found.customers[customer_id]
        orders = [o["id"] for o in found.orders.values() if o.get("email") == customer.email]
        return await self.emit(
            shop, "customers/redact", self.payloads(shop).customers_redact(customer, orders)
        )

    async def redact_shop(self, shop: str) -> list[Delivery]:
        """The compliance webhook shop/redact (Shopify sends it 48 hours after uninstall)."""
        return await self.emit(shop, "shop/redact", self.payloads(shop).shop_redact())

    def place_order(
        self,
        shop: str,
        *,
        email: str | None,
        line_items: list[LineItem] | None = None,
        discount_code: str | None = None,
        checkout_token: str | None = None,
        customer: Customer | None = None,
        at: datetime | None = None,
        browser_ip: str | None = None,
        shipping_address: dict[str, Any] | None = None,
    ) -> PlacedOrder:
        """Check out (raises CheckoutError like the storefront refuses a code); no webhook sent.
        `browser_ip` and `shipping_address` are the buyer's own (else the sample's)."""
        return self.storefront.place_order(
            self.shop(shop),
            email=email,
            line_items=line_items or [CATALOG[0]],
            customer=customer,
            discount_code=discount_code,
            checkout_token=checkout_token,
            at=at,
            browser_ip=browser_ip,
            shipping_address=shipping_address,
        )

    async def checkout(
        self,
        shop: str,
        *,
        email: str | None,
        line_items: list[LineItem] | None = None,
        discount_code: str | None = None,
        checkout_token: str | None = None,
        browser_ip: str | None = None,
        shipping_address: dict[str, Any] | None = None,
    ) -> PlacedOrder:
        """Place an order and deliver orders/create and orders/paid for it, as Shopify would."""
        placed = self.place_order(
            shop,
            email=email,
            line_items=line_items,
            discount_code=discount_code,
            checkout_token=checkout_token,
            browser_ip=browser_ip,
            shipping_address=shipping_address,
        )
        await self.emit(shop, "orders/create", placed.order)
        await self.emit(shop, "orders/paid", placed.order)
        return placed

    async def edit_order(
        self, shop: str, order_id: int, added: dict[int, int], *, at: datetime | None = None
    ) -> dict[str, Any]:
        """The merchant edits a paid order, adding units to its lines: Shopify sends
        orders/updated (the edited order) and orders/edited (the edit). Returns the edit."""
        found = self.shop(shop)
        moment = at or self.clock.now()
        order, edit = self.payloads(shop).order_edit(found.orders[order_id], added, moment)
        found.orders[order_id] = order
        await self.emit(shop, "orders/updated", order)
        await self.emit(shop, "orders/edited", edit)
        return edit

    async def deliver_order(
        self, shop: str, order_id: int, *, at: datetime | None = None
    ) -> dict[str, Any]:
        """A carrier reports the fulfilled order's shipment delivered: Shopify records a
        fulfillment event (fulfillment_events/create) and the fulfillment's shipment_status
        becomes `delivered` (fulfillments/update). Returns the event."""
        found = self.shop(shop)
        moment = at or self.clock.now()
        order, event, fulfillment = self.payloads(shop).fulfillment_delivered(
            found.orders[order_id], moment
        )
        found.orders[order_id] = order
        await self.emit(shop, "fulfillment_events/create", event)
        await self.emit(shop, "fulfillments/update", fulfillment)
        return event

    # -- ASGI -------------------------------------------------------------------------------

    @asynccontextmanager
    async def serve(self, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[str]:
        """Serve on a real socket inside the running loop; yields the base URL (port 0: any)."""
        import uvicorn

        server = uvicorn.Server(
            uvicorn.Config(self.app(), host=host, port=port, log_level="warning", lifespan="off")
        )
        task = asyncio.get_running_loop().create_task(server.serve())
        while not server.started:
            if task.done():
                task.result()  # re-raise why it could not start
                raise RuntimeError("simulator server stopped before starting")
            await asyncio.sleep(0.01)
        bound = server.servers[0].sockets[0].getsockname()[1]
        try:
            yield f"http://{host}:{bound}"
        finally:
            server.should_exit = True
            await task

    def app(self) -> Starlette:
        oauth = OAuthRoutes(self.oauth)
        control = ControlAPI(self)
        disorderly = DeliveryControl(self)
        routes = [
            *AdminRoutes(self.runtime).routes(),
            Route("/_sim/health", control.health, methods=["GET"]),
            Route("/_sim/shops", control.add_shop, methods=["POST"]),
            Route("/_sim/shops", control.list_shops, methods=["GET"]),
            Route("/_sim/shops/{shop}/codes", control.list_codes, methods=["GET"]),
            Route("/_sim/shops/{shop}/customers", control.add_customer, methods=["POST"]),
            Route("/_sim/shops/{shop}/metafields", control.list_metafields, methods=["GET"]),
            Route("/_sim/shops/{shop}/products", control.list_products, methods=["GET"]),
            Route("/_sim/shops/{shop}/products", control.add_product, methods=["POST"]),
            Route("/_sim/shops/{shop}/session-token", control.session_token, methods=["POST"]),
            Route("/_sim/shops/{shop}/install", control.install, methods=["POST"]),
            Route("/_sim/shops/{shop}/orders", control.place_order, methods=["POST"]),
            Route("/_sim/shops/{shop}/webhooks", control.send_webhook, methods=["POST"]),
            Route("/_sim/shops/{shop}/webhooks/batch", disorderly.send_batch, methods=["POST"]),
            Route("/_sim/shops/{shop}/traffic", disorderly.replay_traffic, methods=["POST"]),
            Route("/_sim/shops/{shop}/uninstall", control.uninstall, methods=["POST"]),
            Route("/_sim/shops/{shop}/faults", control.add_faults, methods=["POST"]),
            Route("/_sim/shops/{shop}/faults", control.list_faults, methods=["GET"]),
            Route("/_sim/shops/{shop}/faults", control.clear_faults, methods=["DELETE"]),
            Route("/_sim/requests", control.requests, methods=["GET"]),
            Route("/_sim/deliveries", control.deliveries, methods=["GET"]),
            Route("/_sim/bulk/{shop}/{operation}.jsonl", self.graphql.bulk_result, methods=["GET"]),
            Route("/{shop}/admin/oauth/authorize", oauth.authorize, methods=["GET"]),
            Route("/{shop}/admin/oauth/access_token", oauth.access_token, methods=["POST"]),
            Route("/{shop}/admin/api/{version}/graphql.json", self.graphql.route, methods=["POST"]),
            Route("/{shop}/_storefront/checkout", control.storefront_checkout, methods=["POST"]),
            Route("/{shop}/discount/{code}", control.discount_link, methods=["GET"]),
            Route(
                f"/{{shop}}/{self.config.app_proxy_prefix}/{{subpath}}{{extra:path}}",
                control.app_proxy,
                methods=["GET", "POST"],
            ),
            Route("/{shop}/pages/{handle}", control.online_store_page, methods=["GET"]),
            Route("/{shop}/{locale}/pages/{handle}", control.online_store_page, methods=["GET"]),
            Route(
                "/{shop}/cdn/extensions/{extension}/assets/{name}",
                control.extension_asset,
                methods=["GET"],
            ),
        ]
        return Starlette(routes=routes, middleware=[Middleware(ShopHosts, store=self.store)])


def _product_view(product: Product) -> dict[str, Any]:
    return {
        "id": product.id,
        "gid": product.gid,
        "title": product.title,
        "image_url": product.featured_image_url,
        "variants": [
            {
                "id": v.id,
                "gid": v.gid,
                "title": v.title,
                "price": str(v.price),
                "sku": v.sku,
                "image_url": v.image_url,
            }
            for v in product.variants.values()
        ],
    }


def _line_items(raw: Any) -> list[LineItem]:
    if not raw:
        return [CATALOG[0]]
    items = []
    for entry in raw:
        base = CATALOG[int(entry.get("catalog_index", 0)) % len(CATALOG)]
        items.append(
            LineItem(
                title=str(entry.get("title", base.title)),
                price=Decimal(str(entry.get("price", base.price))),
                product_id=int(entry.get("product_id", base.product_id)),
                variant_id=int(entry.get("variant_id", base.variant_id)),
                quantity=int(entry.get("quantity", 1)),
                variant_title=entry.get("variant_title", base.variant_title),
                sku=str(entry.get("sku", base.sku)),
            )
        )
    return items


async def _json(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw:
        return {}
    loaded = json.loads(raw)
    return loaded if isinstance(loaded, dict) else {}


class ControlAPI:
    """`/_sim/...`: JSON control of the simulator for the demo and benchmarks in other processes."""

    def __init__(self, simulator: Simulator) -> None:
        self.sim = simulator

    async def health(self, _request: Request) -> Response:
        return JSONResponse({"ok": True, "shops": sorted(self.sim.store.shops)})

    async def add_shop(self, request: Request) -> Response:
        body = await _json(request)
        try:
            shop = self.sim.add_shop(
                str(body["name"]),
                plan=str(body.get("plan", "standard")),
                email=body.get("email"),
                currency=str(body.get("currency", "USD")),
                iana_timezone=str(body.get("iana_timezone", "America/New_York")),
                primary_locale=str(body.get("primary_locale", "en")),
            )
        except (KeyError, ValueError) as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        return JSONResponse({"shop": shop.domain, "id": shop.id, "plan": shop.plan}, 201)

    async def list_shops(self, _request: Request) -> Response:
        shops = [
            {"shop": s.domain, "id": s.id, "plan": s.plan, "installed": s.installed}
            for s in self.sim.store.shops.values()
        ]
        return JSONResponse({"shops": shops})

    async def list_codes(self, request: Request) -> Response:
        shop = request.path_params["shop"]
        discounts = self.sim.discounts(shop)
        now = self.sim.clock.now()
        return JSONResponse(
            {
                "discounts": [
                    {
                        "id": d.gid,
                        "title": d.title,
                        "status": d.status(now),
                        "usage_limit": d.usage_limit,
                        "usage_count": d.usage_count,
                        "customer_ids": None if d.customer_ids is None else sorted(d.customer_ids),
                        "codes": [c.code for c in d.codes],
                    }
                    for d in discounts
                ]
            }
        )

    async def add_customer(self, request: Request) -> Response:
        body = await _json(request)
        customer = self.sim.add_customer(
            request.path_params["shop"],
            str(body["email"]),
            first_name=body.get("first_name"),
            last_name=body.get("last_name"),
            locale=str(body.get("locale", "en")),
            accepts_marketing=bool(body.get("accepts_marketing", False)),
        )
        return JSONResponse({"id": customer.id, "gid": customer.gid}, status_code=201)

    async def list_products(self, request: Request) -> Response:
        return JSONResponse(
            {"products": [_product_view(p) for p in self.sim.products(request.path_params["shop"])]}
        )

    async def add_product(self, request: Request) -> Response:
        """Body: {"title", "image_url"?, "variants"?: [{"title", "price", "sku"?, "id"?,
        "image_url"?}]}."""
        body = await _json(request)
        try:
            variants = [
                VariantSpec(
                    title=str(v["title"]),
                    price=Decimal(str(v["price"])),
                    sku=str(v.get("sku", "")),
                    id=int(v["id"]) if v.get("id") is not None else None,
                    image_url=v.get("image_url"),
                )
                for v in body.get("variants") or []
            ]
            product = self.sim.add_product(
                request.path_params["shop"],
                str(body["title"]),
                variants=variants or None,
                image_url=body.get("image_url"),
            )
        except (KeyError, ValueError, ArithmeticError) as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        return JSONResponse(_product_view(product), status_code=201)

    async def list_metafields(self, request: Request) -> Response:
        items = [
            {
                "owner": m.owner_id,
                "namespace": m.namespace,
                "key": m.key,
                "type": m.type,
                "value": m.value,
            }
            for m in self.sim.metafields(request.path_params["shop"])
        ]
        return JSONResponse({"metafields": items})

    async def session_token(self, request: Request) -> Response:
        body = await _json(request)
        token = self.sim.mint_session_token(
            request.path_params["shop"],
            user_id=int(body.get("user_id", 1)),
            lifetime=float(body.get("lifetime", 60)),
        )
        return JSONResponse({"session_token": token})

    async def install(self, request: Request) -> Response:
        body = await _json(request)
        tokens = self.sim.install(
            request.path_params["shop"], expiring=bool(body.get("expiring", True))
        )
        return JSONResponse(
            {
                "access_token": tokens.access_token,
                "refresh_token": tokens.refresh_token,
                "scope": tokens.scope,
            }
        )

    async def place_order(self, request: Request) -> Response:
        body = await _json(request)
        shop = request.path_params["shop"]
        try:
            placed = self.sim.place_order(
                shop,
                email=body.get("email"),
                line_items=_line_items(body.get("line_items")),
                discount_code=body.get("discount_code"),
                checkout_token=body.get("checkout_token"),
            )
        except CheckoutError as error:
            return JSONResponse({"error": error.reason, "message": error.message}, 422)
        if body.get("send_webhooks", True):
            await self.sim.emit(shop, "orders/create", placed.order)
            await self.sim.emit(shop, "orders/paid", placed.order)
        return JSONResponse({"order": placed.order}, status_code=201)

    async def storefront_checkout(self, request: Request) -> Response:
        return await self.place_order(request)

    async def send_webhook(self, request: Request) -> Response:
        body = await _json(request)
        deliveries = await self.sim.emit(
            request.path_params["shop"],
            str(body["topic"]),
            dict(body["payload"]),
            duplicate=bool(body.get("duplicate", False)),
            delay=float(body.get("delay", 0.0)),
        )
        return JSONResponse({"deliveries": [delivery_view(d) for d in deliveries]})

    async def uninstall(self, request: Request) -> Response:
        deliveries = await self.sim.uninstall(request.path_params["shop"])
        return JSONResponse({"deliveries": [delivery_view(d) for d in deliveries]})

    async def add_faults(self, request: Request) -> Response:
        """{"kind": "429"|"502"|"503"|"504"|"garbled"|"drop"|"stall", "count": N,
        "retry_after": s, "delay": s}: the shop's next N Admin API calls fail so."""
        body = await _json(request)
        shop = request.path_params["shop"]
        try:
            fault = parse_fault(body.get("kind"), body.get("retry_after"), body.get("delay"))
            count = int(body.get("count", 1))
            self.sim.graphql.faults.add(self.sim.shop(shop).domain, fault, count)
        except (KeyError, TypeError, ValueError) as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        return JSONResponse({"pending": self.sim.pending_faults(shop)}, status_code=201)

    async def list_faults(self, request: Request) -> Response:
        return JSONResponse({"pending": self.sim.pending_faults(request.path_params["shop"])})

    async def clear_faults(self, request: Request) -> Response:
        self.sim.clear_faults(request.path_params["shop"])
        return JSONResponse({"pending": 0})

    async def requests(self, _request: Request) -> Response:
        return JSONResponse(
            {
                "requests": [
                    {
                        "shop": r.shop,
                        "status": r.status,
                        "requested_cost": r.requested_cost,
                        "actual_cost": r.actual_cost,
                        "throttled": r.throttled,
                        "fault": r.fault,
                    }
                    for r in self.sim.store.requests
                ]
            }
        )

    async def deliveries(self, _request: Request) -> Response:
        return JSONResponse(
            {"deliveries": [delivery_view(d) for d in self.sim.webhooks.deliveries]}
        )

    async def app_proxy(self, request: Request) -> Response:
        """`/{prefix}/{subpath}/…` on the storefront: forwarded to the app, signed. Who is
        logged in is the simulator's stand-in for the storefront session, the
        `storefront_customer_id` cookie (Shopify strips cookies before forwarding)."""
        if request.path_params["subpath"] != self.sim.config.app_proxy_subpath:
            return JSONResponse({"errors": "Not Found"}, status_code=404)
        logged_in = request.cookies.get(STOREFRONT_CUSTOMER_COOKIE, "")
        answer = await self.sim.storefront_proxy(
            request.path_params["shop"],
            request.method,
            request.path_params["extra"] or "/",
            customer_id=int(logged_in) if logged_in.isdigit() else None,
            query=list(request.query_params.multi_items()),
            body=await request.body(),
            headers=dict(request.headers),
        )
        kept = {
            k: v
            for k, v in answer.headers.items()
            if k.lower() in ("content-type", "retry-after", "cache-control")
        }
        return Response(answer.content, status_code=answer.status_code, headers=kept)

    async def online_store_page(self, request: Request) -> Response:
        """A storefront page (`/pages/{handle}`, `/{locale}/pages/{handle}` in another of the
        shop's languages) of a minimal theme carrying the app's theme app extension: its
        section blocks in the page, its app embeds before `</body>`. The visitor is logged in
        when the `storefront_customer_id` cookie names one of the shop's customers."""
        extension = self.sim.theme_extension
        try:
            shop = self.sim.shop(request.path_params["shop"])
        except (KeyError, ValueError):
            return PlainTextResponse("Not Found", status_code=404)
        locale = request.path_params.get("locale", shop.locales[0])
        if extension is None or locale not in shop.locales:
            return PlainTextResponse("Not Found", status_code=404)
        logged_in = request.cookies.get(STOREFRONT_CUSTOMER_COOKIE, "")
        customer = shop.customers.get(int(logged_in)) if logged_in.isdigit() else None
        host = request.headers.get("host", "")
        at_shop_host = host.split(":", 1)[0] == shop.domain
        base = f"{request.url.scheme}://{host}" + ("" if at_shop_host else f"/{shop.domain}")
        page = StorefrontPage(shop=shop, customer=customer, locale=locale, base=base)
        html = render_page(
            extension,
            page,
            app_id=self.sim.config.app_id,
            title=request.path_params["handle"].replace("-", " ").capitalize(),
            settings=self.sim.theme_settings,
        )
        return HTMLResponse(html, headers={"Cache-Control": "private, no-store"})

    async def extension_asset(self, request: Request) -> Response:
        """A theme app extension's asset, as Shopify's CDN serves it."""
        extension = self.sim.theme_extension
        name = request.path_params["name"]
        if (
            extension is None
            or request.path_params["extension"] != extension.handle
            or "/" in name
            or name.startswith(".")
        ):
            return PlainTextResponse("Not Found", status_code=404)
        path = extension.root / "assets" / name
        if not path.is_file():
            return PlainTextResponse("Not Found", status_code=404)
        kinds = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
        return Response(
            path.read_bytes(), media_type=kinds.get(path.suffix, "application/octet-stream")
        )

    async def discount_link(self, request: Request) -> Response:
        """`/discount/{CODE}?redirect=/path`: the storefront sets the code and redirects."""
        shop = request.path_params["shop"]
        code = request.path_params["code"]
        target = request.query_params.get("redirect", "/")
        if not target.startswith("/") or target.startswith("//"):
            target = "/"
        response = RedirectResponse(f"/{shop}{target}", status_code=302)
        response.set_cookie("discount_code", quote(code), path="/")
        return response


def create_simulator(
    config: SimulatorConfig | None = None,
    *,
    clock: Clock | None = None,
    webhook_transport: httpx.AsyncBaseTransport | None = None,
) -> tuple[Starlette, Simulator]:
    """The ASGI app and its Python handle."""
    simulator = Simulator(config, clock=clock, webhook_transport=webhook_transport)
    return simulator.app(), simulator


def run(
    host: str = "127.0.0.1",
    port: int = 8765,
    *,
    config: SimulatorConfig | None = None,
    shops: list[str] | None = None,
) -> None:
    """Serve the simulator with uvicorn until interrupted."""
    import uvicorn

    app, simulator = create_simulator(config)
    for name in shops or []:
        simulator.add_shop(name)
    uvicorn.run(app, host=host, port=port, log_level="info")
