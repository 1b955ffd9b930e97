"""arq behind the JobQueue interface: the only module that imports arq."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from arq import Retry, create_pool, cron
from arq.connections import ArqRedis, RedisSettings
from arq.typing import WorkerCoroutine
from arq.worker import Worker, func
from redis.exceptions import RedisError

from app.queue.interface import CronJob, JobContext, JobFunction, QueueUnavailable, RetryJob

QUEUE_NAME = "boomerang:queue"


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
        try:
            job = await pool.enqueue_job(
                name, *args, _job_id=job_id, _defer_by=defer_by, _defer_until=defer_until
            )
        except (TimeoutError, RedisError, OSError) as exc:
            raise QueueUnavailable(str(exc)) from exc
        return job is not None

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
        handle_signals=handle_signals,
    )
