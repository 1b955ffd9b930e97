"""Per-shop fair scheduling, in Redis, ahead of the job queue's own schedule.

One FIFO queue serves whoever enqueued first: a big shop's backlog of 20,000 deliveries kept a
small shop's 5 orders waiting behind all of it. Here a job due now that names its shop waits in
that shop's own ready list; the shops with ready jobs form a ring, and a worker with free slots
takes jobs round-robin across the ring, one per shop per turn (`ADMIT`), optionally skipping a
shop that already has `cap` jobs running (its share of the workers). What it takes enters the
queue's schedule (arq's sorted set) due now, already marked as started by that worker (arq's
in-progress key and our owner record, in the same script), and that worker runs it at once, so
the queue's own schedule only ever holds, besides deferred jobs, the jobs being run.

Everything a job's life needs stays atomic and in Redis, so the crash-safety of the queue is
unchanged: a job is in exactly one place at a time (its shop's list, or the schedule), moved by
one script; a worker that dies after `ADMIT` leaves the job in the schedule, marked as its, and
is handled as one that dies mid-job (its alive key expires, any worker frees the job's
in-progress key, the job runs again: within 20 s).

A shop's own jobs keep their arrival order (its list is FIFO), which is all the pipeline relies
on: events of one shop already run concurrently under several slots, and what keeps them right
is per-resource freshness (`updated_at`, webhooks/freshness.py) and the event's row lock.

Deferred jobs (retries, reminders due later) wait in the queue's schedule as before and run in
due order; only jobs due now are scheduled per shop. Jobs enqueued without a shop (cron jobs,
shop-less work) go straight to the schedule.

Keys: `boomerang:fair:ring` (a list of shops whose ready list is not empty, each once; the
worker takes from its tail and puts the shop back at its head, and a shop with new work joins
at the tail, so it is served on the next turn), `boomerang:fair:ready:{shop}` (entries
`{enqueued_ms}:{job_id}`), `boomerang:fair:running:{shop}` (a sorted set of the shop's jobs
taken and not finished, scored by when they were taken; entries older than the longest job are
dropped), `boomerang:fair:jobs` (job id -> shop, from enqueue until the job finishes).

The scripts name per-shop keys they build themselves: fine on one Redis (what Boomerang runs
on), not on a Redis Cluster, where the shop would have to be a hash tag of every key."""

from __future__ import annotations

RING_KEY = "boomerang:fair:ring"
READY_PREFIX = "boomerang:fair:ready:"
RUNNING_PREFIX = "boomerang:fair:running:"
JOBS_KEY = "boomerang:fair:jobs"


def ready_key(shop: str) -> str:
    return READY_PREFIX + shop


# The enqueue, one round trip (the webhook route's hot path): refuse an id already queued,
# running or finished with a kept result; write the job (arq's key layout and serialization);
# then either schedule it (deferred, or no shop) or append it to its shop's ready list, the shop
# joining the ring when its list was empty.
# KEYS: job, result, schedule, jobs hash, shop's ready list, ring.
# ARGV: expires_ms, payload, score, job_id, shop ('' for none), now_ms.
ENQUEUE = """
if redis.call('exists', KEYS[1], KEYS[2]) > 0 then return 0 end
redis.call('psetex', KEYS[1], ARGV[1], ARGV[2])
if ARGV[5] == '' or tonumber(ARGV[3]) > tonumber(ARGV[6]) then
  redis.call('zadd', KEYS[3], ARGV[3], ARGV[4])
  return 1
end
redis.call('hset', KEYS[4], ARGV[4], ARGV[5])
if redis.call('rpush', KEYS[5], ARGV[6] .. ':' .. ARGV[4]) == 1 then
  redis.call('rpush', KEYS[6], ARGV[5])
end
return 1
"""

# Take up to `want` jobs, one per shop per turn of the ring, into the schedule, due now, and
# start them for the calling worker: each job's in-progress key (arq's marker, as arq's own
# start sets it) and its owner record (the dead-job reclaim's) are written here, so the
# worker starts its task without arq's WATCH/EXISTS/ZSCORE/MULTI round trips per job; the
# job is ours alone, as it just left its shop's list in this script. A job whose marker is
# already set (not expected) is left in the schedule, not taken, for arq's poll to judge.
# A shop at its cap of running jobs is passed over; the walk stops when a whole turn of the
# ring gave nothing. Returns {shops still in the ring, {job ids taken}}.
# KEYS: ring, schedule, owners hash.
# ARGV: want, now_ms, cap (0: none), running entries older than this are dropped (ms),
#       ready prefix, running prefix, in-progress prefix, in-progress life (ms), worker id.
ADMIT = """
local want = tonumber(ARGV[1])
local cap = tonumber(ARGV[3])
local taken = {}
local shops = redis.call('llen', KEYS[1])
local idle = 0
while #taken < want and shops > 0 and idle < shops do
  local shop = redis.call('rpoplpush', KEYS[1], KEYS[1])
  local running = ARGV[6] .. shop
  redis.call('zremrangebyscore', running, '-inf', ARGV[4])
  if cap > 0 and redis.call('zcard', running) >= cap then
    idle = idle + 1
  else
    local ready = ARGV[5] .. shop
    local entry = redis.call('lpop', ready)
    if entry then
      local job = string.sub(entry, string.find(entry, ':', 1, true) + 1)
      redis.call('zadd', KEYS[2], ARGV[2], job)
      if redis.call('set', ARGV[7] .. job, '1', 'PX', ARGV[8], 'NX') then
        redis.call('hset', KEYS[3], job, ARGV[9])
        redis.call('zadd', running, ARGV[2], job)
        taken[#taken + 1] = job
      end
      idle = 0
    end
    if redis.call('llen', ready) == 0 then
      redis.call('lrem', KEYS[1], 1, shop)
      shops = shops - 1
    end
  end
end
return {redis.call('llen', KEYS[1]), taken}
"""

# A job is over (done, failed, or deferred for a retry): it no longer counts against its
# shop's running jobs. Also drops the worker's owner record of it, when still that worker's.
# KEYS: owners hash, jobs hash. ARGV: job_id, worker_id, running prefix.
FINISH = """
if redis.call('hget', KEYS[1], ARGV[1]) == ARGV[2] then
  redis.call('hdel', KEYS[1], ARGV[1])
end
local shop = redis.call('hget', KEYS[2], ARGV[1])
if shop then
  redis.call('zrem', ARGV[3] .. shop, ARGV[1])
  redis.call('hdel', KEYS[2], ARGV[1])
end
return 1
"""

# What waits, per shop: {shop, ready jobs, running jobs, enqueued_ms of its oldest ready job}.
# KEYS: ring. ARGV: ready prefix, running prefix.
SNAPSHOT = """
local out = {}
for _, shop in ipairs(redis.call('lrange', KEYS[1], 0, -1)) do
  local ready = ARGV[1] .. shop
  local head = redis.call('lindex', ready, 0)
  local oldest = 0
  if head then oldest = tonumber(string.sub(head, 1, string.find(head, ':', 1, true) - 1)) end
  out[#out + 1] = {shop, redis.call('llen', ready), redis.call('zcard', ARGV[2] .. shop), oldest}
end
return out
"""
