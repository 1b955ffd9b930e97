"""KPIs that read right, in Chromium, in English and French: the overview leads with revenue
and carts recovered and shows rates beside the counts; a cart that came back reads
"Recovered" (a success, never red) in the sequences list and on the customer's timeline; a
purchase is listed apart among the reasons sequences ended; the Results page names its period
and the one it is compared with, as the KPI API computes them, and a preset or two dates
change both."""

from __future__ import annotations

import re
from datetime import date, timedelta

from playwright.async_api import FrameLocator, Locator, expect

from tests.browser.conftest import EmbeddedAdmin
from tests.browser.seeded_shop import LONG_EMAIL, seed


async def tones(badges: Locator) -> list[tuple[str, str]]:
    """(text, tone) of each Polaris badge (the tone is a property the app sets)."""
    found: list[list[str]] = await badges.evaluate_all(
        "els => els.map(e => [e.textContent.trim(), String(e.tone || '')])"
    )
    return [(text, tone) for text, tone in found]


def day(value: str) -> str:
    """A YYYY-MM-DD day as the admin writes it in English (Dec 5, 2026)."""
    parsed = date.fromisoformat(value)
    return f"{parsed:%b} {parsed.day}, {parsed.year}"


async def compared(admin: EmbeddedAdmin, first: str, last: str) -> str:
    """The headline's period sentence, from the KPI API's own period and previous period."""
    answer = await admin.store.client.get(
        "/api/kpis/scenarios", params={"from": first, "to": last}, headers=admin.store.headers
    )
    assert answer.status_code == 200, answer.text
    period = answer.json()["period"]
    return (
        f"{day(period['from'])} – {day(period['to'])}, compared with "
        f"{day(period['previous_from'])} – {day(period['previous_to'])}"
    )


async def results(app: FrameLocator) -> Locator:
    headline = app.get_by_role("region", name="Headline")
    await expect(headline).to_be_visible()
    return headline


