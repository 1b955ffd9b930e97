"""The merchant inside the (simulated) Shopify admin: the embedded UI end to end, from the
browser through the app and its API to the database, the worker and the SMTP server."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime

from playwright.async_api import expect
from sqlalchemy import select

from app.models import Message, WebhookEvent, WebhookEventStatus
from tests.browser.conftest import SHOP, EmbeddedAdmin


async def test_approval_mode_holds_the_reminder_until_the_merchant_approves_it(
    admin: EmbeddedAdmin,
) -> None:
    await admin.open()
    app = admin.app
    await expect(app.get_by_role("heading", name="Overview")).to_be_visible()
    await admin.shop()  # the admin's first visit installed the shop (token exchange)

    # Delivery rules that let a reminder leave at any hour of the test run, and unsubscribes
    # kept to Boomerang (not written back to Shopify).
    await admin.go("Settings")
    await app.get_by_role("link", name="Delivery settings").click()
    await app.get_by_role("textbox", name="Quiet hours start").fill("00:00")
    await app.get_by_role("textbox", name="Quiet hours end").fill("00:00")
    write_back = app.get_by_role("switch", name="Also unsubscribe them in Shopify")
    await expect(write_back).to_be_checked()  # Boomerang's default
    await write_back.uncheck()
    await app.get_by_role("button", name="Save delivery settings").click()
    await expect(admin.page.locator("#toasts")).to_contain_text("Delivery settings saved")
    policy = await admin.store.client.get("/api/messaging/settings", headers=admin.store.headers)
    assert policy.json()["consent_write_back"] is False
    assert policy.json()["quiet_start"] == policy.json()["quiet_end"] == "00:00:00"

    # Approval mode, first reminder after one second.
    await admin.go_home()
    await (
        app.get_by_role("region", name="Abandoned cart")
        .get_by_role("link", name="Settings", exact=True)
        .click()
    )
    await app.get_by_role("radio", name="Approval").check()
    step1 = app.get_by_role("region", name="Step 1")
    await step1.get_by_role("combobox", name="Unit").select_option("seconds")
    await step1.get_by_role("spinbutton", name="Delay").fill("1")
    await app.get_by_role("button", name="Save settings").click()
    # A fresh install starts paused: turning the cart on asks first, in the admin's modal.
    turn_on = admin.page.get_by_role("dialog", name="Turn on Abandoned cart?")
    await expect(turn_on).to_contain_text("each email waits in Approvals")
    await turn_on.get_by_role("button", name="Turn on").click()
    await expect(admin.page.locator("#toasts")).to_contain_text("Settings saved")

    customer = admin.store.customer_payload(email="camille@example.test", first_name="Camille")
    await admin.store.deliver("customers/create", customer)
    await admin.work()  # the customer (and their consent) is known before the checkout
    await admin.store.deliver("checkouts/create", admin.store.checkout_payload(customer))
    await admin.work()
    assert admin.inbox.messages == []  # held for approval
    await admin.go("Approvals")
    card = app.get_by_role("region").filter(has_text="camille@example.test")
    await expect(card).to_be_visible()
    preview = card.locator("iframe")
    await expect(preview).to_have_attribute("sandbox", "")
    await expect(card.get_by_label("Plain-text body")).to_contain_text("Camille")
    await card.get_by_role("button", name="Approve").click()
    await expect(admin.page.locator("#toasts")).to_contain_text("Message approved")
    await expect(app.get_by_role("heading", name="Nothing to approve")).to_be_visible()

    await admin.work()
    assert [m["To"] for m in admin.inbox.messages] == ["camille@example.test"]
    async with admin.sessions.begin() as session:
        sent = (await session.scalars(select(Message))).one()
    assert sent.status == "sent"
    assert sent.approved_at is not None
    assert admin.inbox.messages[0]["Subject"] == sent.subject

    # Camille opens it a while after delivery; Apple's privacy proxy fetched it first.
    html = admin.inbox.messages[0].get_body(("html",))
    assert html is not None
    pixel = re.search(r'src="[^"]*(/t/o/[^"]+)"', html.get_content())
    assert pixel is not None
    proxy = await admin.store.client.get(pixel.group(1), headers={"User-Agent": "Mozilla/5.0"})
    assert proxy.status_code == 200
    assert sent.sent_at is not None
    await asyncio.sleep(max(0.0, 2.1 - (datetime.now(UTC) - sent.sent_at).total_seconds()))
    person = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Firefox/140.0"}
    assert (await admin.store.client.get(pixel.group(1), headers=person)).status_code == 200

    # The overview counts the person's open, the machine's apart.
    await admin.go_home()
    cart = app.get_by_role("region", name="Abandoned cart")
    await expect(cart.get_by_role("group", name="Messages sent").locator("strong")).to_have_text(
        "1"
    )
    opens = cart.get_by_role("group", name="Opens by people")
    await expect(opens.locator("strong")).to_have_text("1")
    await expect(opens).to_contain_text("1 more by machines")
    clicks = cart.get_by_role("group", name="Clicks by people")
    await expect(clicks.locator("strong")).to_have_text("0")
    await expect(clicks).to_contain_text("0 more by machines")

    # The journey says why each thing happened, in the backend's words.
    await (
        app.get_by_role("region", name="Abandoned cart")
        .get_by_role("link", name="Sequences", exact=True)
        .click()
    )
    await app.get_by_role("link", name="Timeline: camille@example.test").click()
    journey = app.get_by_role("list")
    await expect(journey.get_by_text("Reminder sequence started")).to_be_visible()
    await expect(
        journey.get_by_text("The checkout has a contact and items and was not completed")
    ).to_be_visible()
    await expect(journey.get_by_text("Reminder waiting for your approval (step 1)")).to_be_visible()
    await expect(
        journey.get_by_text("The checkout was still not completed after the step's delay")
    ).to_be_visible()
    await expect(journey.get_by_text("Email sent (step 1)")).to_be_visible()
    await expect(journey.get_by_text("Accepted by the mail server")).to_be_visible()


async def test_a_template_error_is_shown_with_its_line_and_a_fixed_one_is_tested(
    admin: EmbeddedAdmin,
) -> None:
    await admin.open(path="/")
    app = admin.app
    await (
        app.get_by_role("region", name="Abandoned cart")
        .get_by_role("link", name="Email templates")
        .click()
    )
    # The Jinja template is under "Advanced", below the simple form.
    await app.locator("summary", has_text="Advanced").click()
    html = app.get_by_role("textbox", name="HTML body")
    await expect(html).to_have_value(re.compile(r"\{\{ shop_name \}\}"))  # the default, loaded
    await html.fill("<p>Hello</p>\n<p>{% if first_name %}</p>")
    await app.get_by_role("button", name="Save template").click()
    await expect(app.get_by_text("Line 2:")).to_be_visible()
    await expect(html).to_have_attribute("aria-invalid", "true")

    await html.fill(
        '<p>Hello {{ first_name }}, <a href="{{ checkout_url }}">your cart</a> awaits</p>'
    )
    await app.get_by_role("button", name="Save template").click()
    await expect(admin.page.locator("#toasts")).to_contain_text("Template saved")
    await expect(app.get_by_role("heading", name="Your version")).to_be_visible()

    # Preview against a real customer, then a test to the shop's own address.
    customer = admin.store.customer_payload(email="ines@example.test", first_name="Inès")
    await admin.store.deliver("customers/create", customer)
    await admin.work()
    await app.get_by_role("textbox", name="Find a customer").fill("ines")
    picker = app.get_by_role("combobox", name="Preview with customer")
    option = picker.locator("option", has_text="ines@example.test")
    await expect(option).to_be_attached()
    await picker.select_option(value=await option.get_attribute("value"))
    await app.get_by_role("button", name="Preview", exact=True).click()
    preview = app.frame_locator("iframe[title^='Email preview']")
    await expect(preview.get_by_text("Hello Inès, your cart awaits")).to_be_visible()
    # Inès has no cart yet: the preview says which value is a sample, and why.
    await expect(
        app.get_by_text("checkout_url: Sample value: this customer has no cart yet.")
    ).to_be_visible()
    await app.get_by_role("button", name="Send a test to me").click()
    await expect(admin.page.locator("#toasts")).to_contain_text("Test email sent")
    assert len(admin.inbox.messages) == 1
    test_email = admin.inbox.messages[0]
    assert test_email["To"] == admin.sim.shop("acme").email
    assert test_email["Subject"].startswith("[Test]")
    html_part = test_email.get_body(("html",))
    assert html_part is not None
    assert "Hello Inès, <a" in html_part.get_content()


async def test_a_version_that_failed_on_a_shoppers_data_says_so_until_a_new_one_is_saved(
    admin: EmbeddedAdmin,
) -> None:
    await admin.open()
    app = admin.app
    await expect(app.get_by_role("heading", name="Overview")).to_be_visible()
    # A fresh install starts with every scenario off: the merchant turns the cart on.
    await admin.store.configure(mode="live", steps=[{"delay_seconds": 1}, {}, {}])
    await (
        app.get_by_role("region", name="Abandoned cart")
        .get_by_role("link", name="Email templates")
        .click()
    )
    # The Jinja template is under "Advanced", below the simple form.
    await app.locator("summary", has_text="Advanced").click()
    html = app.get_by_role("textbox", name="HTML body")
    await expect(html).to_have_value(re.compile(r"\{\{ shop_name \}\}"))
    # Fine on the sample data, which has a code; the first reminder has none.
    await html.fill("<p>Hello</p>\n<p>Code: {{ discount_code.upper() }}</p>")
    await app.get_by_role("button", name="Save template").click()
    await expect(admin.page.locator("#toasts")).to_contain_text("Template saved")

    customer = admin.store.customer_payload(email="sam@example.test", first_name="Sam")
    await admin.store.deliver("customers/create", customer)
    await admin.work()
    await admin.store.deliver("checkouts/create", admin.store.checkout_payload(customer))
    await admin.work()

    await admin.go_home()
    await (
        app.get_by_role("region", name="Abandoned cart")
        .get_by_role("link", name="Email templates")
        .click()
    )
    heading = app.get_by_text(
        re.compile(r"^This version failed on a shopper's data on .+; the default")
    )
    failure = app.locator("s-banner").filter(has_text="'discount_code' is undefined")
    await expect(heading).to_be_visible()
    await expect(failure).to_contain_text("HTML body")

    await html.fill("<p>Hello {{ first_name }}</p>")
    await app.get_by_role("button", name="Save template").click()
    await expect(admin.page.locator("#toasts")).to_contain_text("Template saved")
    await expect(failure).to_have_count(0)
    await expect(heading).to_have_count(0)


async def test_the_admin_speaks_french_and_so_do_the_api_errors(admin: EmbeddedAdmin) -> None:
    await admin.open(locale="fr")
    app = admin.app
    await expect(app.get_by_role("heading", name="Vue d'ensemble")).to_be_visible()
    cart = app.get_by_role("region", name="Panier abandonné")
    await expect(cart).to_be_visible()
    await expect(cart.get_by_text("Chiffre d'affaires récupéré")).to_be_visible()
    await expect(cart.get_by_text("0,00 €").first).to_be_visible()
    # The welcome series has its card too, off until the merchant turns it on.
    await expect(app.get_by_role("region", name="Série de bienvenue")).to_contain_text("En pause")

    # The browser checks what it can in French…
    await admin.go("Réglages")
    await app.get_by_role("link", name="Réglages d'envoi").click()
    per_day = app.get_by_role("textbox", name="E-mails marketing par client sur 24 heures")
    await per_day.fill("99")
    await app.get_by_role("button", name="Enregistrer les réglages d'envoi").click()
    await expect(app.get_by_text("Saisissez un nombre entier entre 0 et 50.")).to_be_visible()

    # …and every mistake of a scenario's settings is told at once, in French, in the
    # merchant's words (never the API's), next to its field. The refused value is unsaved:
    # leaving asks first, in the admin's words.
    await admin.go_home()
    leave = admin.page.get_by_role(
        "dialog", name="Quitter la page sans enregistrer les modifications ?"
    )
    await leave.get_by_role("button", name="Quitter la page").click()
    await (
        app.get_by_role("region", name="Panier abandonné")
        .get_by_role("link", name="Réglages", exact=True)
        .click()
    )
    await expect(app.get_by_role("radio", name="Simulation")).to_be_visible()
    await expect(
        app.get_by_text("rien n'est envoyé et aucun code promo n'est créé")
    ).to_be_visible()
    await app.get_by_role("textbox", name="Préfixe des codes promo").fill("bad prefix")
    step2 = app.get_by_role("region", name="Étape 2")
    await step2.get_by_role("textbox", name="Valeur").fill("150")
    await app.get_by_role("button", name="Enregistrer les réglages").click()
    await expect(app.get_by_text("Certains réglages demandent votre attention.")).to_be_visible()
    await expect(
        app.get_by_text("Utilisez uniquement des lettres majuscules A–Z et des chiffres 0–9")
    ).to_be_visible()
    # Shown in step 2's field (the API's steps.1.discount.value).
    await expect(step2.get_by_role("textbox", name="Valeur")).to_have_attribute(
        "aria-invalid", "true"
    )
    await expect(
        step2.get_by_text("Une remise en pourcentage est comprise entre 1 et 100.")
    ).to_be_visible()

    # Why a sequence stopped, in the backend's French labels: the overview and the
    # sequences list (from the label catalog), the journey (from each entry's labels).
    # A fresh install starts with every scenario off: the merchant turns the cart on.
    await admin.store.configure(mode="live")
    customer = admin.store.customer_payload(email="jules@example.test", first_name="Jules")
    await admin.store.deliver("customers/create", customer)
    await admin.work()
    checkout = admin.store.checkout_payload(customer)
    await admin.store.deliver("checkouts/create", checkout)
    await admin.work()  # started; its first reminder is an hour away
    order = admin.store.order_payload(customer, checkout_token=checkout["token"])
    await admin.store.deliver("orders/create", order)
    await admin.work()
    await admin.go_home()
    await leave.get_by_role("button", name="Quitter la page").click()  # the refused settings
    await expect(app.get_by_role("region", name="Panier abandonné")).to_contain_text(
        "Une commande a été passée pour ce paiement : 1"
    )
    await (
        app.get_by_role("region", name="Panier abandonné")
        .get_by_role("link", name="Séquences", exact=True)
        .click()
    )
    row = app.get_by_role("row").filter(has_text="jules@example.test")
    # Ordered before any reminder left: a purchase, not a stop (and not recovered by us).
    await expect(row).to_contain_text("A commandé")
    await expect(row).to_contain_text("Une commande a été passée pour ce paiement")
    await row.get_by_role("link", name="Parcours : jules@example.test").click()
    journey = app.get_by_role("list")
    await expect(journey.get_by_text("Séquence de relance démarrée")).to_be_visible()
    await expect(
        journey.get_by_text("Le paiement a un contact et des articles et n'a pas été finalisé")
    ).to_be_visible()
    await expect(
        journey.get_by_text("Le client a commandé : fin de la séquence (étape 1)")
    ).to_be_visible()
    await expect(journey.get_by_text("Une commande a été passée pour ce paiement")).to_be_visible()


async def test_the_welcome_series_is_turned_on_and_shown_like_the_cart(
    admin: EmbeddedAdmin,
) -> None:
    await admin.open()
    app = admin.app
    welcome = app.get_by_role("region", name="Welcome series")
    await expect(welcome).to_contain_text("Paused")
    await welcome.get_by_role("link", name="Settings", exact=True).click()
    await expect(app.get_by_text("Counted from the sign-up").first).to_be_visible()
    # Steps are named as the scenario names them; the best-sellers count is the merchant's.
    await expect(app.get_by_role("region", name="Step 2 · Best-sellers")).to_be_visible()
    await app.get_by_role("spinbutton", name="Best-sellers shown in step 2").fill("6")
    await app.get_by_role("radio", name="Live").check()
    await app.get_by_role("button", name="Save settings").click()
    await admin.page.get_by_role("dialog").get_by_role("button", name="Turn on").click()
    await expect(admin.page.locator("#toasts")).to_contain_text("Settings saved")
    saved = await admin.store.client.get("/api/scenarios/welcome", headers=admin.store.headers)
    assert saved.json()["best_sellers_count"] == 6
    await admin.send_at_any_hour()

    customer = admin.store.customer_payload(email="wren@example.test", first_name="Wren")
    await admin.store.deliver("customers/create", customer)
    await admin.work()  # step 1 goes at once; step 2 is two days away
    assert [m["Subject"] for m in admin.inbox.messages] == ["Welcome to Acme"]

    await admin.go_home()
    sent = welcome.get_by_role("group", name="Messages sent").locator("strong")
    await expect(sent).to_have_text("1")
    await welcome.get_by_role("link", name="Sequences", exact=True).click()
    await app.get_by_role("link", name="Timeline: wren@example.test").click()
    journey = app.get_by_role("list")
    await expect(journey.get_by_text("Welcome series started")).to_be_visible()
    await expect(
        journey.get_by_text("A new customer signed up with marketing consent")
    ).to_be_visible()
    await expect(journey.get_by_text("Email sent (step 1)")).to_be_visible()


async def test_dry_run_drafts_are_visible_with_their_reason_and_nothing_is_sent(
    admin: EmbeddedAdmin,
) -> None:
    await admin.open()
    app = admin.app
    await expect(app.get_by_role("heading", name="Overview")).to_be_visible()
    await admin.store.configure(mode="dry_run", steps=[{"delay_seconds": 1}, {}, {}])
    customer = admin.store.customer_payload(email="noor@example.test", first_name="Noor")
    await admin.store.deliver("customers/create", customer)
    await admin.work()  # the customer (and their consent) is known before the checkout
    await admin.store.deliver("checkouts/create", admin.store.checkout_payload(customer))
    await admin.work()
    assert admin.inbox.messages == []

    await admin.go("Messages")
    await app.get_by_role("combobox", name="Status").select_option(label="Draft (dry run)")
    row = app.get_by_role("row").filter(has_text="noor@example.test")
    await expect(row).to_contain_text("Dry run: computed and shown, never sent")
    await row.get_by_role("button", name="Show").click()
    await expect(app.get_by_label("Plain-text body")).to_contain_text("Noor")
    await admin.go_home()
    await expect(app.get_by_role("region", name="Abandoned cart")).to_contain_text("Dry run")


async def test_failed_webhooks_replay_and_data_request_exports_are_shown(
    admin: EmbeddedAdmin,
) -> None:
    await admin.open()
    app = admin.app
    await expect(app.get_by_role("heading", name="Overview")).to_be_visible()
    shop = await admin.shop()
    customer = admin.store.customer_payload(email="lea@example.test", first_name="Léa")
    await admin.store.deliver("customers/create", customer)
    await admin.work()  # the customer is stored before the request names them
    await admin.sim.request_customer_data(SHOP, customer["id"])
    await admin.work()
    async with admin.sessions.begin() as session:
        failed = WebhookEvent(
            shop_id=shop.id,
            topic="orders/create",
            webhook_id="failed-delivery-1",
            status=WebhookEventStatus.FAILED,
            attempts=5,
            last_error="ValueError: no line items",
            body="{}",
        )
        session.add(failed)
    # Under Settings → Advanced, in the merchant's words.
    await admin.go("Settings")
    await app.get_by_role("link", name="Advanced", exact=True).click()
    failures = app.get_by_role("region", name="Store updates Boomerang couldn't process")
    row = failures.get_by_role("row").filter(has_text="ValueError: no line items")
    await expect(row).to_contain_text("New order")
    await row.get_by_role("button", name=re.compile("^Try again: New order")).click()
    await expect(admin.page.locator("#toasts")).to_contain_text(
        "Boomerang will process this update again"
    )
    async with admin.sessions.begin() as session:
        replayed = await session.get(WebhookEvent, failed.id)
        assert replayed is not None
        assert replayed.status != WebhookEventStatus.FAILED

    requests = app.get_by_role("region", name="Customer data requests")
    request = requests.get_by_role("region", name="Customer lea@example.test")
    await request.get_by_role("button", name="View export").click()
    await expect(request.get_by_label("View export")).to_contain_text("lea@example.test")
    async with admin.page.expect_download() as download:
        await request.get_by_role("button", name="Download JSON").click()
    saved = await (await download.value).path()
    assert "lea@example.test" in saved.read_text()


async def test_win_back_has_its_card_and_its_lapse_settings(admin: EmbeddedAdmin) -> None:
    await admin.open(locale="fr")
    app = admin.app
    card = app.get_by_role("region", name="Reconquête")
    await expect(card).to_be_visible()
    await card.get_by_role("link", name="Réglages", exact=True).click()

    lapsed = app.get_by_role("spinbutton", name="Inactif après (jours sans commande)")
    await expect(lapsed).to_have_value("90")
    await expect(app.get_by_role("textbox", name="Multiplicateur du rythme")).to_have_value("2")
    await expect(
        app.get_by_role("spinbutton", name="Commandes nécessaires pour un rythme")
    ).to_have_value("3")
    floor = app.get_by_role("spinbutton", name="Jamais inactif avant (jours)")
    await expect(floor).to_have_value("14")
    cooldown = app.get_by_role("spinbutton", name="Jours entre deux reconquêtes")
    await expect(cooldown).to_have_value("180")

    # The API refuses what the form let through, in French and in the merchant's words, next
    # to the field.
    await app.get_by_role("textbox", name="Multiplicateur du rythme").fill("0.5")
    await lapsed.fill("60")
    await app.get_by_role("button", name="Enregistrer les réglages").click()
    await expect(app.get_by_text("Saisissez 1 ou plus.")).to_be_visible()
    settings = await admin.store.client.get("/api/scenarios/winback", headers=admin.store.headers)
    assert settings.json()["lapsed_after_days"] == 90  # nothing saved

    await app.get_by_role("textbox", name="Multiplicateur du rythme").fill("1.5")
    await floor.fill("21")
    await app.get_by_role("button", name="Enregistrer les réglages").click()
    await expect(admin.page.locator("#toasts")).to_contain_text("Réglages enregistrés")
    settings = await admin.store.client.get("/api/scenarios/winback", headers=admin.store.headers)
    assert (settings.json()["lapsed_after_days"], settings.json()["median_multiplier"]) == (
        60,
        "1.5",
    )
    assert settings.json()["min_lapse_days"] == 21


async def test_the_results_dashboard_shows_cards_charts_and_their_tables(
    admin: EmbeddedAdmin,
) -> None:
    from app.kpis.jobs import roll_up
    from tests.support.kpi_rows import Rows

    await admin.open()
    app = admin.app
    await expect(app.get_by_role("heading", name="Overview")).to_be_visible()
    shop = await admin.shop()
    rows = Rows(admin.sessions, shop.id)
    now = datetime.now(UTC).replace(microsecond=0)
    customer = await rows.customer("results@example.test")
    await rows.run("welcome", "customer:r", customer_id=customer, started_at=now)
    message = await rows.message(
        "welcome", "customer:r", 1, customer_id=customer, requested_at=now, sent_at=now
    )
    await rows.event(message, "click", now)
    await rows.order(customer_id=customer, placed_at=now, total="42.00")
    await roll_up(admin.sessions)

    await admin.go("Results")
    earned = app.get_by_role("region", name="What each automation earned")
    await expect(earned.get_by_role("group", name="Revenue attributed").first).to_be_visible()
    await expect(earned.get_by_text("No holdout group").first).to_be_visible()
    chart = app.get_by_role("img", name="Attributed revenue by day (UTC)")
    await expect(chart).to_be_visible()
    revenue = app.get_by_role("region", name="Revenue by automation")
    await revenue.get_by_text("Show as a table").click()
    await expect(revenue.get_by_text("€42.00")).to_be_visible()
    referrals = app.get_by_role("region", name="Referral program")
    await expect(referrals.get_by_role("group", name="Codes used per visit")).to_be_visible()
    await expect(referrals.get_by_role("img", name="From link visits to rewards")).to_be_visible()
    reviews = app.get_by_role("region", name="Reviews", exact=True)
    await expect(reviews.get_by_role("group", name="Response rate")).to_be_visible()
    await expect(
        app.get_by_role(
            "img",
            name="Share of each month's new customers who ordered again, month by month since "
            "their first order",
        )
    ).to_be_visible()

    await admin.open(locale="fr")
    await admin.go("Résultats")
    await expect(
        app.get_by_role("region", name="Ce que chaque automatisation a rapporté")
    ).to_be_visible()
    await expect(
        app.get_by_role("img", name="Points attribués et utilisés par jour")
    ).to_be_visible()
    await expect(app.get_by_role("region", name="Programme de parrainage")).to_be_visible()
    await expect(
        app.get_by_role("img", name="Des visites des liens aux récompenses")
    ).to_be_visible()


async def test_review_requests_can_wait_for_the_delivery(admin: EmbeddedAdmin) -> None:
    """The review request's timing in French: after delivery, with the longest wait for
    Shopify's delivered status explained, refused past 60 days next to the field, saved."""
    await admin.open(locale="fr")
    app = admin.app
    card = app.get_by_role("region", name="Demandes d'avis")
    await expect(card).to_be_visible()
    await card.get_by_role("link", name="Réglages", exact=True).click()
    await expect(
        app.get_by_text("Compté à partir de l'expédition de la commande.").first
    ).to_be_visible()
    await app.get_by_role("radio", name="Après la livraison").check()
    await expect(
        app.get_by_text("Compté à partir de la livraison de la commande").first
    ).to_be_visible()
    await expect(
        app.get_by_text("la commande est considérée comme livrée à ce moment").first
    ).to_be_visible()
    wait = app.get_by_role("spinbutton", name="Attente maximale d'une livraison")
    await expect(wait).to_have_value("10")

    await wait.fill("90")
    await app.get_by_role("button", name="Enregistrer les réglages").click()
    await expect(app.get_by_text("Saisissez un délai d'au plus 60 jours.")).to_be_visible()
    url = "/api/scenarios/review_request"
    settings = await admin.store.client.get(url, headers=admin.store.headers)
    assert settings.json()["timing"] == "after_fulfilment"  # nothing saved

    await wait.fill("5")
    await app.get_by_role("button", name="Enregistrer les réglages").click()
    await expect(admin.page.locator("#toasts")).to_contain_text("Réglages enregistrés")
    settings = await admin.store.client.get(url, headers=admin.store.headers)
    assert (settings.json()["timing"], settings.json()["delivery_wait_seconds"]) == (
        "after_delivery",
        5 * 86400,
    )
