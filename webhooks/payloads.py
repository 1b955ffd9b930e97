"""Reading Shopify's JSON: the body parsed with every number as Decimal (money never touches a
float), and typed accessors that tolerate the nulls and strings Shopify sends."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
# app.db.base.Money is NUMERIC(18, 4): 14 digits before the point.
_MONEY_LIMIT = Decimal(10) ** 14


class MalformedPayload(ValueError):
    """The body is not the JSON object Shopify sends; retrying will not change that."""


# Built once: json.loads with an option builds a decoder, and its scanner, on every call.
_DECODER = json.JSONDecoder(parse_float=Decimal)


def parse_body(body: str) -> dict[str, Any]:
    try:
        data = _DECODER.decode(body)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise MalformedPayload(f"body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise MalformedPayload(f"body is JSON but not an object ({type(data).__name__})")
    if "\\u0000" in body:
        # Postgres text and jsonb hold no NUL: an escaped one becomes U+FFFD, like a raw one in
        # the stored body (inbox.decode_body). Only bodies that spell one out pay the walk.
        cleaned: dict[str, Any] = _without_nul(data)
        return cleaned
    return data


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    return value


def money(value: Any) -> Decimal | None:
    """ "199.00", 199.0 (parsed as Decimal) or 199 → Decimal; None or "" → None. Finite and
    within our Money columns (18 digits, 4 after the point)."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int | str):
        try:
            amount = Decimal(value)
        except InvalidOperation:
            raise MalformedPayload(f"{value!r} is not an amount") from None
    else:
        raise MalformedPayload(f"{value!r} is not an amount")
    if not amount.is_finite() or abs(amount) >= _MONEY_LIMIT:
        raise MalformedPayload(f"{value!r} is not an amount we can hold")
    return amount


def integer(value: Any) -> int | None:
    """An id or a count; Shopify's ids are 64-bit, as are our columns."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, int):
        result = value
    elif isinstance(value, str | Decimal):
        try:
            result = int(value)
        except (ValueError, InvalidOperation, OverflowError):
            raise MalformedPayload(f"{value!r} is not an integer") from None
    else:
        raise MalformedPayload(f"{value!r} is not an integer")
    if not _INT64_MIN <= result <= _INT64_MAX:
        raise MalformedPayload(f"{value!r} is out of the 64-bit range")
    return result


def required_integer(data: dict[str, Any], key: str) -> int:
    value = integer(data.get(key))
    if value is None:
        raise MalformedPayload(f"{key} is missing")
    return value


def timestamp(value: Any) -> datetime | None:
    """Shopify's ISO 8601 with offset ("2021-12-31T19:00:00-05:00"), "Z" or up to nanoseconds."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise MalformedPayload(f"{value!r} is not a timestamp")
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    if "." in text:
        # Python 3.11 reads at most 6 fraction digits; Shopify's headers may carry 9.
        head, _, rest = text.partition(".")
        digits = len(rest) - len(rest.lstrip("0123456789"))
        text = f"{head}.{rest[: min(digits, 6)]}{rest[digits:]}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise MalformedPayload(f"{value!r} is not a timestamp") from None
    if parsed.tzinfo is None:
        raise MalformedPayload(f"{value!r} has no time zone")
    return parsed


def text(value: Any, limit: int | None = None) -> str | None:
    if value is None:
        return None
    result = str(value)
    return result[:limit] if limit is not None else result


def obj(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None


def items(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def tags(value: Any) -> list[str]:
    """Shopify sends tags as one comma-separated string ("tag1, tag2")."""
    if isinstance(value, list):
        return [str(t).strip() for t in value if str(t).strip()]
    if isinstance(value, str):
        return [t.strip() for t in value.split(",") if t.strip()]
    return []


def jsonable(value: Any) -> Any:
    """Decimals back to strings, for JSONB columns (amounts keep their exact digits)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    return value
