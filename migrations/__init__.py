"""Alembic migrations (async env); one per schema change, never edited after it lands."""
