"""A new merchant's first run, in English and in French: a fresh install runs nothing; the
setup guide takes them through the sender (an unverified domain refused, a verified one
kept), a preview on a real customer, a test email, and the cart reminder turned on in
approval mode; one reminder approved reaches the SMTP server from the shop's sender with the
shop's postal address. The global pause shows on every page. A screenshot of each page is
kept (tests/browser/artifacts.py)."""

from __future__ import annotations

import html
from email.message import EmailMessage

import pytest
from playwright.async_api import expect

from app.settings import Settings
from tests.browser.artifacts import keep_screenshot
from tests.browser.conftest import EmbeddedAdmin
from tests.support.sending import send_at_any_hour

# What the merchant reads, in each language.
WORDS: dict[str, dict[str, str]] = {
    "en": {
        "overview": "Overview",
        "guide": "Set up Boomerang",
        "progress": "{done} of {total} steps done",
        "sender_step": "Check who your emails come from",
        "review_sender": "Review the sender",
        "sender_name": "Sender name",
        "reply_to": "Reply-to address",
        "address": "Sender address",
        "colour": "Brand colour",
        "save_sender": "Save sender",
        "sender_saved": "Sender saved",
        "unverified": "elsewhere.test is not a domain verified for sending",
        "spf": "SPF lists the servers allowed to send for the domain",
        "open_cart": "Open the cart reminder",
        "find": "Find a customer",
        "preview_for": "Preview with customer",
        "preview": "Preview",
        "preview_frame": "Email preview",
        "send_test": "Send a test to me",
        "test_sent": "Test email sent",
        "choose_mode": "Choose the cart reminder's mode",
        "approval": "Approval",
        "step1": "Step 1",
        "unit": "Unit",
        "delay": "Delay",
        "save_settings": "Save settings",
        "saved": "Settings saved",
        "approvals": "Approvals",
        "approve": "Approve",
        "approved": "Message approved",
        "complete": "You are set up: your first scenario is on.",
        "dismiss": "Dismiss the guide",
        "show": "Show the setup guide",
        "discounts": "The Boomerang discounts in your Shopify admin",
        "messages": "Messages",
        "paused": "All sending is paused",
        "test_prefix": "[Test]",
        "unsaved": "Unsaved changes",
        "bar_save": "Save",
        "leave_title": "Leave page with unsaved changes?",
        "stay": "Stay",
        "sender_heading": "Sender",
        "turn_on_title": "Turn on Abandoned cart?",
        "turn_on_body": "each email waits in Approvals until you approve it",
        "turn_on": "Turn on",
    },
    "fr": {
        "overview": "Vue d'ensemble",
        "guide": "Configurer Boomerang",
        "progress": "{done} étapes sur {total} terminées",
        "sender_step": "Vérifier l'expéditeur de vos e-mails",
        "review_sender": "Vérifier l'expéditeur",
        "sender_name": "Nom de l'expéditeur",
        "reply_to": "Adresse de réponse",
        "address": "Adresse d'expédition",
        "colour": "Couleur de marque",
        "save_sender": "Enregistrer l'expéditeur",
        "sender_saved": "Expéditeur enregistré",
        "unverified": "elsewhere.test n'est pas un domaine vérifié pour l'envoi",
        "spf": "SPF liste les serveurs autorisés à envoyer pour le domaine",
        "open_cart": "Ouvrir la relance de panier",
        "find": "Trouver un client",
        "preview_for": "Aperçu avec le client",
        "preview": "Aperçu",
        "preview_frame": "Aperçu de l'e-mail",
        "send_test": "M'envoyer un test",
        "test_sent": "E-mail de test envoyé",
        "choose_mode": "Choisir le mode de la relance de panier",
        "approval": "Validation",
        "step1": "Étape 1",
        "unit": "Unité",
        "delay": "Délai",
        "save_settings": "Enregistrer les réglages",
        "saved": "Réglages enregistrés",
        "approvals": "Validations",
        "approve": "Valider",
        "approved": "Message validé",
        "complete": "Configuration terminée : votre premier scénario est actif.",
        "dismiss": "Masquer le guide",
        "show": "Afficher le guide de configuration",
        "discounts": "Les réductions Boomerang dans votre administration Shopify",
        "messages": "Messages",
        "paused": "Tous les envois sont en pause",
        "test_prefix": "[Essai]",
        "unsaved": "Modifications non enregistrées",
        "bar_save": "Enregistrer",
        "leave_title": "Quitter la page sans enregistrer les modifications ?",
        "stay": "Rester",
        "sender_heading": "Expéditeur",
        "turn_on_title": "Activer Panier abandonné ?",
        "turn_on_body": "chaque e-mail attend dans Validations que vous le validiez",
        "turn_on": "Activer",
    },
}
# The simulator's dev store sells in euros: its address (Shop.shopAddress) is in Paris.
POSTAL = "Acme, 12 rue des Lilas, 75011 Paris, France"
SENDER = "Maison Acme <news@acme-shop.test>"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # The operator verified acme-shop.test for the relay (SPF, DKIM, DMARC).
    return settings.model_copy(update={"sender_domains": "acme-shop.test"})


