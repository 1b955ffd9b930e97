"""The welcome series, end to end: Shopify's customers/create sample payload and the consent
topic signed into /webhooks, the worker's jobs for real, best-sellers and codes from the
simulator's Admin API, the emails at a real SMTP server."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from app.models import Message, ScenarioConversion, ScenarioRun, TimelineEntry
from tests.messaging.conftest import Inbox
from tests.scenarios.conftest import SHOP, Store, html_part, text_part, until
from tests.support.sending import send_at_any_hour

WELCOME = "welcome"


async def turn_on(store: Store, **patch: Any) -> dict[str, Any]:
    """The merchant turns the series on (it is off by default), its delays in seconds."""
    body = {"mode": "live", **patch}
    response = await store.client.put(f"/api/scenarios/{WELCOME}", headers=store.headers, json=body)
    assert response.status_code == 200, response.text
    settings: dict[str, Any] = response.json()
    return settings


async def welcome_runs(store: Store) -> list[ScenarioRun]:
    async with store.sessions.begin() as session:
        return list(
            await session.scalars(
                select(ScenarioRun).where(ScenarioRun.scenario == WELCOME).order_by(ScenarioRun.id)
            )
        )


async def welcome_messages(store: Store) -> list[Message]:
    async with store.sessions.begin() as session:
        return list(
            await session.scalars(
                select(Message).where(Message.scenario == WELCOME).order_by(Message.step)
            )
        )


async def welcome_timeline(store: Store) -> list[tuple[str, int | None, str]]:
    async with store.sessions.begin() as session:
        rows = await session.scalars(
            select(TimelineEntry)
            .where(TimelineEntry.scenario == WELCOME)
            .order_by(TimelineEntry.id)
        )
        return [(e.kind, e.step, e.reason) for e in rows]


def consent_update(customer: dict[str, Any], state: str) -> dict[str, Any]:
    """Shopify's customers_email_marketing_consent/update payload, newer than what we hold."""
    return {
        "customer_id": customer["id"],
        "email_address": customer["email"],
        "email_marketing_consent": {
            "state": state,
            "opt_in_level": "single_opt_in",
            "consent_updated_at": (datetime.now(UTC) + timedelta(seconds=1)).isoformat(),
        },
    }


def order_of(
    store: Store, customer: dict[str, Any], lines: list[tuple[int, int, int]] | None = None
) -> dict[str, Any]:
    """An orders/create of `customer`; `lines` as (product id, variant id, quantity)."""
    payload = store.order_payload(customer, checkout_token=None)
    if lines is not None:
        template = payload["line_items"][0]
        payload["line_items"] = [
            {
                **copy.deepcopy(template),
                "id": int(uuid.uuid4().int % 10**12),
                "product_id": product_id,
                "variant_id": variant_id,
                "quantity": quantity,
            }
            for product_id, variant_id, quantity in lines
        ]
    return payload


def first_variant(product: Any) -> int:
    variant_id: int = next(iter(product.variants))
    return variant_id


