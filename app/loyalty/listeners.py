"""The loyalty program's declaration: one function per commerce fact, each calling the service
in the fact's transaction (so points commit, or roll back, with the webhook that caused them),
and its section of customer data requests and redactions. `LOYALTY` registers nothing: the
composition root (app/platform/composition.py) wires it, as app/platform/programs.py lists."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.compliance.registry import Section
from app.facts import (
    CustomerChanged,
    CustomerCreated,
    OrderCancelled,
    OrderEdited,
    OrderPaid,
    RefundCreated,
)
from app.loyalty import (
    compliance,
    content,
    expiry,
    history,
    redemptions,
    service,
    still_true,
)
from app.platform.program import Program

# The consent a sign-up must carry to earn the sign-up bonus ("an account created with
# consent"): Shopify's email marketing state.
SUBSCRIBED = "subscribed"


async def on_order_paid(session: AsyncSession, fact: OrderPaid) -> None:
    await service.record_paid_order(
        session,
        shop_id=fact.shop_id,
        order_id=fact.order_id,
        customer_id=fact.customer_id,
        email=fact.email,
        eligible_subtotal=fact.eligible_subtotal,
        now=datetime.now(UTC),
        shopify_order_id=fact.shopify_order_id,
    )


async def on_refund_created(session: AsyncSession, fact: RefundCreated) -> None:
    await service.record_refund(
        session,
        shop_id=fact.shop_id,
        shopify_order_id=fact.shopify_order_id,
        order_id=fact.order_id,
        now=datetime.now(UTC),
    )


async def on_order_cancelled(session: AsyncSession, fact: OrderCancelled) -> None:
    await service.record_cancellation(
        session, shop_id=fact.shop_id, order_id=fact.order_id, now=datetime.now(UTC)
    )


async def on_order_edited(session: AsyncSession, fact: OrderEdited) -> None:
    await service.record_order_edit(
        session,
        shop_id=fact.shop_id,
        order_id=fact.order_id,
        edit_id=fact.edit_id,
        added_subtotal=fact.added_subtotal,
        now=datetime.now(UTC),
    )


async def on_customer_changed(session: AsyncSession, fact: CustomerChanged) -> None:
    if fact.email:
        await service.credit_guest_points(
            session,
            shop_id=fact.shop_id,
            customer_id=fact.customer_id,
            email=fact.email,
            now=datetime.now(UTC),
        )


async def on_customer_created(session: AsyncSession, fact: CustomerCreated) -> None:
    """The sign-up bonus, for an account created with marketing consent (once per customer:
    the ledger's natural key)."""
    if fact.email_marketing_state == SUBSCRIBED:
        await service.award_signup_bonus(
            session, shop_id=fact.shop_id, customer_id=fact.customer_id, now=datetime.now(UTC)
        )


LOYALTY = Program(
    key="loyalty",
    listens={
        OrderPaid: on_order_paid,
        RefundCreated: on_refund_created,
        OrderCancelled: on_order_cancelled,
        OrderEdited: on_order_edited,
        CustomerChanged: on_customer_changed,
        CustomerCreated: on_customer_created,
    },
    compliance=(
        Section(name="loyalty", export=compliance.export_loyalty, erase=compliance.erase_loyalty),
    ),
    reasons={
        **redemptions.REASONS,
        **expiry.REASONS,
        **still_true.REASONS,
        **history.REASONS,
    },
    templates=content.TEMPLATES,
    guard=still_true.loyalty_email_still_true,
    on_send_outcome=history.email_outcome,
    kinds=history.KINDS,
)
