"""Reviews in customer data requests and redactions, through Shopify's compliance webhooks: a
data request's export includes the customer's reviews and photos; customers/redact anonymises
their reviews (the rating and words stay, the author, customer and order go) and deletes their
photos, rows and bytes."""

from __future__ import annotations

import copy

from sqlalchemy import select

from app.models import CustomerDataRequest
from tests.reviews.conftest import (
    fulfilled_order,
    photo_bytes,
    photos,
    products,
    review_path,
    reviews,
)
from tests.scenarios.conftest import SHOP, Store
from tests.support.fixtures import fixture_json


async def reviewed_with_photo(store: Store) -> dict[str, object]:
    (kettle,) = products(store, "Kettle")
    order = await fulfilled_order(store, [kettle], email="gone@example.test", first_name="Zoé")
    sent = await store.client.post(
        await review_path(store, order),
        data={"product": str(kettle.id), "rating": "5", "body": "Lovely"},
        files=[("photos", ("p.png", photo_bytes("PNG"), "image/png"))],
    )
    assert sent.status_code == 200
    return order


async def test_a_data_request_exports_the_customers_reviews(store: Store) -> None:
    order = await reviewed_with_photo(store)
    request = copy.deepcopy(fixture_json("customers/data_request"))
    request["shop_domain"] = SHOP
    request["customer"].update(id=order["customer"]["id"], email=order["email"])  # type: ignore[index]
    await store.deliver("customers/data_request", request)
    await store.work(horizon=0.5)
    async with store.sessions.begin() as session:
        stored = await session.scalar(select(CustomerDataRequest))
    assert stored is not None
    section = stored.export["reviews"]
    (review,) = [item["review"] for item in section if "review" in item]
    assert (review["rating"], review["body"], review["author_name"]) == (5, "Lovely", "Zoé S.")
    assert [item for item in section if "review_photo" in item]


async def test_redaction_anonymises_reviews_and_deletes_photos(store: Store) -> None:
    order = await reviewed_with_photo(store)
    (photo,) = await photos(store)
    path = store.settings.data_dir / "review-photos" / photo.storage_key
    assert path.exists()
    redact = copy.deepcopy(fixture_json("customers/redact"))
    redact["shop_domain"] = SHOP
    redact["customer"].update(id=order["customer"]["id"], email=order["email"])  # type: ignore[index]
    redact["orders_to_redact"] = [order["id"]]
    await store.deliver("customers/redact", redact)
    await store.work(horizon=0.5)
    (review,) = await reviews(store)
    assert (review.author_name, review.customer_id, review.order_id) == (None, None, None)
    assert review.anonymised_at is not None
    assert (review.rating, review.body) == (5, "Lovely")
    assert await photos(store) == []
    assert not path.exists()
