"""Every scenario this build runs: importing a scenario module registers it with the engine."""

from __future__ import annotations

from app.scenarios import abandoned_cart

INSTALLED = (abandoned_cart.DECLARATION,)
