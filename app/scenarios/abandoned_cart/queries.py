"""The abandoned cart's SQL, shop id first: the checkout and its shopper, the orders that stop
or recover a run (stored, or still unprocessed in the webhook inbox), the lock that
serializes one shopper's decisions, and the conversions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    case,
    exists,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.inbox import backlog
from app.messaging.outbox import Status
from app.models import (
    Checkout,
    Customer,
    Message,
    Order,
    ScenarioRun,
    WebhookEvent,
    WebhookEventStatus,
)
from app.scenarios import runs, shoppers
from app.scenarios.abandoned_cart.content import KEY
from app.scenarios.abandoned_cart.rule import CheckoutSnapshot, InboxCheckout, InboxOrder


def snapshot(checkout: Checkout) -> CheckoutSnapshot:
    return CheckoutSnapshot(
        token=checkout.token,
        completed=checkout.completed_at is not None,
        line_items=tuple(checkout.line_items),
        total_price=checkout.total_price,
        currency=checkout.currency,
        presentment_currency=checkout.presentment_currency,
        abandoned_checkout_url=checkout.abandoned_checkout_url,
        locale=checkout.locale,
        updated_at=checkout.shopify_updated_at,
    )


def same_shopper(
    model: type[Order] | type[ScenarioRun], customer_id: int | None, email: str | None
) -> ColumnElement[bool] | None:
    """Rows of the same shopper: by customer id or by email (guests, and customers known
    under one email before Shopify linked them). None when there is nothing to match on."""
    who: list[ColumnElement[bool]] = []
    if customer_id is not None:
        who.append(model.customer_id == customer_id)
    if email:
        who.append(func.lower(model.email) == email.lower())
    return or_(*who) if who else None


async def orders_against(
    session: AsyncSession,
    shop_id: int,
    token: str,
    customer_id: int | None,
    email: str | None,
    since: datetime,
) -> tuple[bool, bool]:
    """In one round trip: whether an order carries the checkout's token, and whether the
    shopper (by id or email) placed any order at or after `since` (the checkout's own time,
    not when we happened to process it, so a late checkout webhook still sees an earlier
    order)."""
    for_checkout = exists().where(Order.shop_id == shop_id, Order.checkout_token == token)
    who = same_shopper(Order, customer_id, email)
    since_changed = (
        exists().where(Order.shop_id == shop_id, who, Order.placed_at >= since)
        if who is not None
        else literal(False)
    )
    row = (await session.execute(select(for_checkout, since_changed))).one()
    return bool(row[0]), bool(row[1])


# The deliveries whose facts stop a cart (the topics webhooks/topics/ turns into orders and
# checkouts).
ORDER_TOPICS = (
    "orders/create",
    "orders/paid",
    "orders/updated",
    "orders/fulfilled",
    "orders/cancelled",
)
CHECKOUT_TOPICS = ("checkouts/create", "checkouts/update")
# Stored and not processed: waiting for its job, or given up on until a replay. Written as
# literals, as the partial index ix_webhook_events_unprocessed_topic spells its predicate: a
# bound parameter would keep a prepared statement's generic plan off that index.
_UNPROCESSED = text(
    f"webhook_events.status IN ('{WebhookEventStatus.RECEIVED.value}', "
    f"'{WebhookEventStatus.FAILED.value}')"
)


@dataclass(frozen=True)
class InboxFacts:
    """What the unprocessed order and checkout deliveries of a shopper say."""

    orders: tuple[InboxOrder, ...] = ()
    checkouts: tuple[InboxCheckout, ...] = ()
    # The shop has more unprocessed order and checkout deliveries than one check reads (the
    # worker is behind): what the unread ones say is unknown.
    partial: bool = False


async def unprocessed_deliveries(
    session: AsyncSession,
    shop_id: int,
    *,
    token: str,
    customer_shopify_id: int | None,
    email: str | None,
) -> InboxFacts:
    """The order and checkout deliveries of this checkout or shopper that are stored in the
    inbox but not processed yet (a job lost with Redis waits for the sweeper; a worker behind
    leaves many waiting): the check before each step and each send reads them, so no reminder
    leaves after its order is stored.

    On every step and send, whatever the backlog, so its cost is bounded: at most the
    session's `read_limit` (+1; app/inbox/backlog.py) of the shop's unprocessed order and
    checkout rows are reached, through the partial index on them, and only those whose raw
    body mentions the token, the customer id or the email come back with their body to be
    parsed. With more rows than that waiting, the facts are `partial` and empty (no body is
    read): the caller must not send on them, and waits for the worker to catch up."""
    limit = backlog.checks_of(session).read_limit
    waiting = (
        select(WebhookEvent.topic, WebhookEvent.body)
        .where(
            WebhookEvent.shop_id == shop_id,
            _UNPROCESSED,
            WebhookEvent.topic.in_(ORDER_TOPICS + CHECKOUT_TOPICS),
        )
        # Inline, like the statuses: a prepared statement's generic plan that knows the limit
        # is a plain index scan that stops there; a parameter makes it plan a bitmap over
        # the whole backlog.
        .limit(literal_column(str(limit + 1)))
        .subquery()
    )
    mentions = [func.strpos(waiting.c.body, token) > 0]
    if customer_shopify_id is not None:
        mentions.append(func.strpos(waiting.c.body, str(customer_shopify_id)) > 0)
    if email:
        mentions.append(func.strpos(func.lower(waiting.c.body), email.strip().lower()) > 0)
    # Behind (more rows than the limit): no body is even read (CASE decides in order, after
    # the count), so a check costs a couple of milliseconds exactly when the worker needs
    # its connections most; the step or send waits for the backlog anyway.
    too_many = func.count().over() > limit
    rows = (
        await session.execute(
            select(
                waiting.c.topic,
                case((too_many, null()), (or_(*mentions), waiting.c.body), else_=null()),
            )
        )
    ).all()
    orders: list[InboxOrder] = []
    checkouts: list[InboxCheckout] = []
    for topic, body in rows:
        # Unprocessed events always keep their body (retention purges processed ones only);
        # NULL here means it does not mention this shopper.
        data = _json_object(body) if body is not None else None
        if data is None:
            continue  # a body we cannot read says nothing (processing marks it failed)
        if topic in ORDER_TOPICS:
            customer = data.get("customer")
            orders.append(
                InboxOrder(
                    checkout_token=_text(data.get("checkout_token")),
                    customer_id=_int(customer.get("id")) if isinstance(customer, dict) else None,
                    email=_text(data.get("email")) or _text(data.get("contact_email")),
                    placed_at=_time(data.get("processed_at") or data.get("created_at")),
                )
            )
        else:
            checkouts.append(
                InboxCheckout(
                    token=_text(data.get("token")),
                    completed=data.get("completed_at") is not None,
                )
            )
    return InboxFacts(tuple(orders), tuple(checkouts), partial=len(rows) > limit)


def _json_object(body: str) -> dict[str, Any] | None:
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


async def serialize_shopper(session: AsyncSession, shop_id: int, email: str | None) -> None:
    """One decision at a time per shopper (app/scenarios/shoppers.py): held until the
    transaction ends."""
    await shoppers.serialize(session, shop_id, email)


async def contact_email(session: AsyncSession, checkout: Checkout) -> str | None:
    """The checkout's email, else its customer's: a logged-in shopper's checkout may carry no
    email of its own."""
    if checkout.email:
        return checkout.email
    if checkout.customer_id is None:
        return None
    customer = await session.get(Customer, checkout.customer_id)
    return customer.email if customer is not None and customer.email else None


async def checkout_by_token(session: AsyncSession, shop_id: int, token: str) -> Checkout | None:
    result: Checkout | None = await session.scalar(
        select(Checkout).where(Checkout.shop_id == shop_id, Checkout.token == token)
    )
    return result


async def customer_of_run(session: AsyncSession, shop_id: int, run: ScenarioRun) -> Customer | None:
    """The run's customer; found by email for a run that started before Shopify linked the
    checkout to a customer (and then remembered on the run)."""
    customer = await session.get(Customer, run.customer_id) if run.customer_id else None
    if customer is None and run.email:
        customer = await session.scalar(
            select(Customer)
            .where(Customer.shop_id == shop_id, func.lower(Customer.email) == run.email.lower())
            .limit(1)
        )
        if customer is not None:
            run.customer_id = customer.id
    return customer


async def other_active_runs_locked(session: AsyncSession, run: ScenarioRun) -> list[ScenarioRun]:
    """The shopper's other running cart sequences, locked."""
    who = same_shopper(ScenarioRun, run.customer_id, run.email)
    if who is None:
        return []
    return list(
        await session.scalars(
            select(ScenarioRun)
            .where(
                ScenarioRun.shop_id == run.shop_id,
                ScenarioRun.scenario == KEY,
                ScenarioRun.status == runs.ACTIVE,
                ScenarioRun.id != run.id,
                who,
            )
            .with_for_update(key_share=True)
        )
    )


