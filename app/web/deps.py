"""Typed FastAPI dependencies: the process's resources, taken from the app state."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.platform.resources import Resources


def get_resources(request: Request) -> Resources:
    resources: Resources = request.app.state.resources
    return resources


def get_sessions(request: Request) -> async_sessionmaker[AsyncSession]:
    return get_resources(request).sessions


ResourcesDep = Annotated[Resources, Depends(get_resources)]
# Routes open their own transaction (`async with sessions.begin() as session`), so the commit
# happens before the response, never in a dependency's teardown after it.
SessionsDep = Annotated[async_sessionmaker[AsyncSession], Depends(get_sessions)]
