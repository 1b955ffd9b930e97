"""Rate limits, counted in Redis (the `limits` library's moving window) so they hold across
web processes and machines: per shop on what a merchant can make the app do for them
(renders of their templates, previews and saves alike; test sends to the shop's address),
per client IP and per signed token on the public shopper endpoints (tracking, unsubscribe).
Over a limit: 429 with Retry-After and a message in English or French naming the limit.
Redis unreachable: the request goes through (a reminder's click must not fail because a
counter is down) and a warning is logged."""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass
from typing import Annotated

import structlog
from fastapi import Depends, Request
from limits import RateLimitItem, parse_many
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.errors import BoomerangError
from app.i18n import Text
from app.settings import Settings
from app.web.auth import CurrentShop

log = structlog.get_logger(__name__)

_UNITS_FR = {"second": "seconde", "minute": "minute", "hour": "heure", "day": "jour"}


class RateLimited(BoomerangError):
    status_code = 429

    def __init__(self, text: Text, retry_after: int) -> None:
        super().__init__(text)
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:  # type: ignore[override]
        return {"Retry-After": str(self.retry_after)}


@dataclass(frozen=True)
class Limit:
    """One rate, named for the messages (`what` counts what is limited)."""

    items: tuple[RateLimitItem, ...]
    what: Text

    @classmethod
    def parse(cls, rate: str, what: Text) -> Limit:
        return cls(tuple(parse_many(rate)), what)


def _per(item: RateLimitItem, locale: str) -> str:
    unit = item.GRANULARITY.name
    if locale == "fr":
        unit = _UNITS_FR.get(unit, unit)
        return f"{item.amount} par {'' if item.multiples == 1 else f'{item.multiples} '}{unit}"
    return f"{item.amount} per {'' if item.multiples == 1 else f'{item.multiples} '}{unit}"


def _refusal(limit: Limit, item: RateLimitItem, retry_after: int) -> RateLimited:
    return RateLimited(
        Text(
            en=f"Too many {limit.what.en}: at most {_per(item, 'en')}. Try again in "
            f"{retry_after} s.",
            fr=f"Trop de {limit.what.fr} : au plus {_per(item, 'fr')}. Réessayez dans "
            f"{retry_after} s.",
        ),
        retry_after,
    )


class RateLimiter:
    """The process's limits and their Redis counters (on the app's own Redis pool)."""

    def __init__(self, settings: Settings, redis: Redis) -> None:
        storage = RedisStorage(
            "async+" + settings.redis.replace("unix://", "redis+unix://", 1),
            implementation="redispy",
            key_prefix="boomerang-limits",
            # limits annotates its options narrower than it takes them (it passes
            # connection_pool to redis-py's Redis): the counters share the app's pool.
            connection_pool=redis.connection_pool,  # type: ignore[arg-type]
        )
        self._window = MovingWindowRateLimiter(storage)
        self.previews = Limit.parse(
            settings.rate_limit_previews,
            Text(
                en="template previews and saves for this shop",
                fr="prévisualisations et enregistrements de modèles pour cette boutique",
            ),
        )
        self.test_sends = Limit.parse(
            settings.rate_limit_test_sends,
            Text(en="test emails for this shop", fr="e-mails de test pour cette boutique"),
        )
        self.public_per_ip = Limit.parse(
            settings.rate_limit_public_per_ip,
            Text(en="requests from this address", fr="requêtes depuis cette adresse"),
        )
        self.redemptions = Limit.parse(
            settings.rate_limit_redemptions,
            Text(
                en="reward redemptions for this customer",
                fr="demandes de récompense pour ce client",
            ),
        )
        self.public_per_token = Limit.parse(
            settings.rate_limit_public_per_token,
            Text(en="requests for this link", fr="requêtes pour ce lien"),
        )

    async def hit(self, limit: Limit, *key: str) -> None:
        """Count one; RateLimited when any of the limit's rates is exceeded."""
        for item in limit.items:
            try:
                allowed = await self._window.hit(item, *key)
                if allowed:
                    continue
                stats = await self._window.get_window_stats(item, *key)
            except (StorageError, RedisError, OSError) as exc:
                log.warning("rate limit not checked: Redis unavailable", error=str(exc))
                return
            retry_after = max(1, math.ceil(stats.reset_time - time.time()))
            raise _refusal(limit, item, retry_after)


def rate_limiter(request: Request) -> RateLimiter:
    limiter: RateLimiter = request.app.state.rate_limiter
    return limiter


RateLimiterDep = Annotated[RateLimiter, Depends(rate_limiter)]


async def limit_previews(shop: CurrentShop, limiter: RateLimiterDep) -> None:
    await limiter.hit(limiter.previews, "preview", str(shop.id))


async def limit_test_sends(shop: CurrentShop, limiter: RateLimiterDep) -> None:
    await limiter.hit(limiter.test_sends, "test-send", str(shop.id))


def _client_ip(request: Request) -> str:
    # uvicorn puts the proxy's X-Forwarded-For here when the proxy is trusted
    # (FORWARDED_ALLOW_IPS); a client cannot choose its own address otherwise.
    return request.client.host if request.client else "unknown"


async def limit_public(request: Request, limiter: RateLimiterDep) -> None:
    """Per client IP, and per signed token when the path carries one."""
    await limiter.hit(limiter.public_per_ip, "ip", _client_ip(request))
    token = request.path_params.get("token")
    if isinstance(token, str):
        digest = hashlib.sha256(token.encode()).hexdigest()[:32]
        await limiter.hit(limiter.public_per_token, "token", digest)
