"""What an order costs the scenarios listening to it, and what they still find: one look-up of
the runs it may concern, shared by every scenario, under the shopper's lock taken by the order's
own upsert; the run of the checkout it names found whoever placed it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

from tests.messaging.conftest import Inbox
from tests.scenarios.conftest import Store


@contextmanager
def statements() -> Iterator[list[str]]:
    """Every statement sent meanwhile: through SQLAlchemy, and straight on the driver of a
    connection opened meanwhile (the worker's own pool)."""
    sent: list[str] = []

    def on_connect(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.driver_connection.add_query_logger(lambda q: sent.append(q.query))

    def on_execute(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        sent.append(statement)

    event.listen(Pool, "connect", on_connect)
    event.listen(Engine, "before_cursor_execute", on_execute)
    try:
        yield sent
    finally:
        event.remove(Engine, "before_cursor_execute", on_execute)
        event.remove(Pool, "connect", on_connect)


async def test_an_order_of_a_shopper_without_runs_costs_the_listeners_no_statement(
    store: Store, inbox: Inbox
) -> None:
    await store.configure()  # the cart's settings stored, as a shop that saved them has
    customer = store.customer_payload(email="olga@example.test")
    await store.deliver("customers/create", customer)
    await store.work()

    with statements() as sent:
        await store.deliver("orders/create", store.order_payload(customer, checkout_token="t-1"))
        await store.work()

    # The event's lock (which also marks it processed) and the customer's statement.
    taken = [s for s in sent if "FROM webhook_events" in s and "FOR UPDATE" in s]
    assert len(taken) == 1
    assert "UPDATE webhook_events" in taken[0]
    assert not [s for s in sent if s.lstrip().startswith("UPDATE webhook_events")]
    customer_statements = [s for s in sent if "INSERT INTO customers" in s]
    assert len(customer_statements) == 1
    # The shopper's lock and the customer's turn at their order statistics ride on the
    # customer's statement; no statement of their own.
    assert [s for s in sent if "pg_advisory_xact_lock" in s] == customer_statements
    order_statements = [s for s in sent if "INSERT INTO orders" in s]
    assert len(order_statements) == 1
    # The statistics and the runs the order may concern are read and written by the
    # order's statement: the cart and the welcome series share that look-up, and read no
    # settings.
    assert [s for s in sent if "customer_order_stats" in s] == order_statements
    assert [s for s in sent if "scenario_runs" in s] == order_statements
    assert [s for s in sent if "scenario_settings" in s] == []


async def test_an_order_naming_the_checkout_stops_its_run_whoever_placed_it(
    store: Store, inbox: Inbox
) -> None:
    """Placed under another account and email (a partner paying the cart), the order still
    names the checkout: its run stops, found by its subject rather than by the shopper."""
    _, checkout, worker = await store.running_sequence("pia@example.test", (2, 3, 4))
    payer = store.customer_payload(email="quentin@example.test")
    await store.deliver(
        "orders/create", store.order_payload(payer, checkout_token=checkout["token"])
    )
    await worker
    assert inbox.messages == []
    run = await store.run(checkout["token"])
    assert run is not None
    assert (run.status, run.stop_reason) == ("stopped", "order_placed_for_checkout")


async def test_the_listeners_read_the_order_and_its_shop_without_a_statement(
    store: Store, inbox: Inbox
) -> None:
    """A shopper with a running cart: the cart's listener reads the shop and the order the
    fact names from the session, which holds them as the event's lock and the order's upsert
    returned them."""
    await store.configure(steps=[{"delay_seconds": d} for d in (60, 120, 180)])
    customer = store.customer_payload(email="rita@example.test")
    await store.deliver("customers/create", customer)
    checkout = store.checkout_payload(customer)
    await store.deliver("checkouts/create", checkout)
    await store.work(horizon=1)
    assert await store.run(checkout["token"]) is not None

    with statements() as sent:
        await store.deliver(
            "orders/create", store.order_payload(customer, checkout_token=checkout["token"])
        )
        await store.work(horizon=1)

    run = await store.run(checkout["token"])
    assert run is not None
    assert (run.status, run.stop_reason) == ("stopped", "order_placed_for_checkout")
    reads = [s for s in sent if s.lstrip().upper().startswith("SELECT")]
    assert [s for s in reads if "FROM shops" in s and "webhook_events" not in s] == []
    assert [s for s in reads if "FROM orders" in s] == []