async def test_three_steps_at_their_delays_with_their_content(store: Store, inbox: Inbox) -> None:
    shop = store.sim.shop("acme")
    shop.products.clear()
    kettle = store.sim.add_product(
        SHOP, "Copper Kettle", price=Decimal("49.00"), image_url="https://cdn.test/kettle.jpg"
    )
    teapot = store.sim.add_product(SHOP, "Stone Teapot", price=Decimal("25.00"))
    # Other shoppers' orders rank the shop's best-sellers: the teapot sold more.
    buyer = store.customer_payload(email="buyer@example.test", consent="not_subscribed")
    await store.deliver("customers/create", buyer)
    await store.deliver(
        "orders/create",
        order_of(
            store,
            buyer,
            [(teapot.id, first_variant(teapot), 3), (kettle.id, first_variant(kettle), 1)],
        ),
    )
    await turn_on(store, steps=[{"delay_seconds": 0}, {"delay_seconds": 2}, {"delay_seconds": 4}])
    customer = store.customer_payload(email="camille@example.test")
    await store.deliver("customers/create", customer)
    await store.work()

    assert [m["To"] for m in inbox.messages] == ["camille@example.test"] * 3
    first, second, third = (text_part(m) for m in inbox.messages)
    assert inbox.messages[0]["Subject"] == "Welcome to Acme"
    assert "Camille" in first
    # No first-order code unless the merchant turns one on.
    assert "code" not in first
    # Step 2: the best-sellers from the Admin API, best first, with their pages and pictures.
    assert first.count("Stone Teapot") == 0
    assert second.index("Stone Teapot") < second.index("Copper Kettle")
    assert f"/products/{teapot.handle}" in second
    assert "https://cdn.test/kettle.jpg" in html_part(inbox.messages[1])
    # Step 3: the offer, with a code that exists at Shopify.
    messages = await welcome_messages(store)
    assert [(m.step, m.status) for m in messages] == [(1, "sent"), (2, "sent"), (3, "sent")]
    assert "discount_code" not in messages[0].context
    assert "discount_code" not in messages[1].context
    code = messages[2].context["discount_code"]
    assert code.startswith("WELCOME-")
    assert code in third
    assert code in store.sim.codes(SHOP)

    (run,) = await welcome_runs(store)
    assert run.status == "completed"
    sent = [m.sent_at for m in messages]
    assert all(at is not None for at in sent)
    # Each step left no earlier than its delay after the sign-up was processed.
    for at, delay in zip(sent, (0, 2, 4), strict=True):
        assert at is not None
        assert at >= run.anchor_at + timedelta(seconds=delay)
    entries = await welcome_timeline(store)
    # The buyer signed up without consent: only Camille's series started.
    assert [e for e in entries if e[0] == "started"] == [("started", None, "customer_signed_up")]
    for step in (1, 2, 3):
        assert [kind for kind, at, _ in entries if at == step] == ["step_queued", "message_sent"]


async def test_the_first_order_code_goes_on_step_one_when_turned_on(
    store: Store, inbox: Inbox
) -> None:
    await turn_on(
        store,
        steps={
            "welcome": {"discount": {"value": "5"}},
            "best_sellers": {"enabled": False},
            "offer": {"enabled": False},
        },
    )
    customer = store.customer_payload(email="noa@example.test")
    await store.deliver("customers/create", customer)
    await store.work()

    (message,) = inbox.messages
    (stored,) = await welcome_messages(store)
    code = stored.context["discount_code"]
    assert code.startswith("WELCOME-")
    assert code in text_part(message)
    assert code in store.sim.codes(SHOP)


async def test_no_consent_at_sign_up_then_subscribing_starts_one_run_then(
    store: Store, inbox: Inbox
) -> None:
    await turn_on(store, steps={"best_sellers": {"enabled": False}, "offer": {"enabled": False}})
    customer = store.customer_payload(email="ora@example.test", consent="not_subscribed")
    await store.deliver("customers/create", customer)
    await store.work()
    assert inbox.messages == []
    assert await welcome_runs(store) == []
    assert await welcome_timeline(store) == [("not_started", None, "no_marketing_consent")]

    # The consent arrives on its own topic, and again inside a newer customers/update.
    subscribed = consent_update(customer, "subscribed")
    await store.deliver("customers_email_marketing_consent/update", subscribed)
    update = {
        **customer,
        "updated_at": (datetime.now(UTC) + timedelta(seconds=1)).isoformat(),
        "email_marketing_consent": subscribed["email_marketing_consent"],
    }
    await store.deliver("customers/update", update)
    await store.work()

    (run,) = await welcome_runs(store)
    # Step 1 went; the series waits for its (turned off) later steps' days.
    assert (run.status, run.step_index) == ("active", 1)
    assert [m["To"] for m in inbox.messages] == ["ora@example.test"]
    started = [e for e in await welcome_timeline(store) if e[0] == "started"]
    assert started == [("started", None, "customer_subscribed")]


async def test_a_customer_we_never_saw_sign_up_is_not_welcomed_on_subscribing(
    store: Store, inbox: Inbox
) -> None:
    """A consent change naming an account we never saw created (an old customer
    resubscribing) starts nothing, and says why; when the sign-up itself arrives after it
    (Shopify does not order deliveries), the new subscriber is welcomed then, once."""
    await turn_on(store, steps={"best_sellers": {"enabled": False}, "offer": {"enabled": False}})
    veteran = store.customer_payload(email="veteran@example.test", consent="subscribed")
    await store.deliver(
        "customers_email_marketing_consent/update", consent_update(veteran, "subscribed")
    )
    await store.work()
    assert await welcome_runs(store) == []
    assert inbox.messages == []
    assert await welcome_timeline(store) == [("not_started", None, "customer_not_a_new_sign_up")]

    await store.deliver("customers/create", veteran)
    await store.work()
    assert len(await welcome_runs(store)) == 1
    assert [m["To"] for m in inbox.messages] == ["veteran@example.test"]
    started = [e for e in await welcome_timeline(store) if e[0] == "started"]
    assert started == [("started", None, "customer_signed_up")]


