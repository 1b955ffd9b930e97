"""One module per topic family; importing this package registers their handlers."""

from webhooks.topics import checkouts, customers, orders, refunds

__all__ = ["checkouts", "customers", "orders", "refunds"]
