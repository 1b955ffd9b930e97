"""One module per topic family; importing this package registers their handlers."""

import app.compliance  # noqa: F401  (registers the built-in export/erase sections)
from webhooks.topics import app_lifecycle as app_lifecycle
from webhooks.topics import compliance as compliance
