"""The abandoned-cart sequence, end to end through webhooks, the worker, the simulator and SMTP."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from app.messaging.controls import DEFAULT_POLICY, set_sending_policy
from app.models import Message, ScenarioConversion, ScenarioRun, WebhookEvent
from tests.messaging.conftest import Inbox
from tests.scenarios.conftest import SHOP, Store, text_part, until


async def test_full_three_step_sequence(store: Store, inbox: Inbox) -> None:
    customer = store.customer_payload(email="camille@example.test")
    await store.deliver("customers/create", customer)
    checkout = store.checkout_payload(customer)
    await store.deliver("checkouts/create", checkout)
    await store.work()

    assert [m["To"] for m in inbox.messages] == ["camille@example.test"] * 3
    bodies = [text_part(m) for m in inbox.messages]
    assert "IPod Nano - 8GB" in bodies[0]
    assert "Camille" in bodies[0]
    messages = await store.messages()
    assert [(m.step, m.status) for m in messages] == [(1, "sent"), (2, "sent"), (3, "sent")]
    code_2 = messages[1].context["discount_code"]
    code_3 = messages[2].context["discount_code"]
    assert code_2
    assert code_3
    assert code_2 != code_3
    assert code_2.startswith("COMEBACK-")
    assert "discount_code" not in messages[0].context
    # The codes exist at Shopify, and the recovery link applies them.
    assert {code_2, code_3} <= set(store.sim.codes(SHOP))
    assert messages[1].context["checkout_url"].endswith(f"&discount={code_2}")
    assert code_2 in bodies[1]

    run = await store.run(checkout["token"])
    assert run is not None
    assert run.status == "completed"
    entries = await store.timeline()
    assert entries[0][0] == "started"
    # Each step: queued by the scenario, then sent once the relay accepted it.
    for step in (1, 2, 3):
        assert [kind for kind, at, _ in entries if at == step] == ["step_queued", "message_sent"]


async def test_completed_checkout_stops_the_sequence(store: Store, inbox: Inbox) -> None:
    customer, checkout, worker = await store.running_sequence("dana@example.test", (2, 3, 4))
    later = store.checkout_payload(
        customer,
        token=checkout["token"],
        updated_at=datetime.now(UTC) + timedelta(milliseconds=10),
        completed=True,
    )
    await store.deliver("checkouts/update", later)
    await worker
    assert inbox.messages == []
    run = await store.run(checkout["token"])
    assert run is not None
    assert (run.status, run.stop_reason) == ("stopped", "checkout_completed")


async def test_order_for_the_checkout_stops_it_before_the_next_step(
    store: Store, inbox: Inbox
) -> None:
    customer, checkout, worker = await store.running_sequence("eli@example.test", (1, 5, 6))
    # Step 1 goes out; then the order arrives, before step 2 is due.
    await until(lambda: len(inbox.messages) >= 1)
    await store.deliver(
        "orders/create", store.order_payload(customer, checkout_token=checkout["token"])
    )
    await worker
    run = await store.run(checkout["token"])
    assert run is not None
    assert (run.status, run.stop_reason) == ("stopped", "order_placed_for_checkout")
    assert len(inbox.messages) == 1
    async with store.sessions.begin() as session:
        conversions = list(await session.scalars(select(ScenarioConversion)))
    assert [(c.attributed_via, str(c.revenue)) for c in conversions] == [
        ("checkout_token", "199.0000")
    ]


async def test_order_arriving_before_the_checkout_event_means_no_reminder(
    store: Store, inbox: Inbox
) -> None:
    customer = store.customer_payload(email="fin@example.test")
    await store.deliver("customers/create", customer)
    checkout = store.checkout_payload(customer)
    await store.deliver(
        "orders/create", store.order_payload(customer, checkout_token=checkout["token"])
    )
    await store.work()
    await store.deliver("checkouts/create", checkout)
    await store.work()
    assert inbox.messages == []
    assert await store.run(checkout["token"]) is None
    assert ("not_started", None, "order_placed_for_checkout") in await store.timeline()


async def test_order_and_checkout_processed_at_once_send_nothing(
    store: Store, inbox: Inbox
) -> None:
    """Delivered together, the two events are processed concurrently; whichever commits
    first, no reminder leaves for a checkout that became an order."""
    customer = store.customer_payload(email="fay@example.test")
    await store.deliver("customers/create", customer)
    await store.work()
    checkout = store.checkout_payload(customer)
    await store.deliver(
        "orders/create", store.order_payload(customer, checkout_token=checkout["token"])
    )
    await store.deliver("checkouts/create", checkout)
    await store.work()
    assert inbox.messages == []
    run = await store.run(checkout["token"])
    assert run is None or run.stop_reason == "order_placed_for_checkout"


async def test_another_order_by_the_customer_stops_the_sequence(store: Store, inbox: Inbox) -> None:
    customer, checkout, worker = await store.running_sequence("gil@example.test", (2, 3, 4))
    await store.deliver("orders/create", store.order_payload(customer, checkout_token=None))
    await worker
    assert inbox.messages == []
    run = await store.run(checkout["token"])
    assert run is not None
    assert run.stop_reason == "customer_placed_another_order"


async def test_unsubscribed_customer_gets_nothing_more(store: Store, inbox: Inbox) -> None:
    customer, checkout, worker = await store.running_sequence("hana@example.test", (2, 3, 4))
    unsubscribed = {
        **customer,
        "updated_at": (datetime.now(UTC) + timedelta(seconds=1)).isoformat(),
        "email_marketing_consent": {
            **customer["email_marketing_consent"],
            "state": "unsubscribed",
        },
    }
    await store.deliver("customers/update", unsubscribed)
    await worker
    assert inbox.messages == []
    run = await store.run(checkout["token"])
    assert run is not None
    assert run.stop_reason == "customer_unsubscribed"


async def test_emptied_checkout_stops_the_sequence(store: Store, inbox: Inbox) -> None:
    customer, checkout, worker = await store.running_sequence("ivo@example.test", (2, 3, 4))
    emptied = store.checkout_payload(
        customer,
        token=checkout["token"],
        updated_at=datetime.now(UTC) + timedelta(seconds=1),
        items=0,
    )
    await store.deliver("checkouts/update", emptied)
    await worker
    assert inbox.messages == []
    run = await store.run(checkout["token"])
    assert run is not None
    assert run.stop_reason == "checkout_emptied"


async def test_pausing_the_scenario_stops_running_sequences(store: Store, inbox: Inbox) -> None:
    _customer, checkout, worker = await store.running_sequence("jo@example.test", (2, 3, 4))
    await store.configure(mode="paused")
    await worker
    assert inbox.messages == []
    run = await store.run(checkout["token"])
    assert run is not None
    assert run.stop_reason == "scenario_paused"


async def test_uninstall_stops_every_sequence_at_once(store: Store, inbox: Inbox) -> None:
    _customer, checkout, worker = await store.running_sequence("kim@example.test", (8, 9, 10))
    await store.deliver("app/uninstalled", {"id": 1, "domain": SHOP, "myshopify_domain": SHOP})

    async def stopped() -> bool:
        run = await store.run(checkout["token"])
        return run is not None and run.status == "stopped"

    # Stopped as soon as the uninstall is processed, long before the first step (8 s) is due.
    async with asyncio.timeout(4):
        while not await stopped():  # noqa: ASYNC110  (the worker task's doing)
            await asyncio.sleep(0.05)
    await worker
    assert inbox.messages == []
    run = await store.run(checkout["token"])
    assert run is not None
    assert run.stop_reason == "shop_uninstalled"


async def test_duplicate_and_reordered_checkout_webhooks_make_one_sequence(
    store: Store, inbox: Inbox
) -> None:
    customer = store.customer_payload(email="lou@example.test")
    await store.deliver("customers/create", customer)
    first = store.checkout_payload(customer, updated_at=datetime.now(UTC) - timedelta(seconds=5))
    newer = store.checkout_payload(customer, token=first["token"], items=1)
    # Newest first, then the older event twice (a retry with the same webhook id, and a
    # second delivery of it).
    await store.deliver("checkouts/update", newer)
    await store.deliver("checkouts/create", first, webhook_id="dup-1")
    await store.deliver("checkouts/create", first, webhook_id="dup-1")
    await store.deliver("checkouts/create", first)
    await store.work()
    async with store.sessions.begin() as session:
        runs = list(await session.scalars(select(ScenarioRun)))
    assert len(runs) == 1
    assert [m["To"] for m in inbox.messages] == ["lou@example.test"] * 3
    assert [m.step for m in await store.messages()] == [1, 2, 3]


async def test_newer_checkout_supersedes_the_older_one(store: Store, inbox: Inbox) -> None:
    customer = store.customer_payload(email="max@example.test")
    await store.deliver("customers/create", customer)
    await store.configure(steps=[{"delay_seconds": 1}, {"enabled": False}, {"enabled": False}])
    old = store.checkout_payload(customer)
    await store.deliver("checkouts/create", old)
    new = store.checkout_payload(customer)
    await store.deliver("checkouts/create", new)
    await store.work()
    old_run, new_run = await store.run(old["token"]), await store.run(new["token"])
    assert old_run is not None
    assert new_run is not None
    assert old_run.stop_reason == "superseded_by_newer_checkout"
    assert new_run.status == "completed"
    assert len(inbox.messages) == 1


async def test_dry_run_sends_nothing_and_creates_no_code(store: Store, inbox: Inbox) -> None:
    await store.configure(mode="dry_run")
    customer = store.customer_payload(email="nia@example.test")
    await store.deliver("customers/create", customer)
    await store.deliver("checkouts/create", store.checkout_payload(customer))
    await store.work()
    assert inbox.messages == []
    assert store.sim.codes(SHOP) == []
    messages = await store.messages()
    assert [(m.step, m.status) for m in messages] == [(1, "draft"), (2, "draft"), (3, "draft")]
    assert "step_drafted" in [kind for kind, _, _ in await store.timeline()]


async def test_approval_mode_holds_each_message_until_approved(store: Store, inbox: Inbox) -> None:
    await store.configure(mode="approval", steps=[{}, {"enabled": False}, {"enabled": False}])
    customer = store.customer_payload(email="oli@example.test")
    await store.deliver("customers/create", customer)
    await store.deliver("checkouts/create", store.checkout_payload(customer))
    await store.work()
    assert inbox.messages == []
    (held,) = await store.messages()
    assert held.status == "pending_approval"
    approved = await store.client.post(f"/api/approvals/{held.id}/approve", headers=store.headers)
    assert approved.status_code == 200, approved.text
    await store.work()
    assert [m["To"] for m in inbox.messages] == ["oli@example.test"]


async def test_customer_without_marketing_consent_gets_nothing_by_default(
    store: Store, inbox: Inbox
) -> None:
    customer = store.customer_payload(email="pat@example.test", consent="not_subscribed")
    await store.deliver("customers/create", customer)
    checkout = store.checkout_payload(customer)
    await store.deliver("checkouts/create", checkout)
    await store.work()
    assert inbox.messages == []
    run = await store.run(checkout["token"])
    assert run is not None
    assert run.stop_reason == "no_marketing_consent"


async def test_reminder_held_by_quiet_hours_is_dropped_when_the_customer_buys(
    store: Store, inbox: Inbox
) -> None:
    """Quiet hours hold the first reminder; the order comes in meanwhile; when the hold ends
    the outbox's own re-check, in the transaction that claims the message, drops it."""
    now = datetime.now(UTC)
    if now.hour == 23 and now.minute >= 58:
        pytest.skip("the quiet window below would cross midnight")
    async with store.sessions.begin() as session:
        await set_sending_policy(
            session,
            store.shop.id,
            replace(
                DEFAULT_POLICY,
                quiet_start=(now - timedelta(minutes=1)).time().replace(microsecond=0),
                quiet_end=(now + timedelta(seconds=5)).time().replace(microsecond=0),
                max_per_day=50,
                max_per_week=50,
            ),
        )
    await store.configure(steps=[{}, {"enabled": False}, {"enabled": False}])
    customer = store.customer_payload(email="quinn@example.test")
    await store.deliver("customers/create", customer)
    checkout = store.checkout_payload(customer)
    await store.deliver("checkouts/create", checkout)
    worker = asyncio.create_task(store.work())

    async def held() -> bool:
        messages = await store.messages()
        return bool(messages) and messages[0].status_reason == "quiet_hours"

    async with asyncio.timeout(10):
        while not await held():  # noqa: ASYNC110  (the worker task's doing)
            await asyncio.sleep(0.05)
    await store.deliver(
        "orders/create", store.order_payload(customer, checkout_token=checkout["token"])
    )
    await worker
    assert inbox.messages == []
    (message,) = await store.messages()
    assert (message.status, message.status_reason) == ("suppressed", "order_placed_for_checkout")
    # The timeline tells the hold and the drop, each with its reason.
    outcomes = [(k, r) for k, _, r in await store.timeline() if k.startswith("message_")]
    assert outcomes == [
        ("message_deferred", "quiet_hours"),
        ("message_suppressed", "order_placed_for_checkout"),
    ]


