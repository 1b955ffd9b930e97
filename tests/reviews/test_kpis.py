"""The reviews program's KPIs (docs/kpis.md, "Reviews") read through GET /api/kpis/reviews
after the roll-up job ran, on reviews made through the public surface: fulfilled orders as
signed webhooks, the review request emails sent by the worker, reviews posted to the hosted
form (one with a photo), one rejected as spam by the merchant."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from app.kpis.jobs import roll_up
from tests.messaging.conftest import Inbox
from tests.reviews.conftest import fulfilled_order, products, review_path, reviews
from tests.reviews.test_end_to_end import turn_on
from tests.reviews.test_moderation import submit
from tests.scenarios.conftest import Store, until


async def _kpis(store: Store, query: str = "") -> dict[str, Any]:
    response = await store.client.get(f"/api/kpis/reviews{query}", headers=store.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _values(body: dict[str, Any]) -> dict[str, str | None]:
    return {name: f["value"] for name, f in body["figures"].items()}


async def test_requests_response_rate_rating_and_photos(store: Store, inbox: Inbox) -> None:
    kettle, teapot = products(store, "Copper Kettle", "Stone Teapot")
    # The request 1 s after the fulfilment; the reminder not within this test.
    await turn_on(store, request=1, reminder=3600)
    answered = await fulfilled_order(store, [kettle, teapot], email="a@example.test")
    second = await fulfilled_order(store, [kettle], email="b@example.test", first_name="Bo")
    await fulfilled_order(store, [teapot], email="c@example.test", first_name="Cy")
    await store.work(horizon=1.5)
    await until(lambda: len(inbox.messages) == 3)
    # The first order's buyer reviews both products (5 stars with a photo, 2 stars); the
    # second's reviews the kettle (4 stars); the third never answers.
    path = await review_path(store, answered)
    await submit(store, path, teapot.id, "5", photo=True)
    await submit(store, path, kettle.id, "2")
    await submit(store, await review_path(store, second), kettle.id, "4")

    await roll_up(store.sessions)
    body = await _kpis(store)
    values = _values(body)
    assert Decimal(values["requests"] or "") == 3
    assert Decimal(values["requests_answered"] or "") == 2
    assert values["response_rate"] == "0.666667"  # 2 of 3 orders asked
    assert Decimal(values["reviews"] or "") == 3
    assert Decimal(values["rating_sum"] or "") == 11
    assert values["average_rating"] == "3.666667"  # (5 + 2 + 4) ÷ 3
    assert Decimal(values["reviews_with_photos"] or "") == 1
    assert values["photo_share"] == "0.333333"
    assert [Decimal(values[f"rating_{n}"] or "") for n in range(1, 6)] == [0, 1, 0, 1, 1]
    overall = body["all_time"]
    assert (overall["reviews"], overall["average_rating"], overall["photo_share"]) == (
        3,
        "3.6667",
        "0.3333",
    )
    # The 2 stars waits for the merchant (the auto-publish rule holds low ratings).
    assert (overall["published"], overall["awaiting_moderation"]) == (2, 1)

    # The merchant rejects the 2 stars as spam: it no longer counts, and its order's request
    # is answered by the other review still.
    (low,) = [r for r in await reviews(store) if r.rating == 2]
    spam = await store.client.post(f"/api/reviews/{low.id}/spam", headers=store.headers)
    assert spam.status_code == 200, spam.text
    await roll_up(store.sessions)
    values = _values(await _kpis(store))
    assert Decimal(values["reviews"] or "") == 2
    assert values["average_rating"] == "4.500000"
    assert Decimal(values["requests_answered"] or "") == 2

    exported = await store.client.get("/api/kpis/reviews?format=csv", headers=store.headers)
    assert exported.headers["content-type"].startswith("text/csv")
    rows = csv.DictReader(io.StringIO(exported.text))
    table = {(r["source"], r["metric"]): r["value"] for r in rows}
    assert Decimal(table[("reviews", "requests")]) == 3
    assert table[("reviews", "response_rate")] == "0.666667"
    assert table[("reviews_all_time", "reviews")] == "3"  # the snapshot, as last computed
