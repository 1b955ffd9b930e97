"""Shopify webhook signatures: base64 HMAC-SHA256 of the raw body, checked in constant time,
with the previous client secret accepted during a secret rotation.

Why not `shopify_app.verify_webhook_req`: it takes the body as str and, to redact its log,
json-loads and re-dumps the whole body on every call. On orders/create (9 KB) that measured
116 µs a call against 6.6 µs for the HMAC alone, and it parses JSON on the request path,
which the webhook route must not do. The check below is the same algorithm on the raw bytes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from pydantic import SecretStr


class WebhookVerifier:
    """Built once per process from the client secret(s); `verify` does no I/O."""

    def __init__(self, secret: SecretStr, previous_secret: SecretStr | None = None) -> None:
        self._keys = [secret.get_secret_value().encode()]
        if previous_secret is not None and previous_secret.get_secret_value():
            self._keys.append(previous_secret.get_secret_value().encode())

    def verify(self, body: bytes, signature: str | None) -> bool:
        """True when `signature` (the X-Shopify-Hmac-Sha256 header) signs `body` with the
        current or the previous secret."""
        if not signature:
            return False
        try:
            received = signature.strip().encode("ascii")
        except UnicodeEncodeError:
            return False
        valid = False
        for key in self._keys:
            expected = base64.b64encode(hmac.new(key, body, hashlib.sha256).digest())
            # Every key is tried, so the time taken says nothing about which one matched.
            valid |= hmac.compare_digest(expected, received)
        return valid


def sign(body: bytes, secret: str) -> str:
    """The X-Shopify-Hmac-Sha256 value Shopify sends for `body` (tests, benchmarks, simulator)."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
