"""One module per topic family; importing this package registers their handlers. The
scenarios those handlers' facts reach are wired by the composition root
(app/platform/composition.py), carried by the job's session."""

import app.compliance  # noqa: F401  (the compliance topics' handlers)
from webhooks.topics import (
    app_lifecycle,
    checkouts,
    compliance,
    customers,
    email_consent,
    fulfillments,
    order_edits,
    orders,
    refunds,
)

__all__ = [
    "app_lifecycle",
    "checkouts",
    "compliance",
    "customers",
    "email_consent",
    "fulfillments",
    "order_edits",
    "orders",
    "refunds",
]
