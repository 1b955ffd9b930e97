"""The abandoned cart's rule, as pure functions over plain snapshots: whether a checkout may be
reminded (the same decision when its run starts, before each step, and when the outbox is
about to send), what stored but unprocessed deliveries say about it, when a change restarts
the clock, which run of a shopper's wins, whether an order stops a run or is attributed to
it, and what the reminder shows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from app.scenarios.abandoned_cart.content import (
    CHECKOUT_COMPLETED,
    CHECKOUT_EMPTIED,
    CUSTOMER_ORDERED,
    NO_CONSENT,
    NO_CONTACT,
    ORDER_PLACED,
    SCENARIO_PAUSED,
    SHOP_UNINSTALLED,
    UNSUBSCRIBED,
)
from app.scenarios.abandoned_cart.settings import AbandonedCartSettings
from app.scenarios.engine import StepPlan
from app.scenarios.modes import Mode

MARKETING_OK = frozenset({"subscribed"})


@dataclass(frozen=True)
class CheckoutSnapshot:
    """A checkout as the rule reads it."""

    token: str
    completed: bool
    line_items: tuple[Mapping[str, Any], ...]
    total_price: Decimal | None = None
    currency: str | None = None
    presentment_currency: str | None = None
    abandoned_checkout_url: str | None = None
    locale: str | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class CartState:
    """Everything the decision to remind reads, at one moment."""

    shop_installed: bool
    mode: Mode
    transactional: bool
    checkout: CheckoutSnapshot | None
    # The address the reminder would go to: the checkout's, else its customer's.
    contact_email: str | None
    # An order carries this checkout's token (it may arrive before the checkout's events).
    ordered_for_checkout: bool
    # The shopper (by id or email) placed an order since the checkout was last changed.
    ordered_since_changed: bool
    # The customer's email marketing state; None when there is no customer record.
    marketing_state: str | None = None
    has_customer: bool = False


@dataclass(frozen=True)
class InboxOrder:
    """An orders/* delivery stored in the inbox but not processed yet (its job lost with
    Redis, still queued behind others, or failing), as its raw body tells it."""

    checkout_token: str | None
    # Shopify's customer id (not ours): the body is Shopify's.
    customer_id: int | None
    email: str | None
    placed_at: datetime | None


@dataclass(frozen=True)
class InboxCheckout:
    """A checkouts/* delivery stored but not processed yet."""

    token: str | None
    completed: bool


def inbox_orders_against(
    orders: Sequence[InboxOrder],
    token: str,
    customer_id: int | None,
    email: str | None,
    since: datetime,
) -> tuple[bool, bool]:
    """What the unprocessed order deliveries say, as `orders_against` says it of the stored
    orders: whether one carries the checkout's token, and whether the shopper (by Shopify
    customer id or email) placed one at or after `since`. An order whose time cannot be read
    counts: a reminder held back wrongly costs less than one sent after the purchase."""
    for_checkout = any(order.checkout_token == token for order in orders)
    wanted = email.strip().lower() if email else None

    def same_shopper(order: InboxOrder) -> bool:
        by_id = customer_id is not None and order.customer_id == customer_id
        by_email = wanted is not None and (order.email or "").strip().lower() == wanted
        return by_id or by_email

    since_changed = any(
        same_shopper(order) and (order.placed_at is None or order_stops_run(since, order.placed_at))
        for order in orders
    )
    return for_checkout, since_changed


def inbox_completes(checkouts: Sequence[InboxCheckout], token: str) -> bool:
    """Whether an unprocessed delivery of this checkout says it was completed (a completion
    is never undone, so its order among the deliveries does not matter)."""
    return any(c.token == token and c.completed for c in checkouts)


def why_not_remind(cart: CartState) -> str | None:
    """Why this checkout must not be (or no longer be) reminded, or None. Decides when a run
    would start and, through why_not_send, before every reminder."""
    checkout = cart.checkout
    if not cart.shop_installed:
        return SHOP_UNINSTALLED
    if cart.mode == Mode.PAUSED:
        return SCENARIO_PAUSED
    if checkout is None or checkout.completed:
        return CHECKOUT_COMPLETED
    if not checkout.line_items:
        return CHECKOUT_EMPTIED
    if not cart.contact_email:
        return NO_CONTACT
    if cart.ordered_for_checkout:
        # The order arrived before this checkout's events: never remind.
        return ORDER_PLACED
    if cart.ordered_since_changed:
        return CUSTOMER_ORDERED
    return None


def why_not_send(cart: CartState) -> str | None:
    """The same decision, plus the consent a reminder needs when it goes (a shopper may
    subscribe between the abandonment and the first reminder): before each step and in the
    outbox's last check."""
    reason = why_not_remind(cart)
    if reason is not None:
        return reason
    if cart.has_customer and cart.marketing_state == "unsubscribed":
        return UNSUBSCRIBED
    if not cart.transactional and (
        not cart.has_customer or cart.marketing_state not in MARKETING_OK
    ):
        return NO_CONSENT
    return None


def noted_when_not_started(reason: str) -> bool:
    """Whether a run that does not start says so on the customer's timeline: not for a
    checkout without a contact or items (nothing a merchant would look for)."""
    return reason not in (NO_CONTACT, CHECKOUT_EMPTIED)


def why_stop_on_change(checkout: CheckoutSnapshot) -> str | None:
    """A newer version of a running checkout stops its run when it was completed or emptied."""
    if checkout.completed:
        return CHECKOUT_COMPLETED
    if not checkout.line_items:
        return CHECKOUT_EMPTIED
    return None


def restarts_clock(step_index: int, anchor_at: datetime, changed_at: datetime | None) -> bool:
    """Before the first reminder, a change to the checkout restarts the abandonment clock."""
    return step_index == 0 and changed_at is not None and changed_at > anchor_at


def steps(settings: AbandonedCartSettings) -> list[StepPlan]:
    return [
        StepPlan(step.key, timedelta(seconds=step.delay_seconds), step.enabled)
        for step in settings.steps
    ]


@dataclass(frozen=True)
class RunRef:
    """A run as the supersede decision reads it."""

    id: int
    anchor_at: datetime


def newest(runs: Sequence[RunRef]) -> RunRef:
    """One reminder sequence per shopper at a time: the newest checkout (by Shopify's
    updated_at, not by which delivery was processed first) wins."""
    return max(runs, key=lambda r: (r.anchor_at, r.id))


def order_stops_run(anchor_at: datetime, placed_at: datetime) -> bool:
    """An order of the shopper stops a running sequence when it was placed since the checkout
    was last changed (its own time, not ours)."""
    return anchor_at <= placed_at


def engagement_attributes(
    engaged_at: datetime | None, placed_at: datetime, window: timedelta
) -> bool:
    """An order placed within the window after a person opened or clicked a reminder is
    attributed to it. Shopify's timestamps have whole seconds: an order in the second of the
    click counts."""
    if engaged_at is None:
        return False
    engaged = engaged_at.replace(microsecond=0)
    return engaged <= placed_at <= engaged + window


def variant_ids(checkout: CheckoutSnapshot | None) -> tuple[int, ...]:
    if checkout is None:
        return ()
    found = [item.get("variant_id") for item in checkout.line_items]
    return tuple(dict.fromkeys(v for v in found if isinstance(v, int)))


def recovery_link(url: str | None, code: str | None) -> str | None:
    """Shopify's recovery URL with the code applied (`discount=CODE`)."""
    if url is None or code is None:
        return url
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}discount={code}"


def cart_context(
    checkout: CheckoutSnapshot, shop_currency: str | None, images: Mapping[int, str]
) -> dict[str, Any]:
    """What the reminder's template reads about the cart."""
    items = [
        {
            "title": item.get("presentment_title") or item.get("title"),
            "variant_title": item.get("presentment_variant_title") or item.get("variant_title"),
            "quantity": item.get("quantity"),
            "price": item.get("price"),
            "image_url": item.get("image_url") or images.get(item.get("variant_id") or 0),
        }
        for item in checkout.line_items
    ]
    return {
        "items": items,
        "cart_total": str(checkout.total_price) if checkout.total_price is not None else None,
        "currency": checkout.presentment_currency or checkout.currency or shop_currency,
        "checkout_url": checkout.abandoned_checkout_url,
        "checkout_token": checkout.token,
    }
