"""The simulator's standard product_review metaobject, as Shopify documents it: enabling the
standard definition is refused to an app not approved for the syndication program; once
enabled, metaobjectUpsert validates the definition's required fields (rating, submitted_at,
source) and the rating's JSON, creates one entry per handle and updates it after; the entry
is read by handle and deleted by id; the mutations need the metaobject scopes, optional
scopes of the app that hold once the merchant grants them (App Bridge's Scopes API)."""

from __future__ import annotations

import json

import httpx

from devstore.server import Simulator
from tests.devstore.conftest import SHOP, gql

ENABLE = """mutation($type: String!) { standardMetaobjectDefinitionEnable(type: $type) {
  metaobjectDefinition { type fieldDefinitions { key required } }
  userErrors { field code message } } }"""
UPSERT = """mutation($handle: MetaobjectHandleInput!, $metaobject: MetaobjectUpsertInput!) {
  metaobjectUpsert(handle: $handle, metaobject: $metaobject) {
    metaobject { id handle rating: field(key: "rating") { value } }
    userErrors { field code message elementKey } } }"""
BY_HANDLE = """query($handle: MetaobjectHandleInput!) {
  metaobjectByHandle(handle: $handle) { id fields { key value } } }"""
DELETE = """mutation($id: ID!) { metaobjectDelete(id: $id) { deletedId userErrors { code } } }"""

HANDLE = {"type": "product_review", "handle": "boomerang-review-1"}
SCOPES = ["write_metaobject_definitions", "write_metaobjects"]
ACCESS_SCOPES = "{ currentAppInstallation { accessScopes { handle } } }"


def review(rating: str, **more: str) -> dict[str, object]:
    values = {
        "rating": rating,
        "submitted_at": "2026-12-05T10:00:00+00:00",
        "source": "Boomerang",
        **more,
    }
    return {"fields": [{"key": k, "value": v} for k, v in values.items()]}


STARS = json.dumps({"value": "4", "scale_min": "1", "scale_max": "5"})


async def test_the_metaobject_scopes_are_optional_and_hold_once_granted(
    client: httpx.AsyncClient, token: str, sim: Simulator
) -> None:
    sim.config.product_review_syndication_approved = True
    held = await gql(client, token, ACCESS_SCOPES)
    handles = {s["handle"] for s in held["data"]["currentAppInstallation"]["accessScopes"]}
    assert not set(SCOPES) & handles
    for document, variables in (
        (ENABLE, {"type": "product_review"}),
        (UPSERT, {"handle": HANDLE, "metaobject": review(STARS)}),
    ):
        refused = await gql(client, token, document, variables)
        (error,) = refused["errors"]
        assert error["extensions"]["code"] == "ACCESS_DENIED"
    assert sim.shop(SHOP).metaobject_definitions == set()

    # The merchant accepts the request App Bridge's shopify.scopes.request opens: the same
    # token now carries them.
    granted = await client.post("/store/demo/scopes", json={"action": "request", "scopes": SCOPES})
    assert granted.json()["result"] == "granted-all"
    held = await gql(client, token, ACCESS_SCOPES)
    handles = {s["handle"] for s in held["data"]["currentAppInstallation"]["accessScopes"]}
    assert set(SCOPES) <= handles
    body = await gql(client, token, ENABLE, {"type": "product_review"})
    assert body["data"]["standardMetaobjectDefinitionEnable"]["userErrors"] == []
    assert sim.shop(SHOP).metaobject_definitions == {"product_review"}


async def test_unapproved_apps_are_refused_the_definition(
    client: httpx.AsyncClient, token: str, sim: Simulator
) -> None:
    sim.grant_scopes(SHOP, SCOPES)
    body = await gql(client, token, ENABLE, {"type": "product_review"})
    payload = body["data"]["standardMetaobjectDefinitionEnable"]
    assert payload["metaobjectDefinition"] is None
    (error,) = payload["userErrors"]
    assert "approved" in error["message"]
    # Without the definition, nothing can be upserted.
    body = await gql(client, token, UPSERT, {"handle": HANDLE, "metaobject": review(STARS)})
    assert body["data"]["metaobjectUpsert"]["userErrors"]
    assert sim.shop(SHOP).metaobjects == {}


async def test_upsert_validates_and_keeps_one_entry_per_handle(
    client: httpx.AsyncClient, token: str, sim: Simulator
) -> None:
    sim.config.product_review_syndication_approved = True
    sim.grant_scopes(SHOP, SCOPES)
    body = await gql(client, token, ENABLE, {"type": "product_review"})
    definition = body["data"]["standardMetaobjectDefinitionEnable"]["metaobjectDefinition"]
    required = {f["key"] for f in definition["fieldDefinitions"] if f["required"]}
    assert required == {"rating", "submitted_at", "source"}

    body = await gql(
        client,
        token,
        UPSERT,
        {"handle": HANDLE, "metaobject": {"fields": [{"key": "title", "value": "x"}]}},
    )
    missing = {e["elementKey"] for e in body["data"]["metaobjectUpsert"]["userErrors"]}
    assert missing == {"rating", "submitted_at", "source"}
    for bad in ("4", json.dumps({"value": "6", "scale_min": "1", "scale_max": "5"})):
        body = await gql(client, token, UPSERT, {"handle": HANDLE, "metaobject": review(bad)})
        (error,) = body["data"]["metaobjectUpsert"]["userErrors"]
        assert error["elementKey"] == "rating"
    body = await gql(
        client, token, UPSERT, {"handle": HANDLE, "metaobject": review(STARS, product="42")}
    )
    assert body["data"]["metaobjectUpsert"]["userErrors"][0]["elementKey"] == "product"
    assert sim.shop(SHOP).metaobjects == {}

    first = await gql(client, token, UPSERT, {"handle": HANDLE, "metaobject": review(STARS)})
    created = first["data"]["metaobjectUpsert"]["metaobject"]
    assert created["rating"]["value"] == STARS
    five = json.dumps({"value": "5", "scale_min": "1", "scale_max": "5"})
    again = await gql(client, token, UPSERT, {"handle": HANDLE, "metaobject": review(five)})
    assert again["data"]["metaobjectUpsert"]["metaobject"]["id"] == created["id"]
    assert len(sim.shop(SHOP).metaobjects) == 1

    found = await gql(client, token, BY_HANDLE, {"handle": HANDLE})
    assert found["data"]["metaobjectByHandle"]["id"] == created["id"]
    gone = await gql(client, token, DELETE, {"id": created["id"]})
    assert gone["data"]["metaobjectDelete"]["deletedId"] == created["id"]
    found = await gql(client, token, BY_HANDLE, {"handle": HANDLE})
    assert found["data"]["metaobjectByHandle"] is None
