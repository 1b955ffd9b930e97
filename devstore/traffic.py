"""Seeded store traffic: customers browse, check out, abandon, come back, buy, get refunds; new
subscribers sign up (some without consent, subscribing days later); and the store's history
holds customers whose last orders are months old (lapsed: what win-back looks for).

`TrafficGenerator.events()` yields `(simulated time, topic, payload)` in time order for a span of
simulated days; the same seed gives the same sequence. `replay` delivers them as webhooks, as fast
as possible or paced against the wall clock, tidily or disordered (devstore.disorder).
"""

from __future__ import annotations

import asyncio
import heapq
import random
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from devstore.disorder import Disorder, Disorderer
from devstore.payloads import CATALOG, LineItem, Payloads, consent_block
from devstore.products import stock_catalog
from devstore.state import Customer, Shop
from devstore.storefront import CheckoutError, Storefront

if TYPE_CHECKING:
    from devstore.server import Simulator
    from devstore.webhooks import Delivery

FIRST_NAMES = (
    "Ana",
    "Bruno",
    "Chloé",
    "Dev",
    "Elif",
    "Farid",
    "Gaëlle",
    "Hugo",
    "Inès",
    "Jonas",
    "Kenji",
    "Léa",
    "Marta",
    "Noah",
    "Océane",
    "Priya",
    "Quentin",
    "Rosa",
    "Sami",
    "Théo",
    "Uma",
    "Victor",
    "Wen",
    "Yasmine",
    "Zoé",
)
LAST_NAMES = (
    "Martin",
    "Bernard",
    "Dubois",
    "Nguyen",
    "Smith",
    "Garcia",
    "Rossi",
    "Müller",
    "Okafor",
    "Tanaka",
    "Lefebvre",
    "Moreau",
    "Kowalski",
    "Silva",
    "Cohen",
)

# Asked when an abandoned checkout is recovered: the code the app sent this customer, if any.
CodeChooser = Callable[[Customer, dict[str, Any]], str | None]


@dataclass(frozen=True)
class TrafficSettings:
    seed: int = 1
    days: float = 7.0
    sessions_per_day: float = 40.0
    start: datetime = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    abandon_rate: float = 0.65
    recover_rate: float = 0.3
    recover_with_code_rate: float = 0.8
    guest_share: float = 0.08
    returning_share: float = 0.3
    referral_share: float = 0.1
    consent_share: float = 0.55
    french_share: float = 0.3
    fulfill_rate: float = 0.85
    # How long after the order a fulfilled order is fulfilled, in days (drawn uniformly).
    fulfill_after_days: tuple[float, float] = (0.5, 3.0)
    # Of the fulfilled orders, the share whose carrier reports the delivery (Shopify then
    # sends fulfillment_events/create and fulfillments/update), 1 to 5 days later. Off by
    # default: many shipments carry no tracking that reports deliveries, and a seed's traffic
    # stays what it was before deliveries existed.
    deliver_rate: float = 0.0
    cancel_rate: float = 0.04
    refund_rate: float = 0.08
    unsubscribe_rate: float = 0.03
    # Sign-ups without a checkout (a newsletter form, an account): the welcome series' public.
    signups_per_day: float = 4.0
    signup_consent_share: float = 0.6
    # Of the sign-ups without consent, how many subscribe later (the consent topic).
    subscribe_later_share: float = 0.5
    # Of the sign-ups, how many place a first order within a week (it ends their welcome).
    signup_order_share: float = 0.3
    # Customers whose orders are months old, delivered at the start as the store's history.
    lapsed_customers: int = 12


@dataclass(frozen=True)
class TrafficEvent:
    at: datetime
    topic: str
    payload: dict[str, Any]
    note: str = ""


@dataclass
class _Checkout:
    token: str
    cart_token: str
    customer: Customer | None
    email: str | None
    items: list[LineItem]
    created_at: datetime
    locale: str
    checkout_id: int
    referred_by: Customer | None = None
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(order=True)
class _Scheduled:
    at: datetime
    seq: int
    action: Callable[[datetime], list[TrafficEvent]] = field(compare=False)


