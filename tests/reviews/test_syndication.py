"""Syndication to Shopify's standard product_review metaobject, through the admin API and the
simulator: off by default; turning it on needs the optional metaobject scopes granted (the
admin asks through App Bridge's Scopes API), then enables the standard definition at Shopify;
a scope not granted, or an app Shopify has not approved, gets a clear refusal (EN/FR) with the
setting left off; once on, a
published review is one metaobject (handle from our review id, so a repeat never makes a
second), hidden or redacted it is removed."""

from __future__ import annotations

import copy
import json

from tests.reviews.conftest import fulfilled_order, photo_bytes, products, review_path, reviews
from tests.scenarios.conftest import SHOP, Store
from tests.support.fixtures import fixture_json

TYPE = "product_review"
SCOPES = ["write_metaobject_definitions", "write_metaobjects"]


def at_shopify(store: Store) -> dict[str, dict[str, str]]:
    """The shop's product_review metaobjects at the simulator: handle -> fields."""
    shop = store.sim.shop(SHOP)
    return {h: dict(m.fields) for (t, h), m in shop.metaobjects.items() if t == TYPE}


async def syndicate(store: Store, on: bool = True, **headers: str) -> tuple[int, dict[str, object]]:
    response = await store.client.put(
        "/api/reviews/settings",
        headers={**store.headers, **headers},
        json={"syndicate_to_shopify": on},
    )
    return response.status_code, response.json()


async def settings_now(store: Store) -> dict[str, object]:
    response = await store.client.get("/api/reviews/settings", headers=store.headers)
    body: dict[str, object] = response.json()
    return body


async def reviewed(store: Store, rating: str = "5") -> tuple[dict[str, object], int]:
    (kettle,) = products(store, "Kettle")
    order = await fulfilled_order(store, [kettle], email="ana@example.test", first_name="Ana")
    sent = await store.client.post(
        await review_path(store, order),
        data={
            "product": str(kettle.id),
            "rating": rating,
            "title": "Great",
            "body": "Boils <fast>",
        },
        files=[("photos", ("p.jpg", photo_bytes("JPEG"), "image/jpeg"))],
    )
    assert sent.status_code == 200, sent.text
    return order, kettle.id


async def test_turning_on_without_the_scopes_granted_is_refused_clearly(store: Store) -> None:
    store.sim.config.product_review_syndication_approved = True
    settings = await settings_now(store)
    assert settings["syndicate_to_shopify"] is False
    # What the admin asks App Bridge for before it saves.
    assert settings["syndication_scopes"] == SCOPES

    status, body = await syndicate(store)
    assert status == 400
    assert body["detail"] == (
        "Shopify has not granted Boomerang write_metaobject_definitions, write_metaobjects yet: "
        "accept the permission request that opens when you turn syndication on, then save "
        "again. Syndication stays off."
    )
    status, body = await syndicate(store, **{"Accept-Language": "fr-FR"})
    assert status == 400
    assert body["detail"] == (
        "Shopify n'a pas encore accordé write_metaobject_definitions, write_metaobjects à "
        "Boomerang : acceptez la demande d'autorisation qui s'ouvre quand vous activez la "
        "syndication, puis enregistrez à nouveau. La syndication reste désactivée."
    )
    # Half granted is not enough.
    store.sim.grant_scopes(SHOP, ["write_metaobjects"])
    status, body = await syndicate(store)
    assert status == 400
    assert "Boomerang write_metaobject_definitions yet" in str(body["detail"])
    assert (await settings_now(store))["syndicate_to_shopify"] is False
    assert TYPE not in store.sim.shop(SHOP).metaobject_definitions

    # Both granted (the merchant accepted the request): it turns on.
    store.sim.grant_scopes(SHOP, SCOPES)
    status, body = await syndicate(store)
    assert status == 200, body
    assert body["syndicate_to_shopify"] is True
    assert TYPE in store.sim.shop(SHOP).metaobject_definitions


