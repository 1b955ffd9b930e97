"""The review request end to end: Shopify's orders/fulfilled sample signed into /webhooks, the
worker's jobs for real, the request at a real SMTP server, its one-click star opening the
hosted form over HTTP with the rating chosen, the review stored with its photo, published, and
the product's rating at the simulator's standard metafields."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any

from PIL import Image
from sqlalchemy import select

from app.models import ScenarioRun, TimelineEntry
from tests.messaging.conftest import Inbox
from tests.reviews.conftest import (
    GPS_TAG,
    fulfilled_order,
    photo_bytes,
    photos,
    products,
    reviews,
)
from tests.scenarios.conftest import SHOP, Store, html_part, text_part, until

KEY = "review_request"


async def turn_on(store: Store, request: int = 1, reminder: int = 2, **patch: Any) -> None:
    body = {
        "mode": "live",
        "steps": [{"delay_seconds": request}, {"delay_seconds": reminder}],
        **patch,
    }
    response = await store.client.put(f"/api/scenarios/{KEY}", headers=store.headers, json=body)
    assert response.status_code == 200, response.text


async def run_of(store: Store) -> ScenarioRun | None:
    async with store.sessions.begin() as session:
        run: ScenarioRun | None = await session.scalar(
            select(ScenarioRun).where(ScenarioRun.scenario == KEY)
        )
        return run


async def timeline(store: Store) -> list[tuple[str, int | None, str]]:
    async with store.sessions.begin() as session:
        rows = await session.scalars(
            select(TimelineEntry).where(TimelineEntry.scenario == KEY).order_by(TimelineEntry.id)
        )
        return [(e.kind, e.step, e.reason) for e in rows]


async def star_links(store: Store, html: str) -> list[str]:
    """Where each link of the email leads: through the click tracking's redirect, as a mail
    client follows it."""
    found = []
    for tracked in re.findall(r'href="(http://testserver/t/c/[^"]+)"', html):
        hop = await store.client.get(unescape(tracked).removeprefix("http://testserver"))
        assert hop.status_code in {302, 303, 307}, hop.text
        found.append(hop.headers["location"])
    return found


async def test_fulfilled_order_to_published_rating_at_shopify(store: Store, inbox: Inbox) -> None:
    kettle, teapot = products(store, "Copper Kettle", "Stone Teapot")
    await turn_on(store, request=1, reminder=5)
    order = await fulfilled_order(store, [kettle, teapot])
    run = await run_of(store)
    assert run is not None
    assert run.subject_key.startswith("order:")
    await store.work(horizon=1.5)
    await until(lambda: len(inbox.messages) == 1)
    email = inbox.messages[0]
    assert email["To"] == order["email"]
    assert email["Subject"] == "How was your order from Acme?"
    html, text = html_part(email), text_part(email)
    assert "Copper Kettle" in html
    assert "Stone Teapot" in html
    assert "Copper Kettle: http://testserver/review/" in text
    links = await star_links(store, html)
    # Five stars per product, then the button for the whole order.
    five_for_teapot = next(
        link for link in links if f"p={teapot.id}" in link and link.endswith("&r=5")
    )
    assert len([link for link in links if "&r=" in link]) == 10

    page = await store.client.get(five_for_teapot.removeprefix("http://testserver"))
    assert page.status_code == 200
    assert len(page.content) < 50_000
    assert "<script" not in page.text
    assert re.search(rf'id="s{teapot.id}-5" name="rating" value="5" required checked', page.text)
    assert 'lang="en"' in page.text

    path = five_for_teapot.removeprefix("http://testserver").split("?")[0]
    sent = await store.client.post(
        path,
        data={"product": str(teapot.id), "rating": "5", "title": "Lovely", "body": "Pours well"},
        files=[("photos", ("me.jpg", photo_bytes("JPEG", (640, 480)), "image/jpeg"))],
    )
    assert sent.status_code == 200, sent.text
    assert "Thank you! Your review was received." in sent.text

    (review,) = await reviews(store)
    assert (review.product_id, review.rating, review.title, review.body) == (
        teapot.id,
        5,
        "Lovely",
        "Pours well",
    )
    assert review.verified_buyer
    assert review.locale == "en"
    # 5 stars, no link: the default auto-publish rule publishes it.
    assert review.status == "published"
    assert review.published_at is not None
    (photo,) = await photos(store)
    stored = (store.settings.data_dir / "review-photos" / photo.storage_key).read_bytes()
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG"
        assert image.size == (640, 480)
        assert not image.getexif()
        assert GPS_TAG not in image.getexif()

    await store.work(horizon=1.0)
    gid = f"gid://shopify/Product/{teapot.id}"
    fields = {(m.namespace, m.key): m for m in store.sim.metafields(SHOP, gid)}
    rating = fields[("reviews", "rating")]
    assert rating.type == "rating"
    assert json.loads(rating.value) == {"value": "5.0", "scale_min": "1.0", "scale_max": "5.0"}
    count = fields[("reviews", "rating_count")]
    assert (count.type, count.value) == ("number_integer", "1")
    # The other product has no review: nothing written for it.
    assert not store.sim.metafields(SHOP, f"gid://shopify/Product/{kettle.id}")

    # Loyalty is off: the review's single-use code comes by email.
    await until(lambda: len(inbox.messages) == 2)
    (review,) = await reviews(store)
    thanks = inbox.messages[1]
    assert thanks["Subject"] == "Thank you for your review: 10% off your next order"
    assert f"Use code {review.reward['code']} at checkout." in text_part(thanks)

    # The reminder lists only the product still to review.
    await store.work(horizon=6.0)
    await until(lambda: len(inbox.messages) == 3)
    reminder = html_part(inbox.messages[2])
    assert "Copper Kettle" in reminder
    assert "Stone Teapot" not in reminder
    assert inbox.messages[2]["Subject"] == "A minute to share your thoughts?"


async def test_a_review_held_by_the_rule_is_published_by_the_merchant(
    store: Store, inbox: Inbox
) -> None:
    (kettle,) = products(store, "Copper Kettle")
    await turn_on(store, request=1, reminder=60)
    await fulfilled_order(store, [kettle])
    await store.work(horizon=1.5)
    await until(lambda: len(inbox.messages) == 1)
    link = next(
        link
        for link in (await star_links(store, html_part(inbox.messages[0])))
        if link.endswith("&r=3")
    )
    path = link.removeprefix("http://testserver").split("?")[0]
    sent = await store.client.post(
        path, data={"product": str(kettle.id), "rating": "3", "title": "", "body": "ok"}
    )
    assert sent.status_code == 200
    (review,) = await reviews(store)
    assert (review.status, review.held_because) == ("pending", "below_auto_publish_rating")
    await store.work(horizon=0.5)
    # Nothing public until it is published.
    assert not store.sim.metafields(SHOP, f"gid://shopify/Product/{kettle.id}")

    listed = await store.client.get("/api/reviews?status=pending", headers=store.headers)
    assert [r["id"] for r in listed.json()] == [review.id]
    published = await store.client.post(f"/api/reviews/{review.id}/publish", headers=store.headers)
    assert published.status_code == 200
    assert published.json()["status"] == "published"
    await store.work(horizon=0.5)
    fields = {
        m.key: m.value for m in store.sim.metafields(SHOP, f"gid://shopify/Product/{kettle.id}")
    }
    assert json.loads(fields["rating"])["value"] == "3.0"
    assert fields["rating_count"] == "1"


async def test_cancelled_order_gets_no_request(store: Store, inbox: Inbox) -> None:
    (kettle,) = products(store, "Copper Kettle")
    # The request is due 4 s after the fulfilment: the cancellation comes first.
    await turn_on(store, request=4, reminder=6)
    order = await fulfilled_order(store, [kettle])
    later = (datetime.now(UTC) + timedelta(seconds=2)).isoformat()
    cancelled = {**order, "cancelled_at": later, "updated_at": later, "cancel_reason": "customer"}
    await store.deliver("orders/cancelled", cancelled)
    await store.work(horizon=7.0)
    run = await run_of(store)
    assert run is not None
    assert (run.status, run.stop_reason) == ("stopped", "order_cancelled")
    assert inbox.messages == []
    assert ("stopped", 1, "order_cancelled") in await timeline(store)


async def test_a_product_already_reviewed_is_never_asked_again(store: Store, inbox: Inbox) -> None:
    (kettle,) = products(store, "Copper Kettle")
    await turn_on(store, request=1, reminder=60)
    await fulfilled_order(store, [kettle])
    await store.work(horizon=1.5)
    await until(lambda: len(inbox.messages) == 1)
    link = (await star_links(store, html_part(inbox.messages[0])))[0]
    path = link.removeprefix("http://testserver").split("?")[0]
    await store.client.post(path, data={"product": str(kettle.id), "rating": "4"})
    # Every product of the order is reviewed: the request stops at once (no reminder).
    run = await run_of(store)
    assert run is not None
    assert (run.status, run.stop_reason) == ("stopped", "order_products_reviewed")
    # A second order of the same product by the same customer: nothing to ask.
    await fulfilled_order(store, [kettle])
    async with store.sessions.begin() as session:
        runs = list(await session.scalars(select(ScenarioRun).where(ScenarioRun.scenario == KEY)))
    assert len(runs) == 1
    assert ("not_started", None, "order_products_reviewed") in await timeline(store)
