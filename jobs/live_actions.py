"""The real StepActions: discount codes by the code-issuing policy (app/codes/issuing.py),
product images (cached per variant in Redis) and product cards from the Admin API, emails into
the outbox with their send job deferred to the step's commit."""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession

from app.codes.issuing import StepCodes
from app.errors import BoomerangError, ShopifyQueryError
from app.messaging.controls import DeliveryMode
from app.messaging.outbox import Status, enqueue_message
from app.models import Customer, Message
from app.platform.resources import Resources
from app.reviews.tokens import ReviewTokens
from app.scenarios.actions import (
    CodeRequest,
    EmailRequest,
    IssuedCode,
    ProductsRequest,
    QueuedEmail,
)
from app.shopify.admin.factory import admin_client, discount_gateway
from app.shopify.admin.products import ShopifyProducts
from app.shopify.admin.types import ProductCard, ShopRef

log = structlog.get_logger(__name__)

# Product images change rarely; a variant without one is asked again sooner.
IMAGE_TTL = timedelta(days=1)
NO_IMAGE_TTL = timedelta(hours=1)


def _image_key(shop_id: int, variant_id: int) -> str:
    return f"boomerang:variant-image:{shop_id}:{variant_id}"


class LiveStepActions:
    def __init__(self, resources: Resources) -> None:
        self._resources = resources

    async def issue_code(self, request: CodeRequest, now: datetime) -> IssuedCode:
        """The code-issuing policy (app/codes/issuing.py), with no transaction open."""
        codes = StepCodes(
            self._resources.sessions, discount_gateway(self._resources), self._resources.queue
        )
        return await codes.issue(request, now)

    async def variant_images(
        self, shop_id: int, shop_domain: str, variant_ids: tuple[int, ...]
    ) -> dict[int, str]:
        """Cached per variant; what is not cached is asked of Shopify in one `nodes` query.
        Redis or Shopify failing yields fewer images, never a lost reminder."""
        redis = self._resources.redis
        keys = [_image_key(shop_id, v) for v in variant_ids]
        try:
            cached = await redis.mget(keys)
        except RedisError:
            cached = [None] * len(keys)
        images: dict[int, str] = {}
        missing: list[int] = []
        for variant_id, value in zip(variant_ids, cached, strict=True):
            if value is None:
                missing.append(variant_id)
            elif value:
                images[variant_id] = value.decode() if isinstance(value, bytes) else str(value)
        if not missing:
            return images
        try:
            fetched = await ShopifyProducts(admin_client(self._resources)).variant_images(
                ShopRef(shop_id, shop_domain), missing
            )
        except ShopifyQueryError:
            # Refused, not failed: typically a shop installed before Boomerang asked for
            # read_products. Asked again when the no-image entries expire, not every step.
            log.warning("variant images refused", shop=shop_domain)
            fetched = dict.fromkeys(missing)
        except BoomerangError as exc:
            log.warning("variant images unavailable", shop=shop_domain, error=type(exc).__name__)
            return images
        try:
            async with redis.pipeline(transaction=False) as pipe:
                for variant_id, url in fetched.items():
                    ttl = IMAGE_TTL if url else NO_IMAGE_TTL
                    pipe.set(_image_key(shop_id, variant_id), url or "", ex=ttl)
                await pipe.execute()
        except RedisError:
            pass  # asked again next time
        images.update({v: url for v, url in fetched.items() if url})
        return images

    def review_tokens(self) -> ReviewTokens:
        return ReviewTokens.from_settings(self._resources.settings)

    async def product_cards(self, request: ProductsRequest) -> list[ProductCard]:
        """The best-sellers' cards from the Admin API. Unreachable or a refused token raise
        (the step job retries or stops); a refused query (no read_products) yields none."""
        products = ShopifyProducts(admin_client(self._resources))
        try:
            return await products.best_sellers(
                ShopRef(request.shop_id, request.shop_domain),
                request.ranked_product_ids,
                request.count,
                shop_url=request.shop_url,
            )
        except ShopifyQueryError:
            log.warning("product cards refused", shop=request.shop_domain)
            return []

    async def queue_email(self, session: AsyncSession, request: EmailRequest) -> QueuedEmail:
        customer = await session.get(Customer, request.customer_id) if request.customer_id else None
        if customer is None or not customer.email:
            # A guest checkout without a customer record.
            return QueuedEmail(Status.SUPPRESSED, "customer_missing")
        message: Message = await enqueue_message(
            session,
            self._resources.messaging,
            shop=request.shop,
            customer=customer,
            scenario=request.scenario,
            step=request.step,
            subject_key=request.subject_key,
            context={**request.context, "locale": request.locale},
            scheduled_at=request.scheduled_at,
            transactional=request.transactional,
            mode=DeliveryMode(request.mode.value),
            priority=request.priority,
        )
        # Its send job is deferred to the step's commit (enqueue_message did it).
        return QueuedEmail(message.status, message.status_reason, message.id)
