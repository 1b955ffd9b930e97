"""Shopify's cost-based leaky bucket, mirrored per shop in Redis so every worker shares it.

Each call reserves its requested cost before it is sent; when the mirrored bucket cannot
cover it, the caller is told how long to wait for the restore rate to refill it. Reservations
queue (available may go negative), so concurrent callers are spaced at the restore rate
instead of retrying in a herd. Every answer's `extensions.cost.throttleStatus` corrects the
mirror (never upwards past what Shopify reported) and teaches us the shop's plan limits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from redis.asyncio import Redis

KEY_PREFIX = "boomerang:shopify:bucket:"
# Before the first answer we know nothing of the shop's plan: assume less than the smallest
# plan (Standard: 2000 points, 100/s) until Shopify tells us.
DEFAULT_MAXIMUM = 1000.0
DEFAULT_RESTORE_RATE = 50.0
STATE_TTL_SECONDS = 3600

# KEYS[1] bucket; ARGV cost, default maximum, default rate, ttl. Returns the wait in seconds.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local cost = tonumber(ARGV[1])
local s = redis.call('HMGET', KEYS[1], 'available', 'maximum', 'rate', 'at')
local available, maximum, rate
if s[1] then
  maximum = tonumber(s[2]); rate = tonumber(s[3])
  available = math.min(maximum, tonumber(s[1]) + math.max(0, now - tonumber(s[4])) * rate)
else
  maximum = tonumber(ARGV[2]); rate = tonumber(ARGV[3]); available = maximum
end
available = available - cost
redis.call('HSET', KEYS[1], 'available', tostring(available), 'maximum', tostring(maximum),
  'rate', tostring(rate), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
if available >= 0 then return '0' end
return tostring(-available / rate)
"""

# KEYS[1] bucket; ARGV reported available, maximum, rate, refund, ttl.
_OBSERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local reported = tonumber(ARGV[1])
local maximum = tonumber(ARGV[2])
local rate = tonumber(ARGV[3])
local refund = tonumber(ARGV[4])
local s = redis.call('HMGET', KEYS[1], 'available', 'maximum', 'rate', 'at')
local available = reported
if s[1] then
  local mirrored = math.min(tonumber(s[2]),
    tonumber(s[1]) + math.max(0, now - tonumber(s[4])) * tonumber(s[3]))
  -- Shopify has not yet seen calls still in flight: keep our lower figure, which counts them.
  available = math.min(math.min(maximum, mirrored + refund), reported)
end
redis.call('HSET', KEYS[1], 'available', tostring(available), 'maximum', tostring(maximum),
  'rate', tostring(rate), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[5]))
return tostring(available)
"""

# KEYS[1] bucket; ARGV points to give back (a reservation that was never sent).
_RELEASE = """
local s = redis.call('HMGET', KEYS[1], 'available', 'maximum')
if not s[1] then return '0' end
local available = math.min(tonumber(s[2]), tonumber(s[1]) + tonumber(ARGV[1]))
redis.call('HSET', KEYS[1], 'available', tostring(available))
return tostring(available)
"""


@dataclass(frozen=True)
class ThrottleStatus:
    maximum_available: float
    currently_available: float
    restore_rate: float

    @classmethod
    def from_cost(cls, cost: dict[str, Any]) -> ThrottleStatus | None:
        status = cost.get("throttleStatus")
        if not isinstance(status, dict):
            return None
        try:
            return cls(
                maximum_available=float(status["maximumAvailable"]),
                currently_available=float(status["currentlyAvailable"]),
                restore_rate=float(status["restoreRate"]),
            )
        except (KeyError, TypeError, ValueError):
            return None

    def wait_for(self, requested: float) -> float:
        """Seconds until the bucket holds `requested` points: (requested − available) / rate."""
        if self.restore_rate <= 0:
            return 1.0
        return max(0.0, (requested - self.currently_available) / self.restore_rate)


class ShopThrottle:
    """The per-shop bucket mirror. Keys are shop domains (one bucket per app and store)."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._reserve = redis.register_script(_RESERVE)
        self._observe = redis.register_script(_OBSERVE)
        self._release = redis.register_script(_RELEASE)

    @staticmethod
    def key(shop: str) -> str:
        return KEY_PREFIX + shop

    async def reserve(self, shop: str, cost: float) -> float:
        """Take `cost` points; return how many seconds to wait before sending the call."""
        wait = await self._reserve(
            keys=[self.key(shop)],
            args=[cost, DEFAULT_MAXIMUM, DEFAULT_RESTORE_RATE, STATE_TTL_SECONDS],
        )
        return float(cast(bytes, wait))

    async def release(self, shop: str, cost: float) -> None:
        """Give back a reservation whose call was never sent."""
        await self._release(keys=[self.key(shop)], args=[cost])

    async def observe(self, shop: str, status: ThrottleStatus, *, refund: float = 0.0) -> None:
        """Correct the mirror from an answer; `refund` is what we reserved but Shopify did not
        charge (requested − actual, or all of it when the call was throttled)."""
        await self._observe(
            keys=[self.key(shop)],
            args=[
                status.currently_available,
                status.maximum_available,
                status.restore_rate,
                refund,
                STATE_TTL_SECONDS,
            ],
        )

    async def snapshot(self, shop: str) -> dict[str, float]:
        raw = await self._redis.hgetall(self.key(shop))  # type: ignore[misc]
        return {k.decode(): float(v) for k, v in raw.items()}