async def test_clicked_reminder_then_order_with_its_code_counts_as_recovered(
    store: Store, inbox: Inbox
) -> None:
    await store.configure(
        steps=[{"discount": {"value": "10"}}, {"enabled": False}, {"enabled": False}]
    )
    customer = store.customer_payload(email="remy@example.test")
    await store.deliver("customers/create", customer)
    checkout = store.checkout_payload(customer)
    await store.deliver("checkouts/create", checkout)
    await store.work()
    (sent,) = inbox.messages
    html = sent.get_body(preferencelist=("html",))
    assert html is not None
    link = re.search(r'href="http://testserver(/t/c/[^"]+)"', str(html.get_content()))
    assert link is not None
    (message,) = await store.messages()
    code = message.context["discount_code"]

    # A person clicks a while after delivery (a scanner's instant click would not count).
    await asyncio.sleep(2.1)
    clicked = await store.client.get(
        link.group(1), headers={"User-Agent": "Mozilla/5.0 (Macintosh) Safari/605.1.15"}
    )
    assert clicked.status_code in (302, 303, 307)
    assert clicked.headers["location"].endswith(f"discount={code}")

    # They come back through a new cart, and pay with the code from the email.
    buyer = store.sim.shop(SHOP).customers[customer["id"]]
    placed = store.sim.place_order(SHOP, email=buyer.email, customer=buyer, discount_code=code)
    await store.deliver("orders/create", placed.order)
    await store.work()

    async with store.sessions.begin() as session:
        (conversion,) = list(await session.scalars(select(ScenarioConversion)))
    assert conversion.attributed_via == "engaged_customer"
    assert conversion.revenue == Decimal(placed.order["total_price"])
    assert conversion.discount_cost == Decimal(placed.order["discount_codes"][0]["amount"])
    assert conversion.discount_cost > 0
    report = await store.client.get("/api/scenarios/abandoned_cart/report", headers=store.headers)
    assert report.json()["orders_recovered"] == 1
    assert report.json()["revenue"] == str(conversion.revenue)


