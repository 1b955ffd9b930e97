"""The approval queue in Chromium: a compact index where one cart's steps sit together in
order, a selection approved at once, the picked message previewed beside the list and rejected
on its own, the rest rejected at once; every rejection once the merchant confirms it."""

from __future__ import annotations

from playwright.async_api import expect
from sqlalchemy import select

from app.models import Message
from tests.browser.conftest import EmbeddedAdmin
from tests.browser.test_customers_admin import screenshot


async def test_a_selection_is_approved_and_the_rest_rejected_with_steps_grouped(
    admin: EmbeddedAdmin,
) -> None:
    await admin.open()
    app = admin.app
    await expect(app.get_by_role("heading", name="Overview")).to_be_visible()
    await admin.shop()
    await admin.store.configure(
        mode="approval", steps=[{"delay_seconds": 1}, {"delay_seconds": 2}, {"enabled": False}]
    )
    for email, name in (("ada@example.test", "Ada"), ("bo@example.test", "Bo")):
        customer = admin.store.customer_payload(email=email, first_name=name)
        await admin.store.deliver("customers/create", customer)
        await admin.work()
        await admin.store.deliver("checkouts/create", admin.store.checkout_payload(customer))
    await admin.work()  # both steps of both carts wait for approval

    await admin.go("Approvals")
    rows = app.get_by_role("row").filter(has=app.get_by_role("checkbox"))
    await expect(rows).to_have_count(5)  # the select-all row and four messages
    # Each cart's second step sits right under its first.
    texts = [await rows.nth(i).inner_text() for i in range(1, 5)]
    assert ["then step 2" in t for t in texts] == [False, True, False, True]
    await screenshot(admin.page, "approvals-en")

    ada = texts.index(next(t for t in texts if "Ada" in t))
    await rows.nth(1 + ada).get_by_role("checkbox").check()
    await rows.nth(2 + ada).get_by_role("checkbox").check()
    await app.get_by_role("button", name="Approve selected (2)").click()
    await expect(admin.page.locator("#toasts")).to_contain_text("2 message(s) approved")
    await expect(rows).to_have_count(3)

    # Bo's second step, previewed beside the list: it goes after the first.
    await app.get_by_role("button", name="Preview").nth(1).click()
    preview = app.get_by_role("region").filter(has_text="bo@example.test")
    await expect(preview).to_contain_text("Goes after the earlier steps of this cart, in order.")

    # Rejecting the previewed message alone asks first too, naming it; Cancel keeps it.
    async with admin.sessions.begin() as session:
        subject = await session.scalar(
            select(Message.subject).where(
                Message.to_address == "bo@example.test", Message.step == 2
            )
        )
    await preview.get_by_role("button", name="Reject", exact=True).click()
    one = admin.page.get_by_role("dialog", name="Reject this message?")
    await expect(one).to_contain_text(
        f"“{subject}” to Bo Smith will be rejected: it will not be sent"
    )
    await expect(one.get_by_role("button", name="Reject")).to_have_class("primary critical")
    await one.get_by_role("button", name="Cancel").click()
    await expect(one).to_be_hidden()
    await expect(rows).to_have_count(3)
    await preview.get_by_role("button", name="Reject", exact=True).click()
    await one.get_by_role("button", name="Reject").click()
    await expect(admin.page.locator("#toasts")).to_contain_text("Message rejected")
    await expect(rows).to_have_count(2)

    await app.get_by_role("checkbox", name="Select every message").check()
    await app.get_by_role("button", name="Reject selected (1)").click()
    # Asked first, in the admin's modal: how many, and that they will not be sent.
    confirm = admin.page.get_by_role("dialog", name="Reject 1 message(s)?")
    await expect(confirm).to_contain_text("they will not be sent")
    await confirm.get_by_role("button", name="Reject").click()
    await expect(admin.page.locator("#toasts")).to_contain_text("1 message(s) rejected")
    await expect(app.get_by_role("heading", name="Nothing to approve")).to_be_visible()

    async with admin.sessions.begin() as session:
        messages = (await session.scalars(select(Message).order_by(Message.id))).all()
    # No worker ran since: Ada's wait in the queue to go, Bo's will never go.
    assert sorted((m.to_address, m.step, m.status) for m in messages) == [
        ("ada@example.test", 1, "queued"),
        ("ada@example.test", 2, "queued"),
        ("bo@example.test", 1, "suppressed"),
        ("bo@example.test", 2, "suppressed"),
    ]