async def test_kpis_read_right_rates_outcomes_and_the_compared_period(
    admin: EmbeddedAdmin,
) -> None:
    await admin.open()
    app = admin.app
    await expect(app.get_by_role("heading", name="Overview")).to_be_visible()
    await seed(admin)
    await admin.open()

    # The overview: what the cart earned and brought back first, with the rate beside it.
    cart = app.get_by_role("region", name="Abandoned cart")
    figures = cart.get_by_role("group")
    await expect(figures.nth(0)).to_have_accessible_name("Revenue recovered")
    await expect(figures.nth(1)).to_have_accessible_name("Carts recovered")
    recovered = cart.get_by_role("group", name="Carts recovered")
    await expect(recovered.locator("strong")).to_have_text("1")
    await expect(recovered).to_contain_text("33.3% of sequences started")  # 1 of 3
    await expect(cart.get_by_role("group", name="Open rate")).to_be_visible()
    # The other scenarios bring orders rather than recover carts.
    welcome = app.get_by_role("region", name="Welcome series")
    await expect(welcome.get_by_role("group").nth(0)).to_have_accessible_name("Revenue it brought")
    await expect(welcome.get_by_role("group").nth(1)).to_have_accessible_name("Orders it brought")
    await expect(cart.get_by_role("group", name="Click rate")).to_be_visible()
    # The purchase is listed apart from the other endings, in a success tone.
    purchases = cart.get_by_role("group", name="Ended with a purchase")
    await expect(purchases).to_contain_text(
        re.compile("(An order was placed for this checkout|The checkout was completed): 1")
    )
    await expect(purchases).to_have_attribute("data-tone", "success")

    # The sequences: the recovered cart reads "Recovered", in green; nothing good is red.
    await cart.get_by_role("link", name="Sequences", exact=True).click()
    row = app.get_by_role("row").filter(has_text=LONG_EMAIL)
    await expect(row.locator("s-badge")).to_have_text("Recovered")
    assert await tones(row.locator("s-badge")) == [("Recovered", "success")]
    assert all(tone != "critical" for _, tone in await tones(app.locator("s-badge")))

    # Her timeline: the order brought back reads as recovered, the end of the reminders as her
    # order, both in a success tone; nothing says "stopped".
    await row.get_by_role("link", name=f"Timeline: {LONG_EMAIL}").click()
    timeline = app.get_by_role("region", name="Timeline")
    entries = timeline.get_by_role("listitem")
    recovered_entry = entries.filter(has_text="Order recovered")
    await expect(recovered_entry).to_have_count(1)
    await expect(recovered_entry).to_have_attribute("data-tone", "success")
    assert ("Recovered", "success") in await tones(recovered_entry.locator("s-badge"))
    ordered_entry = entries.filter(has_text="The customer ordered: the sequence ended")
    await expect(ordered_entry).to_have_count(1)
    await expect(ordered_entry).to_have_attribute("data-tone", "success")
    await expect(ordered_entry).to_contain_text("An order was placed for this checkout")
    await expect(timeline.get_by_text("Reminder sequence stopped")).to_have_count(0)
    assert all(tone != "critical" for _, tone in await tones(timeline.locator("s-badge")))
    # Messages not sent because the cart was recovered are a decision, not a failure.
    await app.get_by_role("link", name="Messages", exact=True).click()
    await expect(app.get_by_role("row").filter(has_text=LONG_EMAIL).first).to_be_visible()
    assert all(tone != "critical" for _, tone in await tones(app.locator("s-badge")))

    # Results: the headline first, naming the period and the one before it (the API's).
    await app.get_by_role("link", name="Results").click()
    headline = await results(app)
    headings: list[str] = await app.locator("s-section").evaluate_all(
        "els => els.map(e => e.heading || '').filter(Boolean)"
    )
    assert headings[:2] == ["Headline", "What each automation earned"]
    for name in (
        "Revenue from all automations",
        "Carts recovered",
        "Recovery rate",
        "Revenue from recovered carts",
    ):
        await expect(headline.get_by_role("group", name=name)).to_be_visible()
    frame = admin.page.frame(name="app-iframe")
    assert frame is not None
    # Today in the shop's timezone (UTC here), as the page computes its presets.
    today = date.fromisoformat(
        await frame.evaluate(
            "new Intl.DateTimeFormat('en-CA', {timeZone: 'UTC'}).format(new Date())"
        )
    )
    last30 = (today - timedelta(days=29)).isoformat(), today.isoformat()
    await expect(headline).to_contain_text(await compared(admin, *last30))

    period = app.get_by_role("combobox", name="Period")
    await period.select_option("last7")
    last7 = (today - timedelta(days=6)).isoformat(), today.isoformat()
    await expect(headline).to_contain_text(await compared(admin, *last7))

    await period.select_option("custom")
    start, end = app.get_by_label("From", exact=True), app.get_by_label("To", exact=True)
    show = app.get_by_role("button", name="Show", exact=True)
    await start.fill("2026-03-10")
    await end.fill("2026-03-01")
    await expect(show).to_be_disabled()
    await expect(app.get_by_text("Pick a start date on or before the end date.")).to_be_visible()
    await end.fill("2026-03-31")
    await show.click()
    await expect(headline).to_contain_text(
        "Mar 10, 2026 – Mar 31, 2026, compared with Feb 16, 2026 – Mar 9, 2026"
    )
    await expect(headline).to_contain_text(await compared(admin, "2026-03-10", "2026-03-31"))

    # The same in French.
    await admin.open(locale="fr")
    cart = app.get_by_role("region", name="Panier abandonné")
    await expect(cart.get_by_role("group").nth(0)).to_have_accessible_name(
        "Chiffre d'affaires récupéré"
    )
    await expect(cart.get_by_role("group", name="Paniers récupérés")).to_contain_text(
        re.compile(r"33,3\s%\sdes séquences démarrées")
    )
    await expect(cart.get_by_role("group", name="Terminées par un achat")).to_be_visible()
    await cart.get_by_role("link", name="Séquences", exact=True).click()
    row = app.get_by_role("row").filter(has_text=LONG_EMAIL)
    await expect(row.locator("s-badge")).to_have_text("Récupéré")
    await app.get_by_role("link", name="Résultats").click()
    headline = app.get_by_role("region", name="L'essentiel")
    await expect(headline).to_contain_text("comparé à la période du")
    await expect(
        headline.get_by_role("group", name="Chiffre d'affaires de toutes les automatisations")
    ).to_be_visible()
