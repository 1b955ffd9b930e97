"""SQLAlchemy models; importing this package registers every table on Base.metadata."""

from app.models.commerce import (
    Checkout,
    Customer,
    Fulfillment,
    Order,
    OrderDiscountCode,
    OrderLineItem,
    Refund,
)
from app.models.discount_codes import (
    DiscountCode,
    DiscountCodeStatus,
    DiscountPool,
    DiscountPoolStatus,
    PoolCode,
    PoolCodeStatus,
)
from app.models.shops import Shop
from app.models.webhook_events import WebhookEvent, WebhookEventStatus

__all__ = [
    "Checkout",
    "Customer",
    "DiscountCode",
    "DiscountCodeStatus",
    "DiscountPool",
    "DiscountPoolStatus",
    "Fulfillment",
    "Order",
    "OrderDiscountCode",
    "OrderLineItem",
    "PoolCode",
    "PoolCodeStatus",
    "Refund",
    "Shop",
    "WebhookEvent",
    "WebhookEventStatus",
]
