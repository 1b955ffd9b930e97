"""arq behind the JobQueue interface: the only module that imports arq."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import secrets
import signal
import socket
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import structlog
from arq import Retry, create_pool, cron
from arq.connections import ArqRedis, RedisSettings
from arq.constants import (
    abort_jobs_ss,
    in_progress_key_prefix,
    job_key_prefix,
    result_key_prefix,
    retry_key_prefix,
)
from arq.jobs import serialize_job
from arq.typing import WorkerCoroutine
from arq.utils import timestamp_ms, to_ms, to_unix_ms
from arq.worker import Worker, func
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from app.queue import fair
from app.queue.interface import (
    CronJob,
    JobContext,
    JobFunction,
    JobState,
    JobStatus,
    QueueUnavailable,
    RetryJob,
)

log = structlog.get_logger(__name__)

QUEUE_NAME = "boomerang:queue"
JOB_TIMEOUT_SECONDS = 300
# arq marks a job taken with a key that lives the longest job timeout plus 10 s
# (Worker.in_progress_timeout_s); what is left of it says how long the job has run.
_IN_PROGRESS_SECONDS = JOB_TIMEOUT_SECONDS + 10

# arq's enqueue_job in ONE round trip. arq itself WATCHes the job key, checks it and the
# result key, then MULTI/EXEC: three round trips, 16 % of the webhook route under load. The
# script (app/queue/fair.py) does the same checks and writes atomically inside Redis, in arq's
# own key layout and serialization, so arq's worker runs the job unchanged; a job due now that
# names its shop waits in that shop's ready list instead, for the fair scheduling.


def redis_settings(url: str) -> RedisSettings:
    settings = RedisSettings.from_dsn(url)
    # Fail fast: the webhook route must answer within Shopify's 5 s even with Redis down.
    settings.conn_timeout = 1
    settings.conn_retries = 0
    return settings


class ArqQueue:
    """Connects on first use, so a process that starts while Redis is down still starts;
    every enqueue until Redis answers raises QueueUnavailable."""

    def __init__(self, url: str, *, fair: bool = True) -> None:
        self._url = url
        # Off: every job goes straight to arq's FIFO schedule (bench/fairness compares).
        self._fair = fair
        self._pool: ArqRedis | None = None
        self._lock = asyncio.Lock()

    async def _connected(self) -> ArqRedis:
        if self._pool is None:
            async with self._lock:
                if self._pool is None:
                    try:
                        self._pool = await create_pool(
                            redis_settings(self._url), default_queue_name=QUEUE_NAME
                        )
                    except (TimeoutError, RedisError, OSError) as exc:
                        raise QueueUnavailable(f"Redis cannot be reached: {exc}") from exc
        return self._pool

    async def enqueue(
        self,
        name: str,
        *args: Any,
        job_id: str,
        defer_by: timedelta | None = None,
        defer_until: datetime | None = None,
        shop: str | None = None,
    ) -> bool:
        pool = await self._connected()
        now = timestamp_ms()
        if defer_until is not None:
            score = to_unix_ms(defer_until)
        elif defer_by is not None:
            score = now + int(defer_by.total_seconds() * 1000)
        else:
            score = now
        expires_ms = max(score - now, 0) + pool.expires_extra_ms
        payload = serialize_job(name, args, {}, None, now, serializer=pool.job_serializer)
        shop = (shop or "") if self._fair else ""
        keys_and_args: list[Any] = [
            job_key_prefix + job_id,
            result_key_prefix + job_id,
            QUEUE_NAME,
            fair.JOBS_KEY,
            fair.ready_key(shop),
            fair.RING_KEY,
            expires_ms,
            payload,
            score,
            job_id,
            shop,
            now,
        ]
        try:
            created = await pool.eval(fair.ENQUEUE, 6, *keys_and_args)  # type: ignore[misc]
        except (TimeoutError, RedisError, OSError) as exc:
            raise QueueUnavailable(str(exc)) from exc
        return bool(created)

    async def job_states(self, job_ids: Sequence[str]) -> dict[str, JobState]:
        """One round trip for all: the in-progress key's remaining life, the job key, and
        the job's place in the queue (arq keeps a job there while it runs and while its
        retry is deferred) or in its shop's ready list (fair.JOBS_KEY names its shop)."""
        pool = await self._connected()
        try:
            async with pool.pipeline(transaction=False) as pipe:
                for job_id in job_ids:
                    pipe.pttl(in_progress_key_prefix + job_id)
                    pipe.exists(job_key_prefix + job_id)
                    pipe.zscore(QUEUE_NAME, job_id)
                    pipe.hexists(fair.JOBS_KEY, job_id)
                replies = await pipe.execute()
        except (TimeoutError, RedisError, OSError) as exc:
            raise QueueUnavailable(str(exc)) from exc
        states = {}
        for n, job_id in enumerate(job_ids):
            in_progress_ms, job_exists, score, shop_ready = replies[4 * n : 4 * n + 4]
            if in_progress_ms != -2:  # -2: no such key; -1: a key without expiry
                running_for = (
                    _IN_PROGRESS_SECONDS - in_progress_ms / 1000 if in_progress_ms >= 0 else None
                )
                states[job_id] = JobState(JobStatus.RUNNING, running_for)
            elif job_exists and (score is not None or shop_ready):
                states[job_id] = JobState(JobStatus.QUEUED)
            else:
                states[job_id] = JobState(JobStatus.MISSING)
        return states

    async def ping(self) -> bool:
        try:
            pool = await self._connected()
            return bool(await asyncio.wait_for(pool.ping(), timeout=1))
        except (TimeoutError, QueueUnavailable, RedisError, OSError):
            return False

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()
            self._pool = None


