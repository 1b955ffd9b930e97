"""Background jobs run by the worker: each unpacks ids, opens a transaction, calls a service."""