async def test_off_by_default_and_an_unapproved_app_is_refused_clearly(store: Store) -> None:
    assert (await settings_now(store))["syndicate_to_shopify"] is False
    assert store.sim.config.product_review_syndication_approved is False
    store.sim.grant_scopes(SHOP, SCOPES)

    status, body = await syndicate(store)
    assert status == 400
    assert "approved" in json.dumps(body)
    assert "standard product review syndication program" in json.dumps(body)
    status, body = await syndicate(store, **{"Accept-Language": "fr-FR"})
    assert status == 400
    assert "programme de syndication des avis" in json.dumps(body, ensure_ascii=False)
    assert (await settings_now(store))["syndicate_to_shopify"] is False
    assert TYPE not in store.sim.shop(SHOP).metaobject_definitions

    # Reviews keep working, and nothing goes to the metaobject.
    await reviewed(store)
    await store.work(horizon=0.5)
    assert [r.status for r in await reviews(store)] == ["published"]
    assert at_shopify(store) == {}


async def test_a_published_review_is_one_metaobject_removed_when_hidden_or_redacted(
    store: Store,
) -> None:
    # Published before syndication is turned on: written when it is.
    order, product_id = await reviewed(store)
    await store.work(horizon=0.5)
    assert at_shopify(store) == {}
    store.sim.config.product_review_syndication_approved = True
    store.sim.grant_scopes(SHOP, SCOPES)
    status, body = await syndicate(store)
    assert status == 200, body
    assert body["syndicate_to_shopify"] is True
    assert TYPE in store.sim.shop(SHOP).metaobject_definitions
    await store.work(horizon=0.5)
    (review,) = await reviews(store)
    handle = f"boomerang-review-{review.id}"
    objects = at_shopify(store)
    assert list(objects) == [handle]
    fields = objects[handle]
    assert json.loads(fields["rating"]) == {"value": "5", "scale_min": "1", "scale_max": "5"}
    assert fields["title"] == "Great"
    assert fields["body"] == "Boils <fast>"
    assert fields["source"] == "Boomerang"
    assert fields["product"] == f"gid://shopify/Product/{product_id}"
    assert fields["author"] == f"gid://shopify/Customer/{order['customer']['id']}"  # type: ignore[index]
    assert fields["order"] == f"gid://shopify/Order/{order['id']}"
    assert fields["author_display_name"] == "Ana S."
    assert fields["submitted_at"]
    assert fields["published_at"]
    (photo_url,) = json.loads(fields["media_urls"])
    assert photo_url.startswith("http")

    # Published again and replied to: the same metaobject, updated; never a second one.
    for _ in range(2):
        again = await store.client.post(f"/api/reviews/{review.id}/publish", headers=store.headers)
        assert again.status_code == 200
    replied = await store.client.post(
        f"/api/reviews/{review.id}/reply", headers=store.headers, json={"text": "Thank you!"}
    )
    assert replied.status_code == 200
    await store.work(horizon=0.5)
    objects = at_shopify(store)
    assert list(objects) == [handle]
    assert objects[handle]["merchant_reply"] == "Thank you!"
    assert objects[handle]["merchant_replied_at"]

    hidden = await store.client.post(f"/api/reviews/{review.id}/hide", headers=store.headers)
    assert hidden.json()["status"] == "hidden"
    await store.work(horizon=0.5)
    assert at_shopify(store) == {}

    await store.client.post(f"/api/reviews/{review.id}/publish", headers=store.headers)
    await store.work(horizon=0.5)
    assert list(at_shopify(store)) == [handle]

    # Moderated back and forth before the worker runs: the jobs may overlap, the last state
    # (hidden) is what stays at Shopify.
    for action in ("hide", "publish", "hide", "publish", "hide"):
        moved = await store.client.post(f"/api/reviews/{review.id}/{action}", headers=store.headers)
        assert moved.status_code == 200
    await store.work(horizon=0.5)
    assert at_shopify(store) == {}
    await store.client.post(f"/api/reviews/{review.id}/publish", headers=store.headers)
    await store.work(horizon=0.5)
    assert list(at_shopify(store)) == [handle]

    # customers/redact: the review stays (anonymised) in the shop, its metaobject goes.
    redact = copy.deepcopy(fixture_json("customers/redact"))
    redact["shop_domain"] = SHOP
    redact["customer"].update(id=order["customer"]["id"], email=order["email"])  # type: ignore[index]
    redact["orders_to_redact"] = [order["id"]]
    await store.deliver("customers/redact", redact)
    await store.work(horizon=0.5)
    (review,) = await reviews(store)
    assert review.anonymised_at is not None
    assert review.status == "published"
    assert at_shopify(store) == {}
