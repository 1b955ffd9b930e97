"""The fraud rules a referral is checked against before any reward, as pure functions over
plain snapshots. Each rule that fires gives its evidence: the rule, and the two values that
matched (the friend's and the advocate's), which the merchant reads before deciding."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

SAME_CUSTOMER = "same_customer"
SAME_EMAIL = "same_email"
SAME_PHONE = "same_phone"
SAME_ADDRESS = "same_shipping_address"
SAME_IP = "same_browser_ip"
EARLIER_ORDERS = "friend_had_earlier_orders"
TOO_MANY_PER_DAY = "too_many_referrals_per_day"
TOO_MANY_PER_IP = "too_many_orders_per_ip"

RULES = (
    SAME_CUSTOMER,
    SAME_EMAIL,
    SAME_PHONE,
    SAME_ADDRESS,
    SAME_IP,
    EARLIER_ORDERS,
    TOO_MANY_PER_DAY,
    TOO_MANY_PER_IP,
)

GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})


def normalize_email(email: str | None) -> str | None:
    """Case folded, `+tag` dropped, and for Gmail the dots of the local part too (Gmail
    delivers a.d.a+x@gmail.com to ada@gmail.com); googlemail.com is gmail.com."""
    if not email or "@" not in email:
        return None
    local, _, domain = email.strip().lower().rpartition("@")
    local = local.split("+", 1)[0]
    if domain in GMAIL_DOMAINS:
        local = local.replace(".", "")
        domain = "gmail.com"
    return f"{local}@{domain}" if local else None


def normalize_phone(phone: str | None) -> str | None:
    """Digits only, compared on their last 9 (so +33 6 12 34 56 78 and 06 12 34 56 78 match)."""
    if not phone:
        return None
    digits = re.sub(r"\D", "", phone)
    return digits[-9:] if len(digits) >= 6 else None


def normalize_address(address: Mapping[str, Any] | None) -> str | None:
    """Street, zip, city and country, case and spacing folded; None without a street."""
    if not address:
        return None
    parts = [
        address.get("address1"),
        address.get("address2"),
        address.get("zip"),
        address.get("city"),
        address.get("country_code") or address.get("country"),
    ]
    words = [re.sub(r"[\s,.]+", " ", str(p)).strip().lower() for p in parts if p]
    if not address.get("address1"):
        return None
    return " | ".join(w for w in words if w)


@dataclass(frozen=True)
class Party:
    """What is known of one side: the friend (from their order) or the advocate (from their
    customer record and their own orders)."""

    customer_id: int | None
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    addresses: tuple[Mapping[str, Any], ...] = ()
    ips: tuple[str, ...] = ()


@dataclass(frozen=True)
class Counts:
    """The friend's other orders, and the velocity counts this referral would reach."""

    friend_earlier_orders: tuple[str, ...] = ()
    referrals_by_referrer_in_day: int = 0
    orders_from_ip: int = 0
    max_per_day: int = 5
    max_per_ip: int = 3
    ip: str | None = None


@dataclass(frozen=True)
class Evidence:
    rule: str
    friend: str
    referrer: str
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "friend": self.friend, "referrer": self.referrer, **self.extra}


def _first_match(
    friend: Iterable[str], referrer: Iterable[str], normalize: Any
) -> tuple[str, str] | None:
    theirs: dict[str, str] = {}
    for value in referrer:
        key = normalize(value)
        if key:
            theirs.setdefault(key, value)
    for value in friend:
        key = normalize(value)
        if key and key in theirs:
            return value, theirs[key]
    return None


def _address_text(address: Mapping[str, Any]) -> str:
    return ", ".join(
        str(address[k])
        for k in ("address1", "address2", "zip", "city", "country_code")
        if address.get(k)
    )


def evaluate(friend: Party, referrer: Party, counts: Counts) -> list[Evidence]:
    """Every rule that fires, in the order of RULES."""
    found: list[Evidence] = []
    if friend.customer_id is not None and friend.customer_id == referrer.customer_id:
        found.append(Evidence(SAME_CUSTOMER, str(friend.customer_id), str(referrer.customer_id)))
    for rule, friend_values, referrer_values, normalize in (
        (SAME_EMAIL, friend.emails, referrer.emails, normalize_email),
        (SAME_PHONE, friend.phones, referrer.phones, normalize_phone),
    ):
        match = _first_match(friend_values, referrer_values, normalize)
        if match is not None:
            found.append(Evidence(rule, match[0], match[1]))
    by_key = {normalize_address(a): a for a in referrer.addresses if normalize_address(a)}
    for address in friend.addresses:
        key = normalize_address(address)
        if key and key in by_key:
            found.append(Evidence(SAME_ADDRESS, _address_text(address), _address_text(by_key[key])))
            break
    ip = _first_match(friend.ips, referrer.ips, lambda v: v.strip() or None)
    if ip is not None:
        found.append(Evidence(SAME_IP, ip[0], ip[1]))
    if counts.friend_earlier_orders:
        found.append(
            Evidence(
                EARLIER_ORDERS,
                ", ".join(counts.friend_earlier_orders),
                "",
                {"orders": list(counts.friend_earlier_orders)},
            )
        )
    if counts.referrals_by_referrer_in_day > counts.max_per_day:
        found.append(
            Evidence(
                TOO_MANY_PER_DAY,
                str(counts.referrals_by_referrer_in_day),
                f"max {counts.max_per_day}",
            )
        )
    if counts.ip and counts.orders_from_ip > counts.max_per_ip:
        found.append(
            Evidence(
                TOO_MANY_PER_IP,
                f"{counts.ip}: {counts.orders_from_ip}",
                f"max {counts.max_per_ip}",
            )
        )
    return found