async def test_the_same_customers_create_three_times_starts_one_run(
    store: Store, inbox: Inbox
) -> None:
    await turn_on(store, steps={"best_sellers": {"enabled": False}, "offer": {"enabled": False}})
    customer = store.customer_payload(email="pia@example.test")
    webhook_id = str(uuid.uuid4())
    # Shopify's retry of one delivery (same webhook id), then the same event delivered anew.
    await store.deliver("customers/create", customer, webhook_id=webhook_id)
    await store.deliver("customers/create", customer, webhook_id=webhook_id)
    await store.deliver("customers/create", customer)
    await store.work()

    assert len(await welcome_runs(store)) == 1
    assert [m["To"] for m in inbox.messages] == ["pia@example.test"]
    assert [e[0] for e in await welcome_timeline(store)].count("started") == 1


async def test_the_first_order_stops_the_series(store: Store, inbox: Inbox) -> None:
    await turn_on(store, steps=[{"delay_seconds": 0}, {"delay_seconds": 6}, {"delay_seconds": 8}])
    customer = store.customer_payload(email="quinn@example.test")
    await store.deliver("customers/create", customer)
    await store.work(horizon=1)
    assert len(inbox.messages) == 1

    order = order_of(store, customer)
    await store.deliver("orders/create", order)
    await store.work()

    (run,) = await welcome_runs(store)
    assert (run.status, run.stop_reason) == ("stopped", "customer_placed_first_order")
    assert len(inbox.messages) == 1
    assert ("stopped", 2, "customer_placed_first_order") in await welcome_timeline(store)
    # The welcome email that left is credited with the first order.
    async with store.sessions.begin() as session:
        conversions = list(
            await session.scalars(
                select(ScenarioConversion).where(ScenarioConversion.scenario == WELCOME)
            )
        )
    assert [(c.attributed_via, c.revenue) for c in conversions] == [
        ("welcome_email", Decimal("199.00"))
    ]


async def test_a_redacted_customer_never_gets_it(store: Store, inbox: Inbox) -> None:
    await turn_on(store, steps=[{"delay_seconds": 3}, {"delay_seconds": 4}, {"delay_seconds": 5}])
    customer = store.customer_payload(email="rex@example.test")
    await store.deliver("customers/create", customer)
    await store.work(horizon=0)
    assert [r.status for r in await welcome_runs(store)] == ["active"]
    subject = {"id": customer["id"], "email": customer["email"], "phone": None}
    await store.deliver(
        "customers/redact",
        {"shop_id": 1, "shop_domain": SHOP, "customer": subject, "orders_to_redact": []},
    )
    await store.work()

    assert inbox.messages == []
    runs = await welcome_runs(store)
    assert [(r.status, r.stop_reason) for r in runs] == [("stopped", "customer_redacted")]
    assert await welcome_messages(store) == []


@pytest.mark.parametrize(
    ("mode", "status"), [("dry_run", "draft"), ("approval", "pending_approval")]
)
async def test_dry_run_and_approval_send_nothing(
    store: Store, inbox: Inbox, mode: str, status: str
) -> None:
    await turn_on(
        store,
        mode=mode,
        steps={"welcome": {"discount": {"value": "5"}}, "best_sellers": {"enabled": False}},
    )
    customer = store.customer_payload(email=f"{mode}@example.test")
    await store.deliver("customers/create", customer)
    await store.work(horizon=1)

    assert inbox.messages == []
    messages = await welcome_messages(store)
    assert [(m.step, m.status) for m in messages] == [(1, status)]
    # A dry run hands out no code at Shopify; approval holds the email with its code.
    assert ("discount_code" in messages[0].context) is (mode == "approval")


async def test_paused_starts_nothing_and_pausing_stops_a_running_series(
    store: Store, inbox: Inbox
) -> None:
    # Off by default: a sign-up starts nothing, and says nothing on the timeline.
    await store.deliver("customers/create", store.customer_payload(email="sam@example.test"))
    await store.work()
    assert await welcome_runs(store) == []
    assert await welcome_timeline(store) == []

    await turn_on(store, steps=[{"delay_seconds": 3}, {"delay_seconds": 4}, {"delay_seconds": 5}])
    await store.deliver("customers/create", store.customer_payload(email="tia@example.test"))
    await store.work(horizon=0)
    (run,) = await welcome_runs(store)
    assert run.status == "active"
    await turn_on(store, mode="paused")
    await store.work()

    assert inbox.messages == []
    (run,) = await welcome_runs(store)
    assert (run.status, run.stop_reason) == ("stopped", "scenario_paused")


