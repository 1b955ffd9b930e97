"""The review link's token: signed per order (app/messaging/signing.py, its own key derived
from the app secret), carrying the shop, the order and when it stops working. Nothing in it
can be guessed or edited; the order's products and what was reviewed are read from the
database, so a token is reusable only for what is still open (each product once, edits
within 24 hours)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from app.messaging import signing
from app.reviews.errors import LINK_EXPIRED, LINK_INVALID, LinkExpired, LinkInvalid
from app.settings import Settings

PURPOSE = "review-form"
PHOTO_PURPOSE = "review-photo"


@dataclass(frozen=True)
class ReviewLink:
    shop_id: int
    order_id: int
    expires_at: datetime


@dataclass(frozen=True)
class ReviewTokens:
    app_url: str
    key: bytes
    valid_for: timedelta
    photo_key: bytes

    @classmethod
    def from_settings(cls, settings: Settings) -> ReviewTokens:
        return cls(
            app_url=settings.app_url.rstrip("/"),
            key=signing.derive_key(settings.shopify_api_secret.get_secret_value(), PURPOSE),
            valid_for=timedelta(days=settings.review_link_days),
            photo_key=signing.derive_key(
                settings.shopify_api_secret.get_secret_value(), PHOTO_PURPOSE
            ),
        )

    def photo_url(self, photo_id: int) -> str:
        """A photo's address, for the admin and the form: unguessable, signed per photo."""
        return f"{self.app_url}/rp/{signing.sign({'p': photo_id}, self.photo_key)}"

    def read_photo(self, token: str) -> int | None:
        payload = signing.verify(token, self.photo_key)
        photo = payload.get("p") if payload else None
        return photo if _whole(photo) and isinstance(photo, int) else None

    def token(self, shop_id: int, order_id: int, now: datetime) -> str:
        expires = int((now + self.valid_for).timestamp())
        return signing.sign({"s": shop_id, "o": order_id, "x": expires}, self.key)

    def form_url(
        self, token: str, *, product_id: int | None = None, rating: int | None = None
    ) -> str:
        query: dict[str, int] = {}
        if product_id is not None:
            query["p"] = product_id
        if rating is not None:
            query["r"] = rating
        suffix = f"?{urlencode(query)}" if query else ""
        return f"{self.app_url}/review/{token}{suffix}"

    def read(self, token: str, now: datetime) -> ReviewLink:
        """The link's order; LinkInvalid for anything not signed by us, LinkExpired after its
        time."""
        payload = signing.verify(token, self.key)
        if payload is None:
            raise LinkInvalid(LINK_INVALID)
        shop_id, order_id, expires = payload.get("s"), payload.get("o"), payload.get("x")
        if not (_whole(shop_id) and _whole(order_id) and _whole(expires)):
            raise LinkInvalid(LINK_INVALID)
        expires_at = datetime.fromtimestamp(int(str(expires)), tz=now.tzinfo)
        if now >= expires_at:
            raise LinkExpired(LINK_EXPIRED)
        return ReviewLink(int(str(shop_id)), int(str(order_id)), expires_at)


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0
