"""Handing an email to the world: SMTP through aiosmtplib, or .eml files on disk when no
SMTP_URL is set. Failures come back typed:
- transient (a 4xx answer to this message, a dropped line mid-message): retry it later;
- permanent (a 5xx answer to this message or its recipient): record and stop;
- relay unavailable (the relay itself refuses us before any message is looked at: wrong
  credentials, no STARTTLS to protect them, a 5xx greeting, refused connection): no message
  can go until that is fixed, so every message stays queued and none is marked failed."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

import aiosmtplib

from app.settings import Settings, SettingsError

SMTP_TIMEOUT = 30.0

_LOOPBACK = ("127.0.0.1", "localhost", "::1")


class TransientSendError(Exception):
    """Try this message again later: a 4xx answer, a timeout mid-message, a full disk."""


class PermanentSendError(Exception):
    """Do not try again: a 5xx answer. `recipient_rejected` when the address itself is."""

    def __init__(self, detail: str, *, code: int, recipient_rejected: bool) -> None:
        super().__init__(detail)
        self.code = code
        self.recipient_rejected = recipient_rejected


class RelayUnavailable(Exception):
    """The relay refused the session itself, before any message was handed over: a problem
    of the whole transport (configuration or outage), never of one message."""


class Transport(Protocol):
    async def send(self, email: EmailMessage) -> str:
        """Deliver `email`; return the server's answer (kept on the message)."""
        ...


@dataclass(frozen=True)
class SmtpTransport:
    hostname: str
    port: int
    username: str | None
    password: str | None
    implicit_tls: bool
    # STARTTLS or nothing: set whenever credentials would otherwise cross the wire in clear
    # (a man in the middle can strip STARTTLS from the server's EHLO answer).
    require_starttls: bool = False
    timeout: float = SMTP_TIMEOUT
    # Loopback test servers have no certificate; production relays do.
    validate_certs: bool = True

    def _client(self) -> aiosmtplib.SMTP:
        if self.implicit_tls:
            start_tls: bool | None = False
        else:
            # None: STARTTLS when the server offers it; True: refuse to go on without it.
            start_tls = True if self.require_starttls else None
        return aiosmtplib.SMTP(
            hostname=self.hostname,
            port=self.port,
            username=self.username,
            password=self.password,
            use_tls=self.implicit_tls,
            start_tls=start_tls,
            timeout=self.timeout,
            validate_certs=self.validate_certs,
        )

    async def send(self, email: EmailMessage) -> str:
        client = self._client()
        try:
            # Greeting, EHLO, STARTTLS and AUTH: whatever fails here fails for every message.
            await client.connect()
        except aiosmtplib.SMTPAuthenticationError as exc:
            raise RelayUnavailable(
                f"the relay refused the credentials ({exc.code} {exc.message}): "
                "check the user and password in SMTP_URL"
            ) from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise RelayUnavailable(
                f"the relay refused the session ({exc.code} {exc.message})"
            ) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise RelayUnavailable(self._connect_failure(exc)) from exc
        try:
            _errors, answer = await client.send_message(email)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            refused = exc.recipients[0] if exc.recipients else None
            code = refused.code if refused else 550
            raise _classify(code, refused.message if refused else str(exc), recipient=True) from exc
        except aiosmtplib.SMTPSenderRefused as exc:
            # Every message has the same sender: a refusal of it is the relay's policy.
            raise RelayUnavailable(
                f"the relay refused the sender {exc.sender} ({exc.code} {exc.message}): "
                "check EMAIL_FROM and what SMTP_URL's account may send as"
            ) from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise _classify(exc.code, exc.message, recipient=False) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise TransientSendError(f"{type(exc).__name__}: {exc}") from exc
        finally:
            with contextlib.suppress(aiosmtplib.SMTPException, OSError, TimeoutError):
                if client.is_connected:
                    await client.quit()
        return answer

    def _connect_failure(self, exc: BaseException) -> str:
        text = str(exc)
        if "STARTTLS" in text and self.require_starttls:
            return (
                "the relay did not offer STARTTLS, so the credentials were not sent: "
                "fix the relay's TLS, or use smtps:// if it listens with implicit TLS"
            )
        if isinstance(exc, (aiosmtplib.SMTPConnectError, OSError, TimeoutError)):
            return f"could not connect to the relay at {self.hostname}:{self.port} ({text})"
        return f"the relay at {self.hostname}:{self.port} could not be used ({text})"


def _classify(code: int, message: str, *, recipient: bool) -> Exception:
    detail = f"{code} {message}".strip()
    if 400 <= code < 500:
        return TransientSendError(detail)
    return PermanentSendError(detail, code=code, recipient_rejected=recipient)


@dataclass(frozen=True)
class FileTransport:
    """Writes each email to `directory/<Message-ID>.eml`: the default with no SMTP_URL."""

    directory: Path

    async def send(self, email: EmailMessage) -> str:
        name = (email["Message-ID"] or "no-id").strip("<>").replace("/", "_") + ".eml"
        path = self.directory / name
        try:
            await asyncio.to_thread(self._write, path, bytes(email))
        except OSError as exc:
            # A full disk or a read-only folder: the email stays in the outbox for later.
            raise TransientSendError(f"could not write {path}: {exc}") from exc
        return f"written {path.name}"

    def _write(self, path: Path, data: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)


def transport_from_settings(settings: Settings) -> Transport:
    if settings.smtp_url is None or not settings.smtp_url.get_secret_value():
        return FileTransport(settings.data_dir / "outbox")
    return smtp_transport_from_url(settings.smtp_url.get_secret_value())


def smtp_transport_from_url(url: str) -> SmtpTransport:
    """smtp://host:25 (STARTTLS when offered), smtp://user:pass@host:587 (STARTTLS required:
    credentials never go in clear), smtps://user:pass@host:465 (implicit TLS)."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise SettingsError(
            "SMTP_URL must look like smtp://user:pass@host:587 (STARTTLS, required with "
            "credentials), smtps://user:pass@host:465 (implicit TLS) or smtp://host:25"
        )
    implicit = parts.scheme == "smtps"
    username = unquote(parts.username) if parts.username else None
    return SmtpTransport(
        hostname=parts.hostname,
        port=parts.port or (465 if implicit else 587),
        username=username,
        password=unquote(parts.password) if parts.password else None,
        implicit_tls=implicit,
        require_starttls=not implicit and username is not None,
        validate_certs=parts.hostname not in _LOOPBACK,
    )
