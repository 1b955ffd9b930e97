"""Customer data held by Boomerang: exported on request, erased on redaction, per table.

Importing the package registers the built-in sections (app.compliance.commerce); later features
register theirs with `exports` / `erases` from app.compliance.registry."""

from app.compliance import commerce as commerce
