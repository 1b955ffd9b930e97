"""orders/create|paid|updated|fulfilled|cancelled: the order with its line items, the discount
codes it used and its fulfillments. Whichever orders/* delivery arrives first creates the order
(and says OrderPlaced); later ones apply when not older than what we hold."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import text as sql
from sqlalchemy.ext.asyncio import AsyncSession

from app import order_stats
from app.codes.service import record_redemptions
from app.compliance.automation import forget_late_delivery_body
from app.db.prepared import Prepared, adopt, begun_driver
from app.facts import OrderCancelled, OrderFulfilled, OrderPlaced, publish
from app.models import Order
from app.scenarios import engine, runs, shoppers
from webhooks.order_paid import order_paid
from webhooks.payloads import (
    integer,
    items,
    jsonable,
    money,
    obj,
    required_integer,
    text,
    timestamp,
)
from webhooks.registry import WebhookDelivery, handles
from webhooks.topics.customers import embedded_customer

# Order columns a delivery writes, besides shop_id.
_ORDER_COLUMNS = (
    "shopify_id",
    "name",
    "checkout_token",
    "customer_id",
    "email",
    "financial_status",
    "fulfillment_status",
    "cancelled_at",
    "subtotal_price",
    "total_price",
    "total_discounts",
    "currency",
    "locale",
    "shipping_address",
    "browser_ip",
    "placed_at",
    "shopify_updated_at",
)
_LINE_COLUMNS = (
    "shopify_id",
    "product_id",
    "variant_id",
    "title",
    "variant_title",
    "quantity",
    "price",
)
_LINE_TYPES = ("bigint", "bigint", "bigint", "text", "text", "bigint", "numeric")
_CODE_COLUMNS = ("code", "amount", "type")
_CODE_TYPES = ("text", "numeric", "text")


def _unnest(columns: tuple[str, ...], types: tuple[str, ...], alias: str) -> str:
    arrays = ", ".join(f"CAST(:{alias}_{c} AS {t}[])" for c, t in zip(columns, types, strict=True))
    return f"unnest({arrays}) AS {alias}({', '.join(columns)})"


# Columns compared to tell the very same version re-sent (webhooks/freshness.py).
_CONTENT_COLUMNS = tuple(c for c in _ORDER_COLUMNS if c != "shopify_id")

# The order, its line items and the discount codes it used, in ONE statement built once: a
# round trip each cost more than the work. Newest wins: not older (<=) applies, since
# orders/cancelled and orders/fulfilled may carry the same updated_at as the orders/create
# before them; the very same version re-sent (a replayed body) is a no-op, as
# webhooks.freshness.same_version_sql says. A stale or same version returns no row and
# writes no children either.
#
# The same statement does, at no round trip of its own, what follows the order's write:
# - the customer's order statistics (app/order_stats.py) when the order is new or cancelled,
#   counting the order as written here (the statement's other reads do not see its own
#   writes). The customer's turn at them was taken by the statement before (the customer's,
#   webhooks/topics/customers.py), so this one's snapshot sees every order committed before;
# - when the order is new, the runs of any scenario it may concern
#   (app.scenarios.engine.order_probe), read under the shopper's lock, taken the same way:
#   the OrderPlaced listeners find them kept (engine.keep_order_runs).
_STATS_CTES = order_stats.refresh_ctes(
    # The customer's counted orders: those stored but this one, and this one as written.
    f"""{order_stats.COUNTED_ORDERS}
      AND id NOT IN (SELECT id FROM upserted)
    UNION ALL
    SELECT placed_at FROM upserted
    WHERE customer_id = CAST(:stats_customer_id AS bigint)
      AND cancelled_at IS NULL AND placed_at IS NOT NULL""",  # noqa: S608
    when="EXISTS (SELECT FROM upserted WHERE inserted OR cancelled_at IS NOT NULL)",
)
_UPSERT_ORDER = Prepared(
    sql(
        f"""
