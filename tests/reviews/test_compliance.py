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
    fulfilled_payload,
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


GUEST = "guest@example.test"


async def guest_reviewed_with_photo(store: Store) -> dict[str, object]:
    """A review with a photo of an order checked out as a guest: no customer on the order,
    so none on the review."""
    (mug,) = products(store, "Mug")
    order = fulfilled_payload(store, {"email": GUEST}, [mug])
    order["customer"] = None
    await store.deliver("orders/fulfilled", order)
    await store.work(horizon=0.3)
    sent = await store.client.post(
        await review_path(store, order),
        data={"product": str(mug.id), "rating": "4", "body": "For my daughter Alice"},
        files=[("photos", ("p.png", photo_bytes("PNG"), "image/png"))],
    )
    assert sent.status_code == 200
    (review,) = await reviews(store)
    assert (review.customer_id, review.order_id is not None) == (None, True)
    return order


def guest_request(topic: str) -> dict[str, object]:
    """Shopify's sample for the guest, naming no order (a guest order is not on their
    customer record at Shopify: only their email finds it)."""
    payload = copy.deepcopy(fixture_json(topic))
    payload["shop_domain"] = SHOP
    payload["customer"].update(id=7_700_001, email=GUEST)
    payload["orders_to_redact" if topic == "customers/redact" else "orders_requested"] = []
    return payload


async def test_a_data_request_exports_the_review_of_a_guest_order(store: Store) -> None:
    await guest_reviewed_with_photo(store)
    await store.deliver("customers/data_request", guest_request("customers/data_request"))
    await store.work(horizon=0.5)
    async with store.sessions.begin() as session:
        stored = await session.scalar(select(CustomerDataRequest))
    assert stored is not None
    section = stored.export["reviews"]
    assert [item["review"]["body"] for item in section if "review" in item] == [
        "For my daughter Alice"
    ]
    assert [item for item in section if "review_photo" in item]


async def test_redaction_anonymises_the_review_of_a_guest_order_and_deletes_its_photos(
    store: Store,
) -> None:
    await guest_reviewed_with_photo(store)
    (photo,) = await photos(store)
    path = store.settings.data_dir / "review-photos" / photo.storage_key
    assert path.exists()
    await store.deliver("customers/redact", guest_request("customers/redact"))
    await store.work(horizon=0.5)
    (review,) = await reviews(store)
    assert (review.author_name, review.order_id, review.order_name) == (None, None, None)
    assert review.anonymised_at is not None
    assert await photos(store) == []
    assert not path.exists()


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


async def test_shop_redaction_deletes_the_shops_photo_files(store: Store) -> None:
    await reviewed_with_photo(store)
    (photo,) = await photos(store)
    root = store.settings.data_dir / "review-photos"
    path = root / photo.storage_key
    # Another shop's photo, in a folder whose name starts with this shop's id.
    neighbour = root / f"{store.shop.id}0" / "1" / "1" / "kept.png"
    neighbour.parent.mkdir(parents=True)
    neighbour.write_bytes(photo_bytes("PNG"))
    await store.deliver("app/uninstalled", fixture_json("app/uninstalled"))
    await store.work(horizon=0.5)  # shop/redact comes 48 hours after
    redact = copy.deepcopy(fixture_json("shop/redact"))
    redact["shop_domain"] = SHOP
    await store.deliver("shop/redact", redact)
    await store.work(horizon=0.5)
    assert await photos(store) == []
    assert not path.exists()
    assert not (root / str(store.shop.id)).exists()
    assert neighbour.exists()
