"""Bounces and complaints: from an email-events hook (an ESP or relay posting JSON) or from
a delivery status notification (RFC 3464 multipart/report). A hard bounce or a complaint
makes the address undeliverable for the shop: every later message to it is suppressed with
reason `bounced` or `complained`. Soft bounces are recorded only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.message import Message as MimeMessage

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.messaging.consent import suppress_address
from app.models import Message, MessageEvent


@dataclass(frozen=True)
class EmailEvent:
    kind: str  # "bounce" | "complaint"
    message_id_header: str | None
    address: str | None
    hard: bool
    detail: str | None = None


def parse_dsn(raw: bytes) -> list[EmailEvent]:
    """Per-recipient failures of an RFC 3464 report: `Action: failed` with a 5.x.x `Status`
    is a hard bounce; 4.x.x or `delayed` a soft one. The original Message-ID comes from the
    returned message or headers part."""
    report = message_from_bytes(raw, policy=policy.default)
    if report.get_content_type() != "multipart/report":
        return []
    original_id = _original_message_id(report)
    events: list[EmailEvent] = []
    for part in report.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        for fields in _status_groups(part):
            action = fields.get("action", "").lower()
            status = fields.get("status", "")
            if action not in ("failed", "delayed"):
                continue
            recipient = fields.get("final-recipient") or fields.get("original-recipient") or ""
            address = recipient.split(";", 1)[-1].strip() or None
            events.append(
                EmailEvent(
                    kind="bounce",
                    message_id_header=original_id,
                    address=address,
                    hard=action == "failed" and status.startswith("5"),
                    detail=f"{status} {fields.get('diagnostic-code', '')}".strip()[:500],
                )
            )
    return events


def _status_groups(part: MimeMessage) -> list[dict[str, str]]:
    """The per-message and per-recipient field groups of a message/delivery-status part."""
    payload = part.get_payload()
    groups: list[dict[str, str]] = []
    if isinstance(payload, list):
        # The email package parses each group as a headers-only sub-message.
        for block in payload:
            if isinstance(block, MimeMessage):
                groups.append({k.lower(): str(v) for k, v in block.items()})
    else:
        text = payload if isinstance(payload, str) else ""
        for chunk in text.replace("\r\n", "\n").split("\n\n"):
            fields: dict[str, str] = {}
            for line in chunk.splitlines():
                if ":" in line:
                    key, value = line.split(":", 1)
                    fields[key.strip().lower()] = value.strip()
            if fields:
                groups.append(fields)
    return groups


def _original_message_id(report: EmailMessage | MimeMessage) -> str | None:
    for part in report.walk():
        content_type = part.get_content_type()
        if content_type == "message/rfc822":
            inner = part.get_payload()
            first = inner[0] if isinstance(inner, list) and inner else None
            if isinstance(first, MimeMessage) and first.get("Message-ID"):
                return str(first["Message-ID"]).strip()
        if content_type == "text/rfc822-headers":
            raw = part.get_payload(decode=True)
            headers = message_from_bytes(raw if isinstance(raw, bytes) else b"")
            if headers.get("Message-ID"):
                return str(headers["Message-ID"]).strip()
    return None


async def apply_email_event(session: AsyncSession, event: EmailEvent, now: datetime) -> bool:
    """Record the event on its message and suppress the address when it is dead or
    complaining. False when the Message-ID is not one of ours (nothing to tie it to a shop)."""
    if not event.message_id_header:
        return False
    message = await session.scalar(
        select(Message).where(Message.message_id_header == event.message_id_header.strip())
    )
    if message is None:
        return False
    address = (event.address or message.to_address or "").lower()
    session.add(
        MessageEvent(
            shop_id=message.shop_id,
            message_id=message.id,
            kind=event.kind,
            human=event.kind == "complaint",
            machine_reason=None,
            url=None,
            user_agent=None,
            detail=("hard " if event.hard else "soft ") + (event.detail or "")
            if event.kind == "bounce"
            else event.detail,
            occurred_at=now,
        )
    )
    if address and (event.kind == "complaint" or event.hard):
        await suppress_address(
            session,
            message.shop_id,
            address,
            reason="complained" if event.kind == "complaint" else "bounced",
            now=now,
            customer_id=message.customer_id,
            detail=event.detail,
        )
    return True
