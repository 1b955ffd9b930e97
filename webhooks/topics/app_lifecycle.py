"""app/uninstalled and shop/update: the shop's install state and facts."""

from __future__ import annotations

from datetime import UTC, datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from app.installs.lifecycle import locked_shop, mark_uninstalled, uninstall_predates_install
from app.kpis.jobs import set_timezone
from app.scenarios.runs import stop_running_sequences
from webhooks.registry import WebhookDelivery, handles

log = structlog.get_logger(__name__)


@handles("app/uninstalled")
async def app_uninstalled(session: AsyncSession, delivery: WebhookDelivery) -> None:
    shop = await locked_shop(session, delivery.shop_id, delivery.shop_domain)
    if uninstall_predates_install(shop, delivery.triggered_at):
        log.info(
            "app/uninstalled from before the latest install ignored",
            triggered_at=str(delivery.triggered_at),
            installed_at=str(shop.installed_at),
        )
        return
    mark_uninstalled(shop, at=delivery.triggered_at)
    # Every running sequence stops now, not when its next step comes due; queued emails are
    # suppressed by the outbox, which checks the install before each send.
    await stop_running_sequences(session, shop.id, "shop_uninstalled", datetime.now(UTC))


@handles("shop/update")
async def shop_update(session: AsyncSession, delivery: WebhookDelivery) -> None:
    shop = await locked_shop(session, delivery.shop_id, delivery.shop_domain)
    payload = delivery.payload
    if payload.get("name"):
        shop.name = str(payload["name"])
    if payload.get("email"):
        shop.email = str(payload["email"])
    if payload.get("currency"):
        shop.currency = str(payload["currency"])
    if payload.get("iana_timezone"):
        # A new timezone moves every local day: the roll-ups are rebuilt after the commit.
        set_timezone(session, shop, str(payload["iana_timezone"]))
    if payload.get("primary_locale"):
        shop.locale = str(payload["primary_locale"])
    if payload.get("plan_display_name"):
        shop.plan_name = str(payload["plan_display_name"])
