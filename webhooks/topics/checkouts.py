"""checkouts/create and checkouts/update: one row per checkout token, newest wins (updated_at,
then the delivery's X-Shopify-Triggered-At within the same second), so a stale update arriving
last cannot revive an older cart, and a completion stamped with the same second as the update
before it is not dropped."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.compliance.automation import forget_late_delivery_body
from app.facts import CheckoutChanged, publish
from app.models import Checkout
from webhooks.freshness import newer_sql, same_version_sql
from webhooks.payloads import MalformedPayload, integer, items, jsonable, money, text, timestamp
from webhooks.registry import WebhookDelivery, handles
from webhooks.topics.customers import embedded_customer


def _line_item(item: dict[str, Any]) -> dict[str, Any]:
    line: dict[str, Any] = jsonable(
        {
            "title": item.get("title"),
            "variant_title": item.get("variant_title"),
            "quantity": integer(item.get("quantity")) or 0,
            "price": money(item.get("price")),
            "product_id": integer(item.get("product_id")),
            "variant_id": integer(item.get("variant_id")),
        }
    )
    return line


@handles("checkouts/create", "checkouts/update")
async def checkout_changed(session: AsyncSession, delivery: WebhookDelivery) -> None:
    data = delivery.payload
    token = text(data.get("token"), 255)
    if not token:
        raise MalformedPayload("checkout without a token")
    customer = await embedded_customer(session, delivery.shop_id, data.get("customer"))
    customer_id = customer.id if customer else None
    values: dict[str, Any] = {
        "shop_id": delivery.shop_id,
        "token": token,
        "cart_token": text(data.get("cart_token"), 255),
        "shopify_id": integer(data.get("id")),
        "customer_id": customer_id,
        "email": text(data.get("email"), 320),
        "line_items": [_line_item(i) for i in items(data.get("line_items"))],
        "subtotal_price": money(data.get("subtotal_price")),
        "total_price": money(data.get("total_price")),
        "currency": text(data.get("currency"), 3),
        "presentment_currency": text(data.get("presentment_currency"), 3),
        "locale": text(data.get("customer_locale"), 16),
        "abandoned_checkout_url": text(data.get("abandoned_checkout_url")),
        "completed_at": timestamp(data.get("completed_at")),
        "shopify_created_at": timestamp(data.get("created_at")),
        "shopify_updated_at": timestamp(data.get("updated_at")),
        "triggered_at": delivery.triggered_at,
    }
    if customer is not None and customer.redacted:
        # Redacted: the cart is kept for the merchant's figures, but no way to reach them.
        values.update(email=None, abandoned_checkout_url=None)
        await forget_late_delivery_body(session, delivery.event_row_id)
    base = insert(Checkout).values(**values)
    table, excluded = Checkout.__table__.c, base.excluded
    content = [k for k in values if k not in ("shop_id", "token", "triggered_at")]
    statement = base.on_conflict_do_update(
        index_elements=["shop_id", "token"],
        set_={k: excluded[k] for k in values if k not in ("shop_id", "token")},
        # Newer wins; the same version re-sent (under a later trigger time) is a no-op.
        where=newer_sql(
            table.shopify_updated_at,
            table.triggered_at,
            excluded.shopify_updated_at,
            excluded.triggered_at,
        )
        & ~same_version_sql(
            table.shopify_updated_at,
            excluded.shopify_updated_at,
            [table[k] for k in content],
            [excluded[k] for k in content],
        ),
    ).returning(Checkout.id)
    checkout_id = (await session.execute(statement)).scalar_one_or_none()
    if checkout_id is None:
        return  # stale: we already hold a newer version of this checkout
    await publish(
        session,
        CheckoutChanged(
            shop_id=delivery.shop_id,
            checkout_id=checkout_id,
            token=token,
            customer_id=customer_id,
            email=values["email"],
            total_price=values["total_price"],
            currency=values["currency"],
            abandoned_checkout_url=values["abandoned_checkout_url"],
            completed_at=values["completed_at"],
            updated_at=values["shopify_updated_at"],
        ),
    )
