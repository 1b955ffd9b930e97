"""Store credit rewards: what the program needs from Shopify's store credit accounts, as a
protocol (app/shopify/admin/store_credit.py speaks GraphQL), and how a retry finds a credit an
earlier attempt may have made.

Shopify's `storeCreditAccountCredit` takes no idempotency key (2026-10: `@idempotent` covers
inventory and refund mutations only) and a credit transaction carries no note of ours. So a
redemption remembers when it first asked (`credit_requested_at`, committed before the call),
attempts of one customer's store credit run one at a time (a lock), and an attempt after one
whose answer was lost first looks at the customer's account: a credit of the reward's amount,
made since that first request and paying no other redemption, is that redemption's credit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Protocol

from app.i18n import Text
from app.scenarios.config import Problem
from app.shopify.admin.types import ShopRef

# Shopify's clock and ours differ a little: a credit stamped slightly before our request's
# timestamp is still that request's.
CLOCK_SKEW = timedelta(minutes=2)
# The scopes store credit rewards need (granted by the merchant when they turn them on):
# writing credits (which grants reading the transactions), and reading the customer's
# accounts, to find a credit whose answer was lost.
WRITE_SCOPE = "write_store_credit_account_transactions"
READ_ACCOUNTS_SCOPE = "read_store_credit_accounts"
SCOPES: tuple[str, ...] = (WRITE_SCOPE, READ_ACCOUNTS_SCOPE)


@dataclass(frozen=True)
class Credited:
    """The credit transaction Shopify made."""

    transaction_id: str
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class CreditRefused:
    """Shopify's userErrors (the credit was not made): `codes` are
    StoreCreditAccountCreditUserErrorCode values."""

    messages: tuple[str, ...]
    codes: tuple[str, ...]


@dataclass(frozen=True)
class CreditSeen:
    """A credit transaction on the customer's account, as listed by Shopify."""

    transaction_id: str
    amount: Decimal
    currency: str
    created_at: datetime


class StoreCreditGateway(Protocol):
    async def credit(
        self,
        shop: ShopRef,
        *,
        customer_gid: str,
        amount: Decimal,
        currency: str,
        expires_at: datetime | None,
    ) -> Credited | CreditRefused:
        """Credit the customer's account in `currency` (Shopify creates it if new). Raises
        ShopifyUnavailable when the answer was lost (the credit may have been made),
        ShopifyQueryError when Shopify refused the call itself (a scope not granted)."""
        ...

    async def recent_credits(
        self, shop: ShopRef, *, customer_gid: str, currency: str
    ) -> Sequence[CreditSeen]:
        """The newest credit transactions of the customer's account in `currency`."""
        ...

    async def granted_scopes(self, shop: ShopRef) -> frozenset[str]:
        """The access scopes the shop has granted the app (currentAppInstallation)."""
        ...


def missing_scopes(granted: Iterable[str]) -> list[str]:
    held = set(granted)
    return [scope for scope in SCOPES if scope not in held]


async def scopes_problem(gateway: StoreCreditGateway, shop: ShopRef) -> Problem | None:
    """Why store credit rewards cannot be turned on for the shop now (None: they can): Shopify
    must have granted every scope they need. Raises ShopifyUnavailable when it cannot say."""
    missing = missing_scopes(await gateway.granted_scopes(shop))
    if not missing:
        return None
    names = ", ".join(missing)
    what = Text(
        en=f"Shopify has not granted Boomerang {names} yet: accept the permission request that "
        "opens when you turn store credit rewards on, then save again.",
        fr=f"Shopify n'a pas encore accordé {names} à Boomerang : acceptez la demande "
        "d'autorisation qui s'ouvre quand vous activez les récompenses en crédit boutique, "
        "puis enregistrez à nouveau.",
    )
    return Problem(
        field="store_credit_enabled",
        what=what,
        text=Text(en=f"store_credit_enabled: {what.en}", fr=f"store_credit_enabled : {what.fr}"),
    )


def earlier_credit(
    seen: Sequence[CreditSeen],
    *,
    amount: Decimal,
    currency: str,
    requested_at: datetime,
    claimed: set[str],
) -> CreditSeen | None:
    """The credit an earlier attempt made, if any: the oldest one of `amount` in `currency`,
    made since `requested_at` (less the clock skew), that pays no other redemption."""
    since = requested_at - CLOCK_SKEW
    matching = [
        credit
        for credit in seen
        if credit.amount == amount
        and credit.currency == currency
        and credit.created_at >= since
        and credit.transaction_id not in claimed
    ]
    return min(matching, key=lambda credit: credit.created_at) if matching else None
