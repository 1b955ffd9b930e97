"""The merchant inside the (simulated) Shopify admin: the embedded UI end to end, from the
browser through the app and its API to the database, the worker and the SMTP server."""

from __future__ import annotations

from playwright.async_api import expect
from sqlalchemy import select

from app.models import Message
from tests.browser.conftest import EmbeddedAdmin


async def test_approval_mode_holds_the_reminder_until_the_merchant_approves_it(
    admin: EmbeddedAdmin,
) -> None:
    await admin.open()
    app = admin.app
    await expect(app.get_by_role("heading", name="Overview")).to_be_visible()
    await admin.shop()  # the admin's first visit installed the shop (token exchange)

    # Delivery rules that let a reminder leave at any hour of the test run.
    await app.get_by_role("link", name="Delivery settings").click()
    await app.get_by_role("textbox", name="Quiet hours start").fill("00:00")
    await app.get_by_role("textbox", name="Quiet hours end").fill("00:00")
    await app.get_by_role("button", name="Save delivery settings").click()
    await expect(admin.page.locator("#toasts")).to_contain_text("Delivery settings saved")

    # Approval mode, first reminder after one second.
    await app.get_by_role("link", name="Overview").click()
    await app.get_by_role("link", name="Settings", exact=True).click()
    await app.get_by_role("radio", name="Approval").check()
    step1 = app.get_by_role("region", name="Step 1")
    await step1.get_by_role("combobox", name="Unit").select_option("seconds")
    await step1.get_by_role("spinbutton", name="Delay").fill("1")
    await app.get_by_role("button", name="Save settings").click()
    await expect(admin.page.locator("#toasts")).to_contain_text("Settings saved")

    customer = admin.store.customer_payload(email="camille@example.test", first_name="Camille")
    await admin.store.deliver("customers/create", customer)
    await admin.store.deliver("checkouts/create", admin.store.checkout_payload(customer))
    await admin.work()
    assert admin.inbox.messages == []  # held for approval
    await app.get_by_role("link", name="Approvals").click()
    card = app.get_by_role("region").filter(has_text="camille@example.test")
    await expect(card).to_be_visible()
    preview = card.locator("iframe")
    await expect(preview).to_have_attribute("sandbox", "")
    await expect(card.get_by_label("Plain-text body")).to_contain_text("Camille")
    await card.get_by_role("button", name="Approve").click()
    await expect(admin.page.locator("#toasts")).to_contain_text("Message approved")
    await expect(app.get_by_text("No message is waiting for your approval.")).to_be_visible()

    await admin.work()
    assert [m["To"] for m in admin.inbox.messages] == ["camille@example.test"]
    async with admin.sessions.begin() as session:
        sent = (await session.scalars(select(Message))).one()
    assert sent.status == "sent"
    assert sent.approved_at is not None
    assert admin.inbox.messages[0]["Subject"] == sent.subject

    # The journey says why each thing happened.
    await app.get_by_role("link", name="Overview").click()
    await app.get_by_role("link", name="Sequences", exact=True).click()
    await app.get_by_role("link", name="Timeline: camille@example.test").click()
    await expect(app.get_by_text("Reminder waiting for your approval")).to_be_visible()
    await expect(
        app.get_by_text("the checkout has a contact and items and is not completed")
    ).to_be_visible()
