"""Adapter over Shopify's `shopify_app` verifiers: requests in, Boomerang types out.

The library names shops by handle (`acme`); Boomerang names them by `acme.myshopify.com`.
What the library does not offer (OAuth callback query HMAC, shop-domain validation) is here too.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shopify_app import ShopifyApp

from app.errors import (
    InvalidOAuthCallback,
    InvalidProxyRequest,
    InvalidSessionToken,
    InvalidShopDomain,
)
from app.i18n import Text
from app.settings import Settings

# A DNS label is at most 63 characters (RFC 1035): the shop's handle is one label. Every shop
# domain Boomerang reads (install, callback, session token, embedded page, webhook headers)
# goes through this one pattern, so none can be longer.
SHOP_DOMAIN_PATTERN = r"[a-zA-Z0-9][a-zA-Z0-9\-]{0,62}\.myshopify\.com"
_SHOP_DOMAIN = re.compile(SHOP_DOMAIN_PATTERN)
_MYSHOPIFY = ".myshopify.com"
# Only matters for document requests without a token, which Boomerang does not send here.
_PATCH_ID_TOKEN_PATH = "/auth/patch-id-token"  # noqa: S105  (a path, not a secret)


def shopify_app(settings: Settings) -> ShopifyApp:
    previous = settings.shopify_api_secret_previous
    return ShopifyApp(
        client_id=settings.shopify_api_key,
        client_secret=settings.shopify_api_secret.get_secret_value(),
        old_client_secret=previous.get_secret_value() if previous else None,
    )


def is_shop_domain(value: str) -> bool:
    """Whether `value` is a `*.myshopify.com` domain whose handle is one DNS label."""
    return _SHOP_DOMAIN.fullmatch(value) is not None


def shop_domain(value: str | None) -> str:
    """`value` as a lower-case `*.myshopify.com` domain, or InvalidShopDomain."""
    if not value or not is_shop_domain(value.strip()):
        raise InvalidShopDomain(
            Text(
                en="The shop parameter must be a shop domain such as your-store.myshopify.com.",
                fr="Le paramètre shop doit être un domaine de boutique comme "
                "votre-boutique.myshopify.com.",
            )
        )
    return value.strip().lower()


def domain_from_handle(handle: str) -> str:
    return shop_domain(handle if handle.endswith(_MYSHOPIFY) else handle + _MYSHOPIFY)


def _shop_of_url(url: object) -> str | None:
    if not isinstance(url, str):
        return None
    host = url.removeprefix("https://").split("/", 1)[0]
    return host.lower() if is_shop_domain(host) else None


@dataclass(frozen=True)
class SessionToken:
    """A verified App Bridge session token: which shop and user it speaks for."""

    shop: str
    user_id: str | None
    token: str
    claims: Mapping[str, Any]


def verify_session_token(settings: Settings, authorization: str | None, url: str) -> SessionToken:
    """Verify `Authorization: Bearer <session token>` (HS256 with the current or previous
    secret, aud = our client id, exp/nbf with a few seconds of leeway, iss and dest naming the
    same shop). Raise InvalidSessionToken otherwise."""
    if not authorization or not authorization.startswith("Bearer ") or not authorization[7:]:
        raise InvalidSessionToken(
            Text(
                en="Send the App Bridge session token as `Authorization: Bearer <token>`.",
                fr="Envoyez le jeton de session App Bridge sous la forme "
                "`Authorization: Bearer <jeton>`.",
            )
        )
    result = shopify_app(settings).verify_app_home_req(
        {"method": "GET", "headers": {"Authorization": authorization}, "url": url, "body": ""},
        app_home_patch_id_token_path=_PATCH_ID_TOKEN_PATH,
    )
    if not result.ok or result.id_token is None:
        raise InvalidSessionToken(
            Text(
                en=f"The session token was refused ({result.log.code}); get a new one from "
                "App Bridge.",
                fr=f"Le jeton de session a été refusé ({result.log.code}) ; obtenez-en un "
                "nouveau auprès d'App Bridge.",
            )
        )
    claims = result.id_token.claims
    missing = [name for name in ("exp", "nbf", "iss", "dest") if name not in claims]
    if missing:
        names = ", ".join(missing)
        raise InvalidSessionToken(
            Text(
                en=f"The session token lacks {names}: get a new one from App Bridge.",
                fr=f"Il manque {names} au jeton de session : obtenez-en un nouveau auprès "
                "d'App Bridge.",
            )
        )
    dest = _shop_of_url(claims.get("dest"))
    issuer = claims.get("iss")
    if dest is None or not isinstance(issuer, str) or _shop_of_url(issuer) != dest:
        raise InvalidSessionToken(
            Text(
                en="The session token's iss and dest do not name the same shop.",
                fr="Les champs iss et dest du jeton de session ne désignent pas la même boutique.",
            )
        )
    return SessionToken(
        shop=dest, user_id=result.user_id, token=result.id_token.token, claims=claims
    )


def oauth_query_hmac(params: Mapping[str, str], secret: str) -> str:
    """Hex HMAC-SHA256 of the sorted `key=value` pairs joined by `&`, hmac/signature left out
    (docs: apps/build/authentication-authorization, "Verify a request")."""
    message = "&".join(
        f"{key}={value}"
        for key, value in sorted(params.items())
        if key not in {"hmac", "signature"}
    )
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def verify_oauth_query(settings: Settings, params: Mapping[str, str]) -> None:
    """Check the `hmac` of an OAuth callback query in constant time, against the current
    and the previous secret."""
    given = params.get("hmac", "")
    secrets = [settings.shopify_api_secret]
    if settings.shopify_api_secret_previous is not None:
        secrets.append(settings.shopify_api_secret_previous)
    for secret in secrets:
        expected = oauth_query_hmac(params, secret.get_secret_value())
        if hmac.compare_digest(expected.encode(), given.encode()):
            return
    raise InvalidOAuthCallback(
        Text(
            en="The callback's hmac does not match: start the install again from the Shopify "
            "admin.",
            fr="Le hmac du retour de Shopify ne correspond pas : relancez l'installation depuis "
            "l'administration Shopify.",
        )
    )


@dataclass(frozen=True)
class ProxyVisitor:
    """A verified app proxy request: the shop it came through and the storefront's logged-in
    customer (Shopify's customer id), or None for a visitor not logged in."""

    shop: str
    shopify_customer_id: int | None


# Why the library refused a proxy request, said to the storefront (its codes are stable).
_PROXY_REFUSALS: dict[str, Text] = {
    "missing_timestamp": Text(
        en="This request did not come through the shop's storefront (no timestamp): open the "
        "page from the shop again.",
        fr="Cette requête ne vient pas de la boutique (pas d'horodatage) : rouvrez la page "
        "depuis la boutique.",
    ),
    "invalid_timestamp": Text(
        en="This request's timestamp is not a number: open the page from the shop again.",
        fr="L'horodatage de cette requête n'est pas un nombre : rouvrez la page depuis la "
        "boutique.",
    ),
    "timestamp_too_old": Text(
        en="This request is too old to be accepted (more than 90 seconds): reload the page "
        "and try again.",
        fr="Cette requête est trop ancienne pour être acceptée (plus de 90 secondes) : "
        "rechargez la page et réessayez.",
    ),
    "missing_signature": Text(
        en="This request is not signed by Shopify: open the page from the shop again.",
        fr="Cette requête n'est pas signée par Shopify : rouvrez la page depuis la boutique.",
    ),
    "invalid_signature": Text(
        en="This request's signature does not match: open the page from the shop again.",
        fr="La signature de cette requête ne correspond pas : rouvrez la page depuis la boutique.",
    ),
}
_PROXY_REFUSED = Text(
    en="This request did not come through the shop's storefront: open the page from the shop "
    "again.",
    fr="Cette requête ne vient pas de la boutique : rouvrez la page depuis la boutique.",
)


def verify_app_proxy(settings: Settings, url: str) -> ProxyVisitor:
    """Verify an app proxy request by its full URL (shopify_app's verify_app_proxy_req: the
    sorted, separator-less `key=value` HMAC of the query with the current or previous secret,
    and a timestamp at most 90 seconds away, so a captured URL cannot be replayed later).
    The customer comes from the signed `logged_in_customer_id` alone. Raise
    InvalidProxyRequest otherwise."""
    result = shopify_app(settings).verify_app_proxy_req(
        {"method": "GET", "headers": {}, "url": url, "body": ""}
    )
    if not result.ok:
        raise InvalidProxyRequest(_PROXY_REFUSALS.get(result.log.code, _PROXY_REFUSED))
    if not result.shop:
        raise InvalidProxyRequest(_PROXY_REFUSED)
    customer = result.logged_in_customer_id or ""
    if customer and not customer.isdigit():
        raise InvalidProxyRequest(_PROXY_REFUSED)
    try:
        shop = domain_from_handle(result.shop)
    except InvalidShopDomain:
        raise InvalidProxyRequest(_PROXY_REFUSED) from None
    return ProxyVisitor(shop=shop, shopify_customer_id=int(customer) if customer else None)


@dataclass(frozen=True)
class CustomerAccountVisitor:
    """A verified customer account UI extension request: the shop (`dest`) and the signed-in
    customer (`sub`, Shopify's customer id), or None when the token names none."""

    shop: str
    shopify_customer_id: int | None


# The customer account extension runs on Shopify's origin: every answer to it carries these
# (shopify.dev: customer-account-ui-extensions, Session Token API / network access).
CUSTOMER_ACCOUNT_CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Headers": "Authorization, Content-Type",
    "Access-Control-Max-Age": "7200",
}


