"""The real worker in a process of its own, for crash tests: a scenario listener on
OrderPlaced makes a non-idempotent write (appends "x" to the shop's plan_name), and on its
first run (no marker file yet) writes the marker and blocks, mid-transaction, until killed.

Run: python -m tests.support.crash_worker MARKER_PATH (settings from the environment)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.facts import OrderPlaced
from app.logs import configure_logging
from app.platform.composition import PLATFORM
from app.settings import load_settings
from jobs.worker import run_worker


def main() -> None:
    marker = Path(sys.argv[1])

    async def count_and_maybe_block(session: AsyncSession, fact: OrderPlaced) -> None:
        await session.execute(
            text("UPDATE shops SET plan_name = coalesce(plan_name, '') || 'x' WHERE id = :id"),
            {"id": fact.shop_id},
        )
        if not await asyncio.to_thread(marker.exists):
            await asyncio.to_thread(marker.write_text, "blocked inside the handler's transaction\n")
            await asyncio.sleep(3600)

    # The worker's sessions carry the platform's bus: this listener joins the scenarios'.
    PLATFORM.facts.subscribe(OrderPlaced, count_and_maybe_block)
    settings = load_settings()
    configure_logging("INFO")
    run_worker(settings)


if __name__ == "__main__":
    main()
