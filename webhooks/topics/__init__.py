"""One module per topic family; importing this package registers their handlers."""

import app.compliance  # noqa: F401  (registers the built-in export/erase sections)
from webhooks.topics import app_lifecycle as app_lifecycle
from webhooks.topics import checkouts as checkouts
from webhooks.topics import compliance as compliance
from webhooks.topics import customers as customers
from webhooks.topics import orders as orders
from webhooks.topics import refunds as refunds
