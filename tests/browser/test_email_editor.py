"""The merchant's email editors in Chromium: the template editor's simple form (a heading
changed, seen in the desktop and mobile previews with the shop's code prefix, saved, reset to
default) and the approval queue's edit form (a held reminder rewritten, previewed, approved,
and received as rewritten at the SMTP server)."""

from __future__ import annotations

from playwright.async_api import expect

from tests.browser.conftest import EmbeddedAdmin
from tests.browser.test_customers_admin import screenshot


async def test_the_template_editor_changes_a_heading_previews_saves_and_resets(
    admin: EmbeddedAdmin,
) -> None:
    await admin.open()
    app = admin.app
    await expect(app.get_by_role("heading", name="Overview")).to_be_visible()
    await admin.store.configure(code_prefix="ACME")
    await (
        app.get_by_role("region", name="Abandoned cart")
        .get_by_role("link", name="Email templates")
        .click()
    )
    heading = app.get_by_role("textbox", name="Heading")
    await expect(heading).to_have_value("Your cart is waiting")
    await expect(app.get_by_text("Boomerang's default wording.")).to_be_visible()
    # The Jinja template waits under "Advanced", folded.
    await expect(app.get_by_role("textbox", name="HTML body")).to_be_hidden()

    await heading.fill("Back in one click")
    desktop = app.frame_locator("iframe[title^='Email preview']")
    mobile = app.frame_locator("iframe[title^='Mobile preview']")
    await expect(desktop.get_by_role("heading", name="Back in one click")).to_be_visible()
    await expect(mobile.get_by_role("heading", name="Back in one click")).to_be_visible()
    # The sample code is made with the cart's own prefix.
    await expect(desktop.get_by_text("ACME-SAMPLE42")).to_be_visible()
    widths = [
        await app.locator(f"iframe[title^='{name}']").evaluate("e => e.clientWidth")
        for name in ("Email preview", "Mobile preview")
    ]
    assert widths[0] >= 590, widths
    assert 365 <= widths[1] <= 380, widths
    await screenshot(admin.page, "template-editor-en")

    await app.get_by_role("button", name="Save", exact=True).click()
    await expect(admin.page.locator("#toasts")).to_contain_text("Template saved")
    await expect(app.get_by_text("Your version, made with the fields below.")).to_be_visible()
    saved = await admin.store.client.get(
        "/api/templates/abandoned_cart/1/en", headers=admin.store.headers
    )
    assert saved.json()["mode"] == "structured"
    assert saved.json()["fields"]["heading"] == "Back in one click"

    await app.get_by_role("button", name="Reset to default").click()
    await expect(admin.page.locator("#toasts")).to_contain_text("Template reset")
    await expect(heading).to_have_value("Your cart is waiting")
    await expect(desktop.get_by_role("heading", name="Your cart is waiting")).to_be_visible()

    # At 400 px the previews narrow to the page: nothing overflows sideways.
    await admin.page.set_viewport_size({"width": 400, "height": 900})
    await expect(mobile.get_by_role("heading", name="Your cart is waiting")).to_be_visible()
    document = app.locator("html")
    overflow = await document.evaluate("e => e.scrollWidth - e.clientWidth")
    assert overflow <= 0, f"the editor is {overflow} px wider than a 400 px screen"
    await screenshot(admin.page, "template-editor-400px-en")

    # Once the shop has a customer, the preview opens on a real one.
    await admin.page.set_viewport_size({"width": 1280, "height": 720})
    customer = admin.store.customer_payload(email="lea@example.test", first_name="Léa")
    await admin.store.deliver("customers/create", customer)
    await admin.work()
    await admin.go_home()
    await (
        app.get_by_role("region", name="Abandoned cart")
        .get_by_role("link", name="Email templates")
        .click()
    )
    picker = app.get_by_role("combobox", name="Preview with customer")
    await expect(picker.locator("option:checked")).to_contain_text("lea@example.test")
    await expect(desktop.get_by_text("Hi Léa,")).to_be_visible()


async def test_a_held_reminder_is_rewritten_in_the_approval_form_and_sent_as_rewritten(
    admin: EmbeddedAdmin,
) -> None:
    await admin.open(locale="fr")
    app = admin.app
    await expect(app.get_by_role("heading", name="Vue d'ensemble")).to_be_visible()
    await admin.store.configure(
        mode="approval", steps=[{"delay_seconds": 1}, {"enabled": False}, {"enabled": False}]
    )
    # (Without it the approved reminder was held until morning in a run at 21:49 UTC.)
    await admin.send_at_any_hour()
    customer = admin.store.customer_payload(email="ada@example.test", first_name="Ada")
    await admin.store.deliver("customers/create", customer)
    await admin.work()
    await admin.store.deliver("checkouts/create", admin.store.checkout_payload(customer))
    await admin.work()
    assert admin.inbox.messages == []

    await admin.go("Validations")
    card = app.get_by_role("region").filter(has_text="ada@example.test")
    await card.get_by_role("button", name="Modifier").click()
    form = app.get_by_role("region", name="Modifier cet e-mail")
    heading = form.get_by_role("textbox", name="Titre", exact=True)
    await expect(heading).to_have_value("Your cart is waiting")
    await expect(form.get_by_role("textbox", name="Texte", exact=True)).to_have_value(
        "Hi Ada,\n\nYour cart at Acme is saved for you."
    )
    # The raw HTML only under "Avancé".
    await expect(form.get_by_role("textbox", name="Corps HTML")).to_be_hidden()

    await form.get_by_role("textbox", name="Objet", exact=True).fill("Un mot de la part d'Acme")
    await heading.fill("Nous avons gardé votre panier")
    await form.get_by_role("textbox", name="Libellé du bouton").fill("Finaliser ma commande")
    preview = form.frame_locator('iframe[title^="Aperçu de l\'e-mail"]')
    await expect(
        preview.get_by_role("heading", name="Nous avons gardé votre panier")
    ).to_be_visible()
    await expect(preview.get_by_role("link", name="Finaliser ma commande")).to_be_visible()
    await screenshot(admin.page, "approval-edit-fr")
    await form.get_by_role("button", name="Enregistrer les modifications").click()
    await expect(admin.page.locator("#toasts")).to_contain_text("E-mail modifié")

    await card.get_by_role("button", name="Valider", exact=True).click()
    await expect(admin.page.locator("#toasts")).to_contain_text("validé")
    await admin.work()
    (sent,) = admin.inbox.messages
    assert sent["Subject"] == "Un mot de la part d'Acme"
    assert sent["To"] == "ada@example.test"
    html = sent.get_body(("html",))
    assert html is not None
    body = html.get_content()
    assert "Nous avons gardé votre panier</h1>" in body
    assert "Finaliser ma commande</a>" in body
    assert sent["List-Unsubscribe"]
