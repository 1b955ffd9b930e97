"""The merchant runs the loyalty program from the embedded admin, in Chromium: the settings are
saved, a refused value is shown next to its field in the merchant's words, and a customer's
points are adjusted by hand with a required reason, the actor being the merchant's user."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from playwright.async_api import expect
from sqlalchemy import select

from app.loyalty import history, service
from app.models import PointsLedgerEntry
from app.reviews.rewards import REVIEW_SOURCE, REVIEWED
from tests.browser.conftest import EmbeddedAdmin


async def test_loyalty_settings_refused_per_field_then_saved_and_a_manual_adjustment(
    admin: EmbeddedAdmin,
) -> None:
    await admin.open()
    app = admin.app
    await admin.go("Loyalty")
    await app.get_by_role("link", name="Program settings").click()
    await app.get_by_role("checkbox", name="Program on").check()
    await app.get_by_role("button", name="Add a reward").click()
    reward = app.get_by_role("region", name="Reward 1")
    await reward.get_by_role("textbox", name="Key").fill("ten_percent")
    await reward.get_by_role("combobox", name="Kind").select_option("percentage")
    await reward.get_by_role("textbox", name="Value").fill("150")
    await app.get_by_role("button", name="Save settings").click()
    # Refused next to the field, in the merchant's words; nothing stored.
    await expect(reward).to_contain_text("A percentage off is between 1 and 100, for example 10.")
    await reward.get_by_role("textbox", name="Value").fill("10")
    await app.get_by_role("button", name="Save settings").click()
    await expect(admin.page.locator("#toasts")).to_contain_text("Settings saved")

    # A paid order earns points (199.00 at 1 point per 1 of the currency).
    customer = admin.store.customer_payload(email="noor@example.test", first_name="Noor")
    await admin.store.deliver("customers/create", customer)
    order = admin.store.order_payload(customer, checkout_token=None)
    order["financial_status"] = "paid"
    await admin.store.deliver("orders/paid", order)
    await admin.work()

    await admin.go("Loyalty")
    await app.get_by_role("textbox", name="Find a customer").fill("noor")
    await app.get_by_role("link", name="Open Noor").click()
    balance = app.get_by_label("Balance", exact=True)
    earned = await balance.inner_text()
    assert int(earned) > 0

    adjust = app.get_by_role("region", name="Adjust points")
    await adjust.get_by_role("spinbutton", name="Points (negative to remove)").fill("-20")
    await adjust.get_by_role("button", name="Adjust").click()
    await expect(adjust).to_contain_text("Say why you adjust these points")
    await adjust.get_by_role("textbox", name="Reason").fill("Goodwill points given twice")
    await adjust.get_by_role("button", name="Adjust").click()
    await expect(admin.page.locator("#toasts")).to_contain_text("Points adjusted")
    await expect(balance).to_have_text(str(int(earned) - 20))
    ledger = app.get_by_role("region", name="Ledger")
    await expect(ledger).to_contain_text("-20 · Adjusted")
    await expect(ledger).to_contain_text("Goodwill points given twice")
    await expect(ledger).to_contain_text("by staff member")

    async with admin.sessions.begin() as session:
        entry = await session.scalar(
            select(PointsLedgerEntry).where(PointsLedgerEntry.kind == "adjust")
        )
    assert entry is not None
    assert entry.delta == -20
    assert entry.actor.startswith("user:")
    assert entry.reason == "Goodwill points given twice"

    # Another program's points (a product review's) name their source and reason in words.
    async with admin.sessions.begin() as session:
        await service.award_bonus(
            session,
            shop_id=entry.shop_id,
            customer_id=entry.customer_id,
            points=15,
            source_type=REVIEW_SOURCE,
            source_id="1",
            now=datetime.now(UTC),
            note=REVIEWED,
        )
    await admin.go("Loyalty")
    await app.get_by_role("textbox", name="Find a customer").fill("noor")
    await app.get_by_role("link", name="Open Noor").click()
    await expect(app.get_by_role("region", name="Ledger")).to_contain_text(
        "Product review — Points for a product review"
    )

    # The program's moves on the customer's timeline carry its name.
    async with admin.sessions.begin() as session:
        await history.tier_moved(
            session,
            shop_id=entry.shop_id,
            customer_id=entry.customer_id,
            before=None,
            after="gold",
            climbed=True,
            at=datetime.now(UTC),
        )
    await admin.go("Customers")
    await app.get_by_role("searchbox", name="Search customers").fill("noor")
    await app.get_by_role("link", name=re.compile("^Noor")).click()
    timeline = app.get_by_role("region", name="Timeline")
    await expect(timeline).to_contain_text("Loyalty tier reached")
    await expect(timeline).to_contain_text("Loyalty emails")


async def test_store_credit_turned_on_through_shopifys_permission_request_then_redeemed(
    admin: EmbeddedAdmin,
) -> None:
    """Turning store credit rewards on asks the merchant for the optional scopes (App Bridge's
    Scopes API, answered by the simulated admin); a store credit reward redeemed from the
    customer's page lands in the customer's store credit account at the simulator."""
    await admin.open()
    app = admin.app
    await admin.go("Loyalty")
    await app.get_by_role("link", name="Program settings").click()
    await app.get_by_role("checkbox", name="Program on").check()
    await app.get_by_role("checkbox", name="Offer store credit rewards").check()
    await app.get_by_role("button", name="Add a reward").click()
    reward = app.get_by_role("region", name="Reward 1")
    await reward.get_by_role("textbox", name="Key").fill("credit_five")
    await reward.get_by_role("textbox", name="Cost in points").fill("100")
    await reward.get_by_role("combobox", name="Kind").select_option("store_credit")
    await reward.get_by_role("textbox", name="Value").fill("5.00")
    await app.get_by_role("combobox", name="Mode of the program's emails").select_option("approval")
    await app.get_by_role("button", name="Save settings").click()
    await expect(admin.page.locator("#toasts")).to_contain_text("Settings saved")
    granted = admin.sim.shop("acme").granted_optional_scopes
    assert granted == {"write_store_credit_account_transactions", "read_store_credit_accounts"}

    customer = admin.store.customer_payload(email="ines@example.test", first_name="Ines")
    await admin.store.deliver("customers/create", customer)
    order = admin.store.order_payload(customer, checkout_token=None)
    order["financial_status"] = "paid"
    await admin.store.deliver("orders/paid", order)
    await admin.work()

    await admin.go("Loyalty")
    await app.get_by_role("textbox", name="Find a customer").fill("ines")
    await app.get_by_role("link", name="Open Ines").click()
    redeem = app.get_by_role("region", name="Redeem a reward for this customer")
    await redeem.get_by_role("button", name="Redeem").click()
    await expect(admin.page.locator("#toasts")).to_contain_text("store credit was added")
    await expect(app.get_by_role("region", name="Rewards redeemed")).to_contain_text(
        "Store credit: 5.00"
    )
    [account] = admin.sim.store_credit_accounts("acme", int(customer["id"]))
    assert str(account.balance) == "5.00"
