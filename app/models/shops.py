"""A store that installed Boomerang, with its encrypted offline token."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, Timestamps


class Shop(Timestamps, Base):
    __tablename__ = "shops"

    id: Mapped[int] = mapped_column(primary_key=True)
    domain: Mapped[str] = mapped_column(String(255), unique=True)
    # Fernet ciphertexts (MultiFernet with TOKEN_ENCRYPTION_KEYS); never the plain token.
    access_token_encrypted: Mapped[str | None] = mapped_column(Text)
    access_token_expires_at: Mapped[datetime | None]
    # What Shopify issued the current access token for (expires_in): the refresh-ahead window
    # is at most half of it, so short-lived tokens are not refreshed on every call.
    access_token_lifetime_seconds: Mapped[int | None]
    refresh_token_encrypted: Mapped[str | None] = mapped_column(Text)
    refresh_token_expires_at: Mapped[datetime | None]
    scopes: Mapped[str] = mapped_column(Text, default="")
    installed_at: Mapped[datetime | None]
    uninstalled_at: Mapped[datetime | None]
    name: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    locale: Mapped[str] = mapped_column(String(16), default="en")
    plan_name: Mapped[str | None] = mapped_column(String(64))
    primary_domain_url: Mapped[str | None] = mapped_column(Text)
    # Shopify refused the token and a refresh could not fix it: the merchant must reopen the app.
    token_invalid_at: Mapped[datetime | None]
    # shop/redact ran: every row of the shop is gone but this tombstone (domain only).
    redacted_at: Mapped[datetime | None]
    # The shop's postal address as Shopify formats it (Shop.shopAddress.formatted, one line
    # each), read at install: the footer of every email carries it, as anti-spam law asks.
    postal_address: Mapped[str | None] = mapped_column(Text)
    # The sender identity the merchant set (app/messaging/sender.py): the name shoppers see,
    # where their replies go, an address on a domain the operator verified, and the logo and
    # colour the email layout shows. None: the defaults (shop name, operator's address).
    sender_name: Mapped[str | None] = mapped_column(String(100))
    sender_reply_to: Mapped[str | None] = mapped_column(String(320))
    sender_address: Mapped[str | None] = mapped_column(String(320))
    logo_url: Mapped[str | None] = mapped_column(Text)
    brand_color: Mapped[str | None] = mapped_column(String(7))
