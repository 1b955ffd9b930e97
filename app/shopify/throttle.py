"""Shopify's cost-based leaky bucket, mirrored per shop in Redis so every worker shares it.

Each call reserves its requested cost before it is sent; when the mirrored bucket cannot
cover it, the caller is told how long to wait for the restore rate to refill it. Reservations
queue (available may go negative), so concurrent callers are spaced at the restore rate
instead of retrying in a herd. Every answer's `extensions.cost.throttleStatus` resets the
mirror to what Shopify reported less the calls still in flight, and teaches us the shop's plan
limits (Standard and Plus differ; nothing is hard-coded beyond a cautious first guess).
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
# Fraction of the bucket kept in hand (2000-point bucket: 40 points, 0.4 s of restore).
SAFETY_MARGIN = 0.02

# State per shop: available (may go negative: queued reservations), maximum, rate, at, and
# inflight (points reserved by calls not yet answered).
# KEYS[1] bucket; ARGV cost, default maximum, default rate, ttl. Returns the wait in seconds.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local cost = tonumber(ARGV[1])
local s = redis.call('HMGET', KEYS[1], 'available', 'maximum', 'rate', 'at', 'inflight')
local available, maximum, rate, inflight
if s[1] then
  maximum = tonumber(s[2]); rate = tonumber(s[3]); inflight = tonumber(s[5] or '0')
  available = math.min(maximum, tonumber(s[1]) + math.max(0, now - tonumber(s[4])) * rate)
else
  maximum = tonumber(ARGV[2]); rate = tonumber(ARGV[3]); available = maximum; inflight = 0
end
available = available - cost
redis.call('HSET', KEYS[1], 'available', tostring(available), 'maximum', tostring(maximum),
  'rate', tostring(rate), 'at', tostring(now), 'inflight', tostring(inflight + cost))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
-- Keep a small margin in hand: calls then arrive a little after the bucket holds their cost,
-- which absorbs timing jitter between our clock and Shopify's.
local short = tonumber(ARGV[5]) * maximum - available
if short <= 0 then return '0' end
return tostring(short / rate)
"""

# KEYS[1] bucket; ARGV reported available, maximum, rate, reserved cost of this call, ttl.
# Shopify's figure is the truth at answer time, less what other calls have reserved and not
# yet been answered for (counted as unspent by Shopify: a safe, self-correcting bias).
_OBSERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local maximum = tonumber(ARGV[2])
local inflight = tonumber(redis.call('HGET', KEYS[1], 'inflight') or '0')
inflight = math.max(0, inflight - tonumber(ARGV[4]))
local available = math.min(maximum, tonumber(ARGV[1]) - inflight)
redis.call('HSET', KEYS[1], 'available', tostring(available), 'maximum', tostring(maximum),
  'rate', ARGV[3], 'at', tostring(now), 'inflight', tostring(inflight))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[5]))
return tostring(available)
"""

# KEYS[1] bucket; ARGV reserved cost, 1 to give the points back (the call was never charged).
_RELEASE = """
local s = redis.call('HMGET', KEYS[1], 'available', 'maximum', 'inflight')
if not s[1] then return '0' end
local available = tonumber(s[1])
if ARGV[2] == '1' then available = math.min(tonumber(s[2]), available + tonumber(ARGV[1])) end
local inflight = math.max(0, tonumber(s[3] or '0') - tonumber(ARGV[1]))
redis.call('HSET', KEYS[1], 'available', tostring(available), 'inflight', tostring(inflight))
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
            args=[cost, DEFAULT_MAXIMUM, DEFAULT_RESTORE_RATE, STATE_TTL_SECONDS, SAFETY_MARGIN],
        )
        return float(cast(bytes, wait))

    async def release(self, shop: str, cost: float, *, charged: bool = False) -> None:
        """End a reservation that got no cost report: given back unless Shopify may have
        charged it (a lost answer)."""
        await self._release(keys=[self.key(shop)], args=[cost, "0" if charged else "1"])

    async def observe(self, shop: str, status: ThrottleStatus, *, reserved: float) -> None:
        """Correct the mirror from an answer to a call that had reserved `reserved` points."""
        await self._observe(
            keys=[self.key(shop)],
            args=[
                status.currently_available,
                status.maximum_available,
                status.restore_rate,
                reserved,
                STATE_TTL_SECONDS,
            ],
        )

    async def snapshot(self, shop: str) -> dict[str, float]:
        raw = await self._redis.hgetall(self.key(shop))  # type: ignore[misc]
        return {k.decode(): float(v) for k, v in raw.items()}
