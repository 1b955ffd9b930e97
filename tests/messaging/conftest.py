"""Messaging fixtures: a real SMTP server (aiosmtpd) on loopback, plain or with TLS
(STARTTLS or implicit) and AUTH, an installed shop with customers and its merchant's admin
session, a way to run the send job as the worker does, and to read what reached the inbox."""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.messaging.config import MessagingConfig
from app.messaging.controls import DeliveryMode
from app.messaging.outbox import enqueue_message
from app.models import Customer, Message, Shop
from app.platform.composition import PLATFORM
from app.platform.resources import Resources
from app.queue import JobContext
from app.settings import Settings
from jobs.messages import send_message
from tests.support.sending import send_at_any_hour
from tests.support.services import on_a_free_port
from tests.support.session_tokens import bearer, mint_session_token
from tests.support.shops import create_shop


@dataclass
class Inbox:
    """What the SMTP server accepted. RCPT to bounce-* gets 550, to later-* gets 451.
    For each accepted message, whether it came over TLS and who had logged in."""

    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    over_tls: list[bool] = field(default_factory=list)
    logins: list[str | None] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address.startswith("bounce"):
            return "550 5.1.1 No such user here"
        if address.startswith("later"):
            return "451 4.3.0 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        # Set for STARTTLS and implicit TLS alike (aiosmtpd's session.ssl is STARTTLS only).
        self.over_tls.append(server.transport.get_extra_info("ssl_object") is not None)
        login = session.auth_data.login.decode() if session.authenticated else None
        self.logins.append(login)
        return "250 2.0.0 Ok: queued as TEST"


def start_inbox(port: int) -> tuple[Inbox, Controller]:
    """An SMTP server on loopback `port` that keeps what it accepts (stop its controller)."""
    handler = Inbox(port=port)
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    return handler, controller


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    handler, controller = on_a_free_port(start_inbox)
    try:
        yield handler
    finally:
        controller.stop()


RELAY_USER = "relay-user"
RELAY_PASSWORD = "s3cret/pa:ss"  # needs percent-encoding in a URL


@dataclass
class Authenticator:
    """Accepts RELAY_USER with RELAY_PASSWORD; remembers every login it was offered."""

    attempts: list[str] = field(default_factory=list)

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        self.attempts.append(auth_data.login.decode())
        ok = auth_data.login == RELAY_USER.encode() and auth_data.password == (
            RELAY_PASSWORD.encode()
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, made once per run."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    directory = tmp_path_factory.mktemp("tls")
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def server_tls_context(tls_files: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*tls_files)
    return context


@dataclass
class Relay:
    """A started SMTP server with AUTH: where it listens, what it accepted, who tried."""

    inbox: Inbox
    authenticator: Authenticator

    def url(self, scheme: str = "smtp", *, password: str = RELAY_PASSWORD) -> str:
        return f"{scheme}://{RELAY_USER}:{quote(password, safe='')}@127.0.0.1:{self.inbox.port}"


StartRelay = Callable[..., Relay]


@pytest.fixture
def start_relay(tls_files: tuple[Path, Path]) -> Iterator[StartRelay]:
    """Start an SMTP relay with AUTH on loopback: `tls="starttls"` (offered and required
    before anything else), `tls="implicit"` (TLS from the first byte) or `tls=None` (none,
    and AUTH offered in clear: what a relay looks like once STARTTLS is stripped)."""
    controllers: list[Controller] = []

    def start_on(port: int, *, tls: str | None) -> Relay:
        inbox = Inbox(port=port)
        authenticator = Authenticator()
        options: dict[str, Any] = {"authenticator": authenticator}
        if tls == "starttls":
            options.update(
                tls_context=server_tls_context(tls_files),
                require_starttls=True,
                auth_required=True,
            )
        elif tls == "implicit":
            # aiosmtpd 1.4 counts only STARTTLS as TLS for AUTH: the whole session is
            # encrypted here, so AUTH needs no further TLS.
            options.update(ssl_context=server_tls_context(tls_files), auth_require_tls=False)
        else:
            options.update(auth_require_tls=False)
        controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port, **options)
        controller.start()
        controllers.append(controller)
        return Relay(inbox, authenticator)

    def start(*, tls: str | None) -> Relay:
        return on_a_free_port(lambda port: start_on(port, tls=tls))

    try:
        yield start
    finally:
        for controller in controllers:
            controller.stop()


@pytest.fixture
def settings(settings: Settings, inbox: Inbox) -> Settings:
    return settings.model_copy(
        update={
            "smtp_url": SecretStr(f"smtp://127.0.0.1:{inbox.port}"),
            "email_from": "Acme <shop@acme.test>",
        }
    )


@pytest.fixture
def resources(app: FastAPI) -> Resources:
    res: Resources = app.state.resources
    return res


