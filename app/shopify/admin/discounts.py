"""Discount operations of the Admin API (2026-10): documents, typed answers, and the
DiscountGateway the code services use.

Shopify facts relied on (shopify.dev, admin-graphql 2026-10): `context` replaces the deprecated
`customerSelection`; discountRedeemCodeBulkAdd takes at most 250 codes and runs asynchronously
(poll discountRedeemCodeBulkCreation); a discount's usageLimit applies to each of its redeem
codes; a taken code is a userError with code TAKEN.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from app.codes.gateway import (
    BulkCreationStatus,
    CreatedDiscount,
    DiscountRejected,
)
from app.codes.offers import DiscountSpec, ValueType
from app.errors import ShopifyQueryError, ShopifyUserErrors
from app.i18n import Text
from app.shopify.admin.client import AdminClient, Operation
from app.shopify.admin.types import ShopRef

MAX_BULK_CODES = 250


class _Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class UserError(_Model):
    field: list[str] | None = None
    code: str | None = None
    message: str


class NodeRef(_Model):
    id: str


class DiscountStatusFields(_Model):
    # Absent for the code discount types Boomerang does not create (Bxgy, app discounts).
    status: str | None = None


class StatusNode(_Model):
    id: str
    code_discount: DiscountStatusFields


class DiscountCreatePayload(_Model):
    code_discount_node: NodeRef | None = None
    user_errors: list[UserError]


class BulkCreationRef(_Model):
    id: str


class BulkAddPayload(_Model):
    bulk_creation: BulkCreationRef | None = None
    user_errors: list[UserError]


class BulkCodeResult(_Model):
    code: str
    errors: list[UserError]


class BulkCodeConnection(_Model):
    nodes: list[BulkCodeResult]


class BulkCreation(_Model):
    id: str
    done: bool
    codes_count: int
    imported_count: int
    failed_count: int
    codes: BulkCodeConnection | None = None


_NODE_FIELDS = "codeDiscountNode { id } userErrors { field code message }"

CREATE_BASIC = Operation(
    name="DiscountCodeBasicCreate",
    document=(
        "mutation DiscountCodeBasicCreate($input: DiscountCodeBasicInput!) {"
        f" discountCodeBasicCreate(basicCodeDiscount: $input) {{ {_NODE_FIELDS} }} }}"
    ),
    cost=10,
)
CREATE_FREE_SHIPPING = Operation(
    name="DiscountCodeFreeShippingCreate",
    document=(
        "mutation DiscountCodeFreeShippingCreate($input: DiscountCodeFreeShippingInput!) {"
        f" discountCodeFreeShippingCreate(freeShippingCodeDiscount: $input) {{ {_NODE_FIELDS} }} }}"
    ),
    cost=10,
)
FIND_BY_CODE = Operation(
    name="CodeDiscountNodeByCode",
    document=(
        "query CodeDiscountNodeByCode($code: String!) {"
        " codeDiscountNodeByCode(code: $code) { id } }"
    ),
    cost=1,
)
DISCOUNT_STATUS = Operation(
    name="CodeDiscountStatus",
    document=(
        "query CodeDiscountStatus($id: ID!) {"
        " codeDiscountNode(id: $id) { id codeDiscount {"
        " ... on DiscountCodeBasic { status }"
        " ... on DiscountCodeFreeShipping { status } } } }"
    ),
    cost=1,
)
BULK_ADD = Operation(
    name="DiscountRedeemCodeBulkAdd",
    document=(
        "mutation DiscountRedeemCodeBulkAdd("
        "$discountId: ID!, $codes: [DiscountRedeemCodeInput!]!) {"
        " discountRedeemCodeBulkAdd(discountId: $discountId, codes: $codes) {"
        " bulkCreation { id } userErrors { field code message } } }"
    ),
    cost=10,
)
BULK_STATUS = Operation(
    name="DiscountRedeemCodeBulkCreation",
    document=(
        "query DiscountRedeemCodeBulkCreation($id: ID!) { discountRedeemCodeBulkCreation(id: $id) {"
        " id done codesCount importedCount failedCount } }"
    ),
    cost=1,
)
BULK_FAILURES = Operation(
    name="DiscountRedeemCodeBulkCreationFailures",
    document=(
        "query DiscountRedeemCodeBulkCreationFailures($id: ID!) {"
        " discountRedeemCodeBulkCreation(id: $id) {"
        " id done codesCount importedCount failedCount"
        " codes(first: 250) { nodes { code errors { field code message } } } } }"
    ),
    # 1 + connection 2 + 250 × (code 1 + errors 1): charged for what comes back.
    cost=503,
)


def _money(value: Any) -> str:
    return str(value)


def _context(spec: DiscountSpec) -> dict[str, Any]:
    """Who may use the code (DiscountContextInput): named customers, customer segments (a
    referral code: the shop's first-time buyers), or all buyers."""
    if spec.customer_gids:
        return {"customers": {"add": list(spec.customer_gids)}}
    if spec.customer_segment_gids:
        return {"customerSegments": {"add": list(spec.customer_segment_gids)}}
    return {"all": "ALL"}


def discount_input(spec: DiscountSpec) -> dict[str, Any]:
    """DiscountCodeBasicInput / DiscountCodeFreeShippingInput for `spec`."""
    data: dict[str, Any] = {
        "title": spec.title,
        "code": spec.code,
        "startsAt": spec.starts_at.isoformat(),
        "endsAt": spec.ends_at.isoformat() if spec.ends_at else None,
        "usageLimit": spec.usage_limit,
        "appliesOncePerCustomer": spec.once_per_customer,
        "combinesWith": spec.combines_with.as_dict(),
        "context": _context(spec),
    }
    if spec.minimum_subtotal is not None:
        data["minimumRequirement"] = {
            "subtotal": {"greaterThanOrEqualToSubtotal": _money(spec.minimum_subtotal)}
        }
    if spec.value_type == ValueType.PERCENTAGE:
        data["customerGets"] = {
            "value": {"percentage": float(spec.value or 0)},
            "items": {"all": True},
        }
    elif spec.value_type == ValueType.FIXED_AMOUNT:
        data["customerGets"] = {
            "value": {"discountAmount": {"amount": _money(spec.value), "appliesOnEachItem": False}},
            "items": {"all": True},
        }
    else:
        data["destination"] = {"all": True}
    return data


def _rejected(errors: list[UserError]) -> DiscountRejected:
    return DiscountRejected(
        messages=tuple(f"{'.'.join(e.field or [])}: {e.message}" for e in errors),
        code_taken=any(e.code == "TAKEN" and (e.field or [])[-1:] == ["code"] for e in errors),
    )


class ShopifyDiscounts:
    """DiscountGateway over the Admin API."""

    def __init__(self, client: AdminClient) -> None:
        self._client = client

    async def create_discount(
        self, shop: ShopRef, spec: DiscountSpec
    ) -> CreatedDiscount | DiscountRejected:
        if spec.value_type == ValueType.FREE_SHIPPING:
            data = await self._client.execute(
                shop, CREATE_FREE_SHIPPING, {"input": discount_input(spec)}
            )
            payload = DiscountCreatePayload.model_validate(data["discountCodeFreeShippingCreate"])
        else:
            data = await self._client.execute(shop, CREATE_BASIC, {"input": discount_input(spec)})
            payload = DiscountCreatePayload.model_validate(data["discountCodeBasicCreate"])
        if payload.user_errors or payload.code_discount_node is None:
            return _rejected(payload.user_errors)
        return CreatedDiscount(discount_id=payload.code_discount_node.id)

    async def find_discount_by_code(self, shop: ShopRef, code: str) -> str | None:
        data = await self._client.execute(shop, FIND_BY_CODE, {"code": code})
        node = data.get("codeDiscountNodeByCode")
        return None if node is None else NodeRef.model_validate(node).id

    async def discount_status(self, shop: ShopRef, discount_id: str) -> str | None:
        data = await self._client.execute(shop, DISCOUNT_STATUS, {"id": discount_id})
        raw = data.get("codeDiscountNode")
        if raw is None:
            return None
        return StatusNode.model_validate(raw).code_discount.status or "ACTIVE"

    async def add_codes(self, shop: ShopRef, discount_id: str, codes: Sequence[str]) -> str:
        if not 0 < len(codes) <= MAX_BULK_CODES:
            raise ValueError(f"discountRedeemCodeBulkAdd takes 1 to {MAX_BULK_CODES} codes")
        data = await self._client.execute(
            shop,
            BULK_ADD,
            {"discountId": discount_id, "codes": [{"code": c} for c in codes]},
        )
        payload = BulkAddPayload.model_validate(data["discountRedeemCodeBulkAdd"])
        if payload.user_errors or payload.bulk_creation is None:
            messages = "; ".join(e.message for e in payload.user_errors)
            raise ShopifyUserErrors(
                Text(
                    en=f"Shopify refused to add codes to the discount {discount_id}: {messages}",
                    fr=f"Shopify a refusé d'ajouter des codes à la réduction {discount_id} : "
                    f"{messages}",
                ),
                [(".".join(e.field or []), e.code, e.message) for e in payload.user_errors],
            )
        return payload.bulk_creation.id

    async def bulk_creation(
        self, shop: ShopRef, bulk_id: str, *, with_failures: bool
    ) -> BulkCreationStatus:
        operation = BULK_FAILURES if with_failures else BULK_STATUS
        data = await self._client.execute(shop, operation, {"id": bulk_id})
        raw = data.get("discountRedeemCodeBulkCreation")
        if raw is None:
            raise ShopifyQueryError(
                Text(
                    en=f"Shopify has no bulk code creation {bulk_id} for {shop.domain}.",
                    fr=f"Shopify n'a pas de création de codes en masse {bulk_id} pour "
                    f"{shop.domain}.",
                )
            )
        job = BulkCreation.model_validate(raw)
        failures: list[tuple[str, str]] = []
        if job.codes is not None:
            for item in job.codes.nodes:
                if item.errors:
                    failures.append((item.code, item.errors[0].code or "INVALID"))
        return BulkCreationStatus(
            done=job.done,
            imported=job.imported_count,
            failed=job.failed_count,
            failures=tuple(failures),
        )