def _wrap(function: JobFunction) -> WorkerCoroutine:
    @functools.wraps(function)
    async def run(ctx: dict[str, Any], *args: Any) -> Any:
        job_ctx = JobContext(
            job_id=ctx["job_id"], attempt=ctx["job_try"], resources=ctx["resources"]
        )
        try:
            return await function(job_ctx, *args)
        except RetryJob as retry:
            raise Retry(defer=retry.defer) from retry

    return cast(WorkerCoroutine, run)


# Redis is down, restarting, or still loading its data (BusyLoadingError is a
# ConnectionError): the worker waits for it rather than exit.
_REDIS_LOST = (RedisConnectionError, RedisTimeoutError, OSError, TimeoutError)
# Waits between attempts while Redis is away: doubling, capped so a Redis that is back is
# noticed within a few seconds.
_RECONNECT_FIRST_WAIT = 0.2
_RECONNECT_MAX_WAIT = 3.0


# Dead jobs. arq marks a job taken with an in-progress key that outlives the longest job
# (JOB_TIMEOUT_SECONDS + 10): a worker killed mid-job leaves it there, and no worker runs the
# job again (nor can it be enqueued again under its id) for about 5 minutes. So each worker
# keeps a short-lived "alive" key, refreshed while it runs, and records itself as the owner
# of every job it takes; any worker that finds a job whose owner's alive key has expired
# removes the job's in-progress key, and arq's next poll runs the job again.
_OWNERS_KEY = "boomerang:queue:job-owners"
_ALIVE_KEY_PREFIX = "boomerang:queue:worker-alive:"
# A worker refreshes its alive key (and looks for dead owners) this often…
_KEEP_ALIVE_EVERY_SECONDS = 5.0
# …and is taken for dead this long after its last refresh: a killed worker's jobs run again
# within _ALIVE_SECONDS + _KEEP_ALIVE_EVERY_SECONDS (20 s). Long enough that a busy event
# loop is not mistaken for a dead one (the jobs are idempotent if it ever is).
_ALIVE_SECONDS = 15
# With fair scheduling off, how often a worker still takes from the shops' ready lists (jobs
# enqueued while it was on, or by a web process still running with it on).
_LEFTOVER_ADMIT_EVERY_SECONDS = 1.0
# How long a fair worker's poll goes on starting the shops' jobs as its slots free up, before
# it lets the next poll give arq's schedule its turn (_refill_while_shops_wait).
_REFILL_SECONDS = 0.25

# Atomically: the job is still recorded as the dead worker's, that worker is still not
# alive; then free the job for arq and forget the owner.
_RECLAIM = """
if redis.call('hget', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
if redis.call('exists', KEYS[3]) == 1 then return 0 end
redis.call('del', KEYS[2])
redis.call('hdel', KEYS[1], ARGV[1])
return 1
"""
# The job's owner record is removed only by its owner (a job reclaimed from a worker taken
# for dead may already be another's), in fair.FINISH with the job's place among its shop's
# running jobs.


