"""GraphQL Admin API: authentication, discounts, metafields, tags, errors, cost, throttling."""

from __future__ import annotations

from typing import Any

import httpx

from devstore.clock import ManualClock
from devstore.server import Simulator
from tests.devstore.conftest import API, SHOP, gql

CREATE = """
mutation Create($input: DiscountCodeBasicInput!) {
  discountCodeBasicCreate(basicCodeDiscount: $input) {
    codeDiscountNode {
      id
      codeDiscount {
        ... on DiscountCodeBasic { title status codes(first: 5) { nodes { code } } }
      }
    }
    userErrors { field code message }
  }
}
"""


def discount_input(code: str, **extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "title": f"Come back {code}",
        "code": code,
        "startsAt": "2026-11-01T00:00:00Z",
        "customerGets": {"value": {"percentage": 0.1}, "items": {"all": True}},
        "combinesWith": {"orderDiscounts": False, "productDiscounts": True},
        "context": {"all": "ALL"},
    }
    base.update(extra)
    return base


async def test_request_without_a_valid_token_is_401(client: httpx.AsyncClient) -> None:
    missing = await client.post(API, json={"query": "{ shop { name } }"})
    assert missing.status_code == 401
    assert missing.json() == {
        "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
    }
    wrong = await client.post(
        API, json={"query": "{ shop { name } }"}, headers={"X-Shopify-Access-Token": "shpat_x"}
    )
    assert wrong.status_code == 401


async def test_token_of_one_shop_does_not_open_another(
    client: httpx.AsyncClient, sim: Simulator, token: str
) -> None:
    sim.add_shop("other")
    response = await client.post(
        "/other.myshopify.com/admin/api/2026-10/graphql.json",
        json={"query": "{ shop { name } }"},
        headers={"X-Shopify-Access-Token": token},
    )
    assert response.status_code == 401


async def test_shop_facts_and_cost_extension(client: httpx.AsyncClient, token: str) -> None:
    body = await gql(
        client,
        token,
        "{ shop { name email currencyCode ianaTimezone primaryDomain { url host } "
        "plan { displayName shopifyPlus } } }",
    )
    shop = body["data"]["shop"]
    assert shop["currencyCode"] == "USD"
    assert shop["primaryDomain"]["url"] == "https://demo.example"
    assert shop["plan"]["shopifyPlus"] is False
    cost = body["extensions"]["cost"]
    # shop (1) + primaryDomain (1) + plan (1)
    assert cost["requestedQueryCost"] == 3
    assert cost["actualQueryCost"] == 3
    assert cost["throttleStatus"]["maximumAvailable"] == 2000.0
    assert cost["throttleStatus"]["restoreRate"] == 100.0


async def test_shop_address_is_formatted_in_the_countrys_order(
    client: httpx.AsyncClient, token: str
) -> None:
    # Shop.shopAddress (2026-01 on), and billingAddress (deprecated) with the same values:
    # https://shopify.dev/changelog/deprecation-of-shop-billingaddress-in-favor-of-shop-shopaddress
    body = await gql(
        client,
        token,
        "{ shop { shopAddress { formatted withoutCompany: formatted(withCompany: false) "
        "city zip countryCodeV2 formattedArea } billingAddress { formatted } } }",
    )
    address = body["data"]["shop"]["shopAddress"]
    assert address["formatted"] == [
        "Demo",
        "100 Main Street",
        "Springfield IL 62701",
        "United States",
    ]
    assert address["withoutCompany"] == address["formatted"][1:]
    assert (address["city"], address["zip"], address["countryCodeV2"]) == (
        "Springfield",
        "62701",
        "US",
    )
    assert address["formattedArea"] == "Springfield, Illinois, United States"
    assert body["data"]["shop"]["billingAddress"]["formatted"] == address["formatted"]
    # shop (1) + two addresses (1 each)
    assert body["extensions"]["cost"]["requestedQueryCost"] == 3


