"""The outbox sends each message once, in English or French, with safe HTML and the
headers mail providers expect; a crash after the SMTP hand-off never leads to a re-send."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.message import EmailMessage

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.messaging.config import MessagingConfig
from app.messaging.delivery import deliver_message
from app.messaging.transport import transport_from_settings
from app.models import Shop
from app.models.discount_codes import (
    DiscountPool,
    DiscountPoolStatus,
    PoolCode,
    PoolCodeStatus,
    PoolRetiredReason,
)
from app.platform.resources import Resources
from app.queue import RetryJob
from app.settings import Settings
from tests.messaging.conftest import (
    CART_CONTEXT,
    Inbox,
    enqueue,
    make_customer,
    make_shop,
    reload,
    run_send_job,
)


def _parts(email: EmailMessage) -> tuple[str, str]:
    text = email.get_body(("plain",))
    html = email.get_body(("html",))
    assert text is not None
    assert html is not None
    return text.get_content(), html.get_content()


async def test_abandoned_cart_is_sent_once_even_when_the_job_runs_twice(
    sessions: async_sessionmaker[AsyncSession],
    resources: Resources,
    config: MessagingConfig,
    inbox: Inbox,
) -> None:
    shop = await make_shop(sessions)
    customer = await make_customer(sessions, shop)
    message = await enqueue(sessions, config, shop, customer)
    again = await enqueue(sessions, config, shop, customer)
    assert again.id == message.id

    assert await run_send_job(resources, message.id) == "sent"
    assert await run_send_job(resources, message.id) == "sent"

    assert len(inbox.messages) == 1
    email = inbox.messages[0]
    row = await reload(sessions, message.id)
    assert row.status == "sent"
    assert email["Message-ID"] == row.message_id_header
    assert email["To"] == customer.email
    assert email["Subject"] == "Camille, you left something in your cart"
    # The link carries the email's language, so the page speaks it too.
    unsubscribe = config.unsubscribe_url(shop.id, customer.id, "en")
    # The header is folded on the wire; unfolded it is the one-click HTTPS URI alone (RFC
    # 8058): no mailto that nothing would read.
    assert " ".join(str(email["List-Unsubscribe"]).split()) == f"<{unsubscribe}>"
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text, html = _parts(email)
    assert "Linen shirt (M / Blue) × 2: €1,234.50" in text
    assert "€2,469.00" in text
    assert unsubscribe in text
    assert unsubscribe in html  # the footer link is not wrapped for tracking
    assert "/t/o/" in html
    assert "/t/c/" in html
    # Every other link goes through tracking, in both parts, with the same token.
    assert "checkouts/abc/recover" not in html
    assert "checkouts/abc/recover" not in text
    (text_click,) = re.findall(r"Return to your cart: (\S+)", text)
    assert text_click.startswith("http://testserver/t/c/")
    assert f'href="{text_click}"' in html


async def test_french_customer_gets_french_words_and_money(
    sessions: async_sessionmaker[AsyncSession],
    resources: Resources,
    config: MessagingConfig,
    inbox: Inbox,
) -> None:
    shop = await make_shop(sessions, locale="en")
    customer = await make_customer(sessions, shop, locale="fr-FR")
    message = await enqueue(sessions, config, shop, customer)
    await run_send_job(resources, message.id)
    email = inbox.messages[0]
    assert email["Subject"] == "Camille, vous avez oublié quelque chose dans votre panier"
    text, _ = _parts(email)
    assert "1\u202f234,50\u00a0€" in text
    assert "Retrouver mon panier" in text
    assert "Se désabonner de ces e-mails" in text


async def test_shop_locale_is_the_fallback_then_english(
    sessions: async_sessionmaker[AsyncSession], config: MessagingConfig
) -> None:
    shop = await make_shop(sessions, locale="fr")
    french = await enqueue(sessions, config, shop, await make_customer(sessions, shop))
    assert french.locale == "fr"
    other = await make_shop(sessions, locale="de", domain="other.myshopify.com")
    german = await enqueue(sessions, config, other, await make_customer(sessions, other))
    assert german.locale == "en"


async def test_script_in_a_first_name_is_inert_in_the_html_part(
    sessions: async_sessionmaker[AsyncSession],
    resources: Resources,
    config: MessagingConfig,
    inbox: Inbox,
) -> None:
    shop = await make_shop(sessions)
    customer = await make_customer(sessions, shop, first_name="<script>alert(1)</script>")
    message = await enqueue(sessions, config, shop, customer)
    await run_send_job(resources, message.id)
    _, html = _parts(inbox.messages[0])
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


class CrashAfterHandoff:
    """Hands the email to the real SMTP server, then dies before the outcome is recorded."""

    def __init__(self, settings: Settings) -> None:
        self.inner = transport_from_settings(settings)

    async def send(self, email: EmailMessage) -> str:
        await self.inner.send(email)
        raise KeyboardInterrupt  # stands in for a killed worker


async def test_crash_after_smtp_accept_is_detected_and_never_resent(
    sessions: async_sessionmaker[AsyncSession],
    resources: Resources,
    config: MessagingConfig,
    settings: Settings,
    inbox: Inbox,
) -> None:
    shop = await make_shop(sessions)
    customer = await make_customer(sessions, shop)
    message = await enqueue(sessions, config, shop, customer)
    with pytest.raises(KeyboardInterrupt):
        await deliver_message(sessions, CrashAfterHandoff(settings), config, message.id)
    crashed = await reload(sessions, message.id)
    assert crashed.status == "sending"
    assert crashed.message_id_header == inbox.messages[0]["Message-ID"]

    # The retry right away: maybe still in flight, so it waits and sends nothing.
    with pytest.raises(RetryJob):
        await run_send_job(resources, message.id)
    # Much later: recorded as unconfirmed (not failed), never handed over a second time.
    later = datetime.now(UTC) + timedelta(minutes=10)
    transport = transport_from_settings(settings)
    result = await deliver_message(sessions, transport, config, message.id, now=later)
    assert result.status == "unconfirmed"
    assert result.reason == "delivery_unconfirmed"
    assert len(inbox.messages) == 1
    assert await run_send_job(resources, message.id) == "unconfirmed"
    assert len(inbox.messages) == 1
    row = await reload(sessions, message.id)
    assert (row.status, row.status_reason) == ("unconfirmed", "delivery_unconfirmed")
    assert row.message_id_header is not None
    assert row.provider_response is not None
    assert row.message_id_header in row.provider_response


async def test_temporary_smtp_refusal_is_retried_later(
    sessions: async_sessionmaker[AsyncSession],
    resources: Resources,
    config: MessagingConfig,
    inbox: Inbox,
) -> None:
    shop = await make_shop(sessions)
    customer = await make_customer(sessions, shop, email="later@example.test")
    message = await enqueue(sessions, config, shop, customer)
    assert await run_send_job(resources, message.id) == "queued"
    row = await reload(sessions, message.id)
    assert row.status_reason is not None
    assert row.status_reason.startswith("smtp_transient: 451")
    assert row.scheduled_at > datetime.now(UTC)
    assert row.attempts == 1
    assert inbox.messages == []


async def test_permanent_smtp_refusal_fails_and_suppresses_the_address(
    sessions: async_sessionmaker[AsyncSession],
    resources: Resources,
    config: MessagingConfig,
    inbox: Inbox,
) -> None:
    shop = await make_shop(sessions)
    customer = await make_customer(sessions, shop, email="bounce@example.test")
    first = await enqueue(sessions, config, shop, customer)
    assert await run_send_job(resources, first.id) == "failed"
    second = await enqueue(sessions, config, shop, customer, subject_key="checkout-2")
    assert second.status == "suppressed"
    assert second.status_reason == "bounced"


@pytest.mark.parametrize(
    ("locale", "code_line", "expiry"),
    [
        ("en", "Use code BACK-10-XYZ at checkout.", "It is valid until January 1, 2027."),
        (
            "fr",
            "Utilisez le code BACK-10-XYZ lors du paiement.",
            "valable jusqu'au 1er janvier 2027.",
        ),
    ],
)
async def test_the_second_cart_reminder_shows_its_code_and_expiry_on_the_shops_calendar(
    sessions: async_sessionmaker[AsyncSession],
    resources: Resources,
    config: MessagingConfig,
    inbox: Inbox,
    locale: str,
    code_line: str,
    expiry: str,
) -> None:
    shop = await make_shop(sessions, timezone="Europe/Paris")
    customer = await make_customer(sessions, shop, locale=locale)
    # 23:30 UTC on 31 December is already New Year's Day in Paris.
    context = {
        **CART_CONTEXT,
        "discount_code": "BACK-10-XYZ",
        "discount_expires_at": "2026-12-31T23:30:00+00:00",
    }
    message = await enqueue(sessions, config, shop, customer, step=2, context=context)
    assert await run_send_job(resources, message.id) == "sent"
    text, html = _parts(inbox.messages[0])
    assert code_line in text
    assert expiry in text
    assert "<strong>BACK-10-XYZ</strong>" in html
    assert expiry in html


async def test_the_second_cart_reminder_without_a_code_says_nothing_about_one(
    sessions: async_sessionmaker[AsyncSession],
    resources: Resources,
    config: MessagingConfig,
    inbox: Inbox,
) -> None:
    shop = await make_shop(sessions)
    message = await enqueue(sessions, config, shop, await make_customer(sessions, shop), step=2)
    assert await run_send_job(resources, message.id) == "sent"
    text, html = _parts(inbox.messages[0])
    assert "The items in your cart are still available" in text
    assert "code" not in text.lower()
    assert "Use code" not in html


async def _pool_code(
    sessions: async_sessionmaker[AsyncSession], shop: Shop, code: str, *, reason: str | None
) -> None:
    """A pool code handed out to a reminder; the pool retired for `reason`, or live (None)."""
    now = datetime.now(UTC)
    async with sessions.begin() as session:
        pool = DiscountPool(
            shop_id=shop.id,
            scenario=f"abandoned_cart:{code}",
            status=DiscountPoolStatus.ACTIVE if reason is None else DiscountPoolStatus.RETIRED,
            retired_reason=reason,
            seed_code=f"SEED-{code}",
            shopify_discount_id="gid://shopify/DiscountCodeNode/1",
            title="10% off",
            prefix="BACK",
            value_type="percentage",
            value=Decimal("0.10"),
            starts_at=now - timedelta(days=1),
            ends_at=now + timedelta(days=3),
            target_size=10,
            low_watermark=2,
        )
        session.add(pool)
        await session.flush()
        session.add(
            PoolCode(
                shop_id=shop.id,
                pool_id=pool.id,
                code=code,
                status=PoolCodeStatus.CLAIMED,
                claimed_by=f"abandoned_cart:{code}:2",
            )
        )


async def test_a_reminder_whose_code_the_merchant_withdrew_at_shopify_is_not_sent(
    sessions: async_sessionmaker[AsyncSession],
    resources: Resources,
    config: MessagingConfig,
    inbox: Inbox,
) -> None:
    shop = await make_shop(sessions)
    await _pool_code(sessions, shop, "BACK-DEAD", reason=PoolRetiredReason.DELETED_AT_SHOPIFY)
    await _pool_code(sessions, shop, "BACK-OFF", reason=PoolRetiredReason.DEACTIVATED_AT_SHOPIFY)
    # A pool retired only because it ends soon: its codes still work.
    await _pool_code(sessions, shop, "BACK-ENDING", reason=PoolRetiredReason.ENDING)
    await _pool_code(sessions, shop, "BACK-LIVE", reason=None)
    expiry = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    outcomes: dict[str, tuple[str, int]] = {}
    for code in ("BACK-DEAD", "BACK-OFF", "BACK-ENDING", "BACK-LIVE"):
        context = {**CART_CONTEXT, "discount_code": code, "discount_expires_at": expiry}
        other = await make_customer(sessions, shop, email=f"{code.lower()}@example.com")
        message = await enqueue(
            sessions, config, shop, other, step=2, subject_key=f"checkout-{code}", context=context
        )
        outcomes[code] = (await run_send_job(resources, message.id), message.id)

    assert {code: result for code, (result, _) in outcomes.items()} == {
        "BACK-DEAD": "suppressed",
        "BACK-OFF": "suppressed",
        "BACK-ENDING": "sent",
        "BACK-LIVE": "sent",
    }
    dead = await reload(sessions, outcomes["BACK-DEAD"][1])
    assert dead.status_reason == "discount_withdrawn_at_shopify"
    assert sorted(str(m["To"]) for m in inbox.messages) == [
        "back-ending@example.com",
        "back-live@example.com",
    ]
