"""Signed, opaque tokens for links in emails (tracking, unsubscribe) and for the email-events
hook. Each purpose has its own key derived from the app secret, so a token made for one
purpose is worthless for another, and nothing in a link can be guessed or edited."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from typing import Any

_MAC_BYTES = 16
_B64URL = re.compile(r"[A-Za-z0-9_-]*")


def derive_key(app_secret: str, purpose: str) -> bytes:
    return hmac.new(app_secret.encode(), f"boomerang/{purpose}/v1".encode(), "sha256").digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    """Strict: only the URL-safe alphabet, in the one spelling _b64 writes. The lenient decoder
    drops characters outside the alphabet and ignores a final character's spare bits, so junk
    appended to a token (or a last letter changed) still verified."""
    if not _B64URL.fullmatch(text):
        raise ValueError("not unpadded URL-safe base64")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64(data) != text:
        raise ValueError("not the canonical spelling")
    return data


def sign(payload: dict[str, Any], key: bytes) -> str:
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    mac = hmac.new(key, body, hashlib.sha256).digest()[:_MAC_BYTES]
    return f"{_b64(body)}.{_b64(mac)}"


def verify(token: str, key: bytes) -> dict[str, Any] | None:
    """The payload, or None for anything not signed by `key` (tampered, truncated, garbage)."""
    try:
        body_part, mac_part = token.split(".", 1)
        body, mac = _unb64(body_part), _unb64(mac_part)
    except (ValueError, UnicodeEncodeError):
        return None
    expected = hmac.new(key, body, hashlib.sha256).digest()[:_MAC_BYTES]
    if not hmac.compare_digest(mac, expected):
        return None
    try:
        payload = json.loads(body)
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None


def body_signature(body: bytes, key: bytes) -> str:
    """Hex HMAC-SHA256 of a request body (the email-events hook)."""
    return hmac.new(key, body, hashlib.sha256).hexdigest()
