"""The shared pieces every part of the simulator works with: settings, state and clock."""

from __future__ import annotations

from dataclasses import dataclass

from devstore.clock import Clock
from devstore.config import SimulatorConfig
from devstore.state import Store


@dataclass
class Runtime:
    config: SimulatorConfig
    store: Store
    clock: Clock