async def test_a_cart_reminder_outranks_a_welcome_under_a_cap_of_one_a_day(
    store: Store, inbox: Inbox
) -> None:
    """Both due the same day for one shopper, the cap allowing one email: the cart's goes
    (priority 100 over 30) and the welcome waits for the cap to free."""
    async with store.sessions.begin() as session:
        await send_at_any_hour(session, store.shop.id, max_per_day=1)
    # Both held for approval, so both are due at once whatever order the jobs run in.
    await store.configure(
        mode="approval", steps=[{"delay_seconds": 1}, {"enabled": False}, {"enabled": False}]
    )
    await turn_on(
        store,
        mode="approval",
        steps={"best_sellers": {"enabled": False}, "offer": {"enabled": False}},
    )
    customer = store.customer_payload(email="uma@example.test")
    await store.deliver("customers/create", customer)
    await store.deliver("checkouts/create", store.checkout_payload(customer))
    await store.work(horizon=2)
    async with store.sessions.begin() as session:
        held = list(await session.scalars(select(Message).order_by(Message.id)))
    assert sorted((m.scenario, m.status) for m in held) == [
        ("abandoned_cart", "pending_approval"),
        ("welcome", "pending_approval"),
    ]

    approved = await store.client.post("/api/approvals/approve-all", headers=store.headers, json={})
    assert approved.json() == {"approved": 2}
    await store.work(horizon=2)

    await until(lambda: len(inbox.messages) >= 1)
    assert len(inbox.messages) == 1
    assert "cart" in str(inbox.messages[0]["Subject"])
    async with store.sessions.begin() as session:
        states = {
            m.scenario: (m.status, (m.status_reason or "").split(":")[0])
            for m in await session.scalars(select(Message))
        }
    assert states["abandoned_cart"] == ("sent", "")
    assert states["welcome"][0] == "queued"
    assert states["welcome"][1] in ("outranked_by_message", "frequency_cap")


async def test_the_admins_generic_screens_serve_the_welcome_series(
    store: Store, inbox: Inbox
) -> None:
    """What the overview card, the settings page, the templates and the runs pages read."""
    await turn_on(store, steps={"best_sellers": {"enabled": False}, "offer": {"enabled": False}})
    customer = store.customer_payload(email="vic@example.test")
    await store.deliver("customers/create", customer)
    await store.work()
    assert len(inbox.messages) == 1
    headers = store.headers

    overview = await store.client.get("/api/scenarios", headers=headers)
    cards = {card["key"]: card for card in overview.json()}
    assert cards[WELCOME]["settings"]["mode"] == "live"
    assert cards[WELCOME]["report"]["messages_sent"] == 1

    settings = (await store.client.get(f"/api/scenarios/{WELCOME}", headers=headers)).json()
    assert [s["key"] for s in settings["steps"]] == ["welcome", "best_sellers", "offer"]
    refused = await store.client.put(
        f"/api/scenarios/{WELCOME}?locale=fr", headers=headers, json={"transactional": True}
    )
    assert refused.status_code == 400
    assert refused.json()["problems"][0]["field"] == "transactional"

    template = await store.client.get(f"/api/templates/{WELCOME}/2/fr", headers=headers)
    assert template.status_code == 200, template.text
    assert "{% for product in products %}" in template.json()["html"]
    preview = await store.client.post(
        f"/api/templates/{WELCOME}/2/fr/preview", headers=headers, json={}
    )
    assert preview.status_code == 200, preview.text

    (run,) = (await store.client.get(f"/api/scenarios/{WELCOME}/runs", headers=headers)).json()
    assert (run["email"], run["status"], run["next_step"]) == ("vic@example.test", "active", 2)
    timeline = await store.client.get(
        f"/api/customers/{run['customer_id']}/timeline?locale=fr", headers=headers
    )
    assert timeline.status_code == 200, timeline.text
    assert "Série de bienvenue démarrée" in timeline.text
    assert "Un nouveau client s'est inscrit en acceptant les e-mails marketing" in timeline.text
