"""The OAuth `state` nonce: a random value sent to Shopify and kept, signed and short-lived, in a
cookie; the callback must bring the same value back, for the same shop, once."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from app.errors import InvalidOAuthCallback
from app.i18n import Text
from app.settings import Settings

COOKIE_NAME = "boomerang_oauth_state"
STATE_LIFETIME_SECONDS = 600


@dataclass(frozen=True)
class OAuthState:
    nonce: str
    cookie: str


def _signature(settings: Settings, payload: str) -> str:
    key = hmac.new(
        settings.shopify_api_secret.get_secret_value().encode(), b"oauth-state", hashlib.sha256
    ).digest()
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()


def new_state(settings: Settings, shop: str, *, now: float | None = None) -> OAuthState:
    nonce = secrets.token_urlsafe(24)
    expires = int((time.time() if now is None else now) + STATE_LIFETIME_SECONDS)
    payload = f"{nonce}|{shop}|{expires}"
    return OAuthState(nonce=nonce, cookie=f"{payload}|{_signature(settings, payload)}")


def check_state(settings: Settings, cookie: str | None, state: str, shop: str) -> str:
    """The nonce when the cookie is ours, unexpired, for this shop and equal to `state`."""
    refused = InvalidOAuthCallback(
        Text(
            en="The install's state does not match (replayed, or started in another browser): "
            "start the install again from the Shopify admin.",
            fr="L'état de l'installation ne correspond pas (lien rejoué, ou installation "
            "commencée dans un autre navigateur) : relancez l'installation depuis "
            "l'administration Shopify.",
        )
    )
    if not cookie or cookie.count("|") != 3:
        raise refused
    nonce, cookie_shop, expires, signature = cookie.split("|")
    payload = f"{nonce}|{cookie_shop}|{expires}"
    # Compared as bytes: a cookie is the client's to write, and compare_digest refuses
    # non-ASCII str (a TypeError, so a 500) where an invalid signature must be a refusal.
    if not hmac.compare_digest(_signature(settings, payload).encode(), signature.encode()):
        raise refused
    if not expires.isdigit() or int(expires) < time.time():
        minutes = STATE_LIFETIME_SECONDS // 60
        raise InvalidOAuthCallback(
            Text(
                en=f"The install took more than {minutes} minutes and its link has expired: "
                "start the install again from the Shopify admin.",
                fr=f"L'installation a duré plus de {minutes} minutes et son lien a expiré : "
                "relancez l'installation depuis l'administration Shopify.",
            )
        )
    if cookie_shop != shop or not hmac.compare_digest(nonce.encode(), state.encode()):
        raise refused
    return nonce