async def test_malformed_query_gets_errors_with_locations(
    client: httpx.AsyncClient, token: str
) -> None:
    body = await gql(client, token, "{ shop { name ")
    assert "data" not in body
    assert body["errors"][0]["locations"][0]["line"] == 1
    unknown = await gql(client, token, "{ shop { nope } }")
    assert "nope" in unknown["errors"][0]["message"]
    assert unknown["errors"][0]["locations"] == [{"line": 1, "column": 10}]


async def test_create_discount_then_duplicate_code_is_a_user_error(
    client: httpx.AsyncClient, token: str, sim: Simulator
) -> None:
    first = await gql(client, token, CREATE, {"input": discount_input("BACK10-AB12")})
    payload = first["data"]["discountCodeBasicCreate"]
    assert payload["userErrors"] == []
    node = payload["codeDiscountNode"]
    assert node["id"].startswith("gid://shopify/DiscountCodeNode/")
    assert node["codeDiscount"]["codes"]["nodes"] == [{"code": "BACK10-AB12"}]
    assert node["codeDiscount"]["status"] == "ACTIVE"
    assert first["extensions"]["cost"]["requestedQueryCost"] == 10
    again = await gql(client, token, CREATE, {"input": discount_input("back10-ab12")})
    payload = again["data"]["discountCodeBasicCreate"]
    assert payload["codeDiscountNode"] is None
    assert payload["userErrors"] == [
        {
            "field": ["basicCodeDiscount", "code"],
            "code": "TAKEN",
            "message": "Code must be unique. Please try a different code.",
        }
    ]
    assert sim.codes(SHOP) == ["BACK10-AB12"]


async def test_discount_validation_errors(client: httpx.AsyncClient, token: str) -> None:
    body = await gql(
        client,
        token,
        CREATE,
        {"input": discount_input("", endsAt="2026-10-01T00:00:00Z")},
    )
    errors = body["data"]["discountCodeBasicCreate"]["userErrors"]
    codes = {(tuple(e["field"]), e["code"]) for e in errors}
    assert (("basicCodeDiscount", "code"), "BLANK") in codes
    assert (("basicCodeDiscount", "endsAt"), "END_DATE_BEFORE_START_DATE") in codes


async def test_who_may_use_the_code_is_required_on_create(
    client: httpx.AsyncClient, token: str, sim: Simulator
) -> None:
    """2026-10: `context` (or the deprecated `customerSelection`) is a required field on
    create; leaving it out is a userError, not a discount for everyone."""
    without = discount_input("NO-CONTEXT")
    del without["context"]
    for given, field, message in (
        (without, "context", "Context can't be blank"),
        (dict(without, context={}), "context", "Context can't be blank"),
        (
            dict(without, customerSelection={}),
            "customerSelection",
            "Customer selection can't be blank",
        ),
    ):
        body = await gql(client, token, CREATE, {"input": given})
        payload = body["data"]["discountCodeBasicCreate"]
        assert payload["codeDiscountNode"] is None
        assert payload["userErrors"] == [
            {"field": ["basicCodeDiscount", field], "code": "BLANK", "message": message}
        ]
    free_shipping = """mutation { discountCodeFreeShippingCreate(freeShippingCodeDiscount: {
      title: "Free shipping", code: "SHIP-NO-CONTEXT", startsAt: "2026-01-01T00:00:00Z" }) {
      codeDiscountNode { id } userErrors { field code } } }"""
    body = await gql(client, token, free_shipping)
    assert body["data"]["discountCodeFreeShippingCreate"]["userErrors"] == [
        {"field": ["freeShippingCodeDiscount", "context"], "code": "BLANK"}
    ]
    assert sim.codes(SHOP) == []
    legacy = await gql(
        client, token, CREATE, {"input": dict(without, customerSelection={"all": True})}
    )
    assert legacy["data"]["discountCodeBasicCreate"]["userErrors"] == []
    assert sim.codes(SHOP) == ["NO-CONTEXT"]


