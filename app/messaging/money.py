"""Money as shoppers read it in their language: "$1,234.50" in English, "1 234,50 $US" in
French. A small table of the currencies Shopify stores use most; others show their ISO code."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from app.messaging.i18n import Locale

# code → (English symbol, French symbol, decimals)
_CURRENCIES: dict[str, tuple[str, str, int]] = {
    "USD": ("$", "$US", 2),
    "EUR": ("€", "€", 2),
    "GBP": ("£", "£GB", 2),
    "CAD": ("CA$", "$CA", 2),
    "AUD": ("A$", "$AU", 2),
    "CHF": ("CHF ", "CHF", 2),
    "JPY": ("¥", "JPY", 0),
}

_NBSP = "\u00a0"
_NARROW_NBSP = "\u202f"


def _group(digits: str, separator: str) -> str:
    groups: list[str] = []
    while len(digits) > 3:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    groups.insert(0, digits)
    return separator.join(groups)


def format_money(amount: Decimal | str | int, currency: str, locale: Locale) -> str:
    value = Decimal(str(amount))
    code = currency.upper()
    en_symbol, fr_symbol, decimals = _CURRENCIES.get(code, (f"{code} ", code, 2))
    quantum = Decimal(1).scaleb(-decimals)
    value = value.quantize(quantum, rounding=ROUND_HALF_EVEN)
    sign = "-" if value < 0 else ""
    whole, _, fraction = f"{abs(value):f}".partition(".")
    if locale == "fr":
        number = _group(whole, _NARROW_NBSP) + ("," + fraction if fraction else "")
        return f"{sign}{number}{_NBSP}{fr_symbol}"
    number = _group(whole, ",") + ("." + fraction if fraction else "")
    return f"{sign}{en_symbol}{number}"