async def runs_an_order_concerns_locked(
    session: AsyncSession, shop_id: int, order: Order, placed: datetime, window: timedelta
) -> list[ScenarioRun]:
    """The shopper's runs other than the order's own checkout's that it can concern: still
    running, or engaged within the attribution window (a repeat customer's finished history
    stays unlocked)."""
    who = same_shopper(ScenarioRun, order.customer_id, order.email)
    if who is None:
        return []
    return list(
        await session.scalars(
            select(ScenarioRun)
            .where(
                ScenarioRun.shop_id == shop_id,
                ScenarioRun.scenario == KEY,
                who,
                ScenarioRun.subject_key != (order.checkout_token or ""),
                or_(
                    ScenarioRun.status == runs.ACTIVE,
                    ScenarioRun.engaged_at >= placed - window - timedelta(seconds=1),
                ),
            )
            .with_for_update(key_share=True)
        )
    )


async def reminder_sent_by(session: AsyncSession, run: ScenarioRun, placed: datetime) -> bool:
    """Whether one of the run's reminders actually left by the time the order was placed:
    sent, or unconfirmed (handed to the relay, the answer lost with a stopped worker: most
    did leave), timed by when the hand-off began. Drafts, messages held for approval,
    suppressed or failed ones bring nothing back, and neither does a reminder sent after the
    purchase (its order arrived late)."""
    sent = await session.scalar(
        select(
            exists().where(
                Message.shop_id == run.shop_id,
                Message.scenario == KEY,
                Message.subject_key == run.subject_key,
                Message.status.in_((Status.SENT, Status.UNCONFIRMED)),
                # Shopify's timestamps have whole seconds: a reminder sent in the order's
                # second counts.
                func.date_trunc(
                    "second", func.coalesce(Message.sent_at, Message.sending_started_at)
                )
                <= placed,
            )
        )
    )
    return bool(sent)
