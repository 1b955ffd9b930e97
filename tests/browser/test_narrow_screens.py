"""Every page of the admin on a 400 px wide screen, in English and French, with a shop that has
data on every page (customers, sequences, messages waiting for approval, a recovered cart,
points, a referral, reviews, a failed webhook, a data request, KPI roll-ups): nothing may
overflow sideways, neither the document (its scroll width) nor any element (its right edge
past the viewport), in the simulated admin or in the app's frame. Tables become lists of
labelled values. A screenshot of every page in each language is kept as a test artifact."""

from __future__ import annotations

import re

from playwright.async_api import Frame, Page, expect

from tests.browser.artifacts import keep_screenshot
from tests.browser.conftest import ROOT, EmbeddedAdmin
from tests.browser.seeded_shop import LONG_EMAIL, seed

WIDTH = 400

# Every element's right edge (shadow roots included) against the viewport; an element inside a
# box that clips or scrolls sideways counts only if that box itself sticks out. The document's
# own scroll width is checked first.
OVERFLOW = """
() => {
  const width = document.documentElement.clientWidth;
  const found = [];
  const scroller = document.scrollingElement;
  if (scroller.scrollWidth > scroller.clientWidth) {
    found.push(`the document scrolls sideways: ${scroller.scrollWidth} > ${scroller.clientWidth}`);
  }
  const parentOf = (node) => node.assignedSlot || node.parentElement
    || (node.parentNode && node.parentNode.host) || null;
  const clipped = (node) => {
    for (let up = parentOf(node); up; up = parentOf(up)) {
      const style = getComputedStyle(up);
      const inside = up.getBoundingClientRect().right <= width + 1;
      if (style.overflowX !== "visible" && inside) return true;
    }
    return false;
  };
  const describe = (node, box) => {
    const classes = typeof node.className === "string" && node.className
      ? "." + node.className.split(" ").join(".") : "";
    const name = node.localName + (node.id ? "#" + node.id : "") + classes;
    const text = (node.textContent || "").trim().replace(/\\s+/g, " ").slice(0, 60);
    return `${name} right edge ${Math.round(box.right)} > ${width}: "${text}"`;
  };
  const visit = (root) => {
    for (const node of root.querySelectorAll("*")) {
      const box = node.getBoundingClientRect();
      if (box.width > 0 && box.height > 0 && box.right > width + 1 && !clipped(node)) {
        found.push(describe(node, box));
      }
      if (node.shadowRoot) visit(node.shadowRoot);
    }
  };
  visit(document);
  return found.slice(0, 12);
}
"""


def route_views() -> set[str]:
    """The views frontend/src/route.ts knows: a page added there must be added here."""
    source = (ROOT / "frontend" / "src" / "route.ts").read_text("utf-8")
    block = source.split("export type Route", 1)[1].split(";\n\n", 1)[0]
    return set(re.findall(r'view: "(\w+)"', block))


def pages(customer_id: int) -> list[tuple[str, str, str]]:
    """(view, hash, screenshot name) for every page, scenario pages for each scenario."""
    found: list[tuple[str, str, str]] = [
        ("overview", "#/", "overview"),
        ("kpis", "#/kpis", "kpis"),
    ]
    for scenario in ("abandoned_cart", "welcome", "winback", "review_request"):
        found.append(("settings", f"#/scenarios/{scenario}/settings", f"settings-{scenario}"))
    found += [
        ("runs", "#/scenarios/abandoned_cart/runs", "runs"),
        ("templates", "#/scenarios/abandoned_cart/templates/1/en", "templates"),
        ("customers", "#/customers", "customers"),
        ("customer", f"#/customers/{customer_id}", "customer"),
        ("approvals", "#/approvals", "approvals"),
        ("messages", "#/messages", "messages"),
        ("delivery", "#/delivery", "delivery"),
        ("webhooks", "#/webhooks", "webhooks"),
        ("dataRequests", "#/data-requests", "data-requests"),
        ("loyalty", "#/loyalty", "loyalty"),
        ("loyaltySettings", "#/loyalty/settings", "loyalty-settings"),
        ("loyaltyCustomer", f"#/loyalty/customers/{customer_id}", "loyalty-customer"),
        ("referrals", "#/referrals", "referrals"),
        ("reviews", "#/reviews", "reviews"),
        ("sender", "#/sender", "sender"),
    ]
    return found


async def overflow(page: Page, frame: Frame) -> list[str]:
    outer: list[str] = await page.evaluate(OVERFLOW)
    inner: list[str] = await frame.evaluate(OVERFLOW)
    return [f"admin: {line}" for line in outer] + [f"app: {line}" for line in inner]


