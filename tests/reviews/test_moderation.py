"""Moderation through the admin API (session-token auth): list, publish, hide, reject as spam,
reply, export as CSV and JSON; the product's aggregate at the simulator follows each change;
rewards never depend on the rating, come once per product per customer, and a review rejected
as spam loses them."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

from sqlalchemy import select

from app.models import PointsLedgerEntry, Review
from tests.reviews.conftest import (
    fulfilled_order,
    loyalty_on,
    photo_bytes,
    products,
    review_path,
    reviews,
)
from tests.scenarios.conftest import SHOP, Store
from tests.support.session_tokens import bearer, mint_session_token


async def submit(
    store: Store, path: str, product: int, rating: str, *, body: str = "ok", photo: bool = False
) -> None:
    files = [("photos", ("p.jpg", photo_bytes("JPEG"), "image/jpeg"))] if photo else None
    sent = await store.client.post(
        path, data={"product": str(product), "rating": rating, "body": body}, files=files
    )
    assert sent.status_code == 200, sent.text


def rating_at_shopify(store: Store, product: int) -> dict[str, str]:
    return {m.key: m.value for m in store.sim.metafields(SHOP, f"gid://shopify/Product/{product}")}


async def test_publish_hide_reply_and_the_aggregate_follows(store: Store) -> None:
    (kettle,) = products(store, "Kettle")
    for email, rating in (
        ("a@example.test", "5"),
        ("b@example.test", "4"),
        ("c@example.test", "2"),
    ):
        order = await fulfilled_order(store, [kettle], email=email)
        await submit(store, await review_path(store, order), kettle.id, rating)
    await store.work(horizon=0.5)
    # 5 and 4 published by the rule; the 2 waits for the merchant.
    assert json.loads(rating_at_shopify(store, kettle.id)["rating"])["value"] == "4.5"
    assert rating_at_shopify(store, kettle.id)["rating_count"] == "2"
    held = next(r for r in await reviews(store) if r.rating == 2)
    assert held.status == "pending"

    published = await store.client.post(f"/api/reviews/{held.id}/publish", headers=store.headers)
    assert published.json()["status"] == "published"
    await store.work(horizon=0.5)
    assert json.loads(rating_at_shopify(store, kettle.id)["rating"])["value"] == "3.7"
    assert rating_at_shopify(store, kettle.id)["rating_count"] == "3"

    top = next(r for r in await reviews(store) if r.rating == 5)
    hidden = await store.client.post(f"/api/reviews/{top.id}/hide", headers=store.headers)
    assert hidden.json()["status"] == "hidden"
    await store.work(horizon=0.5)
    assert json.loads(rating_at_shopify(store, kettle.id)["rating"])["value"] == "3.0"
    assert rating_at_shopify(store, kettle.id)["rating_count"] == "2"

    # Every review hidden: no stars at Shopify, a count of 0.
    for review in await reviews(store):
        if review.status == "published":
            await store.client.post(f"/api/reviews/{review.id}/hide", headers=store.headers)
    await store.work(horizon=0.5)
    assert rating_at_shopify(store, kettle.id) == {"rating_count": "0"}

    replied = await store.client.post(
        f"/api/reviews/{held.id}/reply", headers=store.headers, json={"text": "Sorry! <b>x</b>"}
    )
    assert replied.json()["reply"] == "Sorry! <b>x</b>"
    assert replied.json()["replied_at"] is not None
    empty = await store.client.post(
        f"/api/reviews/{held.id}/reply", headers=store.headers, json={"text": " "}
    )
    assert empty.status_code == 400


async def test_another_shops_session_cannot_touch_a_review(store: Store) -> None:
    (kettle,) = products(store, "Kettle")
    order = await fulfilled_order(store, [kettle])
    await submit(store, await review_path(store, order), kettle.id, "5")
    (review,) = await reviews(store)
    other = bearer(mint_session_token("other.myshopify.com"))
    refused = await store.client.post(f"/api/reviews/{review.id}/hide", headers=other)
    assert refused.status_code in {401, 403, 404}
    assert (await reviews(store))[0].status == "published"


async def test_export_as_csv_and_json(store: Store) -> None:
    (kettle,) = products(store, "Kettle")
    order = await fulfilled_order(store, [kettle])
    await submit(
        store, await review_path(store, order), kettle.id, "5", body="=1+1 <i>hi</i>", photo=True
    )
    as_csv = await store.client.get("/api/reviews/export?format=csv", headers=store.headers)
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert len(rows) == 1
    # A spreadsheet would run a cell starting with "=": it is kept as text.
    assert rows[0]["body"] == "'=1+1 <i>hi</i>"
    assert rows[0]["rating"] == "5"
    assert rows[0]["photos"].startswith("http://testserver/rp/")
    as_json = await store.client.get("/api/reviews/export?format=json", headers=store.headers)
    (item,) = as_json.json()
    assert item["body"] == "=1+1 <i>hi</i>"
    photo = await store.client.get(item["photos"][0].removeprefix("http://testserver"))
    assert photo.status_code == 200
    assert photo.headers["content-type"] == "image/jpeg"
    forged = await store.client.get(item["photos"][0].removeprefix("http://testserver")[:-2] + "xx")
    assert forged.status_code == 404


async def points(store: Store) -> list[tuple[str, str, int]]:
    async with store.sessions.begin() as session:
        rows = await session.scalars(
            select(PointsLedgerEntry)
            .where(PointsLedgerEntry.source_type != "order")
            .order_by(PointsLedgerEntry.id)
        )
        return [(e.kind, e.source_type, e.delta) for e in rows]


async def balance(store: Store) -> int:
    """The points from reviews (the paid order earns its own)."""
    return sum(delta for _, _, delta in await points(store))


async def test_points_for_any_rating_once_per_product_and_taken_back_for_spam(
    store: Store,
) -> None:
    await loyalty_on(store)
    kettle, teapot = products(store, "Kettle", "Teapot")
    order = await fulfilled_order(store, [kettle, teapot])
    path = await review_path(store, order)
    # A one-star review earns what a five-star one does.
    await submit(store, path, kettle.id, "1", photo=True)
    await submit(store, path, teapot.id, "5")
    assert sorted(await points(store)) == sorted(
        [("bonus", "review", 50), ("bonus", "review_photo", 100), ("bonus", "review", 50)]
    )
    # An edit earns nothing more.
    await submit(store, path, kettle.id, "2", photo=True)
    assert len(await points(store)) == 3
    assert await balance(store) == 200

    spam = next(r for r in await reviews(store) if r.product_id == kettle.id)
    rejected = await store.client.post(f"/api/reviews/{spam.id}/spam", headers=store.headers)
    assert rejected.json()["status"] == "spam"
    assert await balance(store) == 50
    assert (await points(store))[-1] == ("adjust", "manual", -150)
    # Rejecting twice takes nothing more.
    await store.client.post(f"/api/reviews/{spam.id}/spam", headers=store.headers)
    assert await balance(store) == 50


async def test_a_code_when_loyalty_is_off_and_none_for_spam(store: Store) -> None:
    kettle, teapot = products(store, "Kettle", "Teapot")
    order = await fulfilled_order(store, [kettle, teapot])
    path = await review_path(store, order)
    await submit(store, path, kettle.id, "3")
    await submit(store, path, teapot.id, "4")
    spam = next(r for r in await reviews(store) if r.product_id == teapot.id)
    await store.client.post(f"/api/reviews/{spam.id}/spam", headers=store.headers)
    await store.work(horizon=2.0)
    async with store.sessions.begin() as session:
        rows = {r.product_id: r.reward for r in await session.scalars(select(Review))}
    assert rows[kettle.id]["code"].startswith("THANKS")
    assert "code" not in rows[teapot.id]
    assert rows[teapot.id]["revoked"] is True
    assert store.sim.shop("acme").find_code(rows[kettle.id]["code"]) is not None


async def test_a_hidden_review_stays_hidden_when_its_author_edits_it(store: Store) -> None:
    """The merchant's decision stands: the author's edit (within the 24 hours) does not run
    the auto-publish rule again, nor put the review back in the stars at Shopify."""
    (kettle,) = products(store, "Kettle")
    order = await fulfilled_order(store, [kettle], email="a@example.test")
    path = await review_path(store, order)
    await submit(store, path, kettle.id, "5", body="great")
    (review,) = await reviews(store)
    hidden = await store.client.post(f"/api/reviews/{review.id}/hide", headers=store.headers)
    assert hidden.json()["status"] == "hidden"
    await store.work(horizon=0.5)

    await submit(store, path, kettle.id, "5", body="great, edited")
    await store.work(horizon=0.5)
    (review,) = await reviews(store)
    assert (review.status, review.body) == ("hidden", "great, edited")
    assert rating_at_shopify(store, kettle.id) == {"rating_count": "0"}


async def test_a_cancelled_orders_link_no_longer_reviews_it(store: Store) -> None:
    """A link sent before the order was cancelled cannot post a verified review (nor earn its
    reward): the form says why, in the shopper's language."""
    (kettle,) = products(store, "Kettle")
    order = await fulfilled_order(store, [kettle], email="b@example.test", locale="fr")
    path = await review_path(store, order)
    later = datetime.now(UTC).isoformat()
    cancelled = {**order, "cancelled_at": later, "updated_at": later, "cancel_reason": "customer"}
    await store.deliver("orders/cancelled", cancelled)
    await store.work(horizon=0.3)

    page = await store.client.get(path)
    assert page.status_code == 410
    assert "annulée ou remboursée" in page.text
    sent = await store.client.post(path, data={"product": str(kettle.id), "rating": "5"})
    assert sent.status_code == 410
    assert await reviews(store) == []
