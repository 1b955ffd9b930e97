"""Typed FastAPI dependencies: the process's resources, taken from the app state."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.platform.resources import Resources


def get_resources(request: Request) -> Resources:
    resources: Resources = request.app.state.resources
    return resources


def get_sessions(request: Request) -> async_sessionmaker[AsyncSession]:
    return get_resources(request).sessions


ResourcesDep = Annotated[Resources, Depends(get_resources)]

# Row ids are BIGINT: an id in a path or query beyond that is a 422, not a database error.
_BIGINT_MAX = 2**63 - 1
RowIdPath = Annotated[int, Path(ge=1, le=_BIGINT_MAX)]
BeforeIdQuery = Annotated[int | None, Query(ge=1, le=_BIGINT_MAX)]
# Routes open their own transaction (`async with sessions.begin() as session`), so the commit
# happens before the response, never in a dependency's teardown after it.
SessionsDep = Annotated[async_sessionmaker[AsyncSession], Depends(get_sessions)]
