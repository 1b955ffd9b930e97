"""The loyalty program's periodic work: tiers re-evaluated as their rolling window moves."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from app.db.after_commit import take_after_commit
from app.installs.status import shop_work_runs
from app.loyalty import service
from app.models import LoyaltyProgram, Shop
from app.platform.resources import Resources
from app.queue import JobContext

TIERS_EVERY_SECONDS = 3600


async def reevaluate_loyalty_tiers(ctx: JobContext) -> int:
    """Cron: every working shop's accounts, a page per transaction; the pages done."""
    resources: Resources = ctx.resources
    now = datetime.now(UTC)
    async with resources.sessions() as session:
        shop_ids = list(
            await session.scalars(
                select(LoyaltyProgram.shop_id)
                .join(Shop, Shop.id == LoyaltyProgram.shop_id)
                .where(shop_work_runs())
                .order_by(LoyaltyProgram.shop_id)
            )
        )
    pages = 0
    for shop_id in shop_ids:
        after: int | None = 0
        while after is not None:
            async with resources.sessions.begin() as session:
                last = await service.reevaluate_tiers(
                    session, shop_id=shop_id, now=now, after_customer_id=after
                )
                pending = take_after_commit(session)
            for action in pending:
                await action(resources)
            if last is not None:
                pages += 1
            after = last
    return pages