async def test_code_restricted_to_a_customer_and_found_by_code(
    client: httpx.AsyncClient, token: str, sim: Simulator
) -> None:
    customer = sim.add_customer(SHOP, "ana@example.com", first_name="Ana")
    body = await gql(
        client,
        token,
        CREATE,
        {
            "input": discount_input(
                "ANA-ONLY", usageLimit=1, context={"customers": {"add": [customer.gid]}}
            )
        },
    )
    assert body["data"]["discountCodeBasicCreate"]["userErrors"] == []
    found = await gql(
        client,
        token,
        """query($code: String!) { codeDiscountNodeByCode(code: $code) { id codeDiscount {
          ... on DiscountCodeBasic { usageLimit context { ... on DiscountCustomers {
          customers { email } } } } } } }""",
        {"code": "ana-only"},
    )
    discount = found["data"]["codeDiscountNodeByCode"]["codeDiscount"]
    assert discount["usageLimit"] == 1
    assert discount["context"]["customers"] == [{"email": "ana@example.com"}]


BULK_ADD = """
mutation($id: ID!, $codes: [DiscountRedeemCodeInput!]!) {
  discountRedeemCodeBulkAdd(discountId: $id, codes: $codes) {
    bulkCreation { id done }
    userErrors { field code message }
  }
}
"""

BULK_POLL = """
query($id: ID!) {
  discountRedeemCodeBulkCreation(id: $id) {
    done codesCount importedCount failedCount
    codes(first: 10) { nodes { code errors { code message } } }
  }
}
"""


async def test_bulk_add_is_asynchronous_and_reports_failures(
    client: httpx.AsyncClient, token: str, sim: Simulator, clock: ManualClock
) -> None:
    created = await gql(client, token, CREATE, {"input": discount_input("BASE-1")})
    discount_id = created["data"]["discountCodeBasicCreate"]["codeDiscountNode"]["id"]
    codes = [{"code": "BULK-1"}, {"code": "BULK-2"}, {"code": "BASE-1"}]
    added = await gql(client, token, BULK_ADD, {"id": discount_id, "codes": codes})
    creation = added["data"]["discountRedeemCodeBulkAdd"]["bulkCreation"]
    assert creation["done"] is False
    polled = await gql(client, token, BULK_POLL, {"id": creation["id"]})
    assert polled["data"]["discountRedeemCodeBulkCreation"]["done"] is False
    clock.advance(1)
    polled = await gql(client, token, BULK_POLL, {"id": creation["id"]})
    job = polled["data"]["discountRedeemCodeBulkCreation"]
    assert (job["done"], job["codesCount"], job["importedCount"], job["failedCount"]) == (
        True,
        3,
        2,
        1,
    )
    assert job["codes"]["nodes"][2]["errors"][0]["code"] == "TAKEN"
    assert sorted(sim.codes(SHOP)) == ["BASE-1", "BULK-1", "BULK-2"]


async def test_input_arrays_over_250_are_rejected(
    client: httpx.AsyncClient, token: str, sim: Simulator
) -> None:
    created = await gql(client, token, CREATE, {"input": discount_input("BASE-2")})
    discount_id = created["data"]["discountCodeBasicCreate"]["codeDiscountNode"]["id"]
    codes = [{"code": f"C-{i}"} for i in range(251)]
    body = await gql(client, token, BULK_ADD, {"id": discount_id, "codes": codes})
    assert body["errors"][0]["extensions"]["code"] == "MAX_INPUT_SIZE_EXCEEDED"
    assert body["data"]["discountRedeemCodeBulkAdd"] is None


METAFIELDS = """
mutation($metafields: [MetafieldsSetInput!]!) {
  metafieldsSet(metafields: $metafields) {
    metafields { namespace key value }
    userErrors { field code message }
  }
}
"""


