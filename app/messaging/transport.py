"""Handing an email to the world: SMTP through aiosmtplib, or .eml files on disk when no
SMTP_URL is set. Failures come back typed: transient (4xx, connection trouble: retry later)
or permanent (5xx: record and stop)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

import aiosmtplib

from app.settings import Settings, SettingsError

SMTP_TIMEOUT = 30.0


class TransientSendError(Exception):
    """Try again later: a 4xx answer, a timeout, a refused connection."""


class PermanentSendError(Exception):
    """Do not try again: a 5xx answer. `recipient_rejected` when the address itself is."""

    def __init__(self, detail: str, *, code: int, recipient_rejected: bool) -> None:
        super().__init__(detail)
        self.code = code
        self.recipient_rejected = recipient_rejected


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
    timeout: float = SMTP_TIMEOUT
    # Loopback test servers have no certificate; production relays do.
    validate_certs: bool = True

    async def send(self, email: EmailMessage) -> str:
        try:
            _errors, answer = await aiosmtplib.send(
                email,
                hostname=self.hostname,
                port=self.port,
                username=self.username,
                password=self.password,
                use_tls=self.implicit_tls,
                # None: STARTTLS when the server offers it (never with implicit TLS).
                start_tls=False if self.implicit_tls else None,
                timeout=self.timeout,
                validate_certs=self.validate_certs,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            refused = exc.recipients[0] if exc.recipients else None
            code = refused.code if refused else 550
            raise _classify(code, refused.message if refused else str(exc), recipient=True) from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise _classify(exc.code, exc.message, recipient=False) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise TransientSendError(f"{type(exc).__name__}: {exc}") from exc
        return answer


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
        await asyncio.to_thread(self._write, path, bytes(email))
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
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise SettingsError(
            "SMTP_URL must look like smtp://user:pass@host:587 (STARTTLS when offered) "
            "or smtps://user:pass@host:465 (implicit TLS)"
        )
    implicit = parts.scheme == "smtps"
    return SmtpTransport(
        hostname=parts.hostname,
        port=parts.port or (465 if implicit else 587),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        implicit_tls=implicit,
        validate_certs=parts.hostname not in ("127.0.0.1", "localhost", "::1"),
    )