async def test_customer_redaction_reaches_the_automations_data(store: Store, inbox: Inbox) -> None:
    """customers/data_request exports the reminders and the sequence; customers/redact then
    erases the address, the rendered emails and the raw webhook bodies that named them."""
    await store.configure(steps=[{}, {"enabled": False}, {"enabled": False}])
    customer = store.customer_payload(email="ulla@example.test")
    await store.deliver("customers/create", customer)
    await store.deliver("checkouts/create", store.checkout_payload(customer))
    await store.work()
    assert len(inbox.messages) == 1
    subject = {"id": customer["id"], "email": customer["email"], "phone": None}
    shop = {"shop_id": 1, "shop_domain": SHOP}
    await store.deliver(
        "customers/data_request",
        {**shop, "customer": subject, "orders_requested": [], "data_request": {"id": 77}},
    )
    await store.work()
    exported = await store.client.get("/api/compliance/data-requests", headers=store.headers)
    assert exported.status_code == 200, exported.text
    body = exported.text
    assert "ulla@example.test" in body
    assert '"messages"' in body
    assert '"cart_sequences"' in body

    await store.deliver("customers/redact", {**shop, "customer": subject, "orders_to_redact": []})
    await store.work()
    async with store.sessions.begin() as session:
        (message,) = await _messages_in(session)
        runs = list(await session.scalars(select(ScenarioRun)))
        bodies = list(
            await session.scalars(
                # The compliance deliveries themselves stay, as the record of the request.
                select(WebhookEvent.body).where(
                    WebhookEvent.topic.not_in(("customers/data_request", "customers/redact"))
                )
            )
        )
    assert message.to_address is None
    assert message.html == ""
    assert [r.email for r in runs] == [None]
    assert len(bodies) == 2  # customers/create and checkouts/create, both redacted
    assert all("ulla@example.test" not in b for b in bodies), bodies


