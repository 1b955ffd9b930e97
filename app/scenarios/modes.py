"""How much a scenario is allowed to do on its own."""

from __future__ import annotations

import enum


class Mode(enum.StrEnum):
    LIVE = "live"  # computes and sends
    APPROVAL = "approval"  # computes; each message waits for the merchant's click
    DRY_RUN = "dry_run"  # computes and shows; sends nothing, creates no code
    PAUSED = "paused"  # starts nothing; running sequences stop
