"""Store credit accounts at the simulator, as the Admin API documents them: a credit makes the
owner's account in that currency, each call that runs credits (no idempotency key), userErrors
with their codes, the scopes it needs, granted at runtime to the installation (App Bridge's
Scopes API through the admin) and listed by currentAppInstallation."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from devstore.clock import ManualClock
from devstore.server import Simulator
from tests.devstore.conftest import SHOP, gql

SCOPES = ["write_store_credit_account_transactions", "read_store_credit_accounts"]
CREDIT = """
mutation Credit($id: ID!, $creditInput: StoreCreditAccountCreditInput!) {
  storeCreditAccountCredit(id: $id, creditInput: $creditInput) {
    storeCreditAccountTransaction {
      id amount { amount currencyCode } balanceAfterTransaction { amount } expiresAt event
      account { id balance { amount currencyCode } }
    }
    userErrors { field message code }
  }
}
"""
ACCOUNTS = """
query Accounts($id: ID!, $query: String) {
  customer(id: $id) {
    storeCreditAccounts(first: 5, query: $query) {
      nodes {
        id balance { amount currencyCode }
        transactions(first: 10, reverse: true) {
          nodes { amount { amount } createdAt ... on StoreCreditAccountCreditTransaction { id } }
        }
      }
    }
  }
}
"""


def _credit(amount: str, currency: str = "USD", **extra: Any) -> dict[str, Any]:
    return {"creditAmount": {"amount": amount, "currencyCode": currency}, **extra}


async def test_credits_need_the_optional_scope_granted_to_the_installation(
    sim: Simulator, client: httpx.AsyncClient, token: str
) -> None:
    shopper = sim.add_customer(SHOP, "ada@example.com")
    refused = await gql(client, token, CREDIT, {"id": shopper.gid, "creditInput": _credit("5")})
    [error] = refused["errors"]
    assert error["extensions"]["code"] == "ACCESS_DENIED"
    assert "write_store_credit_account_transactions" in error["message"]
    scopes = await gql(client, token, "{ currentAppInstallation { accessScopes { handle } } }")
    held = {s["handle"] for s in scopes["data"]["currentAppInstallation"]["accessScopes"]}
    assert not set(SCOPES) & held

    # The merchant accepts the request App Bridge's shopify.scopes.request opens.
    granted = await client.post("/store/demo/scopes", json={"action": "request", "scopes": SCOPES})
    assert granted.json()["result"] == "granted-all"
    unknown = await client.post(
        "/store/demo/scopes", json={"action": "request", "scopes": ["write_orders"]}
    )
    assert unknown.status_code == 400

    scopes = await gql(client, token, "{ currentAppInstallation { accessScopes { handle } } }")
    held = {s["handle"] for s in scopes["data"]["currentAppInstallation"]["accessScopes"]}
    assert set(SCOPES) <= held
    made = await gql(client, token, CREDIT, {"id": shopper.gid, "creditInput": _credit("5")})
    assert made["data"]["storeCreditAccountCredit"]["userErrors"] == []


async def test_an_owner_holds_one_account_per_currency_and_every_call_credits(
    sim: Simulator, client: httpx.AsyncClient, token: str, clock: ManualClock
) -> None:
    sim.grant_scopes(SHOP, SCOPES)
    shopper = sim.add_customer(SHOP, "ada@example.com")
    first = await gql(client, token, CREDIT, {"id": shopper.gid, "creditInput": _credit("5.5")})
    clock.advance(60)
    again = await gql(client, token, CREDIT, {"id": shopper.gid, "creditInput": _credit("5.5")})
    euros = await gql(
        client, token, CREDIT, {"id": shopper.gid, "creditInput": _credit("3", "EUR")}
    )

    made = first["data"]["storeCreditAccountCredit"]["storeCreditAccountTransaction"]
    assert made["amount"] == {"amount": "5.50", "currencyCode": "USD"}
    assert made["event"] == "ADJUSTMENT"
    second = again["data"]["storeCreditAccountCredit"]["storeCreditAccountTransaction"]
    assert second["id"] != made["id"]  # no idempotency: the same call credits again
    assert second["account"]["id"] == made["account"]["id"]
    assert second["balanceAfterTransaction"]["amount"] == "11.00"
    euro = euros["data"]["storeCreditAccountCredit"]["storeCreditAccountTransaction"]
    assert euro["account"]["id"] != made["account"]["id"]
    assert sorted((a.currency, a.balance) for a in sim.store_credit_accounts(SHOP, shopper.id)) == [
        ("EUR", Decimal("3.00")),
        ("USD", Decimal("11.00")),
    ]

    listed = await gql(client, token, ACCOUNTS, {"id": shopper.gid, "query": "currency_code:USD"})
    [account] = listed["data"]["customer"]["storeCreditAccounts"]["nodes"]
    assert account["balance"] == {"amount": "11.00", "currencyCode": "USD"}
    newest, oldest = account["transactions"]["nodes"]
    assert (newest["id"], oldest["id"]) == (second["id"], made["id"])

    # Crediting the account itself, in another currency, is refused.
    mismatch = await gql(
        client, token, CREDIT, {"id": made["account"]["id"], "creditInput": _credit("1", "EUR")}
    )
    [error] = mismatch["data"]["storeCreditAccountCredit"]["userErrors"]
    assert error["code"] == "MISMATCHING_CURRENCY"


async def test_refusals_come_as_user_errors_with_their_codes(
    sim: Simulator, client: httpx.AsyncClient, token: str
) -> None:
    sim.grant_scopes(SHOP, SCOPES)
    shopper = sim.add_customer(SHOP, "ada@example.com")
    cases = [
        (shopper.gid, _credit("0"), "NEGATIVE_OR_ZERO_AMOUNT"),
        (shopper.gid, _credit("5", expiresAt="2001-01-01T00:00:00Z"), "EXPIRES_AT_IN_PAST"),
        ("gid://shopify/Customer/1", _credit("5"), "OWNER_NOT_FOUND"),
        ("gid://shopify/StoreCreditAccount/1", _credit("5"), "ACCOUNT_NOT_FOUND"),
    ]
    for owner, credit, code in cases:
        answer = await gql(client, token, CREDIT, {"id": owner, "creditInput": credit})
        payload = answer["data"]["storeCreditAccountCredit"]
        assert payload["storeCreditAccountTransaction"] is None
        assert [e["code"] for e in payload["userErrors"]] == [code]
    sim.config.store_credit_limit = Decimal("10")
    await gql(client, token, CREDIT, {"id": shopper.gid, "creditInput": _credit("8")})
    over = await gql(client, token, CREDIT, {"id": shopper.gid, "creditInput": _credit("3")})
    [error] = over["data"]["storeCreditAccountCredit"]["userErrors"]
    assert error["code"] == "CREDIT_LIMIT_EXCEEDED"
    assert [a.balance for a in sim.store_credit_accounts(SHOP, shopper.id)] == [Decimal("8.00")]


async def test_a_lost_answer_still_made_the_credit(
    sim: Simulator, client: httpx.AsyncClient, token: str
) -> None:
    sim.grant_scopes(SHOP, SCOPES)
    shopper = sim.add_customer(SHOP, "ada@example.com")
    sim.inject_faults(SHOP, "lost")
    variables = {"id": shopper.gid, "creditInput": _credit("4")}
    async with httpx.AsyncClient(transport=sim.transport(), base_url="http://devstore") as real:
        with pytest.raises(httpx.RemoteProtocolError):
            await real.post(
                f"/{SHOP}/admin/api/2026-10/graphql.json",
                json={"query": CREDIT, "variables": variables},
                headers={"X-Shopify-Access-Token": token},
            )
    [account] = sim.store_credit_accounts(SHOP, shopper.id)
    assert account.balance == Decimal("4.00")