class TrafficGenerator:
    """A realistic week (or any span) of one store, driven by `random.Random(seed)`."""

    def __init__(
        self,
        storefront: Storefront,
        shop: Shop,
        settings: TrafficSettings | None = None,
        *,
        code_for: CodeChooser | None = None,
    ) -> None:
        self.storefront = storefront
        self.shop = shop
        self.settings = settings or TrafficSettings()
        self.code_for = code_for
        self.rng = random.Random(self.settings.seed)
        self.payloads = Payloads(shop, storefront.runtime.store.ids, self._hex)
        # Sign-ups and the store's history draw from their own generator, so the checkout
        # traffic of a seed stays what it was before they existed.
        self.journeys_rng = random.Random(f"journeys-{self.settings.seed}")
        self.journey_payloads = Payloads(shop, storefront.runtime.store.ids, self._journeys_hex)
        # Deliveries draw from their own generator (and their event ids from it): turning them
        # on changes nothing else of a seed's traffic.
        self.deliveries_rng = random.Random(f"deliveries-{self.settings.seed}")
        # What the carts hold exists as products (with images) in the shop's Admin API.
        stock_catalog(shop, self.settings.start)
        self.known: list[Customer] = []
        self._queue: list[_Scheduled] = []
        self._seq = 0
        self._end = self.settings.start + timedelta(days=self.settings.days)

    def _hex(self, size: int) -> str:
        return f"{self.rng.getrandbits(8 * size):0{2 * size}x}"

    def _journeys_hex(self, size: int) -> str:
        return f"{self.journeys_rng.getrandbits(8 * size):0{2 * size}x}"

    def _schedule(self, at: datetime, action: Callable[[datetime], list[TrafficEvent]]) -> None:
        if at <= self._end:
            self._seq += 1
            heapq.heappush(self._queue, _Scheduled(at, self._seq, action))

    def events(self) -> Iterator[TrafficEvent]:
        """All events of the span in time order (computed lazily, so hooks see the live shop)."""
        rate = self.settings.sessions_per_day / 86400.0
        at = self.settings.start
        while True:
            at = at + timedelta(seconds=self.rng.expovariate(rate))
            if at > self._end:
                break
            self._schedule(at, self._session)
        if self.settings.lapsed_customers > 0:
            self._schedule(self.settings.start, self._history)
        signup_rate = self.settings.signups_per_day / 86400.0
        at = self.settings.start
        while signup_rate > 0:
            at = at + timedelta(seconds=self.journeys_rng.expovariate(signup_rate))
            if at > self._end:
                break
            self._schedule(at, self._signup)
        while self._queue:
            item = heapq.heappop(self._queue)
            yield from item.action(item.at)

    # -- actions ----------------------------------------------------------------------------

    def _new_customer(self, at: datetime) -> Customer:
        customer = self._person(self.rng, at, consent_share=self.settings.consent_share)
        self.known.append(customer)
        return customer

    def _person(self, rng: random.Random, at: datetime, *, consent_share: float) -> Customer:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        email = f"{first.lower()}.{last.lower()}.{rng.randrange(10_000)}@example.com"
        email = email.replace("é", "e").replace("ë", "e").replace("ü", "u")
        customer, _created = self.storefront.ensure_customer(
            self.shop,
            email,
            first_name=first,
            last_name=last,
            locale="fr" if rng.random() < self.settings.french_share else "en",
            accepts_marketing=rng.random() < consent_share,
            at=at,
        )
        return customer

    def _cart(self) -> list[LineItem]:
        picks = self.rng.sample(CATALOG, k=self.rng.choice((1, 1, 2, 2, 3)))
        return [
            LineItem(
                p.title,
                p.price,
                p.product_id,
                p.variant_id,
                self.rng.choice((1, 1, 1, 2)),
                p.variant_title,
                p.sku,
                p.vendor,
                p.grams,
            )
            for p in picks
        ]

    def _session(self, at: datetime) -> list[TrafficEvent]:
        rng, settings = self.rng, self.settings
        events: list[TrafficEvent] = []
        customer: Customer | None = None
        referrer: Customer | None = None
        roll = rng.random()
        if self.known and roll < settings.returning_share:
            customer = rng.choice(self.known)
            note = "returning customer"
        elif roll < settings.returning_share + settings.guest_share:
            note = "guest without email"
        else:
            if self.known and rng.random() < settings.referral_share:
                referrer = rng.choice(self.known)
            customer = self._new_customer(at)
            note = "referred friend" if referrer else "new customer"
            events.append(
                TrafficEvent(at, "customers/create", self.payloads.customer(customer), note)
            )
        checkout = _Checkout(
            token=self._hex(16),
            cart_token=self._hex(16),
            customer=customer,
            email=customer.email if customer else None,
            items=self._cart(),
            created_at=at,
            locale=customer.locale if customer else "en",
            checkout_id=self.storefront.runtime.store.ids.next(),
            referred_by=referrer,
        )
        events.append(TrafficEvent(at, "checkouts/create", self._checkout_body(checkout, at), note))
        self._schedule(at + timedelta(seconds=rng.uniform(30, 240)), self._checkout_touch(checkout))
        if rng.random() >= settings.abandon_rate:
            wait = timedelta(seconds=rng.uniform(300, 1500))
            self._schedule(at + wait, self._completion(checkout, recovered=False))
        elif checkout.email and rng.random() < settings.recover_rate:
            wait = timedelta(hours=rng.uniform(1, 72))
            self._schedule(at + wait, self._completion(checkout, recovered=True))
        if customer and rng.random() < settings.unsubscribe_rate:
            self._schedule(at + timedelta(days=rng.uniform(1, 5)), self._unsubscribe(customer))
        return events

    def _checkout_body(
        self, checkout: _Checkout, at: datetime, completed_at: datetime | None = None
    ) -> dict[str, Any]:
        body = self.payloads.checkout(
            token=checkout.token,
            cart_token=checkout.cart_token,
            email=checkout.email,
            customer=checkout.customer,
            line_items=checkout.items,
            created_at=checkout.created_at,
            updated_at=at,
            locale=checkout.locale,
            completed_at=completed_at,
            checkout_id=checkout.checkout_id,
        )
        if checkout.referred_by is not None:
            body["landing_site"] = f"/?ref=REF-{checkout.referred_by.id}"
        checkout.payload = body
        return body

    def _checkout_touch(self, checkout: _Checkout) -> Callable[[datetime], list[TrafficEvent]]:
        def touch(at: datetime) -> list[TrafficEvent]:
            if self.rng.random() < 0.3 and len(checkout.items) < len(CATALOG):
                extra = self.rng.choice([p for p in CATALOG if p not in checkout.items])
                checkout.items.append(extra)
            return [TrafficEvent(at, "checkouts/update", self._checkout_body(checkout, at))]

        return touch

    def _completion(
        self, checkout: _Checkout, *, recovered: bool
    ) -> Callable[[datetime], list[TrafficEvent]]:
        def complete(at: datetime) -> list[TrafficEvent]:
            code = None
            chooser = self.code_for
            if (
                recovered
                and checkout.customer is not None
                and chooser is not None
                and self.rng.random() < self.settings.recover_with_code_rate
            ):
                code = chooser(checkout.customer, checkout.payload)
            note = "recovered checkout" if recovered else "checkout completed"
            try:
                placed = self._place(checkout, at, code)
                if code:
                    note += f"; redeemed {code}"
            except CheckoutError as refused:
                placed = self._place(checkout, at, None)
                note += f"; code {code} refused ({refused.reason})"
            order = placed.order
            events = [
                TrafficEvent(at, "checkouts/update", self._checkout_body(checkout, at, at), note),
                TrafficEvent(at, "orders/create", order, note),
                TrafficEvent(at, "orders/paid", order, note),
            ]
            if checkout.customer is not None:
                events.append(
                    TrafficEvent(at, "customers/update", self.payloads.customer(checkout.customer))
                )
            roll = self.rng.random()
            if roll < self.settings.cancel_rate:
                later = at + timedelta(hours=self.rng.uniform(1, 12))
                self._schedule(later, self._cancel(order))
            elif roll < self.settings.cancel_rate + self.settings.fulfill_rate:
                later = at + timedelta(days=self.rng.uniform(*self.settings.fulfill_after_days))
                self._schedule(later, self._fulfill(order))
            return events

        return complete

    def _place(self, checkout: _Checkout, at: datetime, code: str | None) -> Any:
        placed = self.storefront.place_order(
            self.shop,
            email=checkout.email,
            line_items=checkout.items,
            customer=checkout.customer,
            discount_code=code,
            checkout_token=checkout.token,
            cart_token=checkout.cart_token,
            locale=checkout.locale,
            at=at,
            token_hex=self._hex,
        )
        if checkout.referred_by is not None:
            placed.order["landing_site"] = f"/?ref=REF-{checkout.referred_by.id}"
        return placed

    def _fulfill(self, order: dict[str, Any]) -> Callable[[datetime], list[TrafficEvent]]:
        def fulfill(at: datetime) -> list[TrafficEvent]:
            body = self.payloads.order_fulfilled(order, at)
            self.shop.orders[int(order["id"])] = body
            if self.rng.random() < self.settings.refund_rate:
                later = at + timedelta(days=self.rng.uniform(2, 10))
                self._schedule(later, self._refund(body))
            deliveries = self.deliveries_rng
            if self.settings.deliver_rate > 0 and deliveries.random() < self.settings.deliver_rate:
                later = at + timedelta(days=deliveries.uniform(1, 5))
                self._schedule(later, self._deliver(int(body["id"])))
            return [
                TrafficEvent(at, "orders/fulfilled", body),
                TrafficEvent(at, "orders/updated", body),
            ]

        return fulfill

    def _deliver(self, order_id: int) -> Callable[[datetime], list[TrafficEvent]]:
        def deliver(at: datetime) -> list[TrafficEvent]:
            order, event, fulfillment = self.payloads.fulfillment_delivered(
                self.shop.orders[order_id],
                at,
                event_id=self.deliveries_rng.randrange(10**11, 10**12),
            )
            self.shop.orders[order_id] = order
            return [
                TrafficEvent(at, "fulfillment_events/create", event, "delivered"),
                TrafficEvent(at, "fulfillments/update", fulfillment, "delivered"),
            ]

        return deliver

    def _cancel(self, order: dict[str, Any]) -> Callable[[datetime], list[TrafficEvent]]:
        def cancel(at: datetime) -> list[TrafficEvent]:
            body = self.payloads.order_cancelled(order, at)
            self.shop.orders[int(order["id"])] = body
            return [
                TrafficEvent(at, "orders/cancelled", body),
                TrafficEvent(at, "orders/updated", body),
            ]

        return cancel

    def _refund(self, order: dict[str, Any]) -> Callable[[datetime], list[TrafficEvent]]:
        def refund(at: datetime) -> list[TrafficEvent]:
            body = self.payloads.refund(order, at)
            updated = self.payloads.order_update(order, at)
            updated["financial_status"] = "partially_refunded"
            updated["refunds"] = [body]
            self.shop.orders[int(order["id"])] = updated
            return [
                TrafficEvent(at, "refunds/create", body),
                TrafficEvent(at, "orders/updated", updated),
            ]

        return refund

    def _signup(self, at: datetime) -> list[TrafficEvent]:
        """Someone signs up without buying: customers/create, with consent or not. Some
        without it subscribe a few days later; some place a first order within a week."""
        rng, settings = self.journeys_rng, self.settings
        customer = self._person(rng, at, consent_share=settings.signup_consent_share)
        if (
            customer.marketing_state != "SUBSCRIBED"
            and rng.random() < settings.subscribe_later_share
        ):
            self._schedule(at + timedelta(days=rng.uniform(0.3, 3)), self._subscribe(customer))
        if rng.random() < settings.signup_order_share:
            self._schedule(at + timedelta(days=rng.uniform(0.5, 7)), self._first_order(customer))
        return [
            TrafficEvent(
                at, "customers/create", self.journey_payloads.customer(customer), "new sign-up"
            )
        ]

    def _subscribe(self, customer: Customer) -> Callable[[datetime], list[TrafficEvent]]:
        def subscribe(at: datetime) -> list[TrafficEvent]:
            if customer.marketing_state == "SUBSCRIBED":
                return []
            customer.marketing_state = "SUBSCRIBED"
            customer.marketing_opt_in_level = "SINGLE_OPT_IN"
            customer.consent_updated_at = at
            customer.updated_at = at
            body = {
                "customer_id": customer.id,
                "email_address": customer.email,
                "email_marketing_consent": consent_block(customer, self.journey_payloads.time(at)),
            }
            return [
                TrafficEvent(
                    at, "customers_email_marketing_consent/update", body, "subscribed later"
                )
            ]

        return subscribe

    def _first_order(self, customer: Customer) -> Callable[[datetime], list[TrafficEvent]]:
        def first_order(at: datetime) -> list[TrafficEvent]:
            order = self._order_for(customer, at)
            customer_body = self.journey_payloads.customer(customer)
            return [
                TrafficEvent(at, "orders/create", order, "sign-up's first order"),
                TrafficEvent(at, "orders/paid", order, "sign-up's first order"),
                TrafficEvent(at, "customers/update", customer_body, "sign-up's first order"),
            ]

        return first_order

    def _order_for(self, customer: Customer, at: datetime) -> dict[str, Any]:
        rng = self.journeys_rng
        items = [
            LineItem(
                p.title,
                p.price,
                p.product_id,
                p.variant_id,
                rng.choice((1, 1, 2)),
                p.variant_title,
                p.sku,
                p.vendor,
                p.grams,
            )
            for p in rng.sample(CATALOG, k=rng.choice((1, 2)))
        ]
        placed = self.storefront.place_order(
            self.shop,
            email=customer.email,
            line_items=items,
            customer=customer,
            locale=customer.locale,
            at=at,
            token_hex=self._journeys_hex,
        )
        order: dict[str, Any] = placed.order
        return order

    def _history(self, at: datetime) -> list[TrafficEvent]:
        """The store's past, delivered at the start: customers whose orders are months old.
        Two in three last ordered 100–300 days ago; the others bought every 20–40 days and
        stopped 70–85 days ago (lapsed by their own rhythm, not yet by 90 days). Each order
        carries its own past date; the customer comes embedded in it, so no sign-up is said."""
        rng = self.journeys_rng
        events: list[TrafficEvent] = []
        for index in range(self.settings.lapsed_customers):
            rhythmic = index % 3 == 2
            joined = at - timedelta(days=rng.uniform(400, 700))
            customer = self._person(rng, joined, consent_share=0.85)
            if rhythmic:
                gap = rng.uniform(20, 40)
                last = at - timedelta(days=rng.uniform(70, 85))
                dates = [last - timedelta(days=gap * n) for n in range(rng.choice((3, 4, 5)))]
            else:
                last = at - timedelta(days=rng.uniform(100, 300))
                dates = [last - timedelta(days=rng.uniform(30, 90) * n) for n in range(2)][
                    : rng.choice((1, 2))
                ]
            for placed_at in sorted(dates):
                order = self._order_for(customer, placed_at)
                events.append(TrafficEvent(at, "orders/create", order, "store history"))
        return events

    def _unsubscribe(self, customer: Customer) -> Callable[[datetime], list[TrafficEvent]]:
        def unsubscribe(at: datetime) -> list[TrafficEvent]:
            customer.marketing_state = "UNSUBSCRIBED"
            customer.consent_updated_at = at
            customer.updated_at = at
            return [
                TrafficEvent(
                    at, "customers/update", self.payloads.customer(customer), "unsubscribed"
                )
            ]

        return unsubscribe