def customer_account_preflight(
    settings: Settings, headers: Mapping[str, str], url: str
) -> dict[str, str]:
    """The CORS preflight answer's headers (shopify_app's verify_customer_account_ui_ext_req
    handles OPTIONS)."""
    result = shopify_app(settings).verify_customer_account_ui_ext_req(
        {"method": "OPTIONS", "headers": dict(headers), "url": url, "body": ""}
    )
    return {**CUSTOMER_ACCOUNT_CORS, **dict(result.response.headers or {})}


def verify_customer_account(
    settings: Settings, method: str, authorization: str | None, url: str
) -> CustomerAccountVisitor:
    """Verify a customer account UI extension's `Authorization: Bearer <session token>`
    (shopify_app's verify_customer_account_ui_ext_req: HS256 with the current or previous
    secret, aud = our client id, exp/nbf); the shop from `dest`, the customer from `sub`
    (`gid://shopify/Customer/<id>`). Raise InvalidSessionToken otherwise."""
    headers = {"Authorization": authorization} if authorization else {}
    result = shopify_app(settings).verify_customer_account_ui_ext_req(
        {"method": method, "headers": headers, "url": url, "body": ""}
    )
    if not result.ok or result.id_token is None or not result.shop:
        raise InvalidSessionToken(
            Text(
                en="The customer account session token was refused: reload the page to get a "
                "new one.",
                fr="Le jeton de session du compte client a été refusé : rechargez la page pour "
                "en obtenir un nouveau.",
            )
        )
    subject = result.id_token.claims.get("sub")
    prefix = "gid://shopify/Customer/"
    customer = ""
    if isinstance(subject, str) and subject.startswith(prefix):
        customer = subject.removeprefix(prefix)
    if not customer.isdigit():
        customer = ""
    return CustomerAccountVisitor(
        shop=domain_from_handle(result.shop),
        shopify_customer_id=int(customer) if customer else None,
    )
