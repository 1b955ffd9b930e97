"""What a scenario step may do to the world, as an interface the engine calls: hand out a
discount code, look up product images and cards (outside any transaction), queue an email
(inside the step's). The edges implement it (jobs/live_actions.py, with the code-issuing
policy in app/codes/): code pools and the GraphQL client, the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from app.codes.offers import CodePurpose
from app.i18n import Text
from app.models import Shop
from app.reviews.tokens import ReviewTokens
from app.scenarios.config import DiscountSettings
from app.scenarios.modes import Mode
from app.shopify.admin.types import ProductCard


@dataclass(frozen=True)
class IssuedCode:
    code: str
    expires_at: datetime


@dataclass(frozen=True)
class CodeRequest:
    """A step's code, to be issued outside any transaction (it may call Shopify)."""

    shop_id: int
    shop_domain: str
    # The discount's title in Shopify's admin is written in the shop's language.
    shop_locale: str | None
    scenario: str
    # The same key always yields the same code, so a retried step hands out the same one.
    idempotency_key: str
    customer_id: int | None
    discount: DiscountSettings
    prefix: str
    # What the code is for, and the discount's title in Shopify's admin (the scenario's
    # content: app/scenarios/<key>/content.py).
    purpose: CodePurpose | None = None
    title: Text | None = None


@dataclass(frozen=True)
class ProductsRequest:
    """Product cards a step shows (the welcome series' best-sellers), fetched outside any
    transaction: the ranked products still on sale, in rank order, topped up with the
    shop's newest when too few are ranked."""

    shop_id: int
    shop_domain: str
    # Best first, from the orders we stored (the Admin API cannot sort products by sales).
    ranked_product_ids: tuple[int, ...]
    count: int
    # Builds a product's page from its handle when Shopify gives no onlineStoreUrl.
    shop_url: str


@dataclass(frozen=True)
class EmailRequest:
    shop: Shop
    scenario: str
    step: int
    # The natural key of the message with scenario and step: never sent twice.
    subject_key: str
    customer_id: int | None
    locale: str
    context: dict[str, Any]
    mode: Mode
    transactional: bool
    scheduled_at: datetime
    # The scenario's priority (its content): the higher goes first when two are due at once.
    priority: int = 0


@dataclass(frozen=True)
class QueuedEmail:
    """The message a step put in the outbox, as it stands: queued, pending_approval, draft
    or suppressed (with the reason)."""

    status: str
    reason: str | None = None
    message_id: int | None = None


class StepActions(Protocol):
    async def issue_code(self, request: CodeRequest, now: datetime) -> IssuedCode:
        """Called with no transaction open: it may commit on its own and call Shopify."""
        ...

    async def queue_email(self, session: AsyncSession, request: EmailRequest) -> QueuedEmail:
        """Put the message in the outbox (its send job dispatched after commit)."""
        ...

    async def variant_images(
        self, shop_id: int, shop_domain: str, variant_ids: tuple[int, ...]
    ) -> dict[int, str]:
        """Image URLs by variant id (the variant's own image, else its product's), for those
        that have one. Called with no transaction open; a failure yields no images."""
        ...

    def review_tokens(self) -> ReviewTokens:
        """The review form's links (signed per order with the app's own key)."""
        ...

    async def product_cards(self, request: ProductsRequest) -> list[ProductCard]:
        """The cards asked for, called with no transaction open. Shopify unreachable or the
        token refused raise (the step is retried, or stopped, as for a code); a query Shopify
        refuses (no read_products) yields none."""
        ...
