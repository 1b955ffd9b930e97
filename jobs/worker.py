"""The worker process: refuses to start on an out-of-date database, then runs the registry."""

from __future__ import annotations

import functools

import structlog

from app import metrics
from app.db.migrate import current_revision, head_revision
from app.healthcheck import touch_worker_alive
from app.inbox.jobs import PROCESS_JOB
from app.platform.resources import Resources, build_resources
from app.queue.arq_backend import build_worker
from app.settings import Settings
from jobs.registry import JOBS, cron_jobs

log = structlog.get_logger(__name__)


class DatabaseNotMigrated(Exception):
    """The schema is behind the code: run `boomerang migrate` first."""


async def check_schema(resources: Resources) -> None:
    current, head = await current_revision(resources.engine), head_revision()
    if current != head:
        raise DatabaseNotMigrated(
            f"database is at migration {current or 'none'} but the code needs {head}: "
            "run `boomerang migrate` first"
        )


# Jobs one worker process runs at once: a 2-core machine gains nothing from more, since the
# work is mostly waiting on PostgreSQL, Redis and Shopify.
MAX_JOBS = 10
# A job can hold up to three connections at a time: its own transaction, a code reservation
# committed on its own (app/codes), and the token lookup behind a Shopify call.
CONNECTIONS_PER_JOB = 3


def worker_settings(settings: Settings) -> Settings:
    """The pool sized so MAX_JOBS jobs never wait on each other's connections."""
    pool = max(settings.db_pool_size, MAX_JOBS * CONNECTIONS_PER_JOB)
    return settings.model_copy(update={"db_pool_size": pool})


def serve_metrics(settings: Settings) -> None:
    """The worker's Prometheus endpoint: processing latency and outcomes are counted here,
    not in the web app. A port already taken costs the metrics, never the processing."""
    if settings.worker_metrics_port == 0:
        return
    try:
        metrics.serve(settings.worker_metrics_host, settings.worker_metrics_port)
    except OSError as exc:
        log.error(
            "worker metrics not served: set WORKER_METRICS_PORT to a free port",
            host=settings.worker_metrics_host,
            port=settings.worker_metrics_port,
            reason=str(exc),
        )
        return
    log.info(
        "worker metrics served",
        url=f"http://{settings.worker_metrics_host}:{settings.worker_metrics_port}/metrics",
    )


def run_worker(settings: Settings, *, burst: bool = False) -> None:
    settings = worker_settings(settings)

    async def startup() -> Resources:
        resources = await build_resources(settings)
        try:
            await check_schema(resources)
        except BaseException:
            await resources.close()
            raise
        serve_metrics(settings)
        log.info("worker started", jobs=len(JOBS), cron_jobs=len(cron_jobs(settings)))
        return resources

    async def shutdown(resources: Resources) -> None:
        await resources.close()

    worker = build_worker(
        on_alive=functools.partial(touch_worker_alive, settings.data_dir),
        max_jobs=MAX_JOBS,
        shop_max_running=settings.queue_shop_max_running,
        fair_scheduling=settings.queue_fair,
        redis_url=settings.redis,
        functions=JOBS,
        # Its "webhook event handled" line says the job's outcome (webhooks/processing.py).
        self_logging={PROCESS_JOB},
        cron_jobs=cron_jobs(settings),
        on_startup=startup,
        on_shutdown=shutdown,
    )
    if burst:
        worker.burst = True
    worker.run()
