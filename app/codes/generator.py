"""Unguessable, readable discount codes: a merchant's prefix and ≥ 40 bits from `secrets`."""

from __future__ import annotations

import math
import re
import secrets

# No 0/O, 1/I/L: a shopper copying a code from an email cannot confuse them.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
RANDOM_LENGTH = 10  # 10 × log2(31) ≈ 49.5 bits
_PREFIX = re.compile(r"^[A-Z0-9]{0,20}$")

assert RANDOM_LENGTH * math.log2(len(ALPHABET)) >= 40  # noqa: S101 - a design invariant


def clean_prefix(prefix: str) -> str:
    """The merchant's prefix upper-cased, checked: letters and digits, at most 20."""
    cleaned = prefix.strip().upper().rstrip("-")
    if not _PREFIX.match(cleaned):
        raise ValueError("a code prefix is up to 20 letters or digits, e.g. COMEBACK")
    return cleaned


def generate_code(prefix: str) -> str:
    random_part = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
    cleaned = clean_prefix(prefix)
    return f"{cleaned}-{random_part}" if cleaned else random_part
