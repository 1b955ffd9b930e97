"""Scenarios: the engine every automation shares, and one module per business rule."""
