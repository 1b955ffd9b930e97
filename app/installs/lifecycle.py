"""Uninstall and shop redaction: what happens to a shop's row and data when it leaves."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.base import Base
from app.errors import UnknownShop
from app.i18n import Text
from app.models import Shop, WebhookEvent
from app.queue.deferred import Job, defer

# What shop/redact cannot erase in its transaction: the review photos' files (local disk or
# S3) and the shop's customer sync hashes in Redis (jobs/shop_redaction.py).
FORGET_JOB = "forget_redacted_shop"


def forget_job(shop_id: int) -> Job:
    return Job(FORGET_JOB, (shop_id,), f"{FORGET_JOB}:{shop_id}")


async def locked_shop(session: AsyncSession, shop_id: int, domain: str) -> Shop:
    """The shop row a delivery is for, locked (the delivery changes it); UnknownShop when id
    and domain disagree. FOR NO KEY UPDATE: rows that merely reference the shop (a step's
    message, holding its run lock) check it with a key-share lock, which must not wait on an
    uninstall that waits on that run to stop it."""
    shop = await session.scalar(
        select(Shop)
        .where(Shop.id == shop_id)
        .with_for_update(key_share=True)
        # The session may hold the shop already (the webhook job loads it with the event):
        # what the lock guards is the row as it is now, so it is read again.
        .execution_options(populate_existing=True)
    )
    return _delivered_to(shop, shop_id, domain)


async def delivery_shop(session: AsyncSession, shop_id: int, domain: str) -> Shop:
    """The shop row a delivery is for, not locked: a delivery that only reads it must not
    hold it, since every insert of the shop's rows checks it (a customers/redact holding it
    while it waits for the customer's row deadlocks with an order naming that customer)."""
    shop = await session.scalar(select(Shop).where(Shop.id == shop_id))
    return _delivered_to(shop, shop_id, domain)


def _delivered_to(shop: Shop | None, shop_id: int, domain: str) -> Shop:
    if shop is None or shop.domain != domain:
        raise UnknownShop(
            Text(
                en=f"No installed shop {domain} (id {shop_id}); the delivery is ignored.",
                fr=f"Aucune boutique installée {domain} (id {shop_id}) ; la notification est "
                "ignorée.",
            )
        )
    return shop


def uninstall_predates_install(shop: Shop, triggered_at: datetime | None) -> bool:
    """An app/uninstalled triggered before the shop's latest install: a late or retried
    delivery from before a reinstall (Shopify retries for hours), which must not wipe the new
    token. Without X-Shopify-Triggered-At there is nothing to judge by: it applies."""
    return (
        triggered_at is not None
        and shop.installed_at is not None
        and triggered_at < shop.installed_at
    )


def mark_uninstalled(shop: Shop, at: datetime | None = None) -> None:
    """The token dies at once; data stays until shop/redact; every job sees `is_active` False."""
    if shop.uninstalled_at is None:
        shop.uninstalled_at = at or datetime.now(UTC)
    shop.access_token_encrypted = None
    shop.access_token_expires_at = None
    shop.access_token_lifetime_seconds = None
    shop.refresh_token_encrypted = None
    shop.refresh_token_expires_at = None


def _shop_tables() -> list[Any]:
    """Every table with a shop_id, children first (so foreign keys never block a delete)."""
    return [t for t in reversed(Base.metadata.sorted_tables) if "shop_id" in t.c]


async def redact_shop(session: AsyncSession, shop: Shop, *, keep_event_row_id: int | None) -> None:
    """Delete everything held for the shop; keep a tombstone row (domain only) and the
    delivery being processed, so the inbox can still mark it done. What lives outside the
    database (photo files, Redis) goes by a job after the commit, keyed by the shop: it
    deletes by the shop's prefix, needing no row, and the tombstone's redacted_at lets a
    sweep queue it again if the commit's enqueue was lost."""
    for table in _shop_tables():
        statement = delete(table).where(table.c.shop_id == shop.id)
        if table.name == WebhookEvent.__tablename__ and keep_event_row_id is not None:
            statement = statement.where(table.c.id != keep_event_row_id)
        await session.execute(statement)
    mark_uninstalled(shop)
    shop.name = None
    shop.email = None
    shop.primary_domain_url = None
    shop.plan_name = None
    shop.postal_address = None
    shop.sender_name = None
    shop.sender_reply_to = None
    shop.sender_address = None
    shop.logo_url = None
    shop.brand_color = None
    if shop.redacted_at is None:
        shop.redacted_at = datetime.now(UTC)
    defer(session, forget_job(shop.id))
