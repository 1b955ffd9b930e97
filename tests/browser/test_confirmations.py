"""Confirmations and the save bar, in Chromium through the simulated admin: turning the global
pause on and off, making a scenario transactional and rejecting held messages (all, or a
selection) each ask first in the admin's modal (App Bridge's ui-modal), saying what will
happen; Cancel changes nothing (read back through the API), the confirm button does it. The
delivery and loyalty settings show the admin's save bar while a change is unsaved, and leaving
then asks first."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from playwright.async_api import expect

from tests.browser.artifacts import keep_screenshot
from tests.browser.conftest import EmbeddedAdmin

WORDS = {
    "en": {
        "settings": "Settings",
        "delivery": "Delivery settings",
        "overview": "Overview",
        "messages": "Messages",
        "pause": "Pause every email",
        "save": "Save delivery settings",
        "saved": "Delivery settings saved",
        "per_day": "Marketing emails per customer per 24 hours",
        "pause_title": "Pause every email?",
        "pause_body": "no email from Boomerang leaves, in any scenario",
        "pause_ok": "Pause sending",
        "resume_title": "Resume sending?",
        "resume_body": "Emails resume",
        "resume_ok": "Resume sending",
        "cancel": "Cancel",
        "unsaved": "Unsaved changes",
        "bar_save": "Save",
        "bar_discard": "Discard",
        "leave_title": "Leave page with unsaved changes?",
        "leave": "Leave page",
        "stay": "Stay",
    },
    "fr": {
        "settings": "Réglages",
        "delivery": "Réglages d'envoi",
        "overview": "Vue d'ensemble",
        "messages": "Messages",
        "pause": "Suspendre tous les e-mails",
        "save": "Enregistrer les réglages d'envoi",
        "saved": "Réglages d'envoi enregistrés",
        "per_day": "E-mails marketing par client sur 24 heures",
        "pause_title": "Suspendre tous les e-mails ?",
        "pause_body": "aucun e-mail de Boomerang ne part, quel que soit le scénario",
        "pause_ok": "Suspendre les envois",
        "resume_title": "Reprendre les envois ?",
        "resume_body": "Les e-mails reprennent",
        "resume_ok": "Reprendre les envois",
        "cancel": "Annuler",
        "unsaved": "Modifications non enregistrées",
        "bar_save": "Enregistrer",
        "bar_discard": "Ignorer",
        "leave_title": "Quitter la page sans enregistrer les modifications ?",
        "leave": "Quitter la page",
        "stay": "Rester",
    },
}


async def _api(admin: EmbeddedAdmin, path: str) -> Any:
    response = await admin.store.client.get(path, headers=admin.store.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def _becomes(admin: EmbeddedAdmin, path: str, key: str, value: object) -> None:
    """The API's `key` at `path` reaches `value` within the UI's timeout (a save the page
    made whose toast reads like the one before)."""
    for _ in range(150):
        if (await _api(admin, path))[key] == value:
            return
        await asyncio.sleep(0.1)
    assert (await _api(admin, path))[key] == value


@pytest.mark.parametrize("locale", ["en", "fr"])
async def test_the_global_pause_is_confirmed_both_ways_and_delivery_has_a_save_bar(
    admin: EmbeddedAdmin, locale: str
) -> None:
    w = WORDS[locale]
    page, app = admin.page, admin.app
    toasts = page.locator("#toasts")
    await admin.open(locale=locale)
    await expect(app.get_by_role("heading", name=w["overview"], exact=True)).to_be_visible()
    await admin.shop()
    await admin.go(w["settings"])
    await app.get_by_role("link", name=w["delivery"]).click()
    await expect(app.get_by_role("heading", name=w["delivery"], exact=True)).to_be_visible()

    # An edit shows the admin's save bar; leaving from the app's menu asks first.
    save_bar = page.get_by_role("region", name=w["unsaved"])
    await expect(save_bar).to_be_hidden()
    per_day = app.get_by_role("textbox", name=w["per_day"])
    await per_day.fill("2")
    await expect(save_bar).to_be_visible()
    await admin.go(w["messages"])
    leave = page.get_by_role("dialog", name=w["leave_title"])
    await expect(leave).to_be_visible()
    await keep_screenshot(page, "confirmations", locale, "delivery-leave")
    await leave.get_by_role("button", name=w["stay"]).click()
    await expect(app.get_by_role("heading", name=w["delivery"], exact=True)).to_be_visible()
    await expect(per_day).to_have_value("2")
    # Discard puts the saved value back and the bar away.
    await save_bar.get_by_role("button", name=w["bar_discard"]).click()
    await expect(save_bar).to_be_hidden()
    await expect(per_day).to_have_value("1")
    assert (await _api(admin, "/api/messaging/settings"))["max_per_day"] == 1

    # Pausing asks first, in the admin's modal, in a critical tone; Cancel pauses nothing.
    pause = app.get_by_role("switch", name=w["pause"])
    await pause.check()
    await expect(save_bar).to_be_visible()
    await app.get_by_role("button", name=w["save"]).click()
    confirm = page.get_by_role("dialog", name=w["pause_title"])
    await expect(confirm).to_contain_text(w["pause_body"])
    await expect(confirm.get_by_role("button", name=w["pause_ok"])).to_have_class(
        "primary critical"
    )
    await keep_screenshot(page, "confirmations", locale, "pause-on")
    await confirm.get_by_role("button", name=w["cancel"]).click()
    await expect(confirm).to_be_hidden()
    assert (await _api(admin, "/api/messaging/settings"))["paused"] is False
    await expect(save_bar).to_be_visible()  # the change is still there, unsaved

    # Confirmed (from the save bar this time): paused.
    await save_bar.get_by_role("button", name=w["bar_save"]).click()
    await confirm.get_by_role("button", name=w["pause_ok"]).click()
    await expect(toasts).to_contain_text(w["saved"])
    await expect(save_bar).to_be_hidden()
    assert (await _api(admin, "/api/messaging/settings"))["paused"] is True

    # Resuming asks too; Cancel keeps the pause, confirming lifts it.
    await pause.uncheck()
    await app.get_by_role("button", name=w["save"]).click()
    resume = page.get_by_role("dialog", name=w["resume_title"])
    await expect(resume).to_contain_text(w["resume_body"])
    await keep_screenshot(page, "confirmations", locale, "pause-off")
    await resume.get_by_role("button", name=w["cancel"]).click()
    await expect(resume).to_be_hidden()
    assert (await _api(admin, "/api/messaging/settings"))["paused"] is True
    await app.get_by_role("button", name=w["save"]).click()
    await resume.get_by_role("button", name=w["resume_ok"]).click()
    await expect(save_bar).to_be_hidden()  # saved
    await expect(toasts).to_contain_text(w["saved"])
    assert (await _api(admin, "/api/messaging/settings"))["paused"] is False

    # Saved, nothing unsaved: the app's menu leaves without asking.
    await admin.go(w["messages"])
    await expect(app.get_by_role("heading", name=w["messages"], exact=True)).to_be_visible()


async def test_a_transactional_scenario_is_confirmed_after_turning_it_on(
    admin: EmbeddedAdmin,
) -> None:
    page, app = admin.page, admin.app
    await admin.open()
    await expect(app.get_by_role("heading", name="Overview", exact=True)).to_be_visible()
    await admin.shop()
    await (
        app.get_by_role("region", name="Abandoned cart")
        .get_by_role("link", name="Settings", exact=True)
        .click()
    )
    # A fresh install: paused, marketing only. Both changed: each is confirmed in turn.
    save_bar = page.get_by_role("region", name="Unsaved changes")
    await expect(app.get_by_role("radio", name="Paused")).to_be_checked()
    await expect(save_bar).to_be_hidden()
    await app.get_by_role("radio", name="Approval").check()
    await expect(save_bar).to_be_visible()
    await app.get_by_role("checkbox", name="Send as transactional messages").check()
    await app.get_by_role("button", name="Save settings").click()
    turn_on = page.get_by_role("dialog", name="Turn on Abandoned cart?")
    await turn_on.get_by_role("button", name="Turn on", exact=True).click()
    transactional = page.get_by_role(
        "dialog", name="Send Abandoned cart as transactional messages?"
    )
    await expect(transactional).to_contain_text("have not accepted marketing emails")
    await expect(transactional).to_contain_text("never for promotions")
    await expect(transactional.get_by_role("button", name="Send as transactional")).to_have_class(
        "primary critical"
    )
    await keep_screenshot(page, "confirmations", "en", "transactional")
    # Cancel at the second question: nothing at all is saved.
    await transactional.get_by_role("button", name="Cancel").click()
    await expect(transactional).to_be_hidden()
    saved = await _api(admin, "/api/scenarios/abandoned_cart")
    assert (saved["mode"], saved["transactional"]) == ("paused", False)

    await app.get_by_role("button", name="Save settings").click()
    await turn_on.get_by_role("button", name="Turn on", exact=True).click()
    await transactional.get_by_role("button", name="Send as transactional").click()
    await expect(page.locator("#toasts")).to_contain_text("Settings saved")
    await expect(save_bar).to_be_hidden()
    saved = await _api(admin, "/api/scenarios/abandoned_cart")
    assert (saved["mode"], saved["transactional"]) == ("approval", True)

    # Back to marketing only: nothing to confirm. Transactional again: asked alone.
    await app.get_by_role("checkbox", name="Send as transactional messages").uncheck()
    await app.get_by_role("button", name="Save settings").click()
    await _becomes(admin, "/api/scenarios/abandoned_cart", "transactional", False)
    await app.get_by_role("checkbox", name="Send as transactional messages").check()
    await app.get_by_role("button", name="Save settings").click()
    await expect(transactional).to_be_visible()
    await expect(turn_on).to_be_hidden()
    await transactional.get_by_role("button", name="Send as transactional").click()
    await _becomes(admin, "/api/scenarios/abandoned_cart", "transactional", True)
    assert (await _api(admin, "/api/scenarios/abandoned_cart"))["mode"] == "approval"


async def _pending(admin: EmbeddedAdmin) -> list[str]:
    page = await _api(admin, "/api/messages?status=pending_approval&limit=200")
    return sorted(m["to"] for m in page["messages"])


async def test_rejecting_held_messages_says_how_many_and_waits_for_the_merchants_word(
    admin: EmbeddedAdmin,
) -> None:
    page, app = admin.page, admin.app
    await admin.open()
    await expect(app.get_by_role("heading", name="Overview", exact=True)).to_be_visible()
    await admin.shop()
    await admin.store.configure(
        mode="approval", steps=[{"delay_seconds": 1}, {"enabled": False}, {"enabled": False}]
    )
    for email, name in (
        ("ada@example.test", "Ada"),
        ("bo@example.test", "Bo"),
        ("cy@example.test", "Cy"),
    ):
        customer = admin.store.customer_payload(email=email, first_name=name)
        await admin.store.deliver("customers/create", customer)
        await admin.work()
        await admin.store.deliver("checkouts/create", admin.store.checkout_payload(customer))
    await admin.work()
    everyone = ["ada@example.test", "bo@example.test", "cy@example.test"]
    assert await _pending(admin) == everyone

    await admin.go("Approvals")
    rows = app.get_by_role("row").filter(has=app.get_by_role("checkbox"))
    await expect(rows).to_have_count(4)  # the select-all row and three messages
    ada = rows.filter(has_text="Ada")
    await ada.get_by_role("checkbox").check()

    # Reject selected: says how many, and that they will not be sent; Cancel keeps them.
    await app.get_by_role("button", name="Reject selected (1)").click()
    confirm = page.get_by_role("dialog", name="Reject 1 message(s)?")
    await expect(confirm).to_contain_text("1 message(s) will be rejected: they will not be sent")
    await expect(confirm.get_by_role("button", name="Reject")).to_have_class("primary critical")
    await keep_screenshot(page, "confirmations", "en", "reject-selected")
    await confirm.get_by_role("button", name="Cancel").click()
    await expect(confirm).to_be_hidden()
    assert await _pending(admin) == everyone
    await expect(rows).to_have_count(4)

    await app.get_by_role("button", name="Reject selected (1)").click()
    await confirm.get_by_role("button", name="Reject").click()
    await expect(page.locator("#toasts")).to_contain_text("1 message(s) rejected")
    await expect(rows).to_have_count(3)
    assert await _pending(admin) == everyone[1:]

    # Reject all, from the admin's title bar: the two left.
    await admin.title_bar.get_by_role("button", name="Reject all").click()
    reject_all = page.get_by_role("dialog", name="Reject 2 message(s)?")
    await expect(reject_all).to_contain_text("2 message(s) will be rejected: they will not be sent")
    await keep_screenshot(page, "confirmations", "en", "reject-all")
    await reject_all.get_by_role("button", name="Cancel").click()
    await expect(reject_all).to_be_hidden()
    assert await _pending(admin) == everyone[1:]
    await admin.title_bar.get_by_role("button", name="Reject all").click()
    await reject_all.get_by_role("button", name="Reject").click()
    await expect(page.locator("#toasts")).to_contain_text("2 message(s) rejected")
    await expect(app.get_by_role("heading", name="Nothing to approve")).to_be_visible()
    assert await _pending(admin) == []
    statuses = await _api(admin, "/api/messages?status=suppressed&limit=200")
    assert sorted(m["to"] for m in statuses["messages"]) == everyone


async def test_loyalty_settings_show_the_save_bar_until_saved(admin: EmbeddedAdmin) -> None:
    page, app = admin.page, admin.app
    await admin.open()
    await expect(app.get_by_role("heading", name="Overview", exact=True)).to_be_visible()
    await admin.shop()
    await admin.go("Loyalty")
    await app.get_by_role("link", name="Program settings").click()
    await expect(app.get_by_role("heading", name="Loyalty program: settings")).to_be_visible()
    save_bar = page.get_by_role("region", name="Unsaved changes")
    await expect(save_bar).to_be_hidden()
    pending = app.get_by_role("textbox", name="Days before earned points can be spent")
    await pending.fill("21")
    await expect(save_bar).to_be_visible()
    await admin.go("Messages")
    leave = page.get_by_role("dialog", name="Leave page with unsaved changes?")
    await leave.get_by_role("button", name="Stay").click()
    await save_bar.get_by_role("button", name="Save").click()
    await expect(page.locator("#toasts")).to_contain_text("Settings saved")
    await expect(save_bar).to_be_hidden()
    assert (await _api(admin, "/api/loyalty/settings"))["pending_days"] == 21