WITH upserted AS (
    INSERT INTO orders (shop_id, {", ".join(_ORDER_COLUMNS)})
    VALUES (:shop_id, {", ".join(f":{c}" for c in _ORDER_COLUMNS)})
    ON CONFLICT (shop_id, shopify_id) DO UPDATE
    SET {", ".join(f"{c} = excluded.{c}" for c in _ORDER_COLUMNS if c != "shopify_id")}
    WHERE (orders.shopify_updated_at IS NULL
           OR orders.shopify_updated_at <= excluded.shopify_updated_at)
      AND NOT (orders.shopify_updated_at IS NOT DISTINCT FROM excluded.shopify_updated_at
               AND ({", ".join(f"orders.{c}" for c in _CONTENT_COLUMNS)})
                   IS NOT DISTINCT FROM
                   ({", ".join(f"excluded.{c}" for c in _CONTENT_COLUMNS)}))
    RETURNING orders.*, xmax = 0 AS inserted
), line_items AS (
    INSERT INTO order_line_items (shop_id, order_id, {", ".join(_LINE_COLUMNS)})
    SELECT :shop_id, upserted.id, {", ".join(f"line.{c}" for c in _LINE_COLUMNS)}
    FROM upserted, {_unnest(_LINE_COLUMNS, _LINE_TYPES, "line")}
    ON CONFLICT (shop_id, shopify_id) DO UPDATE
    SET quantity = excluded.quantity, price = excluded.price, title = excluded.title
), discount_codes AS (
    INSERT INTO order_discount_codes (shop_id, order_id, {", ".join(_CODE_COLUMNS)})
    SELECT :shop_id, upserted.id, {", ".join(f"code.{c}" for c in _CODE_COLUMNS)}
    FROM upserted, {_unnest(_CODE_COLUMNS, _CODE_TYPES, "code")}
    ON CONFLICT (shop_id, order_id, code) DO NOTHING
), {_STATS_CTES}, shopper_runs AS (
    SELECT * FROM ({runs.SHOPPER_RUNS_SQL}) AS found
    WHERE EXISTS (SELECT FROM upserted WHERE inserted)
)
SELECT upserted.*,
       (SELECT array_agg(id ORDER BY id) FROM shopper_runs) AS run_ids,
       (SELECT array_agg(scenario ORDER BY id) FROM shopper_runs) AS run_scenarios,
       (SELECT array_agg(subject_key ORDER BY id) FROM shopper_runs) AS run_subject_keys,
       (SELECT array_agg(status ORDER BY id) FROM shopper_runs) AS run_statuses
FROM upserted
"""  # noqa: S608  (column names from the constants above; every value is a parameter)
    )
)


@handles("orders/create", "orders/paid", "orders/updated", "orders/fulfilled", "orders/cancelled")
async def order_changed(session: AsyncSession, delivery: WebhookDelivery) -> None:
    data = delivery.payload
    shop_id = delivery.shop_id
    email = text(data.get("email") or data.get("contact_email"), 320)
    # The shopper's lock (what the OrderPlaced listeners need held before they look for
    # runs) and the customer's turn at their order statistics, taken with their row.
    shopper_lock = shoppers.lock_key(shop_id, email)
    customer = await embedded_customer(
        session, shop_id, data.get("customer"), shopper_lock=shopper_lock, lock_order_stats=True
    )
    customer_id = customer.id if customer else None
    values: dict[str, Any] = {
        "shop_id": shop_id,
        "shopify_id": required_integer(data, "id"),
        "name": text(data.get("name"), 64),
        "checkout_token": text(data.get("checkout_token"), 255),
        "customer_id": customer_id,
        "email": email,
        "financial_status": text(data.get("financial_status"), 32),
        "fulfillment_status": text(data.get("fulfillment_status"), 32),
        "cancelled_at": timestamp(data.get("cancelled_at")),
        "subtotal_price": money(data.get("subtotal_price")),
        "total_price": money(data.get("total_price")),
        "total_discounts": money(data.get("total_discounts")),
        "currency": text(data.get("currency"), 3),
        "locale": text(data.get("customer_locale"), 16),
        "shipping_address": jsonable(obj(data.get("shipping_address"))),
        "browser_ip": text(data.get("browser_ip"), 64),
        "placed_at": timestamp(data.get("processed_at") or data.get("created_at")),
        "shopify_updated_at": timestamp(data.get("updated_at")),
    }
    if customer is not None and customer.redacted:
        # Redacted: amounts and line items stay for the merchant, the person does not.
        values.update(email=None, shipping_address=None, browser_ip=None)
        await forget_late_delivery_body(session, delivery.event_row_id)
    elif customer is None:
        # A guest: their lock on its own, before the statement that reads their runs.
        await shoppers.serialize(session, shop_id, email)
    lines = _line_items(data)
    used = _discount_codes(data)
    codes = tuple(code for code, _, _ in used)
    # The first use of each code is stored (a code listed twice is one row).
    first_use: dict[str, tuple[Decimal, str | None]] = {}
    for code, amount, kind in used:
        first_use.setdefault(code, (amount, kind))
    # What OrderPlaced will say if the order is new (its row id once the row exists).
    placed = OrderPlaced(
        shop_id=shop_id,
        order_id=0,
        shopify_order_id=values["shopify_id"],
        customer_id=customer_id,
        email=values["email"],
        checkout_token=values["checkout_token"],
        total_price=values["total_price"],
        currency=values["currency"],
        discount_codes=codes,
        placed_at=values["placed_at"],
    )
    # Whichever orders/* delivery comes first creates the order: any may need the runs.
    probe = engine.order_probe(session, placed, datetime.now(UTC))
    row = await _UPSERT_ORDER.fetchrow(
        await begun_driver(session),
        # JSONB travels as its JSON text (as SQLAlchemy sends it: None is JSON null).
        **{**values, "shipping_address": json.dumps(values["shipping_address"])},
        **{f"line_{c}": [line[c] for line in lines] for c in _LINE_COLUMNS},
        code_code=list(first_use),
        code_amount=[amount for amount, _ in first_use.values()],
        code_type=[kind for _, kind in first_use.values()],
        stats_shop_id=shop_id,
        stats_customer_id=customer_id,
        **probe.params(),
    )
    if row is None:
        return  # stale: we already hold a newer version of this order
    # The row as stored, in the session: the listeners' read of the order costs nothing.
    order_id, inserted = adopt(session, Order, row).id, bool(row["inserted"])
    # Our codes (single or pool) this order used, marked once (a replay changes nothing).
    await record_redemptions(
        session,
        shop_id,
        order_id,
        [(code, amount) for code, amount, _ in used],
        redeemed_at=values["placed_at"],
    )
    new_fulfillments = await _store_fulfillments(session, shop_id, values["shopify_id"], data)

    if inserted:
        engine.keep_order_runs(
            session,
            order_id,
            [
                runs.SeenRun(*seen)
                for seen in zip(
                    row["run_ids"] or (),
                    row["run_scenarios"] or (),
                    row["run_subject_keys"] or (),
                    row["run_statuses"] or (),
                    strict=True,
                )
            ],
        )
        await publish(session, replace(placed, order_id=order_id))
    if (paid := order_paid(shop_id, order_id, customer_id, values["email"], data)) is not None:
        await publish(session, paid)
    if delivery.topic == "orders/cancelled" and values["cancelled_at"] is not None:
        await publish(
            session,
            OrderCancelled(
                shop_id=shop_id,
                order_id=order_id,
                shopify_order_id=values["shopify_id"],
                customer_id=customer_id,
                cancelled_at=values["cancelled_at"],
            ),
        )
    if new_fulfillments:
        await publish(
            session,
            OrderFulfilled(
                shop_id=shop_id,
                order_id=order_id,
                shopify_order_id=values["shopify_id"],
                customer_id=customer_id,
                fulfillment_ids=tuple(new_fulfillments),
                fulfilled_at=max(
                    (
                        t
                        for t in (
                            timestamp(f.get("created_at")) for f in items(data.get("fulfillments"))
                        )
                        if t is not None
                    ),
                    default=None,
                ),
            ),
        )


def _line_items(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The order's line items by Shopify id (one row each: the last copy of an id wins, as
    it did when each was upserted in turn)."""
    lines: dict[int, dict[str, Any]] = {}
    for item in items(data.get("line_items")):
        shopify_id = required_integer(item, "id")
        lines[shopify_id] = {
            "shopify_id": shopify_id,
            "product_id": integer(item.get("product_id")),
            "variant_id": integer(item.get("variant_id")),
            "title": text(item.get("title")) or "",
            "variant_title": text(item.get("variant_title")),
            "quantity": integer(item.get("quantity")) or 0,
            "price": money(item.get("price")) or 0,
        }
    return list(lines.values())


