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
from app.models.compliance import CustomerDataRequest
from app.models.shops import Shop
from app.models.webhook_events import WebhookEvent, WebhookEventStatus

__all__ = [
    "Checkout",
    "Customer",
    "CustomerDataRequest",
    "Fulfillment",
    "Order",
    "OrderDiscountCode",
    "OrderLineItem",
    "Refund",
    "Shop",
    "WebhookEvent",
    "WebhookEventStatus",
]
