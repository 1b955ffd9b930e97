"""Metaobjects, as far as a review app uses them: Shopify's standard `product_review`
definition enabled from its template (standardMetaobjectDefinitionEnable), entries upserted by
handle (metaobjectUpsert), read by handle (metaobjectByHandle) and deleted (metaobjectDelete).

Sources (shopify.dev): the template's fields and types are the "Product Review" row of
docs/apps/build/metaobjects/list-of-standard-definitions ("only available to approved
partners"); metaobjectUpsert "Creates or updates a Metaobject based on its handle ... The
handle serves as a unique identifier within a metaobject type. Field values map to the
MetaobjectDefinition's field keys and overwrite existing values during updates"
(docs/api/admin-graphql/latest/mutations/metaobjectUpsert); errors are MetaobjectUserError
(field, message, code, elementKey, elementIndex).

Not in the stored docs: the field KEYS (the list gives names and types only) -- they are
derived here with Shopify's key convention (the name in snake_case: "Submitted At" ->
`submitted_at`); the "Language" field, whose type the stored page cuts off, is left out; the
exact message and code Shopify returns to an unapproved app are not documented, so the refusal
below carries no code and says what it means."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from devstore.graphql.views import Info
from devstore.state import Metaobject, Shop, parse_gid

PRODUCT_REVIEW = "product_review"


@dataclass(frozen=True)
class FieldTemplate:
    key: str
    name: str
    type: str
    required: bool = False


PRODUCT_REVIEW_FIELDS: tuple[FieldTemplate, ...] = (
    FieldTemplate("rating", "Rating", "rating", required=True),
    FieldTemplate("title", "Title", "single_line_text_field"),
    FieldTemplate("body", "Body", "multi_line_text_field"),
    FieldTemplate("submitted_at", "Submitted At", "date_time", required=True),
    FieldTemplate("edited_at", "Edited At", "date_time"),
    FieldTemplate("published_at", "Published At", "date_time"),
    FieldTemplate("source", "Source", "single_line_text_field", required=True),
    FieldTemplate("author", "Author", "customer_reference"),
    FieldTemplate("author_display_name", "Author display name", "single_line_text_field"),
    FieldTemplate("order", "Order", "order_reference"),
    FieldTemplate("product", "Product", "product_reference"),
    FieldTemplate("product_variant", "Product Variant", "variant_reference"),
    FieldTemplate("merchant_reply", "Merchant Reply", "multi_line_text_field"),
    FieldTemplate("merchant_replied_at", "Merchant Replied At", "date_time"),
    FieldTemplate("media_urls", "Media URLs", "list.url"),
)
TEMPLATES: dict[str, tuple[str, tuple[FieldTemplate, ...]]] = {
    PRODUCT_REVIEW: ("Product Review", PRODUCT_REVIEW_FIELDS),
}
REFERENCE_TYPES = {
    "customer_reference": "Customer",
    "order_reference": "Order",
    "product_reference": "Product",
    "variant_reference": "ProductVariant",
}


def _error(
    field: list[str], message: str, code: str | None, key: str | None = None
) -> dict[str, Any]:
    return {
        "field": field,
        "message": message,
        "code": code,
        "elementKey": key,
        "elementIndex": None,
    }


def definition_view(kind: str) -> dict[str, Any]:
    name, fields = TEMPLATES[kind]
    return {
        "id": f"gid://shopify/MetaobjectDefinition/{abs(hash(kind)) % 10**9}",
        "type": kind,
        "name": name,
        "fieldDefinitions": [
            {"key": f.key, "name": f.name, "required": f.required} for f in fields
        ],
    }


def metaobject_view(entry: Metaobject) -> dict[str, Any]:
    _, templates = TEMPLATES[entry.type]
    types = {t.key: t.type for t in templates}
    fields = [{"key": k, "type": types[k], "value": v} for k, v in sorted(entry.fields.items())]

    def field(info: Info, key: str) -> dict[str, Any] | None:
        return next((f for f in fields if f["key"] == key), None)

    return {
        "id": entry.gid,
        "type": entry.type,
        "handle": entry.handle,
        "fields": fields,
        "field": field,
        "updatedAt": entry.updated_at,
    }


def enable_standard(shop: Shop, kind: str, approved: bool) -> dict[str, Any]:
    if kind not in TEMPLATES:
        return {
            "metaobjectDefinition": None,
            "userErrors": [
                _error(["type"], f"No standard definition for type '{kind}'.", "INVALID")
            ],
        }
    if kind == PRODUCT_REVIEW and not approved:
        return {
            "metaobjectDefinition": None,
            "userErrors": [
                _error(
                    ["type"],
                    "The product_review standard metaobject definition is only available to "
                    "approved partners (standard product review syndication program).",
                    None,
                )
            ],
        }
    shop.metaobject_definitions.add(kind)  # enabling again is harmless
    return {"metaobjectDefinition": definition_view(kind), "userErrors": []}


def _value_problem(kind: str, value: str, shop: Shop) -> str | None:
    from devstore.graphql.resolvers import metafield_value_problem

    if kind in REFERENCE_TYPES:
        return (
            None
            if parse_gid(value, REFERENCE_TYPES[kind]) is not None
            else (f"Value must be a {REFERENCE_TYPES[kind]} GID.")
        )
    if kind == "list.url":
        try:
            urls = json.loads(value)
        except ValueError:
            return "Value must be a JSON list of URLs."
        if not isinstance(urls, list) or not all(
            isinstance(u, str) and re.match(r"https?://", u) for u in urls
        ):
            return "Value must be a JSON list of http(s) URLs."
        return None
    return metafield_value_problem(kind, value)


def upsert(
    shop: Shop, handle: dict[str, Any], given: dict[str, Any], new_id: int, now: datetime
) -> dict[str, Any]:
    kind, name = str(handle["type"]), str(handle["handle"])
    if kind not in shop.metaobject_definitions or kind not in TEMPLATES:
        return {
            "metaobject": None,
            "userErrors": [
                _error(
                    ["handle", "type"],
                    f'No metaobject definition exists for type "{kind}"',
                    "INVALID",
                )
            ],
        }
    _, templates = TEMPLATES[kind]
    by_key = {t.key: t for t in templates}
    existing = shop.metaobjects.get((kind, name))
    fields = dict(existing.fields) if existing else {}
    errors: list[dict[str, Any]] = []
    for index, item in enumerate(given.get("fields") or []):
        key, value = str(item["key"]), str(item["value"])
        template = by_key.get(key)
        if template is None:
            errors.append(
                _error(
                    ["metaobject", "fields", str(index)],
                    f'Field definition "{key}" does not exist',
                    "INVALID",
                    key,
                )
            )
            continue
        problem = _value_problem(template.type, value, shop)
        if problem is not None:
            errors.append(
                _error(["metaobject", "fields", str(index)], problem, "INVALID_VALUE", key)
            )
            continue
        fields[key] = value
    for template in templates:
        refused = {e["elementKey"] for e in errors}
        if template.required and not fields.get(template.key) and template.key not in refused:
            errors.append(
                _error(["metaobject"], f"{template.name} can't be blank", "BLANK", template.key)
            )
    if errors:
        return {"metaobject": None, "userErrors": errors}
    if existing is None:
        existing = Metaobject(new_id, kind, name, fields, now)
        shop.metaobjects[(kind, name)] = existing
    existing.fields, existing.updated_at = fields, now
    return {"metaobject": metaobject_view(existing), "userErrors": []}


def by_handle(shop: Shop, handle: dict[str, Any]) -> dict[str, Any] | None:
    found = shop.metaobjects.get((str(handle["type"]), str(handle["handle"])))
    return metaobject_view(found) if found else None


def delete(shop: Shop, gid_: str) -> dict[str, Any]:
    number = parse_gid(gid_, "Metaobject")
    for key, entry in list(shop.metaobjects.items()):
        if entry.id == number:
            del shop.metaobjects[key]
            return {"deletedId": gid_, "userErrors": []}
    return {
        "deletedId": None,
        "userErrors": [_error(["id"], "Record not found", "RECORD_NOT_FOUND")],
    }
