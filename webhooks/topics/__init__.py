"""One module per topic family; importing this package registers their handlers (and the
scenario listeners those handlers' facts reach)."""

import app.compliance
import app.scenarios.listeners  # noqa: F401  (subscribes the scenarios to commerce facts)
from webhooks.topics import (
    app_lifecycle,
    checkouts,
    compliance,
    customers,
    email_consent,
    orders,
    refunds,
)

__all__ = [
    "app_lifecycle",
    "checkouts",
    "compliance",
    "customers",
    "email_consent",
    "orders",
    "refunds",
]
