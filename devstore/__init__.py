"""devstore: a local Shopify (OAuth, GraphQL Admin API, webhooks, checkout) for tests and demos."""

from devstore.config import PlanLimits, SimulatorConfig
from devstore.server import Simulator, create_simulator, run

__all__ = ["PlanLimits", "Simulator", "SimulatorConfig", "create_simulator", "run"]
