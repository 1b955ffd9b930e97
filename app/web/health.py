"""Liveness, readiness and Prometheus metrics. Readiness is PostgreSQL's: with Redis down the
web still stores deliveries (status "degraded", 200); with PostgreSQL down it cannot (503)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app import metrics
from app.web.deps import ResourcesDep

router = APIRouter(tags=["health"])

_CHECK_TIMEOUT = 2.0


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(resources: ResourcesDep) -> JSONResponse:
    async def database() -> bool:
        try:
            async with resources.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except (SQLAlchemyError, OSError):
            return False

    async def redis() -> bool:
        try:
            return bool(await resources.redis.ping())
        except (RedisError, OSError):
            return False

    async def bounded(check: asyncio.Future[bool] | asyncio.Task[bool]) -> bool:
        try:
            return await asyncio.wait_for(check, _CHECK_TIMEOUT)
        except TimeoutError:
            return False

    db_ok, redis_ok = await asyncio.gather(
        bounded(asyncio.ensure_future(database())), bounded(asyncio.ensure_future(redis()))
    )
    checks = {
        "postgres": "ok" if db_ok else "unavailable",
        "redis": "ok" if redis_ok else "unavailable",
    }
    # Only PostgreSQL decides readiness: without Redis the receiver still stores every
    # delivery durably and answers 200 (the sweeper enqueues it once Redis is back), so taking
    # the web out of the load balancer would turn a queue outage into lost webhooks.
    status = "ready" if db_ok and redis_ok else "degraded" if db_ok else "not ready"
    return JSONResponse({"status": status, "checks": checks}, status_code=200 if db_ok else 503)


@router.get("/metrics")
async def prometheus_metrics() -> Response:
    return Response(metrics.render(), media_type=metrics.CONTENT_TYPE)