@pytest.fixture
def config(settings: Settings) -> MessagingConfig:
    return MessagingConfig.from_settings(settings)


async def make_shop(
    sessions: async_sessionmaker[AsyncSession],
    *,
    timezone: str = "UTC",
    locale: str = "en",
    domain: str = "acme.myshopify.com",
    quiet_hours: bool = False,
    access_token: str = "shpat_test_token",
) -> Shop:
    """An installed shop. Quiet hours are off unless asked for, so tests do not depend on the
    hour they run at."""
    shop = await create_shop(sessions, domain=domain, access_token=access_token)
    async with sessions.begin() as session:
        if not quiet_hours:
            await send_at_any_hour(session, shop.id)
        row = await session.get(Shop, shop.id)
        assert row is not None
        row.name, row.email, row.timezone, row.locale, row.currency = (
            "Acme",
            "owner@acme.test",
            timezone,
            locale,
            "EUR",
        )
    shop.name, shop.email, shop.timezone, shop.locale, shop.currency = (
        "Acme",
        "owner@acme.test",
        timezone,
        locale,
        "EUR",
    )
    return shop


@pytest.fixture
async def shop(sessions: async_sessionmaker[AsyncSession]) -> Shop:
    """The installed shop of most tests: `make_shop`'s defaults (Acme, acme.myshopify.com)."""
    return await make_shop(sessions)


@pytest.fixture
def auth(shop: Shop) -> dict[str, str]:
    """The headers of `shop`'s merchant in the embedded admin: a fresh session token."""
    return bearer(mint_session_token(shop.domain))


async def set_approval_mode(
    client: httpx.AsyncClient, auth: dict[str, str], scenario: str = "abandoned_cart"
) -> None:
    """The merchant holds the scenario's emails for approval (through the admin's API)."""
    response = await client.put(
        f"/api/scenarios/{scenario}", json={"mode": "approval"}, headers=auth
    )
    assert response.status_code == 200, response.text


_customer_seq = iter(range(1000, 10_000_000))


async def make_customer(
    sessions: async_sessionmaker[AsyncSession],
    shop: Shop,
    *,
    email: str | None = None,
    first_name: str | None = "Camille",
    state: str | None = "subscribed",
    locale: str | None = None,
    shopify_id: int | None = None,
) -> Customer:
    number = next(_customer_seq)
    customer = Customer(
        shop_id=shop.id,
        shopify_id=shopify_id or number,
        email=email or f"shopper{number}@example.test",
        first_name=first_name,
        last_name="Martin",
        locale=locale,
        email_marketing_state=state,
        tags=[],
    )
    async with sessions.begin() as session:
        session.add(customer)
    return customer


CART_CONTEXT: dict[str, Any] = {
    "items": [
        {
            "title": "Linen shirt",
            "variant_title": "M / Blue",
            "quantity": 2,
            "price": "1234.50",
            "image_url": "https://cdn.example.test/shirt.jpg",
        }
    ],
    "cart_total": "2469.00",
    "currency": "EUR",
    "checkout_url": "https://acme.myshopify.com/checkouts/abc/recover?key=1&x=2",
}


def _priority(scenario: str) -> int:
    """The scenario's own priority, as its steps pass it (0 for a kind the catalog lacks)."""
    declared = PLATFORM.catalog.find(scenario)
    return declared.content.priority if declared is not None else 0


async def enqueue(
    sessions: async_sessionmaker[AsyncSession],
    config: MessagingConfig,
    shop: Shop,
    customer: Customer,
    *,
    scenario: str = "abandoned_cart",
    step: int = 1,
    subject_key: str = "checkout-abc",
    context: dict[str, Any] | None = None,
    at: datetime | None = None,
    transactional: bool = False,
    mode: DeliveryMode | None = None,
) -> Message:
    async with sessions.begin() as session:
        return await enqueue_message(
            session,
            config,
            shop=shop,
            customer=customer,
            scenario=scenario,
            step=step,
            subject_key=subject_key,
            context=CART_CONTEXT if context is None else context,
            scheduled_at=at or datetime.now(UTC),
            transactional=transactional,
            mode=mode,
            priority=_priority(scenario),
        )


async def run_send_job(resources: Resources, message_id: int) -> str:
    return await send_message(
        JobContext(job_id=f"test:{message_id}", attempt=1, resources=resources), message_id
    )


async def reload(sessions: async_sessionmaker[AsyncSession], message_id: int) -> Message:
    async with sessions.begin() as session:
        message = await session.get(Message, message_id)
        assert message is not None
        return message


def email_part(email: EmailMessage, kind: str) -> str:
    """The decoded body of a received email in `kind` ("html" or "plain"), its line ends
    made Unix ones (the wire's CRLF) so that tests can compare multi-line text."""
    part = email.get_body(preferencelist=(kind,))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")
