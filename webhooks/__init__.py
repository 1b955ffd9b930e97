"""Webhook ingestion: receiver (HMAC, dedup, inbox, enqueue) and one handler per topic."""
