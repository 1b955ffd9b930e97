"""App Bridge session tokens as Shopify's admin mints them, for tests."""

from __future__ import annotations

import time
import uuid

import jwt

from tests.conftest import TEST_API_KEY, TEST_API_SECRET


def mint_session_token(
    shop: str,
    *,
    secret: str = TEST_API_SECRET,
    audience: str = TEST_API_KEY,
    issued_at: float | None = None,
    lifetime: float = 60.0,
    issuer_shop: str | None = None,
    user_id: int = 1,
) -> str:
    now = time.time() if issued_at is None else issued_at
    claims = {
        "iss": f"https://{issuer_shop or shop}/admin",
        "dest": f"https://{shop}",
        "aud": audience,
        "sub": str(user_id),
        "exp": int(now + lifetime),
        "nbf": int(now),
        "iat": int(now),
        "jti": str(uuid.uuid4()),
        "sid": uuid.uuid4().hex,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def mint_customer_account_token(
    shop: str,
    *,
    customer_id: int | None,
    secret: str = TEST_API_SECRET,
    audience: str = TEST_API_KEY,
    lifetime: float = 300.0,
) -> str:
    """A customer account UI extension's session token (shopify.dev: customer-account-ui-
    extensions, Session Token API): `dest` the shop, `sub` the signed-in customer's GID."""
    now = time.time()
    claims: dict[str, object] = {
        "dest": shop,
        "aud": audience,
        "exp": int(now + lifetime),
        "nbf": int(now),
        "iat": int(now),
        "jti": str(uuid.uuid4()),
    }
    if customer_id is not None:
        claims["sub"] = f"gid://shopify/Customer/{customer_id}"
    return jwt.encode(claims, secret, algorithm="HS256")
