"""GraphQL objects read back by the reconciler become the REST webhook bodies the handlers
read: the identities and enum values the handlers key on."""

from __future__ import annotations

import pytest

from app.shopify.rest_payloads import checkout_payload, checkout_token, order_payload


@pytest.mark.parametrize(
    "url",
    [
        "https://acme.myshopify.com/548380009/checkouts/0a1b2c3d4e/recover?key=abc",
        "https://acme.myshopify.com/548380009/checkouts/ac/0a1b2c3d4e/recover?key=abc&locale=fr",
        "https://shop.example/checkouts/cn/0a1b2c3d4e/recover?key=abc",
    ],
)
def test_a_checkout_token_is_read_from_each_recovery_url_form(url: str) -> None:
    assert checkout_token(url) == "0a1b2c3d4e"


def test_a_checkout_without_a_readable_token_is_not_made_up() -> None:
    node = {"id": "gid://shopify/AbandonedCheckout/7", "abandonedCheckoutUrl": "https://x/y"}
    assert checkout_payload(node) is None


def test_an_order_keeps_the_values_its_handler_keys_on() -> None:
    money = {"shopMoney": {"amount": "10.00", "currencyCode": "EUR"}}
    body = order_payload(
        {
            "id": "gid://shopify/Order/450789469",
            "legacyResourceId": "450789469",
            "updatedAt": "2026-12-05T06:00:00Z",
            "cancelledAt": None,
            "checkoutToken": "tok",
            "displayFinancialStatus": "PARTIALLY_REFUNDED",
            "displayFulfillmentStatus": "FULFILLED",
            "totalPriceSet": money,
            "totalDiscountsSet": money,
            "discountCodes": ["BACK10"],
            "customer": {"id": "gid://shopify/Customer/207119551", "legacyResourceId": "207119551"},
            "lineItems": {"nodes": [{"id": "gid://shopify/LineItem/1", "quantity": 2}]},
        }
    )
    assert body is not None
    assert (body["id"], body["checkout_token"]) == (450789469, "tok")
    assert (body["financial_status"], body["fulfillment_status"]) == (
        "partially_refunded",
        "fulfilled",
    )
    assert body["discount_codes"] == [{"code": "BACK10", "amount": "10.00", "type": None}]
    assert body["customer"]["id"] == 207119551
    assert body["line_items"][0]["id"] == 1
