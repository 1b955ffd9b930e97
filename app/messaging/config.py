"""What messaging needs from the settings: public URLs, the sender, and per-purpose keys."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from app.messaging import signing
from app.settings import Settings


@dataclass(frozen=True)
class MessagingConfig:
    app_url: str
    email_from: str
    tracking_key: bytes
    unsubscribe_key: bytes
    events_key: bytes
    # Domains the operator verified for the relay (SENDER_DOMAINS): a shop's own address is
    # used only on one of them.
    sender_domains: frozenset[str] = frozenset()

    @classmethod
    def from_settings(cls, settings: Settings) -> MessagingConfig:
        secret = settings.shopify_api_secret.get_secret_value()
        return cls(
            app_url=settings.app_url.rstrip("/"),
            email_from=settings.email_from,
            tracking_key=signing.derive_key(secret, "tracking"),
            unsubscribe_key=signing.derive_key(secret, "unsubscribe"),
            events_key=signing.derive_key(secret, "email-events"),
            sender_domains=settings.verified_sender_domains,
        )

    @property
    def message_id_domain(self) -> str:
        return urlsplit(self.app_url).hostname or "boomerang.invalid"

    def unsubscribe_token(self, shop_id: int, customer_id: int) -> str:
        return signing.sign({"s": shop_id, "c": customer_id}, self.unsubscribe_key)

    def unsubscribe_url(self, shop_id: int, customer_id: int, locale: str | None = None) -> str:
        """The link, with the email's language (`l`) so the page speaks it too; the language
        is not signed: it changes nothing but the words."""
        url = f"{self.app_url}/u/{self.unsubscribe_token(shop_id, customer_id)}"
        return f"{url}?l={locale}" if locale else url
