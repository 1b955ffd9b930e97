"""One module per topic family; importing this package registers their handlers."""

from webhooks.topics import checkouts, customers, orders, refunds

__all__ = ["checkouts", "customers", "orders", "refunds"]
import app.compliance  # noqa: F401  (registers the built-in export/erase sections)
from webhooks.topics import app_lifecycle as app_lifecycle
from webhooks.topics import compliance as compliance
