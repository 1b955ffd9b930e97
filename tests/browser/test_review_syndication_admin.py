"""The merchant turns on review syndication from the embedded admin, in Chromium, in French:
the option is off by default and says Shopify must approve it; saving it on first asks the
merchant for the optional metaobject scopes (App Bridge's Scopes API); for an app Shopify has
not approved, saving shows Shopify's refusal in French and the box goes back to off (nothing
stored); once the app is approved, the same save enables the definition at Shopify."""

from __future__ import annotations

from playwright.async_api import expect

from tests.browser.conftest import SHOP, EmbeddedAdmin

OPTION = "Envoyer aussi les avis publiés au métaobjet d'avis produit de Shopify"


async def test_syndication_refused_without_shopifys_approval_then_turned_on(
    admin: EmbeddedAdmin,
) -> None:
    await admin.open(locale="fr")
    app = admin.app
    await app.get_by_role("link", name="Avis", exact=True).click()
    option = app.get_by_role("checkbox", name=OPTION)
    await expect(option).not_to_be_checked()
    await expect(
        app.get_by_text("Désactivé par défaut. Shopify ne l'autorise").first
    ).to_be_visible()

    await option.check()
    await app.get_by_role("button", name="Enregistrer", exact=True).click()
    await expect(admin.page.locator("#toasts")).to_contain_text(
        "Shopify a refusé d'activer son métaobjet d'avis produit"
    )
    await expect(option).not_to_be_checked()
    # The permission request was accepted before the save.
    granted = admin.sim.shop(SHOP).granted_optional_scopes
    assert {"write_metaobject_definitions", "write_metaobjects"} <= granted
    url = "/api/reviews/settings"
    stored = await admin.store.client.get(url, headers=admin.store.headers)
    assert stored.json()["syndicate_to_shopify"] is False

    admin.sim.config.product_review_syndication_approved = True
    await option.check()
    await app.get_by_role("button", name="Enregistrer", exact=True).click()
    await expect(admin.page.locator("#toasts")).to_contain_text("Réglages enregistrés")
    stored = await admin.store.client.get(url, headers=admin.store.headers)
    assert stored.json()["syndicate_to_shopify"] is True
    assert "product_review" in admin.sim.shop(SHOP).metaobject_definitions
