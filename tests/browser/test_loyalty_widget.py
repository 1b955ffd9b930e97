"""The shopper's side of the loyalty and referral programs, in Chromium: the simulated online
store renders the theme app extension (extensions/loyalty-widget) with python-liquid, at the
shop's own host, for a guest, a member and a VIP. Their points come from paid orders delivered
as webhooks; the program's description and each customer's position reach the page only
through the metafields the app's jobs wrote at the simulator. The widget's first paint makes no
request; a redemption goes through the storefront's app proxy (signed by the simulator as
Shopify signs it) to a code that exists at the simulator. axe-core checks each state, and a
screenshot of each is kept under .artifacts/loyalty-widget/."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect
from sqlalchemy import func, select

from app.models import Customer, PointsLedgerEntry
from app.settings import Settings
from devstore.server import STOREFRONT_CUSTOMER_COOKIE
from tests.browser.conftest import CHROMIUM_FLAGS, ROOT, SHOP, TIMEOUT_MS, EmbeddedAdmin

EXTENSION = ROOT / "extensions" / "loyalty-widget"
AXE = ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = Path(os.environ.get("BOOMERANG_TEST_ARTIFACTS", ROOT / ".artifacts")) / "loyalty-widget"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # Shopify's copy of a customer's points is flushed within half a second, not ten.
    return settings.model_copy(update={"customer_sync_flush_seconds": 0.5})


@pytest.fixture
async def storefront_browser(chromium: Path, admin: EmbeddedAdmin) -> AsyncIterator[Browser]:
    """Chromium resolving the shop's own host to the simulator, which serves the storefront
    there (devstore/hosts.py); that origin counts as secure, as HTTPS would, for the
    clipboard."""
    port = urlsplit(admin.sim_url).port
    flags = [
        *CHROMIUM_FLAGS,
        f"--host-resolver-rules=MAP {SHOP} 127.0.0.1",
        f"--unsafely-treat-insecure-origin-as-secure=http://{SHOP}:{port}",
    ]
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(chromium), headless=True, args=flags
        )
        yield launched
        await launched.close()


async def put(admin: EmbeddedAdmin, path: str, body: dict[str, Any]) -> None:
    response = await admin.store.client.put(path, headers=admin.store.headers, json=body)
    assert response.status_code == 200, response.text


async def paid_order(admin: EmbeddedAdmin, customer: dict[str, Any]) -> None:
    order = admin.store.order_payload(customer, checkout_token=None)
    order["financial_status"] = "paid"
    await admin.store.deliver("orders/paid", order)


async def earned(admin: EmbeddedAdmin, shopify_id: int) -> int:
    async with admin.sessions.begin() as session:
        found = await session.scalar(
            select(func.coalesce(func.sum(PointsLedgerEntry.delta), 0))
            .join(Customer, Customer.id == PointsLedgerEntry.customer_id)
            .where(Customer.shopify_id == shopify_id, PointsLedgerEntry.kind == "earn")
        )
    return int(found or 0)


async def shopper_page(
    browser: Browser, storefront: str, customer_id: int | None
) -> tuple[BrowserContext, Page, list[str]]:
    context = await browser.new_context(locale="en-US", viewport={"width": 1100, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    await context.grant_permissions(["clipboard-read", "clipboard-write"], origin=storefront)
    if customer_id is not None:
        await context.add_cookies(
            [{"name": STOREFRONT_CUSTOMER_COOKIE, "value": str(customer_id), "url": storefront}]
        )
    page = await context.new_page()
    proxied: list[str] = []
    page.on("request", lambda r: proxied.append(r.url) if "/apps/boomerang" in r.url else None)
    return context, page, proxied


async def axe_violations(page: Page) -> list[dict[str, Any]]:
    await page.add_script_tag(path=str(AXE))
    found = await page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}}))"
        ".violations.map(v => ({id: v.id, nodes: v.nodes.map(n => n.target.join(' '))}))",
        WCAG,
    )
    return list(found)


async def test_guest_member_and_vip_see_the_widget_and_a_member_redeems_a_code(
    admin: EmbeddedAdmin, storefront_browser: Browser
) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    admin.sim.shop(SHOP).locales = ["en", "fr"]
    admin.sim.install_theme_extension(
        EXTENSION,
        settings={"launcher": {"launcher_text": "Club Acme", "accent_color": "#ffd400"}},
    )
    await admin.open()  # installs the shop through the embedded admin
    await expect(admin.app_nav.get_by_role("link", name="Loyalty", exact=True)).to_be_visible()

    # The program on, points spendable at once; the referral program live.
    await put(admin, "/api/loyalty/settings", {"enabled": True, "pending_days": 0})
    await put(admin, "/api/referrals/settings", {"mode": "live"})
    member = admin.store.customer_payload(email="ada@example.test", first_name="Ada")
    vip = admin.store.customer_payload(email="vera@example.test", first_name="Vera")
    for customer in (member, vip):
        await admin.store.deliver("customers/create", customer)
    await paid_order(admin, member)
    await paid_order(admin, vip)
    await paid_order(admin, vip)
    await admin.work()
    points = await earned(admin, member["id"])  # what one order earns
    assert points > 0

    # Tiers and rewards measured in orders' worth; orders from now on stay pending 14 days.
    await put(
        admin,
        "/api/loyalty/settings",
        {
            "pending_days": 14,
            "tiers": [
                {
                    "key": "silver",
                    "name_en": "Silver",
                    "name_fr": "Argent",
                    "threshold": str(points),
                },
                {"key": "gold", "name_en": "Gold", "name_fr": "Or", "threshold": str(3 * points)},
            ],
            "rewards": [
                {"key": "five_off", "cost": points, "kind": "fixed_amount", "value": "5"},
                {"key": "ten_percent", "cost": 2 * points, "kind": "percentage", "value": "10"},
            ],
        },
    )
    await paid_order(admin, member)
    await paid_order(admin, vip)
    await admin.work()

    # What the storefront reads: the program on the shop, each position on its customer.
    shop_fields = {(m.namespace, m.key): m for m in admin.sim.metafields(SHOP)}
    program = json.loads(shop_fields[("app--7654321--loyalty", "program")].value)
    assert [r["cost"] for r in program["rewards"]] == [points, 2 * points]
    five_off = program["rewards"][0]["label"]["en"]
    statuses = {
        m.owner_id: json.loads(m.value)
        for m in admin.sim.metafields(SHOP)
        if m.key == "status" and m.namespace == "app--7654321--loyalty"
    }
    member_gid = f"gid://shopify/Customer/{member['id']}"
    assert statuses[member_gid]["pending"] == points

    port = urlsplit(admin.sim_url).port
    storefront = f"http://{SHOP}:{port}"

    # A guest: how it works and where to sign up; the launcher carries the merchant's text.
    context, page, proxied = await shopper_page(storefront_browser, storefront, None)
    await page.goto(f"{storefront}/pages/rewards")
    section = page.locator("[data-boomerang-widget=page]")
    await expect(section).to_contain_text("Join our rewards program")
    await expect(section.get_by_role("link", name="Create an account")).to_have_attribute(
        "href", "/account/register"
    )
    launcher = page.get_by_role("button", name="Club Acme")
    # Black text on the merchant's yellow: it reads better than white.
    assert await launcher.evaluate("e => getComputedStyle(e).color") == "rgb(0, 0, 0)"
    await launcher.click()
    dialog = page.get_by_role("dialog", name="Rewards")
    await expect(dialog).to_be_visible()
    # Focus moves into the dialog (its first control, the close button).
    await expect(dialog.get_by_role("button", name="Close rewards")).to_be_focused()
    await page.keyboard.press("Tab")
    await expect(dialog.get_by_role("link", name="Create an account")).to_be_focused()
    await page.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()
    await expect(launcher).to_be_focused()
    await launcher.click()
    assert await axe_violations(page) == []
    await page.screenshot(path=str(ARTIFACTS / "guest.png"), full_page=True)
    assert proxied == []
    await context.close()

    # A member: spendable and pending points, tier and progress, one reward redeemable.
    context, page, proxied = await shopper_page(storefront_browser, storefront, member["id"])
    await page.goto(f"{storefront}/pages/rewards")
    section = page.locator("[data-boomerang-widget=page]")
    await expect(section.locator("[data-boomerang-spendable]")).to_have_attribute(
        "data-boomerang-spendable", str(points)
    )
    await expect(section.locator("[data-boomerang-pending]")).to_have_attribute(
        "data-boomerang-pending", str(points)
    )
    await expect(section.locator("[data-boomerang-tier]")).to_have_text("Silver")
    await expect(section).to_contain_text(f"{points:,} more points to reach Gold")
    redeem = section.get_by_role("button", name=f"Redeem {five_off} for {points:,} points")
    await expect(redeem).to_be_enabled()
    await expect(section.locator("[data-boomerang-redeem=ten_percent]")).to_have_count(0)
    await expect(section.get_by_role("textbox", name="Your referral link")).to_have_value(
        statuses[member_gid]["referral"]["link"]
    )
    await expect(section.get_by_role("link", name="Share on WhatsApp")).to_be_visible()
    await section.get_by_role("button", name="Copy link").click()
    await expect(section).to_contain_text("Link copied.")
    link = statuses[member_gid]["referral"]["link"]
    assert await page.evaluate("navigator.clipboard.readText()") == link
    assert proxied == []  # the first paint asked nothing of the app
    assert await axe_violations(page) == []
    await page.screenshot(path=str(ARTIFACTS / "member.png"), full_page=True)

    await redeem.click()
    code = section.locator("[data-boomerang-code]")
    await expect(code).to_be_focused()
    shown = await code.inner_text()
    assert shown in admin.sim.codes(SHOP)
    assert await page.evaluate("navigator.clipboard.readText()") == shown
    await expect(section).to_contain_text(f"Code {shown} copied.")
    await expect(section.locator("[data-boomerang-spendable]")).to_have_attribute(
        "data-boomerang-spendable", "0"
    )
    # The launcher on the same page follows: the balance less the reward's cost.
    await expect(page.locator("[data-boomerang-launcher-points]")).to_have_text(f"{points:,} pts")
    assert [urlsplit(url).path for url in proxied] == ["/apps/boomerang/loyalty/redemptions"]
    await page.screenshot(path=str(ARTIFACTS / "member-redeemed.png"), full_page=True)

    # In French, on the shop's French pages.
    await page.goto(f"{storefront}/fr/pages/rewards")
    section = page.locator("[data-boomerang-widget=page]")
    await expect(section).to_contain_text("Points utilisables")
    await expect(section.locator("[data-boomerang-tier]")).to_have_text("Argent")
    await context.close()

    # A VIP at the top tier.
    context, page, proxied = await shopper_page(storefront_browser, storefront, vip["id"])
    await page.goto(f"{storefront}/pages/rewards")
    section = page.locator("[data-boomerang-widget=page]")
    await expect(section.locator("[data-boomerang-tier]")).to_have_text("Gold")
    await expect(section).to_contain_text("You have reached our top tier.")
    await expect(section.locator("[data-boomerang-redeem=ten_percent]")).to_be_enabled()
    await page.get_by_role("button", name="Club Acme").click()
    assert await axe_violations(page) == []
    await page.screenshot(path=str(ARTIFACTS / "vip.png"), full_page=True)
    assert proxied == []
    await context.close()