async def _messages_in(session: Any) -> list[Message]:
    return list(await session.scalars(select(Message)))


async def test_one_click_unsubscribe_is_written_back_to_shopify(store: Store, inbox: Inbox) -> None:
    await store.configure(steps=[{}, {"enabled": False}, {"enabled": False}])
    customer = store.customer_payload(email="vera@example.test")
    await store.deliver("customers/create", customer)
    await store.deliver("checkouts/create", store.checkout_payload(customer))
    await store.work()
    (sent,) = inbox.messages
    link = re.search(r"<(http://testserver(/u/[^>]+))>", str(sent["List-Unsubscribe"]))
    assert link is not None
    answered = await store.client.post(link.group(2), data={"List-Unsubscribe": "One-Click"})
    assert answered.status_code == 200
    await store.work()
    simulated = store.sim.shop(SHOP).customers[customer["id"]]
    assert simulated.marketing_state == "UNSUBSCRIBED"
    assert simulated.consent_updated_at is not None


async def test_unsubscribing_through_the_link_stops_the_sequence_at_once(
    store: Store, inbox: Inbox
) -> None:
    _customer, checkout, worker = await store.running_sequence("xia@example.test", (1, 9, 10))
    await until(lambda: len(inbox.messages) >= 1)
    link = re.search(r"<(http://testserver(/u/[^>]+))>", str(inbox.messages[0]["List-Unsubscribe"]))
    assert link is not None
    answered = await store.client.post(link.group(2), data={"List-Unsubscribe": "One-Click"})
    assert answered.status_code == 200
    # Stopped by the click itself, well before step 2 is due (9 s).
    run = await store.run(checkout["token"])
    assert run is not None
    assert (run.status, run.stop_reason) == ("stopped", "customer_unsubscribed")
    await worker
    assert len(inbox.messages) == 1


