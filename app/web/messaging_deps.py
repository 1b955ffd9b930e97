"""Dependencies shared by the messaging routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.messaging.config import MessagingConfig
from app.web.deps import ResourcesDep


def messaging_config(resources: ResourcesDep) -> MessagingConfig:
    return resources.messaging


MessagingConfigDep = Annotated[MessagingConfig, Depends(messaging_config)]
