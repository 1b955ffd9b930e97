"""The transport: credentials only ever cross the wire encrypted (STARTTLS required with
them, implicit TLS for smtps://), a relay that refuses the session itself holds every
message in the outbox instead of failing them, and with no SMTP_URL the emails are .eml
files under DATA_DIR/outbox. Every server here is a real SMTP server on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.messaging.config import MessagingConfig
from app.messaging.delivery import RELAY_HOLD, deliver_message
from app.messaging.transport import transport_from_settings
from app.settings import Settings
from tests.messaging.conftest import (
    RELAY_USER,
    StartRelay,
    enqueue,
    make_customer,
    make_shop,
    reload,
)
from tests.support.services import free_port


def _with_smtp(settings: Settings, url: str | None) -> Settings:
    return settings.model_copy(update={"smtp_url": SecretStr(url) if url else None})


async def test_credentials_are_sent_only_after_starttls(
    sessions: async_sessionmaker[AsyncSession],
    config: MessagingConfig,
    settings: Settings,
    start_relay: StartRelay,
) -> None:
    relay = start_relay(tls="starttls")
    shop = await make_shop(sessions)
    message = await enqueue(sessions, config, shop, await make_customer(sessions, shop))
    transport = transport_from_settings(_with_smtp(settings, relay.url()))
    result = await deliver_message(sessions, transport, config, message.id)
    assert result.status == "sent"
    assert relay.inbox.over_tls == [True]
    assert relay.inbox.logins == [RELAY_USER]
    assert (await reload(sessions, message.id)).provider_response == "2.0.0 Ok: queued as TEST"


async def test_stripped_starttls_keeps_the_credentials_and_holds_the_message(
    sessions: async_sessionmaker[AsyncSession],
    config: MessagingConfig,
    settings: Settings,
    start_relay: StartRelay,
) -> None:
    # The relay answers EHLO without STARTTLS but offers AUTH in clear: what a man in the
    # middle who strips STARTTLS shows us.
    relay = start_relay(tls=None)
    shop = await make_shop(sessions)
    message = await enqueue(sessions, config, shop, await make_customer(sessions, shop))
    transport = transport_from_settings(_with_smtp(settings, relay.url()))
    result = await deliver_message(sessions, transport, config, message.id)
    assert result.status == "queued"
    assert relay.authenticator.attempts == []  # the password never left
    assert relay.inbox.messages == []
    row = await reload(sessions, message.id)
    assert row.status == "queued"
    assert row.status_reason is not None
    assert row.status_reason.startswith(
        "smtp_relay_unavailable: the relay did not offer STARTTLS, so the credentials were not sent"
    )
    assert row.attempts == 0


async def test_smtps_url_speaks_tls_from_the_first_byte(
    sessions: async_sessionmaker[AsyncSession],
    config: MessagingConfig,
    settings: Settings,
    start_relay: StartRelay,
) -> None:
    relay = start_relay(tls="implicit")
    shop = await make_shop(sessions)
    message = await enqueue(sessions, config, shop, await make_customer(sessions, shop))
    transport = transport_from_settings(_with_smtp(settings, relay.url("smtps")))
    result = await deliver_message(sessions, transport, config, message.id)
    assert result.status == "sent"
    assert relay.inbox.over_tls == [True]
    assert relay.inbox.logins == [RELAY_USER]


async def test_wrong_password_holds_every_due_message_until_the_relay_takes_them(
    sessions: async_sessionmaker[AsyncSession],
    config: MessagingConfig,
    settings: Settings,
    start_relay: StartRelay,
) -> None:
    relay = start_relay(tls="starttls")
    shop = await make_shop(sessions)
    first = await enqueue(sessions, config, shop, await make_customer(sessions, shop))
    second = await enqueue(
        sessions, config, shop, await make_customer(sessions, shop), subject_key="other-cart"
    )
    wrong = transport_from_settings(_with_smtp(settings, relay.url(password="not-it")))
    now = datetime.now(UTC)
    result = await deliver_message(sessions, wrong, config, first.id, now=now)
    assert result.status == "queued"
    assert result.reason is not None
    assert result.reason.startswith("smtp_relay_unavailable: the relay refused the credentials")
    assert "535" in result.reason
    tries = len(relay.authenticator.attempts)
    assert tries >= 1

    # Nothing failed: both wait for the end of the hold, with the relay's reason, and the
    # second one does not knock on the relay's door with the same bad password meanwhile.
    for message_id in (first.id, second.id):
        row = await reload(sessions, message_id)
        assert (row.status, row.status_reason) == ("queued", result.reason)
        assert row.attempts == 0
        assert row.scheduled_at > now + RELAY_HOLD - timedelta(seconds=5)
    assert (await deliver_message(sessions, wrong, config, second.id)).reason == "not_due"
    assert len(relay.authenticator.attempts) == tries

    # The password is fixed: after the hold both go, once each.
    fixed = transport_from_settings(_with_smtp(settings, relay.url()))
    later = now + RELAY_HOLD + timedelta(seconds=1)
    for message_id in (first.id, second.id):
        assert (await deliver_message(sessions, fixed, config, message_id, now=later)).status == (
            "sent"
        )
    assert relay.inbox.logins == [RELAY_USER, RELAY_USER]
    assert (await reload(sessions, first.id)).attempts == 1


@pytest.fixture
async def refusing_relay() -> AsyncIterator[int]:
    """A relay that greets every connection with 554 and hangs up: a real socket server."""

    async def refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"554 5.3.2 relay.test is not accepting mail from you\r\n")
        await writer.drain()
        writer.close()

    port = free_port()
    server = await asyncio.start_server(refuse, "127.0.0.1", port)
    try:
        yield port
    finally:
        server.close()
        await server.wait_closed()


async def test_a_5xx_greeting_holds_the_message_instead_of_failing_it(
    sessions: async_sessionmaker[AsyncSession],
    config: MessagingConfig,
    settings: Settings,
    refusing_relay: int,
) -> None:
    shop = await make_shop(sessions)
    message = await enqueue(sessions, config, shop, await make_customer(sessions, shop))
    transport = transport_from_settings(_with_smtp(settings, f"smtp://127.0.0.1:{refusing_relay}"))
    result = await deliver_message(sessions, transport, config, message.id)
    assert result.status == "queued"
    row = await reload(sessions, message.id)
    assert row.status == "queued"
    assert row.status_reason == (
        "smtp_relay_unavailable: the relay refused the session "
        "(554 5.3.2 relay.test is not accepting mail from you)"
    )


async def test_without_smtp_url_emails_are_eml_files_under_the_data_dir(
    sessions: async_sessionmaker[AsyncSession],
    config: MessagingConfig,
    settings: Settings,
) -> None:
    shop = await make_shop(sessions)
    customer = await make_customer(sessions, shop)
    message = await enqueue(sessions, config, shop, customer)
    no_smtp = _with_smtp(settings, None)
    result = await deliver_message(sessions, transport_from_settings(no_smtp), config, message.id)
    assert result.status == "sent"
    (written,) = (no_smtp.data_dir / "outbox").glob("*.eml")
    email = message_from_bytes(written.read_bytes(), policy=policy.default)
    row = await reload(sessions, message.id)
    assert email["Message-ID"] == row.message_id_header
    assert email["To"] == customer.email
    assert email["Subject"] == "Camille, you left something in your cart"
    assert row.provider_response == f"written {written.name}"


async def test_an_unwritable_outbox_folder_is_retried_later(
    sessions: async_sessionmaker[AsyncSession],
    config: MessagingConfig,
    settings: Settings,
) -> None:
    no_smtp = _with_smtp(settings, None)
    no_smtp.data_dir.mkdir(parents=True, exist_ok=True)
    (no_smtp.data_dir / "outbox").write_text("a file where the folder should be")
    shop = await make_shop(sessions)
    message = await enqueue(sessions, config, shop, await make_customer(sessions, shop))
    result = await deliver_message(sessions, transport_from_settings(no_smtp), config, message.id)
    assert result.status == "queued"
    row = await reload(sessions, message.id)
    assert row.status_reason is not None
    assert row.status_reason.startswith("smtp_transient: could not write")
    assert row.attempts == 1
    assert row.scheduled_at > datetime.now(UTC)
