"""Bulk query operations (`bulkOperationRunQuery`, polled through `bulkOperation(id:)`,
`currentBulkOperation` or `node(id:)`): the query runs in the background once
`bulk_operation_delay` has passed, over whole connections (no `first` needed), and its result is
a JSONL file, one object per line, every node of a nested connection on a line of its own with
`__parentId`. Shopify serves that file from signed storage; the simulator serves it itself under
`/_sim/bulk/{shop}/{id}.jsonl`."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from graphql import (
    ExecutionResult,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    execute,
    parse,
    validate,
)

from devstore.clock import iso
from devstore.runtime import Runtime
from devstore.state import BulkOperation, Shop

ContextFactory = Callable[[Shop], Any]


def result_path(shop: Shop, operation: BulkOperation) -> str:
    return f"/_sim/bulk/{shop.domain}/{operation.id}.jsonl"


def query_problem(schema: GraphQLSchema, query: str) -> str | None:
    """Why Shopify would refuse this bulk query, or None."""
    try:
        document = parse(query)
    except GraphQLError as error:
        return f"Invalid bulk query: {error.message}"
    problems = validate(schema, document)
    if problems:
        return f"Invalid bulk query: {problems[0].message}"
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) != 1 or operations[0].operation != OperationType.QUERY:
        return "Invalid bulk query: a bulk query needs exactly one query operation"
    return None


def _connection_nodes(value: Any) -> list[Any] | None:
    if not isinstance(value, dict):
        return None
    if isinstance(value.get("edges"), list):
        return [edge.get("node") for edge in value["edges"] if isinstance(edge, dict)]
    if isinstance(value.get("nodes"), list):
        return list(value["nodes"])
    return None


def _lines(node: dict[str, Any], parent: str | None) -> Iterator[dict[str, Any]]:
    own = {k: v for k, v in node.items() if _connection_nodes(v) is None}
    if parent is not None:
        own["__parentId"] = parent
    yield own
    for value in node.values():
        children = _connection_nodes(value)
        for child in children or []:
            if isinstance(child, dict):
                yield from _lines(child, str(node.get("id")))


def jsonl(data: dict[str, Any] | None) -> tuple[str, int, int]:
    """The result file, its object count and its root object count."""
    lines: list[str] = []
    roots = 0
    for value in (data or {}).values():
        for node in _connection_nodes(value) or []:
            if not isinstance(node, dict):
                continue
            roots += 1
            lines.extend(json.dumps(line, separators=(",", ":")) for line in _lines(node, None))
    return "".join(line + "\n" for line in lines), len(lines), roots


def settle(
    runtime: Runtime,
    schema: GraphQLSchema,
    root: dict[str, Any],
    shop: Shop,
    context: ContextFactory,
) -> None:
    """Run the bulk queries whose time has come."""
    now = runtime.clock.monotonic()
    for operation in shop.bulk_operations.values():
        if operation.status != "CREATED" or operation.due > now:
            continue
        outcome = execute(
            schema, parse(operation.query), root_value=root, context_value=context(shop)
        )
        if not isinstance(outcome, ExecutionResult) or outcome.errors:
            operation.status = "FAILED"
            operation.error_code = "INTERNAL_SERVER_ERROR"
        else:
            operation.result, operation.object_count, operation.root_object_count = jsonl(
                outcome.data
            )
            operation.status = "COMPLETED"
        operation.completed_at = runtime.clock.now()


def view(operation: BulkOperation, shop: Shop, base_url: str) -> dict[str, Any]:
    done = operation.status == "COMPLETED"
    has_file = done and operation.object_count > 0
    return {
        "__typename": "BulkOperation",
        "id": operation.gid,
        "status": operation.status,
        "errorCode": operation.error_code,
        "type": "QUERY",
        "query": operation.query,
        "createdAt": iso(operation.created_at),
        "completedAt": iso(operation.completed_at) if operation.completed_at else None,
        "objectCount": str(operation.object_count),
        "rootObjectCount": str(operation.root_object_count),
        "fileSize": str(len(operation.result.encode())) if has_file else None,
        # Shopify gives no file (url null) when the query found nothing.
        "url": base_url.rstrip("/") + result_path(shop, operation) if has_file else None,
        "partialDataUrl": None,
    }
