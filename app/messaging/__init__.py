"""Messaging: the outbox every scenario writes to, and the guard rails between it and a
shopper's inbox (consent, pacing, human approval, bounces), plus templates and tracking.
Plain Python over the database: no FastAPI, arq or httpx here."""
