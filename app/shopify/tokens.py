"""The one way the app gets a usable Admin API token for a shop.

Expiring offline tokens are refreshed a few minutes before they expire and after a 401.
Shopify rotates the refresh token on every use, so one refresh per shop runs at a time: the
refresher holds the shop row (`SELECT … FOR UPDATE`); the others wait on the lock, then find
the new token and reuse it. The new pair is committed at once with the row. If the refresh
answer is lost, nothing is written and the stored refresh token stays valid until its
replacement is used (changelog 2026-08): the current access token is used while it lasts, and
the next call simply retries the refresh.

"A few minutes before expiry" is relative to the token's lifetime: the window is the
configured one, but never more than half the lifetime, so a 60-second token is used for 30
seconds instead of being refreshed on every call.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

import httpx
import structlog
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.errors import ShopifyAuthError, ShopNotInstalled, ShopTokenInvalid
from app.i18n import Text
from app.installs.status import is_active
from app.models import Shop
from app.settings import Settings
from app.shopify.oauth import IssuedToken, LostRefreshResponse, refresh_offline_token
from app.shopify.token_cipher import TokenCipher

log = structlog.get_logger(__name__)


class Resources(Protocol):
    """What token handling needs of the process context (app.platform.resources.Resources)."""

    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    http: httpx.AsyncClient
    cipher: TokenCipher


# A token this close to its expiry is not worth handing out after a lost refresh answer.
_STILL_USABLE = timedelta(seconds=5)


def store_issued_token(shop: Shop, issued: IssuedToken, cipher: TokenCipher) -> None:
    """Write a freshly issued pair (both tokens encrypted) onto the shop row."""
    shop.access_token_encrypted = cipher.encrypt(issued.access_token)
    shop.access_token_expires_at = issued.expires_at
    shop.access_token_lifetime_seconds = issued.lifetime_seconds
    shop.refresh_token_encrypted = (
        cipher.encrypt(issued.refresh_token) if issued.refresh_token else None
    )
    shop.refresh_token_expires_at = issued.refresh_token_expires_at
    shop.scopes = ",".join(sorted(issued.scopes))
    shop.token_invalid_at = None


def _usable(shop: Shop | None, shop_id: int) -> Shop:
    if shop is None or not is_active(shop):
        raise ShopNotInstalled(
            Text(
                en=f"Shop {shop_id} has not installed Boomerang (or uninstalled it).",
                fr=f"La boutique {shop_id} n'a pas installé Boomerang (ou l'a désinstallé).",
            )
        )
    if shop.access_token_encrypted is None:
        raise ShopTokenInvalid(
            Text(
                en=f"{shop.domain} has no usable token: the merchant must open Boomerang in "
                "the Shopify admin to authorize it again.",
                fr=f"{shop.domain} n'a pas de jeton utilisable : le marchand doit rouvrir "
                "Boomerang depuis l'administration Shopify pour l'autoriser de nouveau.",
            )
        )
    return shop


def refresh_ahead(shop: Shop, settings: Settings) -> timedelta:
    """How long before expiry the token is refreshed: the configured window, at most half the
    token's lifetime (unknown for tokens stored before it was recorded: the window alone)."""
    ahead = float(settings.shopify_token_refresh_ahead_seconds)
    if shop.access_token_lifetime_seconds:
        ahead = min(ahead, shop.access_token_lifetime_seconds / 2)
    return timedelta(seconds=ahead)


def _due(shop: Shop, resources: Resources) -> bool:
    if shop.access_token_expires_at is None:
        return False
    ahead = refresh_ahead(shop, resources.settings)
    return shop.access_token_expires_at - ahead <= datetime.now(UTC)


def _still_usable(shop: Shop) -> bool:
    expires = shop.access_token_expires_at
    return expires is None or expires - _STILL_USABLE > datetime.now(UTC)


async def access_token_for(resources: Resources, shop_id: int) -> str:
    """A token the Admin API will accept for this shop, refreshed first when close to expiry."""
    cipher = resources.cipher
    async with resources.sessions.begin() as session:
        shop = _usable(await session.get(Shop, shop_id), shop_id)
        if not _due(shop, resources):
            return cipher.decrypt(shop.access_token_encrypted or "")
    return await _refresh(resources, shop_id, rejected=None)


async def access_token_after_rejection(resources: Resources, shop_id: int, rejected: str) -> str:
    """Shopify answered 401 to `rejected`: a token that works now (another worker's refresh,
    or a refresh of our own), or ShopTokenInvalid when no refresh can fix it."""
    return await _refresh(resources, shop_id, rejected=rejected)


async def _refresh(resources: Resources, shop_id: int, *, rejected: str | None) -> str:
    settings = resources.settings
    cipher = resources.cipher
    refused: ShopTokenInvalid | None = None
    async with resources.sessions.begin() as session:
        found = await session.scalar(select(Shop).where(Shop.id == shop_id).with_for_update())
        shop = _usable(found, shop_id)
        current = cipher.decrypt(shop.access_token_encrypted or "")
        # Someone else refreshed while we waited on the lock: reuse their token.
        if rejected is None and not _due(shop, resources):
            return current
        if rejected is not None and current != rejected:
            return current
        if shop.refresh_token_encrypted is None:
            refused = ShopTokenInvalid(
                Text(
                    en=f"Shopify rejected the token of {shop.domain} and it cannot be "
                    "refreshed: the merchant must open Boomerang in the Shopify admin again.",
                    fr=f"Shopify a refusé le jeton de {shop.domain}, qui ne peut pas être "
                    "renouvelé : le marchand doit rouvrir Boomerang depuis l'administration "
                    "Shopify.",
                )
            )
            _invalidate(shop)
        else:
            refresh_token = cipher.decrypt(shop.refresh_token_encrypted)
            try:
                issued = await refresh_offline_token(
                    resources.http, settings, shop.domain, refresh_token
                )
            except LostRefreshResponse:
                # Nothing is written: the stored refresh token stays valid until its
                # replacement is used, so the next caller retries it. Until then the current
                # token serves, unless Shopify has just refused it.
                if rejected is None and _still_usable(shop):
                    log.warning("token refresh answer lost; current token kept", shop=shop.domain)
                    return current
                raise
            except ShopifyAuthError as exc:
                refused = ShopTokenInvalid(exc.text)
                _invalidate(shop)
            else:
                store_issued_token(shop, issued, cipher)
                return issued.access_token
    raise refused


def _invalidate(shop: Shop) -> None:
    shop.access_token_encrypted = None
    shop.access_token_expires_at = None
    shop.access_token_lifetime_seconds = None
    shop.refresh_token_encrypted = None
    shop.refresh_token_expires_at = None
    shop.token_invalid_at = datetime.now(UTC)


async def mark_token_invalid(resources: Resources, shop_id: int) -> None:
    """Forget a token Shopify refuses for good; the next embedded visit re-authorizes."""
    async with resources.sessions.begin() as session:
        await invalidate_token(session, shop_id)


async def invalidate_token(session: AsyncSession, shop_id: int) -> None:
    await session.execute(
        update(Shop)
        .where(Shop.id == shop_id)
        .values(
            access_token_encrypted=None,
            access_token_expires_at=None,
            access_token_lifetime_seconds=None,
            refresh_token_encrypted=None,
            refresh_token_expires_at=None,
            token_invalid_at=datetime.now(UTC),
        )
    )
