"""Customer segments of the Admin API: segmentCreate, as the referral program uses it to
restrict every friend discount to the shop's first-time buyers (Shopify's "Number of orders"
filter, `number_of_orders = 0`; a discount's `context.customerSegments` names the segment)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from app.errors import ShopifyUserErrors
from app.i18n import Text
from app.shopify.admin.client import AdminClient, Operation
from app.shopify.admin.types import ShopRef


class _Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class _UserError(_Model):
    field: list[str] | None = None
    message: str


class _SegmentRef(_Model):
    id: str


class _CreatePayload(_Model):
    segment: _SegmentRef | None = None
    user_errors: list[_UserError]


SEGMENT_CREATE = Operation(
    name="SegmentCreate",
    document=(
        "mutation SegmentCreate($name: String!, $query: String!) {"
        " segmentCreate(name: $name, query: $query) {"
        " segment { id } userErrors { field message } } }"
    ),
    cost=10,
)


class ShopifySegments:
    """What the referral program asks of Shopify's customer segments."""

    def __init__(self, client: AdminClient) -> None:
        self._client = client

    async def create_segment(self, shop: ShopRef, name: str, query: str) -> str:
        """The new segment's gid; raises ShopifyUserErrors when Shopify refuses it."""
        data = await self._client.execute(shop, SEGMENT_CREATE, {"name": name, "query": query})
        payload = _CreatePayload.model_validate(data["segmentCreate"])
        if payload.segment is None or payload.user_errors:
            messages = "; ".join(e.message for e in payload.user_errors)
            raise ShopifyUserErrors(
                Text(
                    en=f"Shopify refused the customer segment {name!r}: {messages}",
                    fr=f"Shopify a refusé le segment de clients {name!r} : {messages}",
                ),
                [(".".join(e.field or []), None, e.message) for e in payload.user_errors],
            )
        return payload.segment.id
