"""Message jobs: send one outbox message, sweep the outbox for due messages (so a lost job
never loses a message), and write an unsubscribe back to Shopify."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

import structlog
from sqlalchemy import select

from app import metrics
from app.messaging.consent import ConsentWriteBack
from app.messaging.controls import sending_policy
from app.messaging.delivery import deliver_message
from app.messaging.outbox import SEND_JOB, Status, due_messages, send_job_id
from app.messaging.transport import transport_from_settings
from app.models import Customer, Shop
from app.platform.resources import Resources
from app.queue import JobContext, RetryJob
from app.queue.interface import QueueUnavailable
from app.shopify.admin.consent import ShopifyConsentWriteBack
from app.shopify.admin.factory import admin_client
from app.shopify.admin.types import ShopRef

log = structlog.get_logger(__name__)


async def send_message(ctx: JobContext, message_id: int) -> str:
    resources: Resources = ctx.resources
    result = await deliver_message(
        resources.sessions,
        transport_from_settings(resources.settings),
        resources.messaging,
        message_id,
    )
    log.info("message job", message_id=message_id, status=result.status, reason=result.reason)
    metrics.MESSAGES_SENT.labels(str(result.status)).inc()
    if result.status == Status.SENDING and result.retry_in is not None:
        raise RetryJob(defer=result.retry_in)
    if result.status == Status.QUEUED and result.next_at is not None:
        # A new job for the new time; the sweeper would find it anyway.
        with contextlib.suppress(QueueUnavailable):
            await resources.queue.enqueue(
                SEND_JOB,
                message_id,
                job_id=send_job_id(message_id, result.next_at),
                defer_until=result.next_at,
            )
    return result.status


async def enqueue_due_messages(ctx: JobContext) -> int:
    """The outbox sweeper: queue a send job for every due message."""
    resources: Resources = ctx.resources
    async with resources.sessions.begin() as session:
        due = await due_messages(session, datetime.now(UTC))
    queued = 0
    for message_id, when in due:
        if await resources.queue.enqueue(
            SEND_JOB, message_id, job_id=send_job_id(message_id, when)
        ):
            queued += 1
    return queued


def consent_writer(resources: Resources, shop: ShopRef) -> ConsentWriteBack:
    """The Shopify consent write-back, through the throttle-aware Admin API client."""
    return ShopifyConsentWriteBack(admin_client(resources), shop)


async def write_back_email_consent(ctx: JobContext, shop_id: int, customer_id: int) -> bool:
    resources: Resources = ctx.resources
    async with resources.sessions.begin() as session:
        shop = await session.get(Shop, shop_id)
        customer = await session.scalar(
            select(Customer).where(Customer.shop_id == shop_id, Customer.id == customer_id)
        )
        if shop is None or customer is None or customer.email_consent_updated_at is None:
            return False
        if not (await sending_policy(session, shop_id)).consent_write_back:
            # Turned off between the click and this job: the merchant's latest word wins.
            return False
        domain, shopify_id = shop.domain, customer.shopify_id
        at = customer.email_consent_updated_at
    await consent_writer(resources, ShopRef(shop_id, domain)).mark_unsubscribed(
        domain, shopify_id, at
    )
    return True
