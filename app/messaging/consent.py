"""Who may receive what. Marketing emails go only to customers Shopify reports as
`subscribed`; everything else is treated as no consent:
- `pending` (double opt-in not confirmed yet), `not_subscribed`, `unsubscribed`, `invalid`,
  `redacted`, an unknown value or no value at all → no marketing email.
- A scenario the merchant marked transactional skips the marketing-consent requirement, but
  never an explicit unsubscribe from our link, a complaint, a hard bounce or a redaction:
  someone who said stop, or whose address is dead, gets nothing from us.
Unsubscribing is local and instant; writing it back to Shopify is a separate job behind an
interface (the GraphQL client lives elsewhere)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.messaging.guards import notify_unsubscribe
from app.models import Customer, EmailSuppression
from app.queue.deferred import Job

MARKETING_OK_STATES = frozenset({"subscribed"})


def consent_block_reason(
    customer: Customer | None,
    suppression: EmailSuppression | None,
    *,
    transactional: bool,
) -> str | None:
    """Why this customer must not get this message, or None when they may."""
    if customer is None:
        return "customer_missing"
    if customer.redacted_at is not None:
        return "redacted"
    if not customer.email:
        return "no_email"
    if suppression is not None and (
        suppression.reason != "unsubscribed" or not _resubscribed_since(customer, suppression)
    ):
        return suppression.reason
    if transactional:
        return None
    if (customer.email_marketing_state or "").lower() not in MARKETING_OK_STATES:
        return f"no_marketing_consent:{customer.email_marketing_state or 'none'}"
    return None


def _resubscribed_since(customer: Customer, suppression: EmailSuppression) -> bool:
    """A shopper who unsubscribed through our link and later subscribed again in Shopify (a
    newer consent change saying subscribed) is subscribed again."""
    return (
        customer.email_marketing_state == "subscribed"
        and customer.email_consent_updated_at is not None
        and customer.email_consent_updated_at > suppression.created_at
    )


async def suppression_for(
    session: AsyncSession, shop_id: int, address: str | None
) -> EmailSuppression | None:
    if not address:
        return None
    return await session.scalar(
        select(EmailSuppression).where(
            EmailSuppression.shop_id == shop_id, EmailSuppression.address == address.lower()
        )
    )


async def suppress_address(
    session: AsyncSession,
    shop_id: int,
    address: str,
    *,
    reason: str,
    now: datetime,
    customer_id: int | None = None,
    detail: str | None = None,
) -> None:
    """Record that this shop must not write to `address` again (replays are no-ops; a newer
    reason replaces an older one so the latest cause is shown)."""
    statement = insert(EmailSuppression).values(
        shop_id=shop_id,
        address=address.lower(),
        customer_id=customer_id,
        reason=reason,
        detail=detail,
        created_at=now,
    )
    await session.execute(
        statement.on_conflict_do_update(
            constraint="uq_email_suppressions_shop_id_address",
            set_={"reason": reason, "detail": detail, "created_at": now},
        )
    )


async def unsubscribe_customer(
    session: AsyncSession, shop_id: int, customer_id: int, *, now: datetime
) -> Customer | None:
    """Stop marketing email to this customer now: local state and a suppression row (which
    survives a stale customers/update webhook that still says subscribed)."""
    # FOR NO KEY UPDATE, like every customer lock: a step holding the customer's run and
    # inserting its message (a key-share check on this row) must not wait on us while the
    # unsubscribe listeners below wait on that run.
    customer = await session.scalar(
        select(Customer)
        .where(Customer.shop_id == shop_id, Customer.id == customer_id)
        .with_for_update(key_share=True)
    )
    if customer is None:
        return None
    customer.email_marketing_state = "unsubscribed"
    customer.email_consent_updated_at = now
    if customer.email:
        await suppress_address(
            session,
            shop_id,
            customer.email,
            reason="unsubscribed",
            now=now,
            customer_id=customer.id,
            detail="one-click unsubscribe link",
        )
    await notify_unsubscribe(session, shop_id, customer.id, now)
    return customer


# Tells Shopify of an unsubscribe made through our link, when the merchant wants it.
WRITE_BACK_JOB = "write_back_email_consent"


def write_back_job(shop_id: int, customer_id: int) -> Job:
    return Job(WRITE_BACK_JOB, (shop_id, customer_id), f"{WRITE_BACK_JOB}:{shop_id}:{customer_id}")


class ConsentWriteBack(Protocol):
    """Tells Shopify a customer unsubscribed (customerEmailMarketingConsentUpdate); the
    implementation is app.shopify.admin.consent, injected by the job."""

    async def mark_unsubscribed(
        self, shop_domain: str, customer_shopify_id: int, at: datetime
    ) -> None: ...