async def _to_the_end(work: Awaitable[Any]) -> bool:
    """Await `work` to its end even when the awaiting task is cancelled meanwhile (SIGTERM);
    True when it was. For a job task's bookkeeping, which must not stop half-way."""
    task = asyncio.ensure_future(work)
    cancelled = False
    while not task.done():
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            cancelled = True
    task.result()
    return cancelled


def _worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class _ResilientWorker(Worker):
    """arq's Worker, made to survive what ends or stalls arq's own:
    - Redis lost (at start, while polling, recording a job's result) ends arq's process; this
      one waits for Redis and carries on, logging one line when Redis is lost and one when it
      is back;
    - a worker killed mid-job leaves its job stuck for about 5 minutes; these workers find
      such jobs (their owner's alive key expired) and let them run again within 20 s."""

    def __init__(
        self,
        *args: Any,
        on_alive: Callable[[], None],
        shop_max_running: int = 0,
        fair: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # Off (QUEUE_FAIR=false): the web enqueues every job straight to arq's schedule, and
        # the worker polls only that, taking from the shops' turns once a second in case jobs
        # still wait there from when it was on.
        self.fair = fair
        self._next_leftover_admit = 0.0
        # At most this many jobs of one shop run at once across the workers (0: no cap).
        self.shop_max_running = shop_max_running
        self._schedule_first = False
        # Jobs this worker took from the shops' turns and runs; whether shops still have
        # jobs waiting (as the last ADMIT saw it).
        self._fair_ids: set[str] = set()
        self._shops_waiting = False
        # Jobs whose task has begun run_job, and those whose own function arq has begun (its
        # on_job_start), until their task ends; whether the worker is stopping (a signal).
        self._entered: set[str] = set()
        self._begun: set[str] = set()
        self._stopping = False
        # arq's recording of a job's outcome under way (a task of its own, shielded), by job.
        self._finishing: dict[str, asyncio.Task[Any]] = {}
        # Jobs whose FINISH ran in the transaction that recorded their outcome (finish_job).
        self._finished: set[str] = set()
        self.on_job_start = self._job_begins
        # Told every few seconds while the worker runs, Redis or not (its liveness check).
        self._on_alive = on_alive
        self.worker_id = _worker_id()
        self._alive_key = _ALIVE_KEY_PREFIX + self.worker_id
        self._next_keep_alive = 0.0

    async def main(self) -> None:
        if self._pool is None:
            self._pool = await self._connect_when_redis_answers()
        await super().main()

    async def _poll_iteration(self) -> None:
        try:
            await self._keep_alive()
            if not self.fair:
                await super()._poll_iteration()
                now = asyncio.get_running_loop().time()
                if now >= self._next_leftover_admit:
                    self._next_leftover_admit = now + _LEFTOVER_ADMIT_EVERY_SECONDS
                    await self._admit_fairly()
                return
            # Free slots go, turn about, first to arq's schedule (deferred jobs come due,
            # cron and shop-less jobs: the sweeps and the heartbeat among them) and first to
            # the shops' turns: neither a backlog of due reminders nor a shop's flood of
            # deliveries can take every slot from the other.
            self._schedule_first = not self._schedule_first
            if self._schedule_first:
                await self._poll_schedule()
                await self._admit_fairly()
            elif not await self._admit_fairly():
                await self._poll_schedule()
            await self._refill_while_shops_wait()
            if self.burst:
                await self._hold_burst_while_shops_wait()
        except _REDIS_LOST as exc:
            # Also a job's own bookkeeping (arq records results in Redis) failing, surfaced
            # here by arq: whichever it was, the worker goes on once Redis answers.
            await self._wait_for_redis(exc)

    async def _hold_burst_while_shops_wait(self) -> None:
        """A burst worker (tests, `worker --burst`) stops as soon as arq's schedule is empty,
        but jobs waiting in the shops' ready lists are not in it: a shop at its cap, whose
        running jobs have just left the schedule (arq removes a job from it before our
        FINISH lowers the shop's running count), would be left with its backlog. Seeing the
        schedule non-empty here is not enough either: the running jobs may leave it before
        arq looks. So a burst poll returns only once no shop has a job waiting: meanwhile it
        lets a running job end (or waits a poll), polls the schedule and takes turns again.
        Every job taken is in the schedule until it ends, so arq's burst exit then waits
        for all of them, and for their retries."""
        while self.max_burst_jobs < 0 or self._jobs_started() < self.max_burst_jobs:
            if not await self.pool.llen(fair.RING_KEY):  # type: ignore[misc]
                return
            running = [task for task in self.tasks.values() if not task.done()]
            if running:
                await asyncio.wait(
                    running, timeout=self.poll_delay_s, return_when=asyncio.FIRST_COMPLETED
                )
            else:
                await asyncio.sleep(self.poll_delay_s)
            await self._poll_schedule()
            await self._admit_fairly()

    async def start_jobs(self, job_ids: list[bytes]) -> None:
        """arq's start of the jobs its poll read from the schedule, one job at a time, each
        start not to be cut short by SIGTERM (arq cancels the poll). arq's own start sets a
        job's in-progress key in its MULTI/EXEC, then creates the job's task: a signal between
        the two left the job marked as running with no task, for arq's 5 minutes. Here each
        start runs to its end (the task exists, and sees the stop: run_job frees its job at
        once), and no job starts once the worker is stopping."""
        for job_id_b in job_ids:
            if self._stopping:
                return
            job_id = job_id_b.decode()
            before = self.tasks.get(job_id)
            starting = asyncio.ensure_future(super().start_jobs([job_id_b]))
            if await _to_the_end(starting):
                raise asyncio.CancelledError
            # arq's start returns early when this worker has no slot left (its counter at
            # max_jobs): then so does this loop, as arq's would.
            if self.tasks.get(job_id) is before and self.job_counter >= self.max_jobs:
                return

    async def _poll_schedule(self) -> None:
        """arq's poll of its schedule. While shops have jobs waiting, jobs from the schedule
        hold at most half of this worker's slots: turns alone count starts, not time, and a
        slot taken by a long job (a reminder step reconciling its shop first) is gone for
        every turn until it ends, so the slots would end up all the schedule's."""
        limit = self.max_jobs
        if self._shops_waiting:
            scheduled = sum(
                1
                for job_id, task in self.tasks.items()
                if not task.done() and job_id not in self._fair_ids
            )
            limit = min(limit, self.job_counter + max(0, self.max_jobs // 2 - scheduled))
        saved, self.max_jobs = self.max_jobs, limit
        try:
            await super()._poll_iteration()
        finally:
            self.max_jobs = saved

    async def _refill_while_shops_wait(self) -> None:
        """While shops have jobs waiting, a slot that frees up takes the next turn at once,
        for up to _REFILL_SECONDS, rather than at the next poll. arq's own start does the
        same (it waits on its slots' semaphore while due jobs remain in what it read): a
        slot left idle until the next poll (50 ms) cost the fair worker a third of its
        throughput against FIFO's (bench/fairness, jobs of ~40 ms each)."""
        loop = asyncio.get_running_loop()
        until = loop.time() + _REFILL_SECONDS
        while self._shops_waiting and self.allow_pick_jobs:
            left = until - loop.time()
            running = [task for task in self.tasks.values() if not task.done()]
            if left <= 0 or not running:
                return
            if self.job_counter >= self.max_jobs:
                await asyncio.wait(running, timeout=left, return_when=asyncio.FIRST_COMPLETED)
                continue
            if not await self._admit_fairly():
                return

    async def _admit_fairly(self) -> bool:
        """Take as many jobs as this worker has free slots left from the shops' ready lists,
        round-robin (app/queue/fair.py), and start them. False when none was taken."""
        free = self.max_jobs - self.job_counter
        if self.burst and self.max_burst_jobs >= 0:
            free = min(free, self.max_burst_jobs - self._jobs_started())
        if free <= 0 or not self.allow_pick_jobs:
            return False
        # Not to be cut short by SIGTERM (arq cancels the poll): once ADMIT has marked jobs
        # as started by this worker, their tasks must exist, which see the stop and free them.
        admitting = asyncio.ensure_future(self._admit_and_start(free))
        if await _to_the_end(admitting):
            raise asyncio.CancelledError
        return admitting.result()

    async def _admit_and_start(self, free: int) -> bool:
        now = timestamp_ms()
        taken = await self._admit(free, now)
        for job_id_b in taken:
            # What arq's start_jobs does once its WATCH/MULTI has set the in-progress key,
            # which ADMIT has set (with the owner record) for each of these.
            job_id = job_id_b.decode()
            self._fair_ids.add(job_id)
            await self.sem.acquire()
            self.job_counter += 1
            task = self.loop.create_task(self.run_job(job_id, now))
            task.add_done_callback(lambda _: self._release_sem_dec_counter_on_complete())
            self.tasks[job_id] = task
        return bool(taken)

    async def _admit(self, free: int, now: int) -> list[bytes]:
        if free <= 0:
            return []
        waiting, taken = await self.pool.eval(  # type: ignore[misc]
            fair.ADMIT,
            3,
            fair.RING_KEY,
            self.queue_name,
            _OWNERS_KEY,
            str(free),
            str(now),
            str(self.shop_max_running),
            str(now - int(self.in_progress_timeout_s * 1000)),
            fair.READY_PREFIX,
            fair.RUNNING_PREFIX,
            in_progress_key_prefix,
            str(int(self.in_progress_timeout_s * 1000)),
            self.worker_id,
        )
        self._shops_waiting = int(waiting) > 0
        return list(taken)

    async def run_job(self, job_id: str, score: int) -> None:
        """arq's run_job between our bookkeeping: the owner record before (arq has just set
        the job's in-progress key), FINISH after.

        SIGTERM cancels every job task (arq's handle_sig) and arq's close() then gathers
        them. arq turns the cancelling of a job's own function into "run again" (its
        in-progress key freed); but a task cancelled outside the function (writing the owner
        record, arq reading the job, arq recording the outcome) ended with CancelledError:
        close() raised it, so the worker exited with a traceback, and a job whose start was
        cut short stayed marked in progress, by a worker gone, for arq's 5 minutes (or, its
        owner record written, the dead-job reclaim's 20 s). Here the bookkeeping runs to its
        end whatever the task's cancelling; a job whose function never began is freed at
        once to run again; the task ends without CancelledError, so the worker exits
        cleanly."""
        # Without Redis the job cannot start anyway (arq reads it from Redis next), and arq's
        # own expiry of the marker is left to free it.
        self._entered.add(job_id)
        # A task the stop found not yet begun was left to begin (handle_sig): it only frees
        # its job.
        # ADMIT wrote the owner record of the jobs it started.
        cancelled = self._stopping or (
            job_id not in self._fair_ids
            and await _to_the_end(
                self._quietly(self.pool.hset(_OWNERS_KEY, job_id, self.worker_id))  # type: ignore[arg-type]
            )
        )
        try:
            if not cancelled:
                await super().run_job(job_id, score)
        except asyncio.CancelledError:
            cancelled = True
        except BaseException:
            # Redis lost under arq's own bookkeeping, say: the poll that gathers this task
            # sees it (the worker then waits for Redis).
            await self._finish(job_id, owner=self.worker_id)
            raise
        finally:
            begun = job_id in self._begun
            self._begun.discard(job_id)
            self._entered.discard(job_id)
            self._fair_ids.discard(job_id)
            finished = job_id in self._finished
            self._finished.discard(job_id)
        if cancelled:
            finishing = self._finishing.get(job_id)
            if finishing is not None:
                # Cut short while arq recorded the outcome (shielded, it goes on): wait for
                # it, or the process could end first and leave the job marked in progress.
                await _to_the_end(self._quietly(finishing))
            elif not begun:
                await _to_the_end(self._quietly(self.pool.delete(in_progress_key_prefix + job_id)))
                log.info(
                    "worker stopping: a job it was starting is freed to run again", job_id=job_id
                )
        if not finished:
            await self._finish(job_id, owner=self.worker_id)

    def handle_sig(self, signum: signal.Signals) -> None:
        """arq's stop (SIGTERM, SIGINT; close() without signal handling) cancels every job
        task. A task created but not yet begun (arq's poll has just started the job) would
        be cancelled before its first step, so none of run_job's code would run: the job
        would stay marked in progress, and the task's CancelledError would reach close().
        Such tasks are left to begin: run_job sees the stop and only frees its job."""
        self._stopping = True
        tasks = self.tasks
        self.tasks = {job_id: task for job_id, task in tasks.items() if job_id in self._entered}
        try:
            super().handle_sig(signum)
        finally:
            self.tasks = tasks

    async def finish_job(self, job_id: str, *args: Any) -> None:
        # arq awaits this shielded (its own task): known here, so that a run_job cut short
        # while it runs can wait for it.
        await self._finishing_task(job_id, self._record_outcome(job_id, *args))

    async def _record_outcome(
        self,
        job_id: str,
        finish: bool,
        result_data: bytes | None,
        result_timeout_s: float | None,
        keep_result_forever: bool,
        incr_score: int | None,
        keep_in_progress: float | None,
    ) -> None:
        """arq's Worker.finish_job (0.28, the same commands in the same MULTI), with FINISH
        in that MULTI: the job leaves its shop's running jobs, and its owner record goes, in
        the round trip that records its outcome, not one more after it (one of the three
        Redis round trips of every job). run_job then skips its own FINISH."""
        async with self.pool.pipeline(transaction=True) as tr:
            delete_keys = []
            in_progress_key = in_progress_key_prefix + job_id
            if keep_in_progress is None:
                delete_keys.append(in_progress_key)
            else:
                tr.pexpire(in_progress_key, to_ms(keep_in_progress) or 0)
            if finish:
                if result_data:
                    expire = None if keep_result_forever else result_timeout_s
                    tr.set(result_key_prefix + job_id, result_data, px=to_ms(expire))
                delete_keys += [retry_key_prefix + job_id, job_key_prefix + job_id]
                tr.zrem(abort_jobs_ss, job_id)
                tr.zrem(self.queue_name, job_id)
            elif incr_score:
                tr.zincrby(self.queue_name, incr_score, job_id)
            if delete_keys:
                tr.delete(*delete_keys)
            tr.eval(*self._finish_command(job_id, owner=self.worker_id))
            await tr.execute()
        self._finished.add(job_id)

    async def finish_failed_job(self, job_id: str, result_data: bytes | None) -> None:
        await self._finishing_task(job_id, super().finish_failed_job(job_id, result_data))

    async def _finishing_task(self, job_id: str, work: Awaitable[None]) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._finishing[job_id] = task
        try:
            await work
        finally:
            if self._finishing.get(job_id) is task:
                del self._finishing[job_id]

    async def _job_begins(self, ctx: dict[str, Any]) -> None:
        """arq's on_job_start: the job's function is about to run."""
        self._begun.add(ctx["job_id"])

    async def _finish(self, job_id: str, *, owner: str) -> None:
        """The job no longer counts among its shop's running jobs; its owner record goes too
        when `owner` is this worker (FINISH removes it only when it names `owner`)."""
        await _to_the_end(
            self._quietly(self.pool.eval(*self._finish_command(job_id, owner=owner)))  # type: ignore[arg-type]
        )

    @staticmethod
    def _finish_command(job_id: str, *, owner: str) -> tuple[str, int, str, str, str, str, str]:
        return (fair.FINISH, 2, _OWNERS_KEY, fair.JOBS_KEY, job_id, owner, fair.RUNNING_PREFIX)

    @staticmethod
    async def _quietly(command: Awaitable[Any]) -> None:
        with contextlib.suppress(*_REDIS_LOST, RedisError):
            await command

    async def _keep_alive(self) -> None:
        now = asyncio.get_running_loop().time()
        if now < self._next_keep_alive:
            return
        self._next_keep_alive = now + _KEEP_ALIVE_EVERY_SECONDS
        self._on_alive()
        await self.pool.set(self._alive_key, b"1", ex=_ALIVE_SECONDS)
        await self._reclaim_dead_jobs()

    async def _reclaim_dead_jobs(self) -> None:
        owners = {
            job.decode(): owner.decode()
            for job, owner in (await self.pool.hgetall(_OWNERS_KEY)).items()  # type: ignore[misc]
        }
        if not owners:
            return
        workers = sorted(set(owners.values()))
        async with self.pool.pipeline(transaction=False) as pipe:
            for worker in workers:
                pipe.exists(_ALIVE_KEY_PREFIX + worker)
            alive = dict(zip(workers, await pipe.execute(), strict=True))
        for job_id, owner in owners.items():
            if alive[owner]:
                continue
            reclaimed = await self.pool.eval(  # type: ignore[misc]
                _RECLAIM,
                3,
                _OWNERS_KEY,
                in_progress_key_prefix + job_id,
                _ALIVE_KEY_PREFIX + owner,
                job_id,
                owner,
            )
            if reclaimed:
                log.warning(
                    "job of a worker that died freed to run again", job_id=job_id, worker=owner
                )

    async def _connect_when_redis_answers(self) -> ArqRedis:
        wait = _RECONNECT_FIRST_WAIT
        lost = False
        while True:
            pool: ArqRedis | None = None
            try:
                pool = await create_pool(
                    self.redis_settings,
                    job_deserializer=self.job_deserializer,
                    job_serializer=self.job_serializer,
                    default_queue_name=self.queue_name,
                    expires_extra_ms=self.expires_extra_ms,
                )
                await pool.ping()
            except (*_REDIS_LOST, RedisError) as exc:
                if pool is not None:
                    with contextlib.suppress(*_REDIS_LOST, RedisError):
                        await pool.aclose()
                if not lost:
                    log.warning("Redis cannot be reached; the worker waits for it", reason=str(exc))
                    lost = True
                self._on_alive()
                await asyncio.sleep(wait)
                wait = min(wait * 2, _RECONNECT_MAX_WAIT)
                continue
            if lost:
                log.warning("Redis is back; the worker starts")
            return pool

    async def _wait_for_redis(self, error: BaseException) -> None:
        if await self._redis_answers():
            # A command failed but Redis answers: no outage to report.
            log.warning(
                "a Redis command failed, Redis answers; the worker goes on", reason=str(error)
            )
            return
        log.warning("Redis lost; the worker waits for it and reconnects", reason=str(error))
        wait = _RECONNECT_FIRST_WAIT
        while not await self._redis_answers():
            self._on_alive()
            await asyncio.sleep(wait)
            wait = min(wait * 2, _RECONNECT_MAX_WAIT)
        log.warning("Redis is back; the worker resumes")

    async def _redis_answers(self) -> bool:
        try:
            return bool(await self.pool.ping())
        except (*_REDIS_LOST, RedisError):
            return False


_Marks = tuple[set[int] | None, set[int] | None, set[int]]


def _cron_marks(job: CronJob) -> _Marks:
    """arq's cron marks (hour, minute, second) for a period: every N seconds within a
    minute, every N minutes within an hour, or every N hours within a day (a period of an
    hour used to tick every minute)."""
    every = job.every_seconds
    if every < 60 and 60 % every == 0:
        return None, None, set(range(0, 60, every))
    if every % 60 == 0 and every < 3600 and 3600 % every == 0:
        return None, set(range(0, 60, every // 60)), {0}
    if every % 3600 == 0 and every <= 86400 and 86400 % every == 0:
        return set(range(0, 24, every // 3600)), {0}, {0}
    raise ValueError(
        f"cron job {job.name}: every {every} s is not a period the worker can tick on "
        "(a divisor of a minute, an hour or a day)"
    )


def build_worker(
    *,
    redis_url: str,
    functions: dict[str, JobFunction],
    cron_jobs: Sequence[CronJob],
    on_startup: Callable[[], Awaitable[Any]],
    on_shutdown: Callable[[Any], Awaitable[None]],
    on_alive: Callable[[], None] = lambda: None,
    max_jobs: int = 20,
    max_tries: int = 8,
    job_timeout: int = JOB_TIMEOUT_SECONDS,
    handle_signals: bool = True,
    shop_max_running: int = 0,
    fair_scheduling: bool = True,
    self_logging: Collection[str] = (),
) -> Worker:
    """An arq Worker whose jobs receive our JobContext; `on_startup` returns the resources;
    `on_alive` is called every few seconds while the worker runs (waiting for Redis too);
    jobs due now that name their shop are taken round-robin across the shops, at most
    `shop_max_running` of one shop at once (0: no cap). The jobs named in `self_logging` log
    one line of their own per run: arq's start and finish lines for them are left out."""
    _quiet_job_lines(self_logging)

    async def startup(ctx: dict[str, Any]) -> None:
        ctx["resources"] = await on_startup()

    async def shutdown(ctx: dict[str, Any]) -> None:
        if "resources" in ctx:
            await on_shutdown(ctx["resources"])

    arq_functions = [func(_wrap(function), name=name) for name, function in functions.items()]
    arq_crons = [
        cron(
            _wrap(job.function),
            name=job.name,
            hour=_cron_marks(job)[0],
            minute=_cron_marks(job)[1],
            second=_cron_marks(job)[2],
            run_at_startup=job.run_at_startup,
            unique=True,
        )
        for job in cron_jobs
    ]
    return _ResilientWorker(
        on_alive=on_alive,
        shop_max_running=shop_max_running,
        fair=fair_scheduling,
        functions=arq_functions,
        cron_jobs=arq_crons,
        redis_settings=redis_settings(redis_url),
        queue_name=QUEUE_NAME,
        on_startup=startup,
        on_shutdown=shutdown,
        max_jobs=max_jobs,
        max_tries=max_tries,
        job_timeout=job_timeout,
        keep_result=60,
        # arq starts at most max_jobs per poll; its default 0.5 s poll caps a worker at
        # 2 x max_jobs jobs a second however short they are.
        poll_delay=0.05,
        handle_signals=handle_signals,
    )


# arq's INFO lines at a job's start (→) and at its success (←), as arq spells them.
_ARQ_RUN_LINES = frozenset({"%6.2fs → %s(%s)%s", "%6.2fs ← %s ● %s"})


class _SelfLoggingJobs(logging.Filter):
    """Leaves out arq's start and success lines of jobs that log their own line per run
    (with the job id, the outcome and the time it took): at a thousand webhook events a
    second, three lines per event cost more CPU than the event's bookkeeping. A retry, a
    failure, a timeout and every other job still log as arq logs them; a line arq spells
    otherwise (another arq version) is kept."""

    def __init__(self, names: Collection[str]) -> None:
        super().__init__()
        self._refs = tuple(f":{name}" for name in names)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg not in _ARQ_RUN_LINES or not isinstance(record.args, tuple):
            return True
        ref = record.args[1] if len(record.args) > 1 else None
        return not (isinstance(ref, str) and ref.endswith(self._refs))


def _quiet_job_lines(names: Collection[str]) -> None:
    """One filter on arq's worker logger per process: the last worker built sets it."""
    logger = logging.getLogger("arq.worker")
    for old in [f for f in logger.filters if isinstance(f, _SelfLoggingJobs)]:
        logger.removeFilter(old)
    if names:
        logger.addFilter(_SelfLoggingJobs(names))


@dataclass(frozen=True)
class ShopQueue:
    shop: str
    ready: int
    running: int
    oldest_ready_ms: int


@dataclass(frozen=True)
class QueueDepth:
    """What waits: jobs due now (in arq's schedule and in the shops' ready lists), per shop,
    and how long the oldest job due now has waited (its lag)."""

    ready: int
    shops: tuple[ShopQueue, ...]
    lag_seconds: float


async def queue_depth(redis: Redis) -> QueueDepth:
    """One pipelined round trip. arq keeps its schedule as a sorted set scored by the time a
    job is due (ms) and keeps a job there while it runs: a due entry is waiting or running
    (`running` subtracts the ones the fair layer knows are running)."""
    now = timestamp_ms()
    async with redis.pipeline(transaction=False) as pipe:
        pipe.zcount(QUEUE_NAME, "-inf", now)
        pipe.zrangebyscore(QUEUE_NAME, "-inf", now, start=0, num=1, withscores=True)
        pipe.eval(fair.SNAPSHOT, 1, fair.RING_KEY, fair.READY_PREFIX, fair.RUNNING_PREFIX)
        scheduled, head, snapshot = await pipe.execute()
    shops = tuple(
        ShopQueue(shop.decode(), int(ready), int(running), int(oldest))
        for shop, ready, running, oldest in snapshot
    )
    oldest = [s.oldest_ready_ms for s in shops if s.oldest_ready_ms]
    if head:
        oldest.append(int(head[0][1]))
    lag = max(0.0, (now - min(oldest)) / 1000) if oldest else 0.0
    return QueueDepth(
        ready=int(scheduled) + sum(s.ready for s in shops), shops=shops, lag_seconds=lag
    )
