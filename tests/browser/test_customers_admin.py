"""The merchant looks a customer up in the embedded admin, in Chromium, in English and French:
the customer index pages past its first 25 rows, searches by name or email, filters by
consent, and opens a customer's page with their order number and the link to them in
Shopify's admin. A screenshot of each page is kept in each language."""

from __future__ import annotations

import os
import re
from pathlib import Path

from playwright.async_api import Page, expect

from tests.browser.conftest import ROOT, EmbeddedAdmin

# Where the screenshots go: a CI job keeps this folder as the run's artifacts.
SCREENSHOTS = (
    Path(os.environ.get("BOOMERANG_TEST_ARTIFACTS", str(ROOT / "test-artifacts"))) / "screenshots"
)


async def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


async def test_a_customer_is_found_by_name_or_email_filtered_and_opened_in_both_languages(
    admin: EmbeddedAdmin,
) -> None:
    await admin.open()
    app = admin.app
    await expect(app.get_by_role("heading", name="Overview")).to_be_visible()
    await admin.shop()  # installed by the first visit

    camille = admin.store.customer_payload(email="camille@example.test", first_name="Camille")
    noor = admin.store.customer_payload(
        email="noor@example.test", first_name="Noor", consent="not_subscribed"
    )
    for payload in (camille, noor):
        await admin.store.deliver("customers/create", payload)
    for n in range(25):
        await admin.store.deliver(
            "customers/create",
            admin.store.customer_payload(email=f"shopper{n:02}@example.test", first_name="Sam"),
        )
    order = admin.store.order_payload(camille, checkout_token=None)
    await admin.store.deliver("orders/create", order)
    await admin.work()

    # The index: 27 customers, 25 a page.
    await admin.go("Customers")
    await expect(app.get_by_role("heading", name="Customers")).to_be_visible()
    rows = app.get_by_role("row").filter(has_text="@example.test")
    await expect(rows).to_have_count(25)
    await expect(app.get_by_role("button", name="Previous page")).to_be_disabled()
    await screenshot(admin.page, "customers-index-en")
    await app.get_by_role("button", name="Next page").click()
    await expect(rows).to_have_count(2)
    await expect(app.get_by_role("button", name="Next page")).to_be_disabled()
    await app.get_by_role("button", name="Previous page").click()
    await expect(rows).to_have_count(25)

    # By name, then by part of an email; consent narrows.
    search = app.get_by_role("searchbox", name="Search customers")
    await search.fill("camille")
    await expect(rows).to_have_count(1)
    await search.fill("noor@exa")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("Not subscribed")
    await search.fill("")
    await app.get_by_role("combobox", name="Email marketing").select_option("false")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("noor@example.test")
    await app.get_by_role("combobox", name="Email marketing").select_option("")
    await search.fill("camille")
    await expect(rows).to_have_count(1)
    await screenshot(admin.page, "customers-search-en")

    # Her page: email, order number, the way to her in Shopify's admin.
    await rows.first.get_by_role("link", name=re.compile("^Camille")).click()
    await expect(app.get_by_role("heading", name=re.compile("^Camille"))).to_be_visible()
    about = app.get_by_role("region", name="Customer", exact=True)
    await expect(about).to_contain_text("camille@example.test")
    in_shopify = app.get_by_role("link", name="Open this customer in Shopify")
    await expect(in_shopify).to_have_attribute("href", f"shopify://admin/customers/{camille['id']}")
    await expect(in_shopify).to_have_attribute("target", "_top")
    orders = app.get_by_role("region", name="Orders")
    await expect(orders.get_by_role("link", name=order["name"])).to_have_attribute(
        "href", f"shopify://admin/orders/{order['id']}"
    )
    await expect(app.get_by_role("region", name="Timeline")).to_be_visible()
    await screenshot(admin.page, "customer-page-en")
    # The link opens her page in Shopify's admin (the simulated one), out of the app's frame.
    await in_shopify.click()
    await expect(admin.page.get_by_role("heading", name=re.compile("^Camille"))).to_be_visible()
    await expect(admin.page.get_by_text("camille@example.test")).to_be_visible()
    assert admin.page.url.endswith(f"/store/acme/customers/{camille['id']}")

    # The same in French.
    await admin.open(locale="fr")
    await expect(app.get_by_role("heading", name="Vue d'ensemble")).to_be_visible()
    await admin.go("Clients")
    await expect(app.get_by_role("heading", name="Clients")).to_be_visible()
    await expect(rows).to_have_count(25)
    await expect(app.get_by_role("button", name="Page suivante")).to_be_enabled()
    await screenshot(admin.page, "customers-index-fr")
    await app.get_by_role("searchbox", name="Rechercher des clients").fill("noor")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("Non abonné")
    await screenshot(admin.page, "customers-search-fr")
    await rows.first.get_by_role("link", name=re.compile("^Noor")).click()
    await expect(app.get_by_role("link", name="Ouvrir ce client dans Shopify")).to_be_visible()
    await expect(app.get_by_text("Aucune commande pour l'instant.")).to_be_visible()
    await screenshot(admin.page, "customer-page-fr")
