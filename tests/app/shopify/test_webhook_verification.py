"""Our webhook signature check agrees with Shopify's own library on real payloads."""

from __future__ import annotations

import pytest
from pydantic import SecretStr
from shopify_app import verify_webhook_req

from app.shopify.webhook_verification import WebhookVerifier, sign
from tests.support.fixtures import fixtures_dir

SECRET = "current-secret-0123456789abcdef-0123456789abcdef"
PREVIOUS = "previous-secret-0123456789abcdef-0123456789abcde"
TOPIC_FILES = sorted(p.name for p in fixtures_dir().glob("*.json"))


def shopify_says(body: bytes, signature: str) -> bool:
    result = verify_webhook_req(
        {
            "method": "POST",
            "headers": {
                "X-Shopify-Hmac-Sha256": signature,
                "X-Shopify-Shop-Domain": "a.myshopify.com",
            },
            "url": "https://app.example/webhooks",
            "body": body.decode(),
        },
        {"client_id": "id", "client_secret": SECRET, "old_client_secret": PREVIOUS},
    )
    return result.ok


@pytest.mark.parametrize("name", TOPIC_FILES)
def test_agrees_with_shopify_app_on_every_fixture(name: str) -> None:
    body = (fixtures_dir() / name).read_bytes()
    verifier = WebhookVerifier(SecretStr(SECRET), SecretStr(PREVIOUS))
    for signature in (sign(body, SECRET), sign(body, PREVIOUS), sign(body, "stranger" * 6)):
        assert verifier.verify(body, signature) == shopify_says(body, signature)


def test_previous_secret_only_counts_when_configured() -> None:
    body = b'{"id": 1}'
    assert not WebhookVerifier(SecretStr(SECRET)).verify(body, sign(body, PREVIOUS))
    assert WebhookVerifier(SecretStr(SECRET), SecretStr(PREVIOUS)).verify(
        body, sign(body, PREVIOUS)
    )


@pytest.mark.parametrize("signature", [None, "", "not base64 ✓", "A" * 44])
def test_missing_or_garbage_signatures_fail(signature: str | None) -> None:
    assert not WebhookVerifier(SecretStr(SECRET)).verify(b"{}", signature)
