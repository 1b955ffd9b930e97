"""App Bridge and Polaris patterns in Chromium, through the simulated admin: the app's menu drawn
in the admin's sidebar (its ui-nav-menu) moving the app, title-bar actions pressed in the admin,
empty states with their call to action, skeleton loading, dates on the shop's clock, and the
failed store updates and data requests under Settings → Advanced, in EN and FR. A screenshot of
every page, in both languages, is kept (tests/browser/artifacts.py)."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime

import pytest
from playwright.async_api import Route, expect
from sqlalchemy import select

from app.models import Message, WebhookEvent, WebhookEventStatus
from tests.browser.artifacts import keep_screenshot
from tests.browser.conftest import EmbeddedAdmin

# The menu's items in each language, with the heading of the page each opens.
MENU = {
    "en": [
        ("Customers", "Customers"),
        ("Results", "Results"),
        ("Approvals", "Approval queue"),
        ("Messages", "Messages"),
        ("Loyalty", "Loyalty program"),
        ("Referrals", "Referral program"),
        ("Reviews", "Reviews"),
        ("Settings", "Settings"),
    ],
    "fr": [
        ("Clients", "Clients"),
        ("Résultats", "Résultats"),
        ("Validations", "File de validation"),
        ("Messages", "Messages"),
        ("Fidélité", "Programme de fidélité"),
        ("Parrainage", "Programme de parrainage"),
        ("Avis", "Avis clients"),
        ("Réglages", "Réglages"),
    ],
}
HOME = {"en": "Overview", "fr": "Vue d'ensemble"}
# Settings' links and the heading of the page each opens.
SETTINGS_PAGES = {
    "en": [
        ("Sender", "Sender"),
        ("Delivery settings", "Delivery settings"),
        ("Advanced", "Advanced settings"),
    ],
    "fr": [
        ("Expéditeur", "Expéditeur"),
        ("Réglages d'envoi", "Réglages d'envoi"),
        ("Avancé", "Réglages avancés"),
    ],
}


@pytest.mark.parametrize("locale", ["en", "fr"])
async def test_the_apps_menu_in_the_admin_sidebar_moves_the_app_to_every_page(
    admin: EmbeddedAdmin, locale: str
) -> None:
    test = f"admin-navigation-{locale}"
    await admin.open(locale=locale)
    app = admin.app
    await expect(app.get_by_role("heading", name=HOME[locale], exact=True)).to_be_visible()
    await keep_screenshot(admin.page, test, locale, "home")

    # The menu is the admin's, outside the frame: the page itself holds no links bar.
    items = admin.app_nav.get_by_role("link")
    await expect(items).to_have_count(len(MENU[locale]))
    assert [await items.nth(i).inner_text() for i in range(len(MENU[locale]))] == [
        item for item, _ in MENU[locale]
    ]
    await expect(app.get_by_role("navigation")).to_have_count(0)
    await expect(app.get_by_role("link", name=MENU[locale][0][0], exact=True)).to_have_count(0)

    for item, heading in MENU[locale]:
        await admin.go(item)
        await expect(app.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        link = admin.app_nav.get_by_role("link", name=item, exact=True)
        await expect(link).to_have_attribute("aria-current", "page")
        await expect(admin.app_nav.locator('[aria-current="page"]')).to_have_count(1)
        await keep_screenshot(admin.page, test, locale, re.sub(r"\W+", "-", item.lower()))

    # The admin's address follows the app: opened again, the app opens where it was.
    assert admin.page.url.endswith("#/settings")
    await admin.page.reload()
    await expect(app.get_by_role("heading", name=MENU[locale][-1][1], exact=True)).to_be_visible()
    settings_link = admin.app_nav.get_by_role("link", name=MENU[locale][-1][0], exact=True)
    await expect(settings_link).to_have_attribute("aria-current", "page")

    # Settings' own pages: the sender, delivery and Advanced, Settings still marked.
    for link_name, heading in SETTINGS_PAGES[locale]:
        await admin.go(MENU[locale][-1][0])
        await app.get_by_role("link", name=link_name, exact=True).click()
        await expect(app.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        await expect(settings_link).to_have_attribute("aria-current", "page")
        await keep_screenshot(admin.page, test, locale, re.sub(r"\W+", "-", link_name.lower()))

    # The app's name in the sidebar leads home; no item is then marked.
    await admin.go_home()
    await expect(app.get_by_role("heading", name=HOME[locale], exact=True)).to_be_visible()
    await expect(admin.app_nav.locator('[aria-current="page"]')).to_have_count(0)


async def test_an_empty_list_says_why_and_its_call_to_action_moves_on(
    admin: EmbeddedAdmin,
) -> None:
    await admin.open()
    app = admin.app
    await admin.go("Customers")
    empty = app.get_by_role("heading", name="No customers yet")
    await expect(empty).to_be_visible()
    await expect(
        app.get_by_text("Customers show here as soon as they start a checkout")
    ).to_be_visible()
    await keep_screenshot(admin.page, "empty-states", "en", "customers")
    await app.get_by_role("link", name="Open the setup guide").click()
    await expect(app.get_by_role("heading", name="Overview", exact=True)).to_be_visible()

    # A filter that matches nothing is said so, with a way back to every customer.
    customer = admin.store.customer_payload(email="noor@example.test", first_name="Noor")
    await admin.store.deliver("customers/create", customer)
    await admin.work()
    await admin.go("Customers")
    rows = app.get_by_role("row").filter(has=app.get_by_role("link"))
    await expect(rows).to_have_count(1)
    await app.get_by_role("searchbox", name="Search customers").fill("nobody-like-this")
    await expect(app.get_by_role("heading", name="No customers match")).to_be_visible()
    await app.get_by_role("button", name="Clear filters").click()
    await expect(rows).to_have_count(1)

    await admin.go("Messages")
    await expect(app.get_by_role("heading", name="No emails yet")).to_be_visible()
    await keep_screenshot(admin.page, "empty-states", "en", "messages")
    await app.get_by_role("link", name="Turn on a scenario").click()
    await expect(app.get_by_role("heading", name="Overview", exact=True)).to_be_visible()

    await admin.open(locale="fr")
    await admin.go("Validations")
    await expect(app.get_by_role("heading", name="Rien à valider")).to_be_visible()
    await keep_screenshot(admin.page, "empty-states", "fr", "approvals")
    await app.get_by_role("link", name="Choisir le mode d'un scénario").click()
    await expect(app.get_by_role("heading", name="Vue d'ensemble", exact=True)).to_be_visible()


async def test_approve_all_is_a_title_bar_action_the_admin_draws_and_forwards(
    admin: EmbeddedAdmin,
) -> None:
    await admin.open()
    app = admin.app
    await expect(app.get_by_role("heading", name="Overview", exact=True)).to_be_visible()
    await admin.shop()
    await admin.store.configure(
        mode="approval", steps=[{"delay_seconds": 1}, {"delay_seconds": 2}, {"enabled": False}]
    )
    customer = admin.store.customer_payload(email="ada@example.test", first_name="Ada")
    await admin.store.deliver("customers/create", customer)
    await admin.work()
    await admin.store.deliver("checkouts/create", admin.store.checkout_payload(customer))
    await admin.work()  # both steps wait for approval

    await admin.go("Approvals")
    rows = app.get_by_role("row").filter(has=app.get_by_role("checkbox"))
    await expect(rows).to_have_count(3)  # the select-all row and Ada's two steps
    bar = admin.title_bar
    await expect(bar.get_by_role("heading", name="Approval queue")).to_be_visible()
    approve_all = bar.get_by_role("button", name="Approve all")
    reject_all = bar.get_by_role("button", name="Reject all")
    await expect(approve_all).to_have_class(re.compile(r"\bprimary\b"))
    await expect(reject_all).to_have_class(re.compile(r"\bcritical\b"))
    # In the admin's title bar, not in the app's page.
    await expect(app.get_by_role("button", name="Approve all")).to_have_count(0)
    await keep_screenshot(admin.page, "title-bar", "en", "approvals")

    await approve_all.click()
    await expect(admin.page.locator("#toasts")).to_contain_text("2 message(s) approved")
    await expect(app.get_by_role("heading", name="Nothing to approve")).to_be_visible()
    # Nothing left to approve: the page's actions leave the title bar.
    await expect(approve_all).to_have_count(0)
    async with admin.sessions.begin() as session:
        statuses = (await session.scalars(select(Message.status))).all()
    assert len(statuses) == 2
    assert "pending_approval" not in statuses

    # Results export the period's figures from the title bar.
    await admin.go("Results")
    await expect(bar.get_by_role("heading", name="Results")).to_be_visible()
    async with admin.page.expect_download() as download:
        await bar.get_by_role("button", name="Export CSV").click()
    exported = await download.value
    assert re.fullmatch(
        r"kpis-scenarios-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv", exported.suggested_filename
    )
    csv_text = (await exported.path()).read_text()
    assert "abandoned_cart" in csv_text

    # A scenario's settings save from the title bar too.
    await admin.go_home()
    await (
        app.get_by_role("region", name="Abandoned cart")
        .get_by_role("link", name="Settings", exact=True)
        .click()
    )
    await expect(bar.get_by_role("heading", name="Abandoned cart: settings")).to_be_visible()
    step2 = app.get_by_role("region", name="Step 2")
    await step2.get_by_role("spinbutton", name="Delay").fill("5")
    await bar.get_by_role("button", name="Save settings").click()
    await expect(admin.page.locator("#toasts")).to_contain_text("Settings saved")
    saved = await admin.store.client.get(
        "/api/scenarios/abandoned_cart", headers=admin.store.headers
    )
    assert saved.json()["steps"][1]["delay_seconds"] == 5


# 23:30 UTC on 1 March is 08:30 on 2 March in Tokyo (UTC+9 all year).
RECEIVED = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)


@pytest.mark.parametrize("shop_timezone", ["Asia/Tokyo"])
async def test_dates_are_on_the_shops_clock_and_settings_advanced_holds_failed_updates(
    admin: EmbeddedAdmin, shop_timezone: str
) -> None:
    await admin.open()
    app = admin.app
    await expect(app.get_by_role("heading", name="Overview", exact=True)).to_be_visible()
    shop = await admin.shop()
    assert shop.timezone == shop_timezone
    async with admin.sessions.begin() as session:
        session.add(
            WebhookEvent(
                shop_id=shop.id,
                topic="checkouts/update",
                webhook_id="failed-in-tokyo",
                status=WebhookEventStatus.FAILED,
                attempts=9,
                last_error="ValueError: no line items",
                body="{}",
                received_at=RECEIVED,
            )
        )

    await admin.go("Settings")
    await expect(app.get_by_role("heading", name="Settings", exact=True)).to_be_visible()
    await keep_screenshot(admin.page, "settings-advanced", "en", "settings")
    await app.get_by_role("link", name="Advanced", exact=True).click()
    await expect(app.get_by_role("heading", name="Advanced settings")).to_be_visible()
    # The settings item stays marked while the merchant is inside Settings.
    settings_link = admin.app_nav.get_by_role("link", name="Settings", exact=True)
    await expect(settings_link).to_have_attribute("aria-current", "page")
    failures = app.get_by_role("region", name="Store updates Boomerang couldn't process")
    row = failures.get_by_role("row").filter(has_text="Checkout updated")
    await expect(row).to_contain_text("Mar 2, 2026")
    await expect(row).to_contain_text(re.compile(r"8:30\s*AM"))
    await expect(row).not_to_contain_text("Mar 1")
    await expect(row).not_to_contain_text("checkouts/update")  # the merchant's words
    requests = app.get_by_role("region", name="Customer data requests")
    await expect(
        requests.get_by_role("heading", name="No customer has asked for their data")
    ).to_be_visible()
    await keep_screenshot(admin.page, "settings-advanced", "en", "advanced")

    await admin.open(locale="fr")
    await admin.go("Réglages")
    await keep_screenshot(admin.page, "settings-advanced", "fr", "settings")
    await app.get_by_role("link", name="Avancé", exact=True).click()
    failures = app.get_by_role("region", name="Mises à jour de la boutique non traitées")
    row = failures.get_by_role("row").filter(has_text="Paiement modifié")
    await expect(row).to_contain_text("2 mars 2026")
    await expect(row).to_contain_text("08:30")
    await expect(
        app.get_by_role("heading", name="Aucun client n'a demandé ses données")
    ).to_be_visible()
    await keep_screenshot(admin.page, "settings-advanced", "fr", "advanced")
    await row.get_by_role("button", name=re.compile("^Réessayer")).click()
    await expect(admin.page.locator("#toasts")).to_contain_text(
        "Boomerang va traiter de nouveau cette mise à jour"
    )
    await expect(
        app.get_by_role("heading", name="Toutes les mises à jour de la boutique ont été traitées")
    ).to_be_visible()


async def test_a_page_loading_shows_a_skeleton_not_a_line_of_text(admin: EmbeddedAdmin) -> None:
    await admin.open()
    app = admin.app
    await expect(app.get_by_role("heading", name="Overview", exact=True)).to_be_visible()
    # The sequences' answer held back: the page shows its skeleton meanwhile.
    released = asyncio.Event()

    async def hold(route: Route) -> None:
        await released.wait()
        await route.continue_()

    await admin.page.context.route(re.compile(r"/api/scenarios/abandoned_cart/runs"), hold)
    await (
        app.get_by_role("region", name="Abandoned cart")
        .get_by_role("link", name="Sequences", exact=True)
        .click()
    )
    skeleton = app.get_by_role("status", name="Loading…")
    await expect(skeleton).to_be_visible()
    await expect(skeleton).to_have_attribute("aria-busy", "true")
    await expect(app.get_by_text("Loading…", exact=True)).to_have_count(0)
    await keep_screenshot(admin.page, "skeleton", "en", "sequences-loading")
    released.set()
    await expect(app.get_by_role("heading", name="No sequences yet")).to_be_visible()
    await expect(skeleton).to_have_count(0)