def _bodies(email: EmailMessage) -> tuple[str, str]:
    text, body = email.get_body(("plain",)), email.get_body(("html",))
    assert text is not None
    assert body is not None
    return text.get_content(), html.unescape(body.get_content())


@pytest.mark.parametrize("locale", ["en", "fr"])
async def test_a_new_merchant_goes_from_install_to_an_approved_reminder(
    admin: EmbeddedAdmin, locale: str
) -> None:
    w = WORDS[locale]
    page, app = admin.page, admin.app
    toasts = page.locator("#toasts")

    async def shot(name: str) -> None:
        await keep_screenshot(page, "onboarding", locale, name)

    await admin.open(locale=locale)
    await expect(app.get_by_role("heading", name=w["overview"])).to_be_visible()
    shop = await admin.shop()  # the first visit installed the shop (token exchange)
    await admin.send_at_any_hour()

    # A fresh install: nothing is on, the guide is at its start and explains the discounts.
    guide = app.get_by_role("region", name=w["guide"])
    await expect(guide).to_contain_text(w["progress"].format(done=0, total=4))
    await expect(guide.get_by_role("heading", name=w["discounts"])).to_be_visible()
    cards = await admin.store.client.get("/api/scenarios", headers=admin.store.headers)
    assert {card["settings"]["mode"] for card in cards.json()} == {"paused"}
    await shot("01-guide")

    # 1. The sender: an unverified domain is refused next to its field, a verified one kept.
    await guide.get_by_role("link", name=w["review_sender"]).click()
    await expect(app.get_by_text(w["spf"])).to_be_visible()
    await expect(app.get_by_text("12 rue des Lilas")).to_be_visible()  # read from Shopify
    await app.get_by_role("textbox", name=w["sender_name"]).fill("Maison Acme")
    await app.get_by_role("textbox", name=w["reply_to"]).fill("hello@acme-shop.test")
    address = app.get_by_role("textbox", name=w["address"])
    await address.fill("news@elsewhere.test")
    await app.get_by_role("textbox", name=w["colour"]).fill("#0b7a75")
    await app.get_by_role("button", name=w["save_sender"]).click()
    await expect(app.get_by_text(w["unverified"])).to_be_visible()
    await expect(address).to_have_attribute("aria-invalid", "true")
    # Unsaved changes: the admin's save bar shows, and leaving asks first.
    save_bar = page.get_by_role("region", name=w["unsaved"])
    await expect(save_bar).to_be_visible()
    await shot("02-sender-refused")
    await admin.go_home()
    leave = page.get_by_role("dialog", name=w["leave_title"])
    await expect(leave).to_be_visible()
    await leave.get_by_role("button", name=w["stay"]).click()
    await expect(app.get_by_role("heading", name=w["sender_heading"])).to_be_visible()
    await address.fill("news@acme-shop.test")
    await save_bar.get_by_role("button", name=w["bar_save"]).click()
    await expect(toasts).to_contain_text(w["sender_saved"])
    await expect(save_bar).to_be_hidden()
    await expect(app.get_by_text(SENDER)).to_be_visible()
    await shot("03-sender-saved")

    # 2. A preview on a real customer.
    customer = admin.store.customer_payload(email="camille@example.test", first_name="Camille")
    await admin.store.deliver("customers/create", customer)
    await admin.work()
    await admin.go_home()
    await expect(guide).to_contain_text(w["progress"].format(done=1, total=4))
    await guide.get_by_role("link", name=w["open_cart"]).click()
    await app.get_by_role("textbox", name=w["find"]).fill("camille")
    picker = app.get_by_role("combobox", name=w["preview_for"])
    option = picker.locator("option", has_text="camille@example.test")
    await expect(option).to_be_attached()
    await picker.select_option(value=await option.get_attribute("value"))
    await app.get_by_role("button", name=w["preview"], exact=True).click()
    preview = app.frame_locator(f'iframe[title^="{w["preview_frame"]}"]')
    await expect(preview.get_by_text("12 rue des Lilas", exact=False)).to_be_visible()
    await shot("04-preview")

    # 3. A test to the shop's own address, from the shop's sender.
    await app.get_by_role("button", name=w["send_test"]).click()
    await expect(toasts).to_contain_text(w["test_sent"])
    test_email = admin.inbox.messages[0]
    assert test_email["Subject"].startswith(w["test_prefix"])
    assert test_email["From"] == SENDER
    assert test_email["Reply-To"] == "hello@acme-shop.test"

    # 4. Turned on in approval mode, its first reminder a second after the cart.
    await admin.go_home()
    await expect(guide).to_contain_text(w["progress"].format(done=3, total=4))
    await shot("05-guide-three-done")
    await guide.get_by_role("link", name=w["choose_mode"]).click()
    await app.get_by_role("radio", name=w["approval"]).check()
    step1 = app.get_by_role("region", name=w["step1"])
    await step1.get_by_role("combobox", name=w["unit"]).select_option("seconds")
    await step1.get_by_role("spinbutton", name=w["delay"]).fill("1")
    await app.get_by_role("button", name=w["save_settings"]).click()
    # Turning it on is confirmed in the admin's modal (App Bridge's ui-modal).
    confirm = page.get_by_role("dialog", name=w["turn_on_title"])
    await expect(confirm).to_contain_text(w["turn_on_body"])
    await shot("06-turn-on-confirmation")
    await confirm.get_by_role("button", name=w["turn_on"], exact=True).click()
    await expect(toasts).to_contain_text(w["saved"])
    await shot("07-approval-mode")
    await admin.go_home()
    await expect(guide).to_contain_text(w["complete"])
    await expect(guide).to_contain_text(w["progress"].format(done=4, total=4))

    # One reminder, held for approval, approved, at the SMTP server.
    await admin.store.deliver("checkouts/create", admin.store.checkout_payload(customer))
    await admin.work()
    assert len(admin.inbox.messages) == 1  # the test only: the reminder waits
    await admin.go(w["approvals"])
    card = app.get_by_role("region").filter(has_text="camille@example.test")
    await expect(card).to_be_visible()
    await shot("08-approvals")
    await card.get_by_role("button", name=w["approve"]).click()
    await expect(toasts).to_contain_text(w["approved"])
    await admin.work()
    reminder = admin.inbox.messages[1]
    assert reminder["To"] == "camille@example.test"
    assert reminder["From"] == SENDER
    assert reminder["Reply-To"] == "hello@acme-shop.test"
    text, body = _bodies(reminder)
    assert POSTAL in text
    assert POSTAL in body
    assert "#0b7a75" in body

    # Done: the guide can be put away, and brought back.
    await admin.go_home()
    await app.get_by_role("button", name=w["dismiss"]).click()
    await expect(guide).to_have_count(0)
    await expect(app.get_by_role("button", name=w["show"])).to_be_visible()
    await shot("09-guide-dismissed")

    # The global pause shows on every page.
    async with admin.sessions.begin() as session:
        await send_at_any_hour(session, shop.id, paused=True)
    await admin.go(w["messages"])
    await expect(app.get_by_text(w["paused"])).to_be_visible()
    await shot("10-paused-banner")
    await admin.go_home()
    await expect(app.get_by_text(w["paused"])).to_be_visible()
