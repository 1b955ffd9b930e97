"""customers_email_marketing_consent/update: a customer's email marketing consent changed.
The payload is `{customer_id, email_address, email_marketing_consent: {state, opt_in_level,
consent_updated_at}}`. Newest wins (consent_updated_at, then the delivery's trigger time); a
change of state is told to the scenarios as the same CustomerChanged fact customers/update
gives, so an unsubscribe stops the running sequences; a change to subscribed is also said as
CustomerSubscribed (a customer created without consent may start the welcome series then)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.compliance.automation import forget_late_delivery_body
from app.facts import CustomerChanged, CustomerSubscribed, publish
from app.models import Customer
from webhooks.freshness import is_newer
from webhooks.payloads import MalformedPayload, obj, required_integer, text
from webhooks.registry import WebhookDelivery, handles
from webhooks.topics.customers import SUBSCRIBED, consent_columns

TOPIC = "customers_email_marketing_consent/update"


@handles(TOPIC)
async def email_marketing_consent_updated(session: AsyncSession, delivery: WebhookDelivery) -> None:
    data = delivery.payload
    shopify_id = required_integer(data, "customer_id")
    consent = obj(data.get("email_marketing_consent"))
    if consent is None:
        raise MalformedPayload("email_marketing_consent is missing")
    new = consent_columns(consent, delivery.triggered_at)
    email = text(data.get("email_address"), 320) or None
    customer = await _locked_customer(session, delivery.shop_id, shopify_id, email)
    if customer.redacted_at is not None:
        # Erased on the shop's request: a consent delivered since writes nothing back, not
        # even the address it carries, and its stored body is forgotten like the others'.
        await forget_late_delivery_body(session, delivery.event_row_id)
        return
    if not is_newer(
        customer.email_consent_updated_at,
        customer.email_consent_triggered_at,
        new["email_consent_updated_at"],
        new["email_consent_triggered_at"],
    ):
        return  # a late delivery of an older consent
    changed = customer.email_marketing_state != new["email_marketing_state"]
    subscribed = changed and new["email_marketing_state"] == SUBSCRIBED
    customer.email_marketing_state = new["email_marketing_state"]
    customer.email_marketing_opt_in_level = new["email_marketing_opt_in_level"]
    customer.email_consent_updated_at = new["email_consent_updated_at"]
    customer.email_consent_triggered_at = new["email_consent_triggered_at"]
    if email and not customer.email:
        customer.email = email
    if not changed:
        return
    await publish(
        session,
        CustomerChanged(
            shop_id=delivery.shop_id,
            customer_id=customer.id,
            shopify_customer_id=shopify_id,
            email=customer.email,
            email_marketing_state=customer.email_marketing_state,
            tags=tuple(customer.tags or ()),
        ),
    )
    if subscribed:
        await publish(
            session,
            CustomerSubscribed(
                shop_id=delivery.shop_id,
                customer_id=customer.id,
                shopify_customer_id=shopify_id,
                email=customer.email,
                subscribed_at=customer.email_consent_updated_at,
            ),
        )


async def _locked_customer(
    session: AsyncSession, shop_id: int, shopify_id: int, email: str | None
) -> Customer:
    """The customer's row, locked for this transaction; created (unversioned, like an
    embedded copy) when the consent is the first we hear of them."""
    await session.execute(
        insert(Customer)
        .values(shop_id=shop_id, shopify_id=shopify_id, email=email)
        .on_conflict_do_nothing(index_elements=["shop_id", "shopify_id"])
    )
    customer: Customer = (
        await session.execute(
            select(Customer)
            .where(Customer.shop_id == shop_id, Customer.shopify_id == shopify_id)
            .with_for_update()
        )
    ).scalar_one()
    return customer
