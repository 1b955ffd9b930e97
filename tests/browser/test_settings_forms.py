"""The settings forms speak the merchant's language, in Chromium: every mistake shown at once
next to its field and never in the API's words, risky but valid values pointed out without
blocking, a step that is off not compared with the others, and quiet hours switched off."""

from __future__ import annotations

from playwright.async_api import expect

from tests.browser.conftest import EmbeddedAdmin
from tests.browser.test_customers_admin import screenshot


async def test_every_mistake_at_once_in_the_merchants_words_then_saved(
    admin: EmbeddedAdmin,
) -> None:
    await admin.open()
    app = admin.app
    await expect(app.get_by_role("heading", name="Overview")).to_be_visible()
    await (
        app.get_by_role("region", name="Abandoned cart")
        .get_by_role("link", name="Settings", exact=True)
        .click()
    )
    step1 = app.get_by_role("region", name="Step 1")
    step2 = app.get_by_role("region", name="Step 2")
    # The first reminder after 10 minutes, the second after 5 with a discount of "abc".
    await step1.get_by_role("combobox", name="Unit").select_option("minutes")
    await step1.get_by_role("spinbutton", name="Delay").fill("10")
    await step2.get_by_role("combobox", name="Unit").select_option("minutes")
    await step2.get_by_role("spinbutton", name="Delay").fill("5")
    await step2.get_by_role("textbox", name="Value").fill("abc")
    await app.get_by_role("button", name="Save settings").click()

    await expect(app.get_by_text("Some settings need your attention.")).to_be_visible()
    await expect(step2).to_contain_text("This step must come after step 1 (sent 10 minutes after")
    await expect(step2).to_contain_text("Enter a number, for example 10 or 12.50.")
    # A warning, not a refusal: the first reminder under 30 minutes.
    await expect(step1).to_contain_text("Under 30 minutes, many shoppers are still paying")
    # No API vocabulary anywhere on the page (shadow roots included).
    await expect(app.get_by_text("delay_seconds")).to_have_count(0)
    await expect(app.get_by_text("sent as a string")).to_have_count(0)
    await screenshot(admin.page, "settings-errors-en")
    saved = await admin.store.client.get(
        "/api/scenarios/abandoned_cart", headers=admin.store.headers
    )
    assert saved.json()["steps"][0]["delay_seconds"] == 3600  # nothing was sent

    # A 100 % discount is only warned about; the second step off, its delay is no longer
    # compared (nor its discount warned about: it will not be sent).
    await step2.get_by_role("textbox", name="Value").fill("100")
    await expect(step2).to_contain_text("A 100 % discount makes the whole order free.")
    await step2.get_by_role("checkbox", name="Send this step").uncheck()
    await expect(step2).not_to_contain_text("A 100 % discount")
    await app.get_by_role("button", name="Save settings").click()
    await expect(admin.page.locator("#toasts")).to_contain_text("Settings saved")
    steps = (
        await admin.store.client.get("/api/scenarios/abandoned_cart", headers=admin.store.headers)
    ).json()["steps"]
    assert [(s["enabled"], s["delay_seconds"]) for s in steps[:2]] == [(True, 600), (False, 300)]
    assert steps[1]["discount"]["value"] == "100"

    # Delivery: quiet hours switched off; a daily cap above the weekly one is pointed out.
    await admin.go("Settings")
    await app.get_by_role("link", name="Delivery settings").click()
    await app.get_by_role("switch", name="Hold emails during quiet hours").uncheck()
    await expect(app.get_by_role("textbox", name="Quiet hours start")).to_be_disabled()
    await app.get_by_role("textbox", name="Marketing emails per customer per 24 hours").fill("5")
    await expect(app.get_by_text("The daily cap (5) is above the weekly cap (3)")).to_be_visible()
    await app.get_by_role("button", name="Save delivery settings").click()
    await expect(admin.page.locator("#toasts")).to_contain_text("Delivery settings saved")
    policy = (
        await admin.store.client.get("/api/messaging/settings", headers=admin.store.headers)
    ).json()
    assert (policy["quiet_hours_enabled"], policy["max_per_day"]) == (False, 5)
    assert (policy["quiet_start"], policy["quiet_end"]) == ("21:00:00", "08:00:00")  # kept

    # In French, the same mistake in French words.
    await admin.open(locale="fr")
    await (
        app.get_by_role("region", name="Panier abandonné")
        .get_by_role("link", name="Réglages", exact=True)
        .click()
    )
    await (
        app.get_by_role("region", name="Étape 1").get_by_role("spinbutton", name="Délai").fill("0")
    )
    await app.get_by_role("button", name="Enregistrer les réglages").click()
    await expect(app.get_by_role("region", name="Étape 1")).to_contain_text(
        "Saisissez un délai d'au moins 1 seconde."
    )
    await screenshot(admin.page, "settings-errors-fr")
