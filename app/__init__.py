"""Boomerang: retention automation for Shopify merchants."""
