"""Customer data held by Boomerang: exported on request, erased on redaction, per table.

Importing the package registers the built-in sections (app.compliance.commerce and
app.compliance.automation); later features register theirs with `exports` / `erases` from
app.compliance.registry."""

from app.compliance import automation as automation
from app.compliance import commerce as commerce
