"""The simulator signs app proxy requests as Shopify documents, and shopify_app (the library
behind app/shopify/verification.py) agrees with it: repeated keys joined by commas, no
separator between pairs, the signature itself left out."""

from __future__ import annotations

import hashlib
import hmac
import time

from shopify_app import ShopifyApp

from devstore.app_proxy import AppProxy, proxy_signature

SECRET = "hush"


def _verify(url: str, secret: str = SECRET) -> tuple[bool, str | None, str | None]:
    result = ShopifyApp(client_id="id", client_secret=secret).verify_app_proxy_req(
        {"method": "GET", "headers": {}, "url": url, "body": ""}
    )
    return result.ok, result.shop, result.logged_in_customer_id


def test_the_signature_is_the_documented_message_under_hmac_sha256() -> None:
    params = [
        ("extra", "1"),
        ("extra", "2"),
        ("shop", "some-shop.myshopify.com"),
        ("logged_in_customer_id", "1"),
        ("path_prefix", "/apps/awesome_reviews"),
        ("timestamp", "1317327555"),
    ]
    message = (
        "extra=1,2logged_in_customer_id=1path_prefix=/apps/awesome_reviews"
        "shop=some-shop.myshopify.comtimestamp=1317327555"
    )
    expected = hmac.new(SECRET.encode(), message.encode(), hashlib.sha256).hexdigest()
    assert proxy_signature(params, SECRET) == expected


def test_shopify_app_accepts_what_the_simulator_signs_with_repeated_keys() -> None:
    proxy = AppProxy(url="https://app.example/proxy", subpath="awesome_reviews")
    url = proxy.forwarded_url(
        "some-shop.myshopify.com",
        "/extra/path",
        secret=SECRET,
        timestamp=int(time.time()),
        customer_id=42,
        query=[("extra", "1"), ("extra", "2")],
    )
    assert url.startswith("https://app.example/proxy/extra/path?extra=1&extra=2&")
    assert _verify(url) == (True, "some-shop", "42")
    assert _verify(url, secret="another")[0] is False
    assert _verify(url.replace("extra=2", "extra=3"))[0] is False


def test_a_visitor_not_logged_in_is_signed_with_an_empty_customer_id() -> None:
    proxy = AppProxy(url="https://app.example/proxy")
    url = proxy.forwarded_url(
        "some-shop.myshopify.com", "/", secret=SECRET, timestamp=int(time.time()), customer_id=None
    )
    assert "logged_in_customer_id=&" in url
    ok, _shop, customer = _verify(url)
    assert ok
    assert not customer