async def test_an_order_placed_before_a_late_checkout_webhook_means_no_reminder(
    store: Store, inbox: Inbox
) -> None:
    """The checkout was abandoned at 10:00, the customer ordered something else at 10:20, and
    the checkout's webhook reaches us only afterwards: measured from the checkout's own time,
    the order came after it, so no reminder starts."""
    customer = store.customer_payload(email="ora@example.test")
    await store.deliver("customers/create", customer)
    now = datetime.now(UTC)
    checkout = store.checkout_payload(customer, updated_at=now - timedelta(minutes=30))
    order = store.order_payload(
        customer, checkout_token=None, placed_at=now - timedelta(minutes=10)
    )
    await store.deliver("orders/create", order)
    await store.work()
    await store.deliver("checkouts/create", checkout)
    await store.work()
    assert inbox.messages == []
    assert await store.run(checkout["token"]) is None
    assert ("not_started", None, "customer_placed_another_order") in await store.timeline()


async def test_an_order_older_than_our_processing_still_stops_the_run(
    store: Store, inbox: Inbox
) -> None:
    """The run starts; then an order arrives that was placed after the checkout was last
    changed but before we processed the checkout (a delayed orders/create): it stops the run."""
    await store.configure(
        steps=[{"delay_seconds": 36}, {"delay_seconds": 37}, {"delay_seconds": 38}]
    )
    customer = store.customer_payload(email="pia@example.test")
    await store.deliver("customers/create", customer)
    now = datetime.now(UTC)
    checkout = store.checkout_payload(customer, updated_at=now - timedelta(seconds=30))
    await store.deliver("checkouts/create", checkout)
    await store.work(horizon=0.5)
    run = await store.run(checkout["token"])
    assert run is not None
    assert run.status == "active"
    order = store.order_payload(customer, checkout_token=None, placed_at=now - timedelta(seconds=5))
    await store.deliver("orders/create", order)
    await store.work(horizon=0.5)
    run = await store.run(checkout["token"])
    assert run is not None
    assert (run.status, run.stop_reason) == ("stopped", "customer_placed_another_order")
    assert inbox.messages == []


async def test_a_checkout_without_email_reaches_its_known_customer(
    store: Store, inbox: Inbox
) -> None:
    """A logged-in shopper's checkout may carry no email of its own: the customer's is used."""
    await store.configure(steps={"2": {"enabled": False}, "3": {"enabled": False}})
    customer = store.customer_payload(email="quin@example.test")
    await store.deliver("customers/create", customer)
    checkout = store.checkout_payload(customer)
    checkout["email"] = None
    checkout["contact_email"] = None
    await store.deliver("checkouts/create", checkout)
    await store.work()
    assert [m["To"] for m in inbox.messages] == ["quin@example.test"]
    run = await store.run(checkout["token"])
    assert run is not None
    assert run.email == "quin@example.test"


async def test_a_guest_checkout_without_email_is_not_started(store: Store, inbox: Inbox) -> None:
    customer = store.customer_payload(email="rex@example.test")
    checkout = store.checkout_payload(customer)
    checkout["email"] = None
    checkout["customer"] = None
    await store.deliver("checkouts/create", checkout)
    await store.work()
    assert inbox.messages == []
    assert await store.run(checkout["token"]) is None