async def visit(admin: EmbeddedAdmin, frame: Frame, target: str) -> None:
    await frame.evaluate("(target) => { window.location.hash = target; }", target)
    app = admin.app
    await expect(app.locator("s-page").first).to_be_visible()
    await expect(app.locator("s-spinner")).to_have_count(0)
    # Charts, list layouts and fonts settle within a frame or two of the data.
    await admin.page.wait_for_timeout(250)


async def whole_page_screenshot(admin: EmbeddedAdmin, frame: Frame, locale: str, name: str) -> None:
    """The admin as tall as the app's page, so the screenshot shows all of it."""
    height: int = await frame.evaluate("document.documentElement.scrollHeight")
    outside: float = await admin.page.evaluate(
        "document.getElementById('app-iframe').getBoundingClientRect().top"
    )
    await admin.page.set_viewport_size(
        {"width": WIDTH, "height": min(int(outside) + height, 12_000)}
    )
    await admin.page.wait_for_timeout(100)
    await keep_screenshot(admin.page, "narrow-screens", locale, name)
    await admin.page.set_viewport_size({"width": WIDTH, "height": 900})


async def test_every_page_fits_a_400px_screen_in_both_languages(admin: EmbeddedAdmin) -> None:
    await admin.page.set_viewport_size({"width": WIDTH, "height": 900})
    await admin.open()
    await expect(admin.app.get_by_role("heading", name="Overview")).to_be_visible()
    customer_id = await seed(admin)
    visits = pages(customer_id)
    assert {view for view, _, _ in visits} == route_views()

    problems: dict[str, list[str]] = {}
    for locale in ("en", "fr"):
        await admin.open(locale=locale)
        frame = admin.page.frame(name="app-iframe")
        assert frame is not None
        await expect(admin.app.locator("s-page").first).to_be_visible()
        for _, target, name in visits:
            await visit(admin, frame, target)
            found = await overflow(admin.page, frame)
            if found:
                problems[f"{locale} {name}"] = found
            await whole_page_screenshot(admin, frame, locale, name)
    assert not problems, "\n".join(
        f"{page}:\n  " + "\n  ".join(lines) for page, lines in problems.items()
    )


async def test_tables_become_lists_of_labelled_values_on_a_narrow_screen(
    admin: EmbeddedAdmin,
) -> None:
    """The sequences table at desktop width has its column headers; at 400 px each row is a
    card whose values carry their column's name (the `labeled` slot), the customer in bold."""
    await admin.open()
    app = admin.app
    await expect(app.get_by_role("heading", name="Overview")).to_be_visible()
    await seed(admin)
    frame = admin.page.frame(name="app-iframe")
    assert frame is not None
    await visit(admin, frame, "#/scenarios/abandoned_cart/runs")
    header = app.locator("s-table-header-row")
    row = app.get_by_role("row").filter(has_text=LONG_EMAIL)
    await expect(header).to_be_visible()
    await expect(app.get_by_role("columnheader", name="Why it ended")).to_be_visible()
    await expect(row.get_by_text("Why it ended")).to_be_hidden()

    await admin.page.set_viewport_size({"width": WIDTH, "height": 900})
    await expect(header).to_be_hidden()
    await expect(row.get_by_text("Why it ended")).to_be_visible()
    await expect(row.get_by_text("Next step")).to_be_visible()
    # Primary and kicker columns carry no label: the customer and the date speak for themselves.
    await expect(row.get_by_text("Customer", exact=True)).to_be_hidden()
    customer = row.get_by_role("cell").filter(has_text=LONG_EMAIL)
    assert await customer.evaluate("e => getComputedStyle(e).fontWeight") == "600"
    box = await row.bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= WIDTH
    await keep_screenshot(admin.page, "narrow-screens", "en", "runs-as-a-list")
    # A header that holds a control (select all, in the approval queue) stays above the cards.
    await visit(admin, frame, "#/approvals")
    select_all = app.get_by_role("checkbox", name="Select every message")
    await expect(select_all).to_be_visible()
    await select_all.check()
    await expect(
        app.get_by_role("button", name=re.compile(r"^Approve selected \([1-9]\d*\)$"))
    ).to_be_visible()
    await expect(app.get_by_role("columnheader", name="Customer")).to_be_hidden()
    await visit(admin, frame, "#/scenarios/abandoned_cart/runs")

    # Back to a wide screen: a table again.
    await admin.page.set_viewport_size({"width": 1280, "height": 900})
    await expect(header).to_be_visible()
    await expect(row.get_by_text("Why it ended")).to_be_hidden()
