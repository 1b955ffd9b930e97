"""Liveness, readiness and Prometheus metrics."""

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
    ready = db_ok and redis_ok
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status_code=200 if ready else 503,
    )


@router.get("/metrics")
async def prometheus_metrics() -> Response:
    return Response(metrics.render(), media_type=metrics.CONTENT_TYPE)
