"""arq behind the JobQueue interface: the only module that imports arq."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from arq import Retry, create_pool, cron
from arq.connections import ArqRedis, RedisSettings
from arq.constants import job_key_prefix, result_key_prefix
from arq.jobs import serialize_job
from arq.typing import WorkerCoroutine
from arq.utils import timestamp_ms, to_unix_ms
from arq.worker import Worker, func
from redis.exceptions import RedisError

from app.queue.interface import CronJob, JobContext, JobFunction, QueueUnavailable, RetryJob

QUEUE_NAME = "boomerang:queue"

# arq's enqueue_job in ONE round trip. arq itself WATCHes the job key, checks it and the
# result key, then MULTI/EXEC: three round trips, 16 % of the webhook route under load. This
# script does the same checks and writes atomically inside Redis, in arq's own key layout and
# serialization, so arq's worker runs the job unchanged.
_ENQUEUE = """
if redis.call('exists', KEYS[1], KEYS[2]) > 0 then return 0 end
redis.call('psetex', KEYS[1], ARGV[1], ARGV[2])
redis.call('zadd', KEYS[3], ARGV[3], ARGV[4])
return 1
"""


def redis_settings(url: str) -> RedisSettings:
    settings = RedisSettings.from_dsn(url)
    # Fail fast: the webhook route must answer within Shopify's 5 s even with Redis down.
    settings.conn_timeout = 1
    settings.conn_retries = 0
    return settings


class ArqQueue:
    """Connects on first use, so a process that starts while Redis is down still starts;
    every enqueue until Redis answers raises QueueUnavailable."""

    def __init__(self, url: str) -> None:
        self._url = url
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
        keys_and_args: list[Any] = [
            job_key_prefix + job_id,
            result_key_prefix + job_id,
            QUEUE_NAME,
            expires_ms,
            payload,
            score,
            job_id,
        ]
        try:
            created = await pool.eval(_ENQUEUE, 3, *keys_and_args)  # type: ignore[misc]
        except (TimeoutError, RedisError, OSError) as exc:
            raise QueueUnavailable(str(exc)) from exc
        return bool(created)

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


def build_worker(
    *,
    redis_url: str,
    functions: dict[str, JobFunction],
    cron_jobs: Sequence[CronJob],
    on_startup: Callable[[], Awaitable[Any]],
    on_shutdown: Callable[[Any], Awaitable[None]],
    max_jobs: int = 20,
    max_tries: int = 8,
    job_timeout: int = 300,
    handle_signals: bool = True,
) -> Worker:
    """An arq Worker whose jobs receive our JobContext; `on_startup` returns the resources."""

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
            second=set(range(0, 60, job.every_seconds)) if job.every_seconds < 60 else {0},
            run_at_startup=job.run_at_startup,
            unique=True,
        )
        for job in cron_jobs
    ]
    return Worker(
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
