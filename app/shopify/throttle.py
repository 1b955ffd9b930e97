"""Shopify's cost-based leaky bucket, mirrored per shop in Redis so every worker shares it.

Each call reserves its requested cost before it is sent; when the mirrored bucket cannot
cover it, the caller is told how long to wait for the restore rate to refill it. Reservations
queue (available may go negative), so concurrent callers are spaced at the restore rate
instead of retrying in a herd. Every answer's `extensions.cost.throttleStatus` resets the
mirror to what Shopify reported less the calls still in flight, and teaches us the shop's plan
limits (Standard and Plus differ; nothing is hard-coded beyond a cautious first guess).
"""

from __future__ import annotations

import secrets
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
# How long after its planned send a reservation still counts as in flight. A caller that
# dies without settling (killed process, lost Redis reply) stops holding its points then,
# instead of being subtracted from Shopify's figure forever. Longer than any HTTP call.
RESERVATION_HOLD_SECONDS = 60.0

# State per shop: a hash (available, which may go negative: queued reservations; maximum;
# rate; at; inflight: points reserved by calls not yet answered) and a sorted set of the
# reservations in flight, member "id:cost", scored by when they stop counting.
# Every script first drops the reservations past their time from `inflight`.
_EXPIRE = """
local function expire(bucket, flying, now)
  local gone = redis.call('ZRANGEBYSCORE', flying, '-inf', now)
  if #gone == 0 then return end
  local inflight = tonumber(redis.call('HGET', bucket, 'inflight') or '0')
  for _, member in ipairs(gone) do
    inflight = inflight - tonumber(string.match(member, ':([^:]+)$'))
  end
  redis.call('ZREMRANGEBYSCORE', flying, '-inf', now)
  if redis.call('EXISTS', bucket) == 1 then
    redis.call('HSET', bucket, 'inflight', tostring(math.max(0, inflight)))
  end
end
local function clock()
  local t = redis.call('TIME')
  return tonumber(t[1]) + tonumber(t[2]) / 1000000
end
"""

# KEYS bucket, reservations; ARGV cost, default maximum, default rate, ttl, margin,
# reservation member, hold. Returns the wait in seconds.
_RESERVE = (
    _EXPIRE
    + """
local now = clock()
expire(KEYS[1], KEYS[2], now)
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
-- Keep a small margin in hand: calls then arrive a little after the bucket holds their cost,
-- which absorbs timing jitter between our clock and Shopify's.
local short = tonumber(ARGV[5]) * maximum - available
local wait = 0
if short > 0 then wait = short / rate end
redis.call('ZADD', KEYS[2], now + wait + tonumber(ARGV[7]), ARGV[6])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[4]))
return tostring(wait)
"""
)

# KEYS bucket, reservations; ARGV reported available, maximum, rate, reservation member, ttl.
# Shopify's figure is the truth at answer time, less what other calls have reserved and not
# yet been answered for (counted as unspent by Shopify: a safe, self-correcting bias).
_OBSERVE = (
    _EXPIRE
    + """
local now = clock()
expire(KEYS[1], KEYS[2], now)
local maximum = tonumber(ARGV[2])
local inflight = tonumber(redis.call('HGET', KEYS[1], 'inflight') or '0')
if redis.call('ZREM', KEYS[2], ARGV[4]) == 1 then
  inflight = math.max(0, inflight - tonumber(string.match(ARGV[4], ':([^:]+)$')))
end
local available = math.min(maximum, tonumber(ARGV[1]) - inflight)
redis.call('HSET', KEYS[1], 'available', tostring(available), 'maximum', tostring(maximum),
  'rate', ARGV[3], 'at', tostring(now), 'inflight', tostring(inflight))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[5]))
return tostring(available)
"""
)

# KEYS bucket, reservations; ARGV reservation member, 1 to give the points back (the call was
# never charged). A reservation already settled or expired changes nothing.
_RELEASE = (
    _EXPIRE
    + """
expire(KEYS[1], KEYS[2], clock())
if redis.call('ZREM', KEYS[2], ARGV[1]) == 0 then return '0' end
local s = redis.call('HMGET', KEYS[1], 'available', 'maximum', 'inflight')
if not s[1] then return '0' end
local cost = tonumber(string.match(ARGV[1], ':([^:]+)$'))
local available = tonumber(s[1])
if ARGV[2] == '1' then available = math.min(tonumber(s[2]), available + cost) end
local inflight = math.max(0, tonumber(s[3] or '0') - cost)
redis.call('HSET', KEYS[1], 'available', tostring(available), 'inflight', tostring(inflight))
return tostring(available)
"""
)


@dataclass(frozen=True)
class Reservation:
    """Points taken for one call: settled by `observe` (an answer with a cost report) or
    `release`; left alone, it stops counting RESERVATION_HOLD_SECONDS after its send time."""

    shop: str
    member: str
    cost: float
    # Seconds to wait before sending, so the bucket holds the cost by then.
    wait: float


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

    def __init__(self, redis: Redis, *, hold_seconds: float = RESERVATION_HOLD_SECONDS) -> None:
        self._redis = redis
        self._hold = hold_seconds
        self._reserve = redis.register_script(_RESERVE)
        self._observe = redis.register_script(_OBSERVE)
        self._release = redis.register_script(_RELEASE)

    @staticmethod
    def key(shop: str) -> str:
        return KEY_PREFIX + shop

    @staticmethod
    def reservations_key(shop: str) -> str:
        return KEY_PREFIX + shop + ":inflight"

    def _keys(self, shop: str) -> list[str]:
        return [self.key(shop), self.reservations_key(shop)]

    async def reserve(self, shop: str, cost: float) -> Reservation:
        """Take `cost` points; the reservation says how long to wait before sending."""
        member = f"{secrets.token_hex(8)}:{cost:g}"
        wait = await self._reserve(
            keys=self._keys(shop),
            args=[
                cost,
                DEFAULT_MAXIMUM,
                DEFAULT_RESTORE_RATE,
                STATE_TTL_SECONDS,
                SAFETY_MARGIN,
                member,
                self._hold,
            ],
        )
        return Reservation(shop, member, cost, float(cast(bytes, wait)))

    async def release(self, reservation: Reservation, *, charged: bool = False) -> None:
        """End a reservation that got no cost report: given back unless Shopify may have
        charged it (a lost answer). Releasing twice, or after expiry, changes nothing."""
        await self._release(
            keys=self._keys(reservation.shop), args=[reservation.member, "0" if charged else "1"]
        )

    async def observe(self, reservation: Reservation, status: ThrottleStatus) -> None:
        """Correct the mirror from the answer to the call that made `reservation`."""
        await self._observe(
            keys=self._keys(reservation.shop),
            args=[
                status.currently_available,
                status.maximum_available,
                status.restore_rate,
                reservation.member,
                STATE_TTL_SECONDS,
            ],
        )

    async def snapshot(self, shop: str) -> dict[str, float]:
        """The mirrored bucket (available, maximum, rate, at, inflight) as last written."""
        raw = await self._redis.hgetall(self.key(shop))  # type: ignore[misc]
        return {k.decode(): float(v) for k, v in raw.items()}

    async def in_flight(self, shop: str) -> int:
        """How many reservations are still unsettled (expired ones included until the next
        script call drops them)."""
        return int(await self._redis.zcard(self.reservations_key(shop)))