async def paced(
    events: Iterable[TrafficEvent], *, speed: float | None = None
) -> AsyncIterator[TrafficEvent]:
    """Yield events, sleeping between them: `speed` simulated seconds per real second (None: no
    sleep; 1.0: real time; 3600: an hour a second)."""
    previous: datetime | None = None
    for event in events:
        if speed is not None and previous is not None:
            gap = (event.at - previous).total_seconds() / speed
            if gap > 0:
                await asyncio.sleep(gap)
        previous = event.at
        yield event


async def replay(
    events: Iterable[TrafficEvent],
    simulator: Simulator,
    shop: str,
    *,
    speed: float | None = None,
    disorder: Disorder | None = None,
) -> list[Delivery]:
    """Deliver the events as webhooks from `shop`, with their simulated times as triggered-at.

    `disorder` makes the delivery misbehave as Shopify's may, reproducibly for its seed: some
    posted twice, each window of `reorder_window` events shuffled, some held back. Returns the
    deliveries in the order they were sent (delayed ones when they were scheduled)."""
    mixer = Disorderer(disorder)
    deliveries: list[Delivery] = []
    window: list[TrafficEvent] = []
    async for event in paced(events, speed=speed):
        window.append(event)
        if len(window) >= mixer.window:
            deliveries.extend(await _deliver_window(window, mixer, simulator, shop))
            window = []
    deliveries.extend(await _deliver_window(window, mixer, simulator, shop))
    return deliveries


async def _deliver_window(
    window: list[TrafficEvent], mixer: Disorderer, simulator: Simulator, shop: str
) -> list[Delivery]:
    sent: list[Delivery] = []
    for event in mixer.shuffle(window):
        mishap = mixer.mishap()
        sent.extend(
            await simulator.emit(
                shop,
                event.topic,
                event.payload,
                at=event.at,
                duplicate=mishap.duplicate,
                delay=mishap.delay,
                drop=mishap.drop,
            )
        )
    return sent
