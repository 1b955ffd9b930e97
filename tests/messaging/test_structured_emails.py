"""The merchant's simple forms: a template edited as fields (subject, preheader, heading, body,
button, code block) compiled into its Jinja template, with "advanced" and "reset to default";
and a held message edited with the approval queue's form, which is what reaches the shopper."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.messaging.config import MessagingConfig
from app.models import Shop
from app.platform.resources import Resources
from tests.messaging.conftest import (
    Inbox,
    email_part,
    enqueue,
    make_customer,
    reload,
    run_send_job,
    set_approval_mode,
)

URL = "/api/templates/abandoned_cart/1/en"
_PLACEHOLDER = re.compile(r"\{\{\s*([^}]*?)\s*\}\}")
# The placeholders the editor documents for the simple form's fields.
_DOCUMENTED = {"first_name", "shop_name"}


def _fields(**changes: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "subject": "{{ first_name }}, your cart at {{ shop_name }}",
        "preheader": "Saved for you",
        "heading": "Come back, {{ first_name }}",
        "body": "Hi {{ first_name }},\n\nFree returns <always> & fast shipping.\nSee you soon.",
        "button_label": "Finish my order",
        "show_code": True,
    }
    fields.update(changes)
    return fields


async def test_structured_fields_are_stored_compiled_and_sent(
    sessions: async_sessionmaker[AsyncSession],
    shop: Shop,
    auth: dict[str, str],
    resources: Resources,
    config: MessagingConfig,
    client: httpx.AsyncClient,
    inbox: Inbox,
) -> None:
    before = (await client.get(URL, headers=auth)).json()
    assert before["mode"] == "default"
    assert before["fields"] == before["default_fields"]
    assert before["fields"]["heading"] == "Your cart is waiting"
    assert before["fields"]["button_label"] == "Return to your cart"

    saved = await client.put(f"{URL}/fields", json=_fields(), headers=auth)
    assert saved.status_code == 200, saved.text
    # Rendered on sample data: variables filled, the merchant's literal text escaped.
    assert saved.json()["subject"] == "Camille, your cart at Sample Shop"
    assert ">Come back, Camille</h1>" in saved.json()["html"]
    assert (
        "Free returns &lt;always&gt; &amp; fast shipping.<br>See you soon."
        in (saved.json()["html"])
    )
    after = (await client.get(URL, headers=auth)).json()
    assert after["mode"] == "structured"
    assert after["customized"] is True
    assert after["fields"] == _fields()
    assert after["default_fields"] == before["default_fields"]
    # The same fields compile into the same template, byte for byte.
    assert (await client.put(f"{URL}/fields", json=_fields(), headers=auth)).status_code == 200
    assert (await client.get(URL, headers=auth)).json()["html"] == after["html"]

    customer = await make_customer(sessions, shop, first_name="Zoé")
    message = await enqueue(sessions, config, shop, customer)
    assert message.subject == "Zoé, your cart at Acme"
    assert await run_send_job(resources, message.id) == "sent"
    (sent,) = inbox.messages
    html, text = email_part(sent, "html"), email_part(sent, "plain")
    assert ">Come back, Zoé</h1>" in html
    assert "Saved for you" in html
    # The step's frame stays: the cart's items, the button to the checkout, the footer.
    assert "Linen shirt" in html
    assert "Linen shirt" in text
    assert "Finish my order</a>" in html
    assert "Finish my order: http" in text
    assert "/u/" in html
    assert sent["List-Unsubscribe"]
    assert "Come back, Zoé\n\nHi Zoé,\n\nFree returns <always> & fast shipping.\nSee you soon." in (
        text
    )


async def test_a_template_error_in_a_field_is_refused_and_nothing_is_stored(
    auth: dict[str, str], client: httpx.AsyncClient
) -> None:
    typo = await client.put(
        f"{URL}/fields", json=_fields(heading="Hi {{ frist_name }}"), headers=auth
    )
    assert typo.status_code == 400
    assert "frist_name" in typo.json()["detail"]
    long = await client.put(
        f"{URL}/fields",
        json=_fields(button_label="x" * 121),
        headers={**auth, "Accept-Language": "fr"},
    )
    assert long.status_code == 400
    assert long.json()["detail"].startswith("Le champ libellé du bouton dépasse 120 caractères")
    assert (await client.get(URL, headers=auth)).json()["mode"] == "default"


async def test_an_advanced_edit_switches_the_template_to_advanced_and_reset_undoes_it(
    auth: dict[str, str], client: httpx.AsyncClient
) -> None:
    assert (await client.put(f"{URL}/fields", json=_fields(), headers=auth)).status_code == 200
    raw = {"subject": "Hi", "html": "<p>Hand-written {{ first_name }}</p>", "text": "Hand"}
    assert (await client.put(URL, json=raw, headers=auth)).status_code == 200
    advanced = (await client.get(URL, headers=auth)).json()
    assert advanced["mode"] == "advanced"
    assert advanced["fields"] is None
    assert advanced["default_fields"]["heading"] == "Your cart is waiting"
    assert advanced["html"] == raw["html"]

    reset = await client.delete(URL, headers=auth)
    assert reset.status_code == 200, reset.text
    assert reset.json()["mode"] == "default"
    assert reset.json()["customized"] is False
    assert reset.json()["fields"]["heading"] == "Your cart is waiting"
    assert (await client.get(URL, headers=auth)).json() == reset.json()


async def test_previews_show_the_shops_code_prefix_and_the_unsaved_fields(
    sessions: async_sessionmaker[AsyncSession],
    shop: Shop,
    auth: dict[str, str],
    client: httpx.AsyncClient,
) -> None:
    changed = await client.put(
        "/api/scenarios/abandoned_cart", json={"code_prefix": "ACME"}, headers=auth
    )
    assert changed.status_code == 200, changed.text
    preview = await client.post(
        f"{URL}/preview", json={"fields": _fields(heading="Unsaved heading")}, headers=auth
    )
    assert preview.status_code == 200, preview.text
    assert ">Unsaved heading</h1>" in preview.json()["html"]
    assert "<strong>ACME-SAMPLE42</strong>" in preview.json()["html"]
    customer = await make_customer(sessions, shop, first_name="Zoé")
    on_customer = await client.post(
        f"{URL}/preview", json={"fields": _fields(), "customer_id": customer.id}, headers=auth
    )
    assert ">Come back, Zoé</h1>" in on_customer.json()["html"]
    assert "ACME-SAMPLE42" in on_customer.json()["html"]
    # Nothing was saved by previewing.
    assert (await client.get(URL, headers=auth)).json()["mode"] == "default"


async def test_an_edited_held_message_is_what_gets_sent_and_the_timeline_says_so(
    sessions: async_sessionmaker[AsyncSession],
    shop: Shop,
    auth: dict[str, str],
    resources: Resources,
    config: MessagingConfig,
    client: httpx.AsyncClient,
    inbox: Inbox,
) -> None:
    await set_approval_mode(client, auth)
    customer = await make_customer(sessions, shop, first_name="Zoé")
    held = await enqueue(sessions, config, shop, customer)
    assert held.status == "pending_approval"

    form = (await client.get(f"/api/approvals/{held.id}/form", headers=auth)).json()
    assert form["edited"] is False
    assert form["edited_as_html"] is False
    # The template's fields in this shopper's words.
    assert form["fields"]["heading"] == "Your cart is waiting"
    assert form["fields"]["body"] == "Hi Zoé,\n\nYour cart at Acme is saved for you."
    assert form["fields"]["subject"] == "Zoé, you left something in your cart"

    edit = {
        **form["fields"],
        "subject": "A note from Acme",
        "heading": "We kept your shirt",
        "body": "Hi Zoé,\n\nIt is still here {{ not_a_variable }} & waiting.",
        "button_label": "Finish my order",
    }
    preview = await client.post(f"/api/approvals/{held.id}/preview", json=edit, headers=auth)
    assert preview.status_code == 200, preview.text
    assert ">We kept your shirt</h1>" in preview.json()["html"]
    assert (await reload(sessions, held.id)).subject == held.subject  # a preview stores nothing

    saved = await client.put(f"/api/approvals/{held.id}/fields", json=edit, headers=auth)
    assert saved.status_code == 200, saved.text
    assert saved.json()["subject"] == "A note from Acme"
    again = (await client.get(f"/api/approvals/{held.id}/form", headers=auth)).json()
    assert again == {"fields": edit, "edited": True, "edited_as_html": False}
    empty = await client.put(
        f"/api/approvals/{held.id}/fields",
        json={**edit, "subject": " "},
        headers={**auth, "Accept-Language": "fr"},
    )
    assert empty.status_code == 400
    assert empty.json()["detail"].startswith("L'objet ne peut pas être vide")

    assert (await client.post(f"/api/approvals/{held.id}/approve", headers=auth)).is_success
    assert await run_send_job(resources, held.id) == "sent"
    (sent,) = inbox.messages
    assert sent["Subject"] == "A note from Acme"
    assert sent["To"] == customer.email
    assert "Acme" in sent["From"]
    html, text = email_part(sent, "html"), email_part(sent, "plain")
    # The merchant's words, literally (no variable, escaped), in the shop's layout with the
    # cart, the button to the checkout and the footer's unsubscribe link.
    assert ">We kept your shirt</h1>" in html
    assert "It is still here {{ not_a_variable }} &amp; waiting." in html
    assert "It is still here {{ not_a_variable }} & waiting." in text
    assert "Linen shirt" in html
    assert "Finish my order</a>" in html
    assert "Finish my order: http" in text
    assert sent["List-Unsubscribe"]
    assert "/u/" in html

    timeline = await client.get(f"/api/customers/{customer.id}/timeline", headers=auth)
    kinds = [entry["kind"] for entry in timeline.json()["entries"]]
    assert "message_edited" in kinds
    labels = (await client.get("/api/scenarios/labels?locale=fr", headers=auth)).json()
    assert "E-mail modifié par vous" in str(labels)


async def test_a_message_of_a_hand_written_template_has_no_simple_form(
    sessions: async_sessionmaker[AsyncSession],
    shop: Shop,
    auth: dict[str, str],
    config: MessagingConfig,
    client: httpx.AsyncClient,
) -> None:
    raw = {"subject": "Hi", "html": "<p>Hand-written</p>", "text": "Hand"}
    assert (await client.put(URL, json=raw, headers=auth)).status_code == 200
    await set_approval_mode(client, auth)
    held = await enqueue(sessions, config, shop, await make_customer(sessions, shop))
    form = await client.get(f"/api/approvals/{held.id}/form", headers=auth)
    assert form.status_code == 400
    assert form.json()["error"] == "NoSimpleForm"
    assert "Advanced" in form.json()["detail"]


async def test_the_form_of_a_message_edited_as_raw_html_says_so(
    sessions: async_sessionmaker[AsyncSession],
    shop: Shop,
    auth: dict[str, str],
    config: MessagingConfig,
    client: httpx.AsyncClient,
) -> None:
    await set_approval_mode(client, auth)
    held = await enqueue(sessions, config, shop, await make_customer(sessions, shop))
    raw = await client.put(f"/api/approvals/{held.id}", json={"subject": "Raw"}, headers=auth)
    assert raw.status_code == 200, raw.text
    form = (await client.get(f"/api/approvals/{held.id}/form", headers=auth)).json()
    assert form["edited"] is False
    assert form["edited_as_html"] is True
    # The form offers the template's words; saving it replaces the raw edit.
    assert form["fields"]["heading"] == "Your cart is waiting"
    saved = await client.put(f"/api/approvals/{held.id}/fields", json=form["fields"], headers=auth)
    assert saved.json()["subject"] == "Camille, you left something in your cart"
    again = (await client.get(f"/api/approvals/{held.id}/form", headers=auth)).json()
    assert again["edited"] is True
    assert again["edited_as_html"] is False


@pytest.mark.parametrize("scenario", ["abandoned_cart", "review_request", "welcome", "winback"])
async def test_default_fields_are_plain_text_with_placeholders_only(
    auth: dict[str, str], client: httpx.AsyncClient, scenario: str
) -> None:
    """What the editor's simple form shows of Boomerang's defaults: words and the documented
    placeholders, never Jinja logic ({% if %}), in every step and language."""
    for step in (1, 2, 3):
        for locale in ("en", "fr"):
            response = await client.get(f"/api/templates/{scenario}/{step}/{locale}", headers=auth)
            if response.status_code == 404:  # a journey of fewer steps
                continue
            assert response.status_code == 200, response.text
            body = response.json()
            for fields in (body["fields"], body["default_fields"]):
                assert fields is not None, (scenario, step, locale)
                for name, value in fields.items():
                    if isinstance(value, str):
                        assert "{%" not in value, (name, value)
                        assert "%}" not in value, (name, value)
                        assert set(_PLACEHOLDER.findall(value)) <= _DOCUMENTED, (name, value)


async def test_default_plain_fields_still_personalise_with_and_without_a_first_name(
    sessions: async_sessionmaker[AsyncSession],
    shop: Shop,
    auth: dict[str, str],
    resources: Resources,
    config: MessagingConfig,
    client: httpx.AsyncClient,
    inbox: Inbox,
) -> None:
    shown = (await client.get(URL, headers=auth)).json()["fields"]
    assert shown["subject"] == "{{ first_name }}, you left something in your cart"
    assert shown["body"].startswith("Hi {{ first_name }},\n\n")

    async def sent_to(first_name: str | None, subject_key: str) -> tuple[str, str, str]:
        customer = await make_customer(sessions, shop, first_name=first_name)
        message = await enqueue(sessions, config, shop, customer, subject_key=subject_key)
        assert await run_send_job(resources, message.id) == "sent"
        email = inbox.messages[-1]
        return str(email["Subject"]), email_part(email, "html"), email_part(email, "plain")

    # Boomerang's default, then the very fields the form showed saved by the merchant as
    # they are: the same emails either way.
    for round_ in ("default", "saved"):
        subject, html, text = await sent_to("Zoé", f"named-{round_}")
        assert subject == "Zoé, you left something in your cart"
        assert "<p>Hi Zoé,</p>" in html
        assert text.startswith("Your cart is waiting\n\nHi Zoé,\n\n")
        subject, html, text = await sent_to(None, f"nameless-{round_}")
        assert subject == "You left something in your cart"
        assert "<p>Hi,</p>" in html
        assert "Hi,\n\n" in text
        assert "{" not in text
        if round_ == "default":
            saved = await client.put(f"{URL}/fields", json=shown, headers=auth)
            assert saved.status_code == 200, saved.text
            assert (await client.get(URL, headers=auth)).json()["mode"] == "structured"


async def test_a_code_subject_kept_by_the_merchant_still_says_the_gift_only_with_a_code(
    sessions: async_sessionmaker[AsyncSession],
    shop: Shop,
    auth: dict[str, str],
    resources: Resources,
    config: MessagingConfig,
    client: httpx.AsyncClient,
    inbox: Inbox,
) -> None:
    url = "/api/templates/abandoned_cart/3/en"
    shown = (await client.get(url, headers=auth)).json()["fields"]
    assert shown["subject"] == "A little something to finish your order"
    saved = await client.put(f"{url}/fields", json=shown, headers=auth)
    assert saved.status_code == 200, saved.text
    for key, context, subject in (
        ("with-code", {"discount_code": "BACK-15-K3Q9"}, shown["subject"]),
        ("no-code", {}, "Last reminder: your cart"),
    ):
        customer = await make_customer(sessions, shop)  # one each: the frequency cap
        message = await enqueue(
            sessions, config, shop, customer, step=3, subject_key=key, context=context
        )
        assert await run_send_job(resources, message.id) == "sent"
        assert inbox.messages[-1]["Subject"] == subject