async def test_metafields_set_resolves_app_namespace_and_validates(
    client: httpx.AsyncClient, token: str, sim: Simulator
) -> None:
    customer = sim.add_customer(SHOP, "bo@example.com")
    entry = {
        "ownerId": customer.gid,
        "namespace": "$app:loyalty",
        "key": "points",
        "type": "number_integer",
        "value": "120",
    }
    body = await gql(client, token, METAFIELDS, {"metafields": [entry]})
    written = body["data"]["metafieldsSet"]["metafields"]
    assert written == [
        {"namespace": f"app--{sim.config.app_id}--loyalty", "key": "points", "value": "120"}
    ]
    read = await gql(
        client,
        token,
        'query($id: ID!) { customer(id: $id) { email metafield(namespace: "$app:loyalty", '
        'key: "points") { value } } }',
        {"id": customer.gid},
    )
    assert read["data"]["customer"]["metafield"] == {"value": "120"}
    bad = await gql(client, token, METAFIELDS, {"metafields": [dict(entry, value="12.5")]})
    assert bad["data"]["metafieldsSet"]["userErrors"][0]["code"] == "INVALID_VALUE"


async def test_26_metafields_in_one_call_is_a_user_error(
    client: httpx.AsyncClient, token: str, sim: Simulator
) -> None:
    customer = sim.add_customer(SHOP, "cy@example.com")
    entries = [
        {
            "ownerId": customer.gid,
            "namespace": "$app:loyalty",
            "key": f"k{i}",
            "type": "single_line_text_field",
            "value": "x",
        }
        for i in range(26)
    ]
    body = await gql(client, token, METAFIELDS, {"metafields": entries})
    errors = body["data"]["metafieldsSet"]["userErrors"]
    assert errors[0]["code"] == "LESS_THAN_OR_EQUAL_TO"
    assert errors[0]["field"] == ["metafields"]
    assert sim.metafields(SHOP) == []


async def test_tags_add_and_remove(client: httpx.AsyncClient, token: str, sim: Simulator) -> None:
    customer = sim.add_customer(SHOP, "di@example.com")
    add = """mutation($id: ID!, $tags: [String!]!) { tagsAdd(id: $id, tags: $tags) {
      node { id } userErrors { field message } } }"""
    body = await gql(client, token, add, {"id": customer.gid, "tags": ["vip", "gold, loyal"]})
    assert body["data"]["tagsAdd"]["node"] == {"id": customer.gid}
    assert sim.tags(SHOP, customer.id) == ["vip", "gold", "loyal"]
    remove = add.replace("tagsAdd", "tagsRemove")
    await gql(client, token, remove, {"id": customer.gid, "tags": ["gold"]})
    assert sim.tags(SHOP, customer.id) == ["vip", "loyal"]


async def test_webhook_subscription_create_and_list(client: httpx.AsyncClient, token: str) -> None:
    create = """mutation { webhookSubscriptionCreate(topic: ORDERS_CREATE,
      webhookSubscription: {uri: "https://app.example.com/webhooks", format: JSON}) {
      webhookSubscription { id topic uri } userErrors { field message } } }"""
    first = await gql(client, token, create)
    assert first["data"]["webhookSubscriptionCreate"]["userErrors"] == []
    duplicate = await gql(client, token, create)
    assert duplicate["data"]["webhookSubscriptionCreate"]["userErrors"]
    listed = await gql(client, token, "{ webhookSubscriptions(first: 10) { nodes { topic uri } } }")
    assert listed["data"]["webhookSubscriptions"]["nodes"] == [
        {"topic": "ORDERS_CREATE", "uri": "https://app.example.com/webhooks"}
    ]
    # connection: 2 + 10 nodes x 1
    assert listed["extensions"]["cost"]["requestedQueryCost"] == 12
    assert listed["extensions"]["cost"]["actualQueryCost"] == 3


