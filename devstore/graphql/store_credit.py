"""Store credit accounts as the Admin API serves them (2026-10):

- `storeCreditAccountCredit(id:, creditInput: {creditAmount, expiresAt, notify})` (requires
  `write_store_credit_account_transactions`): `id` is a StoreCreditAccount or its owner (a
  Customer here); for an owner, the account in the credit's currency is created when it has
  none ("A store credit account owner can hold multiple accounts each with a different
  currency"). It takes no idempotency key: each call that runs makes a credit. userErrors carry
  StoreCreditAccountCreditUserErrorCode: ACCOUNT_NOT_FOUND, OWNER_NOT_FOUND,
  MISMATCHING_CURRENCY, NEGATIVE_OR_ZERO_AMOUNT, EXPIRES_AT_IN_PAST, CREDIT_LIMIT_EXCEEDED
  (UNSUPPORTED_CURRENCY cannot happen: every CurrencyCode of the subset is supported).
- `Customer.storeCreditAccounts(first:, query:)` and `storeCreditAccount(id:)` (requires
  `read_store_credit_accounts`), with `transactions(first:, reverse:)` sorted by CREATED_AT
  (requires `read_store_credit_account_transactions`, which the write scope grants).
- `currentAppInstallation { accessScopes { handle } }`: the scopes the token carries plus the
  optional ones the merchant granted.

(shopify.dev/docs/api/admin-graphql/2026-10/mutations/storeCreditAccountCredit,
 …/enums/StoreCreditAccountCreditUserErrorCode, …/objects/StoreCreditAccount,
 …/objects/StoreCreditAccountCreditTransaction, …/objects/AppInstallation)
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from devstore.clock import iso
from devstore.graphql.views import Info, Views, connection, money, require_scope
from devstore.state import (
    Customer,
    Shop,
    StoreCreditAccount,
    StoreCreditTransaction,
    parse_gid,
)

WRITE_SCOPE = "write_store_credit_account_transactions"
READ_ACCOUNTS_SCOPE = "read_store_credit_accounts"
READ_TRANSACTIONS_SCOPE = "read_store_credit_account_transactions"


def _error(field: list[str], code: str, message: str) -> dict[str, Any]:
    return {"field": field, "code": code, "message": message}


def _parse_time(value: Any) -> datetime | None:
    if value is None:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def transaction_view(
    shop: Shop, account: StoreCreditAccount, transaction: StoreCreditTransaction
) -> dict[str, Any]:
    return {
        "__typename": "StoreCreditAccountCreditTransaction",
        "id": transaction.gid,
        "amount": money(transaction.amount, account.currency),
        "balanceAfterTransaction": money(transaction.balance_after, account.currency),
        "remainingAmount": money(transaction.amount, account.currency),
        "createdAt": iso(transaction.created_at),
        "expiresAt": iso(transaction.expires_at) if transaction.expires_at else None,
        "event": "ADJUSTMENT",
        "account": lambda _info: account_view(shop, account),
    }


def account_view(shop: Shop, account: StoreCreditAccount) -> dict[str, Any]:
    def transactions(
        info: Info,
        first: int | None = None,
        last: int | None = None,
        after: str | None = None,
        reverse: bool = False,
        **_filters: Any,
    ) -> dict[str, Any]:
        require_scope(info, READ_TRANSACTIONS_SCOPE)
        ordered = sorted(account.transactions, key=lambda t: (t.created_at, t.id), reverse=reverse)
        return connection(
            ordered,
            lambda t: transaction_view(shop, account, t),
            lambda t: t.id,
            first=first,
            last=last,
            after=after,
        )

    def owner(info: Info) -> dict[str, Any] | None:
        customer = shop.customers.get(account.owner_id)
        runtime = info.context.runtime
        if customer is None:
            return None
        return Views(shop, runtime.config, runtime.clock.now()).customer_view(customer)

    return {
        "__typename": "StoreCreditAccount",
        "id": account.gid,
        "balance": money(account.balance, account.currency),
        "owner": owner,
        "transactions": transactions,
    }


def accounts_of(shop: Shop, customer: Customer) -> Any:
    """Customer.storeCreditAccounts: the customer's accounts, filtered by `currency_code:`
    or `id:` terms of the search syntax."""

    def resolve(
        info: Info,
        first: int | None = None,
        last: int | None = None,
        after: str | None = None,
        query: str | None = None,
        **_sorting: Any,
    ) -> dict[str, Any]:
        require_scope(info, READ_ACCOUNTS_SCOPE)
        owned = [a for a in shop.store_credit_accounts.values() if a.owner_id == customer.id]
        for term in (query or "").split():
            name, _, value = term.partition(":")
            if name == "currency_code":
                owned = [a for a in owned if a.currency == value.upper()]
            elif name == "id":
                owned = [a for a in owned if str(a.id) == value or a.gid == value]
        return connection(
            sorted(owned, key=lambda a: a.id),
            lambda a: account_view(shop, a),
            lambda a: a.id,
            first=first,
            last=last,
            after=after,
        )

    return resolve


def store_credit_account(info: Info, id: str) -> dict[str, Any] | None:
    shop: Shop = info.context.shop
    number = parse_gid(id, "StoreCreditAccount")
    account = shop.store_credit_accounts.get(number) if number is not None else None
    return None if account is None else account_view(shop, account)


def credit(info: Info, id: str, creditInput: dict[str, Any]) -> dict[str, Any]:
    context = info.context
    shop: Shop = context.shop
    runtime = context.runtime
    now = runtime.clock.now()
    failed: dict[str, Any] = {"storeCreditAccountTransaction": None}
    money_in = creditInput["creditAmount"]
    currency = str(money_in["currencyCode"])
    try:
        amount = Decimal(str(money_in["amount"]))
    except InvalidOperation:
        amount = Decimal(0)
    if not amount.is_finite() or amount <= 0:
        return failed | {
            "userErrors": [
                _error(
                    ["creditInput", "creditAmount", "amount"],
                    "NEGATIVE_OR_ZERO_AMOUNT",
                    "A positive amount must be used to credit a store credit account.",
                )
            ]
        }
    expires_at = _parse_time(creditInput.get("expiresAt"))
    if expires_at is not None and expires_at <= now:
        return failed | {
            "userErrors": [
                _error(
                    ["creditInput", "expiresAt"],
                    "EXPIRES_AT_IN_PAST",
                    "The expiry date must be in the future.",
                )
            ]
        }
    account: StoreCreditAccount | None
    if (number := parse_gid(id, "StoreCreditAccount")) is not None:
        account = shop.store_credit_accounts.get(number)
        if account is None:
            return failed | {
                "userErrors": [
                    _error(
                        ["id"], "ACCOUNT_NOT_FOUND", "The store credit account could not be found."
                    )
                ]
            }
        if account.currency != currency:
            return failed | {
                "userErrors": [
                    _error(
                        ["creditInput", "creditAmount", "currencyCode"],
                        "MISMATCHING_CURRENCY",
                        "The currency provided does not match the currency of the store credit "
                        "account.",
                    )
                ]
            }
    else:
        owner = parse_gid(id, "Customer")
        if owner is None or owner not in shop.customers:
            return failed | {
                "userErrors": [_error(["id"], "OWNER_NOT_FOUND", "Owner does not exist.")]
            }
        account = next(
            (
                a
                for a in shop.store_credit_accounts.values()
                if a.owner_id == owner and a.currency == currency
            ),
            None,
        )
        if account is None:
            # Made with the credit, not before: a refused credit leaves no account behind.
            account = StoreCreditAccount(
                id=runtime.store.ids.next(), owner_id=owner, currency=currency
            )
    limit = runtime.config.store_credit_limit
    amount = amount.quantize(Decimal("0.01"))
    if limit is not None and account.balance + amount > limit:
        return failed | {
            "userErrors": [
                _error(
                    ["creditInput", "creditAmount", "amount"],
                    "CREDIT_LIMIT_EXCEEDED",
                    "The operation would cause the account's credit limit to be exceeded.",
                )
            ]
        }
    shop.store_credit_accounts[account.id] = account
    account.balance += amount
    transaction = StoreCreditTransaction(
        id=runtime.store.ids.next(),
        amount=amount,
        balance_after=account.balance,
        created_at=now,
        expires_at=expires_at,
    )
    account.transactions.append(transaction)
    return {
        "storeCreditAccountTransaction": transaction_view(shop, account, transaction),
        "userErrors": [],
    }


def current_app_installation(info: Info) -> dict[str, Any]:
    context = info.context
    granted = {
        s for s in context.token.scope.split(",") if s
    } | context.shop.granted_optional_scopes
    return {
        "id": f"gid://shopify/AppInstallation/{context.shop.id}",
        "accessScopes": [{"handle": scope, "description": scope} for scope in sorted(granted)],
    }
