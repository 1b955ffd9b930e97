"""The referral program's declaration: one function per commerce fact, each in the fact's
transaction, its emails' default templates and its section of data requests and redactions.
`REFERRALS` registers nothing: the composition root wires it, as app/platform/programs.py
lists."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.compliance.registry import Section
from app.facts import CustomerCreated, OrderCancelled, OrderPaid, OrderPlaced, RefundCreated
from app.platform.program import Program
from app.referrals import compliance, records
from app.referrals.content import REASONS, TEMPLATES
from app.referrals.settings import KEY, load_settings


async def on_order_placed(session: AsyncSession, fact: OrderPlaced) -> None:
    if fact.discount_codes:
        await records.record_order(
            session,
            shop_id=fact.shop_id,
            order_id=fact.order_id,
            discount_codes=fact.discount_codes,
            now=datetime.now(UTC),
        )


async def on_order_paid(session: AsyncSession, fact: OrderPaid) -> None:
    await records.on_paid(
        session,
        shop_id=fact.shop_id,
        order_id=fact.order_id,
        customer_id=fact.customer_id,
        now=datetime.now(UTC),
    )


async def on_refund_created(session: AsyncSession, fact: RefundCreated) -> None:
    if fact.order_id is not None:
        await records.on_refund(session, shop_id=fact.shop_id, order_id=fact.order_id)


async def on_order_cancelled(session: AsyncSession, fact: OrderCancelled) -> None:
    await records.on_cancel(session, shop_id=fact.shop_id, order_id=fact.order_id)


async def on_customer_created(session: AsyncSession, fact: CustomerCreated) -> None:
    settings = await load_settings(session, fact.shop_id)
    await records.request_code(session, settings, fact.shop_id, fact.customer_id, records.SIGN_UP)


REFERRALS = Program(
    key=KEY,
    listens={
        OrderPlaced: on_order_placed,
        OrderPaid: on_order_paid,
        RefundCreated: on_refund_created,
        OrderCancelled: on_order_cancelled,
        CustomerCreated: on_customer_created,
    },
    compliance=(
        Section(
            name="referrals",
            export=compliance.export_referrals,
            erase=compliance.erase_referrals,
        ),
    ),
    reasons=REASONS,
    templates=TEMPLATES,
)