async def test_a_connection_without_first_or_last_is_refused(
    client: httpx.AsyncClient, token: str, sim: Simulator
) -> None:
    sim.add_customer(SHOP, "fi@example.com")
    body = await gql(
        client,
        token,
        """query($n: Int) {
  shop { name }
  buyers: customers { nodes { id } }
  webhookSubscriptions(first: $n) { nodes { id } }
}""",
    )
    assert body == {
        "errors": [
            {
                "message": "you must provide one of first or last",
                "locations": [{"line": 3, "column": 3}],
                "path": ["buyers"],
            },
            {
                "message": "you must provide one of first or last",
                "locations": [{"line": 4, "column": 3}],
                "path": ["webhookSubscriptions"],
            },
        ]
    }
    nested = await gql(
        client, token, "{ customers(first: 1) { nodes { metafields { nodes { id } } } } }"
    )
    assert nested["errors"][0]["path"] == ["customers", "nodes", "metafields"]
    paged = await gql(
        client, token, "query($n: Int) { customers(first: $n) { nodes { id } } }", {"n": 5}
    )
    assert "errors" not in paged
    assert len(paged["data"]["customers"]["nodes"]) == 1


async def test_query_over_the_single_query_max_cost_is_rejected(
    client: httpx.AsyncClient, token: str
) -> None:
    body = await gql(
        client,
        token,
        "{ customers(first: 250) { nodes { id metafields(first: 250) { nodes { value } } } } }",
    )
    assert body["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"
    assert body["extensions"]["cost"]["requestedQueryCost"] > 1000


async def test_throttling_engages_at_the_bucket_size_and_refills(
    client: httpx.AsyncClient, token: str, sim: Simulator, clock: ManualClock
) -> None:
    mutation = """mutation($id: ID!) { tagsAdd(id: $id, tags: ["x"]) { userErrors { message } } }"""
    customer = sim.add_customer(SHOP, "ed@example.com")
    statuses: list[dict[str, Any]] = []
    for _ in range(200):  # 200 x 10 points = the whole 2000-point standard bucket
        body = await gql(client, token, mutation, {"id": customer.gid})
        assert "errors" not in body
        statuses.append(body["extensions"]["cost"]["throttleStatus"])
    assert statuses[0]["currentlyAvailable"] == 1990
    assert statuses[-1]["currentlyAvailable"] == 0
    throttled = await gql(client, token, mutation, {"id": customer.gid})
    assert throttled["errors"] == [
        {
            "message": "Throttled",
            "extensions": {
                "code": "THROTTLED",
                "documentation": "https://shopify.dev/api/usage/rate-limits",
            },
        }
    ]
    assert "data" not in throttled
    assert throttled["extensions"]["cost"]["actualQueryCost"] is None
    assert throttled["extensions"]["cost"]["requestedQueryCost"] == 10
    clock.advance(0.05)  # 5 points back: still not enough for a mutation
    again = await gql(client, token, mutation, {"id": customer.gid})
    assert again["errors"][0]["extensions"]["code"] == "THROTTLED"
    assert again["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 5.0
    clock.advance(0.05)
    ok = await gql(client, token, mutation, {"id": customer.gid})
    assert "errors" not in ok
    assert ok["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 0.0
    assert sum(1 for r in sim.store.requests if r.throttled) == 2


async def test_plus_plan_has_a_bigger_bucket(
    client: httpx.AsyncClient, token: str, sim: Simulator
) -> None:
    sim.set_plan(SHOP, "plus")
    body = await gql(client, token, "{ shop { name } }")
    status = body["extensions"]["cost"]["throttleStatus"]
    assert (status["maximumAvailable"], status["restoreRate"]) == (20000.0, 1000.0)


async def test_missing_scope_is_access_denied(
    client: httpx.AsyncClient, sim: Simulator, config: Any
) -> None:
    for access in sim.store.access_tokens.values():
        access.revoked = True
    sim.config.scopes = frozenset({"read_customers"})
    limited = sim.install(SHOP).access_token
    body = await gql(client, limited, CREATE, {"input": discount_input("NOPE")})
    assert body["errors"][0]["extensions"]["code"] == "ACCESS_DENIED"
    assert body["data"]["discountCodeBasicCreate"] is None
