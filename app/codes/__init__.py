"""Discount codes: one-off codes per recipient and pools of pre-created single-use codes."""
