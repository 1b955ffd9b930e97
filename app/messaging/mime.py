"""Turning an outbox row into the email that leaves: headers (Message-ID, RFC 8058 one-click
List-Unsubscribe), the plain-text and HTML parts, and tracking links in both."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from app.messaging.config import MessagingConfig
from app.messaging.sender import Sender
from app.messaging.tracking import instrument_html, instrument_text
from app.models import Message


def new_message_id(config: MessagingConfig) -> str:
    return make_msgid(idstring="boomerang", domain=config.message_id_domain)


def build_email(
    message: Message,
    config: MessagingConfig,
    *,
    now: datetime,
    link_hosts: frozenset[str],
    sender: Sender,
) -> EmailMessage:
    """`link_hosts`: where tracked links may lead (tracking.link_hosts); `sender`: the shop's
    From and Reply-To (app/messaging/sender.py)."""
    if not message.to_address or not message.message_id_header:
        raise ValueError(f"message {message.id} has no address or Message-ID yet")
    email = EmailMessage()
    email["Subject"] = message.subject
    email["From"] = sender.from_header
    if sender.reply_to:
        email["Reply-To"] = sender.reply_to
    email["To"] = message.to_address
    email["Date"] = format_datetime(now)
    email["Message-ID"] = message.message_id_header
    if message.customer_id is not None:
        # RFC 8058: an HTTPS URI that unsubscribes on a POST with "List-Unsubscribe=One-Click".
        # No mailto: replies go to the shop's people (Reply-To), who may not act on an
        # unsubscribe request, and an address that silently ignores them is worse than none.
        https = config.unsubscribe_url(message.shop_id, message.customer_id, message.locale)
        email["List-Unsubscribe"] = f"<{https}>"
        email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email["X-Boomerang-Scenario"] = f"{message.scenario}/{message.step}"
    email.set_content(instrument_text(message, config, link_hosts))
    email.add_alternative(instrument_html(message, config, link_hosts), subtype="html")
    return email
