"""Shopify store credit for loyalty rewards (app/loyalty/store_credit.py's gateway):

- `storeCreditAccountCredit(id:, creditInput: {creditAmount, expiresAt})` with the customer's
  gid (Shopify makes the account in that currency if the customer has none; needs
  `write_store_credit_account_transactions`), sent once: it takes no idempotency key, so a lost
  answer is not resent here (the caller looks for the credit first);
- the customer's credit transactions, newest first, from `Customer.storeCreditAccounts` (needs
  `read_store_credit_accounts`; the transactions need the read scope the write one grants);
- `currentAppInstallation.accessScopes`: what the merchant granted (access_scopes.py).

(shopify.dev/docs/api/admin-graphql/2026-10/mutations/storeCreditAccountCredit,
 …/objects/StoreCreditAccount, …/objects/AppInstallation)"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from app.loyalty.store_credit import Credited, CreditRefused, CreditSeen
from app.shopify.admin import access_scopes
from app.shopify.admin.client import AdminClient, Operation
from app.shopify.admin.types import ShopRef

# How many of an account's newest transactions are read when looking for a lost credit: they
# only need to reach back to the first request of one redemption, minutes ago.
RECENT_TRANSACTIONS = 50


class _Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class _Money(_Model):
    amount: Decimal
    currency_code: str


class _UserError(_Model):
    field: list[str] | None = None
    message: str
    code: str | None = None


class _Transaction(_Model):
    id: str
    amount: _Money


class _CreditPayload(_Model):
    store_credit_account_transaction: _Transaction | None = None
    user_errors: list[_UserError]


class _SeenTransaction(_Model):
    # Only credit transactions carry `id` in this document (the others are left out).
    id: str | None = None
    amount: _Money
    created_at: datetime


class _Transactions(_Model):
    nodes: list[_SeenTransaction]


class _Account(_Model):
    id: str
    transactions: _Transactions


class _Accounts(_Model):
    nodes: list[_Account]


class _Customer(_Model):
    store_credit_accounts: _Accounts


CREDIT = Operation(
    name="StoreCreditAccountCredit",
    document=(
        "mutation StoreCreditAccountCredit($id: ID!, $creditInput: StoreCreditAccountCreditInput!)"
        " { storeCreditAccountCredit(id: $id, creditInput: $creditInput) {"
        " storeCreditAccountTransaction { id amount { amount currencyCode } }"
        " userErrors { field message code } } }"
    ),
    cost=10,
)

RECENT_CREDITS = Operation(
    name="StoreCreditRecentCredits",
    document=(
        "query StoreCreditRecentCredits($id: ID!, $query: String!, $count: Int!) {"
        " customer(id: $id) { storeCreditAccounts(first: 1, query: $query) { nodes { id"
        " transactions(first: $count, reverse: true) { nodes {"
        " amount { amount currencyCode } createdAt"
        " ... on StoreCreditAccountCreditTransaction { id } } } } } } }"
    ),
    cost=1 + 1 + RECENT_TRANSACTIONS,
)


class ShopifyStoreCredit:
    def __init__(self, client: AdminClient) -> None:
        self._client = client

    async def credit(
        self,
        shop: ShopRef,
        *,
        customer_gid: str,
        amount: Decimal,
        currency: str,
        expires_at: datetime | None,
    ) -> Credited | CreditRefused:
        credit_input: dict[str, object] = {
            "creditAmount": {"amount": str(amount), "currencyCode": currency}
        }
        if expires_at is not None:
            credit_input["expiresAt"] = expires_at.isoformat()
        data = await self._client.execute(
            shop,
            CREDIT,
            {"id": customer_gid, "creditInput": credit_input},
            resend_uncertain=False,
        )
        payload = _CreditPayload.model_validate(data["storeCreditAccountCredit"])
        made = payload.store_credit_account_transaction
        if payload.user_errors or made is None:
            return CreditRefused(
                messages=tuple(error.message for error in payload.user_errors),
                codes=tuple(error.code or "" for error in payload.user_errors),
            )
        return Credited(made.id, made.amount.amount, made.amount.currency_code)

    async def recent_credits(
        self, shop: ShopRef, *, customer_gid: str, currency: str
    ) -> Sequence[CreditSeen]:
        data = await self._client.execute(
            shop,
            RECENT_CREDITS,
            {
                "id": customer_gid,
                "query": f"currency_code:{currency}",
                "count": RECENT_TRANSACTIONS,
            },
        )
        if data.get("customer") is None:
            return []
        customer = _Customer.model_validate(data["customer"])
        return [
            CreditSeen(
                transaction_id=seen.id,
                amount=seen.amount.amount,
                currency=seen.amount.currency_code,
                created_at=seen.created_at,
            )
            for account in customer.store_credit_accounts.nodes
            for seen in account.transactions.nodes
            if seen.id is not None
        ]

    async def granted_scopes(self, shop: ShopRef) -> frozenset[str]:
        return await access_scopes.granted_scopes(self._client, shop)
