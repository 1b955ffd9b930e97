"""orders/edited: the merchant committed an order edit. Shopify's body holds the edit, not
the order: `order_edit` with its `id`, `order_id`, `committed_at` and the line items it
changed (`line_items.additions` / `removals`, each `{id, delta}`: the line item and how many
units). The edited order itself comes through orders/updated, which Shopify sends too.

The units added are valued at their line's unit price as we hold it. A line added by the edit
(a new variant) is known once its orders/updated is applied: until then the edit fails and is
retried, like any handler failure, so an edit is never valued without all its lines. Units
removed are not valued here: a removal on a paid order is settled by a refund, whose
refunds/create names those lines (app/loyalty takes points back there)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.facts import OrderEdited, publish
from app.models import Order, OrderLineItem
from webhooks.payloads import integer, items, obj, required_integer, timestamp
from webhooks.registry import WebhookDelivery, handles


class EditBeforeItsOrder(LookupError):
    """The edit names an order or a line item we do not hold yet: retried later, once its
    orders/* delivery is applied."""


@handles("orders/edited")
async def order_edited(session: AsyncSession, delivery: WebhookDelivery) -> None:
    edit = obj(delivery.payload.get("order_edit")) or {}
    shopify_order_id = required_integer(edit, "order_id")
    edit_id = required_integer(edit, "id")
    shop_id = delivery.shop_id
    order_id = await session.scalar(
        select(Order.id).where(Order.shop_id == shop_id, Order.shopify_id == shopify_order_id)
    )
    if order_id is None:
        raise EditBeforeItsOrder(f"order {shopify_order_id} of edit {edit_id} is not held yet")
    added: dict[int, int] = {}
    for change in items((obj(edit.get("line_items")) or {}).get("additions")):
        line_id = required_integer(change, "id")
        added[line_id] = added.get(line_id, 0) + max(integer(change.get("delta")) or 0, 0)
    prices: dict[int, Decimal] = {}
    if added:
        rows = await session.execute(
            select(OrderLineItem.shopify_id, OrderLineItem.price).where(
                OrderLineItem.shop_id == shop_id,
                OrderLineItem.order_id == order_id,
                OrderLineItem.shopify_id.in_(list(added)),
            )
        )
        prices = {int(shopify_id): Decimal(price) for shopify_id, price in rows}
    missing = sorted(set(added) - set(prices))
    if missing:
        raise EditBeforeItsOrder(
            f"edit {edit_id} adds line items {missing} of order {shopify_order_id} that its "
            "orders/updated has not brought yet"
        )
    await publish(
        session,
        OrderEdited(
            shop_id=shop_id,
            order_id=order_id,
            shopify_order_id=shopify_order_id,
            edit_id=edit_id,
            added_subtotal=sum((prices[line] * units for line, units in added.items()), Decimal(0)),
            committed_at=timestamp(edit.get("committed_at") or edit.get("created_at")),
        ),
    )