def _discount_codes(data: dict[str, Any]) -> list[tuple[str, Decimal, str | None]]:
    """(code, amount, type) of each discount code the order used."""
    used: list[tuple[str, Decimal, str | None]] = []
    for discount in items(data.get("discount_codes")):
        code = text(discount.get("code"), 255)
        if not code:
            continue
        amount = money(discount.get("amount")) or Decimal(0)
        used.append((code, amount, text(discount.get("type"), 32)))
    return used


_UPSERT_FULFILLMENT = Prepared(
    sql(
        """
INSERT INTO fulfillments (shop_id, shopify_id, order_shopify_id, status, tracking_company,
                          fulfilled_at, shopify_updated_at)
VALUES (:shop_id, :shopify_id, :order_shopify_id, :status, :tracking_company, :fulfilled_at,
        :shopify_updated_at)
ON CONFLICT (shop_id, shopify_id) DO UPDATE
SET status = excluded.status, tracking_company = excluded.tracking_company,
    shopify_updated_at = excluded.shopify_updated_at
WHERE fulfillments.shopify_updated_at IS NULL
   OR fulfillments.shopify_updated_at <= excluded.shopify_updated_at
RETURNING xmax = 0 AS inserted
"""
    )
)


async def _store_fulfillments(
    session: AsyncSession, shop_id: int, order_shopify_id: int, data: dict[str, Any]
) -> list[int]:
    """Upsert the order's fulfillments; the Shopify ids of those seen for the first time."""
    new: list[int] = []
    for fulfillment in items(data.get("fulfillments")):
        shopify_id = required_integer(fulfillment, "id")
        values = {
            "shop_id": shop_id,
            "shopify_id": shopify_id,
            "order_shopify_id": order_shopify_id,
            "status": text(fulfillment.get("status"), 32),
            "tracking_company": text(fulfillment.get("tracking_company"), 255),
            "fulfilled_at": timestamp(fulfillment.get("created_at")),
            "shopify_updated_at": timestamp(fulfillment.get("updated_at")),
        }
        row = await _UPSERT_FULFILLMENT.fetchrow(await begun_driver(session), **values)
        inserted = row is not None and bool(row["inserted"])
        if inserted:
            new.append(shopify_id)
    return new
