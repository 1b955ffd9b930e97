"""`POST /{shop}/admin/api/{version}/graphql.json`: authentication, cost, throttling, execution."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
    execute,
    get_operation_ast,
    parse,
    validate,
)
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from devstore.graphql.cost import QueryCost
from devstore.graphql.faults import FaultPlan, fault_response, lost_answer, stall
from devstore.graphql.resolvers import RequestContext, Resolvers
from devstore.graphql.schema import admin_schema
from devstore.graphql.throttle import LeakyBucket
from devstore.runtime import Runtime
from devstore.state import RequestRecord, Shop

UNRECOGNIZED_LOGIN = "[API] Invalid API key or access token (unrecognized login or wrong password)"
RATE_LIMIT_DOCS = "https://shopify.dev/api/usage/rate-limits"


@dataclass
class GraphQLAnswer:
    status: int
    body: dict[str, Any]


def _formatted(error: GraphQLError) -> dict[str, Any]:
    formatted: dict[str, Any] = dict(error.formatted)
    return formatted


class AdminGraphQL:
    """The Admin API for every shop, with one leaky bucket per shop (the app is the only one)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.schema = admin_schema()
        self.root = Resolvers().root()
        self._buckets: dict[str, tuple[str, LeakyBucket]] = {}
        # Edge failures queued per shop domain (Simulator.inject_faults, /_sim/.../faults).
        self.faults = FaultPlan()

    def bucket(self, shop: Shop) -> LeakyBucket:
        held = self._buckets.get(shop.domain)
        if held is None or held[0] != shop.plan:
            held = (shop.plan, LeakyBucket(self.runtime.config.plan(shop.plan), self.runtime.clock))
            self._buckets[shop.domain] = held
        return held[1]

    def handle(
        self,
        shop_domain: str,
        token_value: str | None,
        payload: Any,
        raw_query: str | None = None,
        base_url: str | None = None,
    ) -> GraphQLAnswer:
        store = self.runtime.store
        shop = store.shop(shop_domain)
        if shop is None:
            return GraphQLAnswer(404, {"errors": "Not Found"})
        token = store.access_tokens.get(token_value or "")
        now = self.runtime.clock.monotonic()
        if token is None or token.shop != shop.domain or not token.valid(now):
            return self._record(shop, "", {}, GraphQLAnswer(401, {"errors": UNRECOGNIZED_LOGIN}))
        query = raw_query
        variables: dict[str, Any] = {}
        operation_name: str | None = None
        if isinstance(payload, dict):
            query = payload.get("query", query)
            variables = payload.get("variables") or {}
            operation_name = payload.get("operationName")
        if not isinstance(query, str) or not query.strip() or not isinstance(variables, dict):
            answer = GraphQLAnswer(
                400, {"errors": {"query": "Required parameter missing or invalid"}}
            )
            return self._record(shop, "", {}, answer)
        answer = self._run(shop, token, query, variables, operation_name, base_url)
        return self._record(shop, query, variables, answer)

    def _record(
        self, shop: Shop, query: str, variables: dict[str, Any], answer: GraphQLAnswer
    ) -> GraphQLAnswer:
        cost = answer.body.get("extensions", {}).get("cost", {})
        errors = answer.body.get("errors")
        throttled = isinstance(errors, list) and any(
            isinstance(e, dict) and e.get("extensions", {}).get("code") == "THROTTLED"
            for e in errors
        )
        self.runtime.store.requests.append(
            RequestRecord(
                shop=shop.domain,
                at=self.runtime.clock.monotonic(),
                query=query,
                variables=variables,
                status=answer.status,
                requested_cost=cost.get("requestedQueryCost"),
                actual_cost=cost.get("actualQueryCost"),
                throttled=throttled,
                errors=errors if isinstance(errors, list) else [],
            )
        )
        return answer

    def _run(
        self,
        shop: Shop,
        token: Any,
        query: str,
        variables: dict[str, Any],
        operation_name: str | None,
        base_url: str | None = None,
    ) -> GraphQLAnswer:
        try:
            document = parse(query)
        except GraphQLError as error:
            return GraphQLAnswer(200, {"errors": [_formatted(error)]})
        problems = validate(self.schema, document)
        if problems:
            return GraphQLAnswer(200, {"errors": [_formatted(p) for p in problems]})
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            message = (
                "An operation name is required"
                if operation_name is None
                else (f'No operation named "{operation_name}"')
            )
            return GraphQLAnswer(200, {"errors": [{"message": message}]})
        calculator = QueryCost(self.schema, operation, _fragments(document), variables)
        unpaginated = calculator.unpaginated()
        if unpaginated:
            return GraphQLAnswer(200, {"errors": [_formatted(e) for e in unpaginated]})
        requested = calculator.requested()
        bucket = self.bucket(shop)
        maximum = self.runtime.config.single_query_max_cost
        if requested > maximum:
            message = (
                f"Query cost is {requested}, which exceeds the single query max cost limit "
                f"({maximum}).\n\nSee {RATE_LIMIT_DOCS} for more information on how the cost "
                "of a query is calculated.\n\nTo query larger amounts of data with fewer limits, "
                "bulk operations should be used instead.\nSee "
                "https://shopify.dev/api/usage/bulk-operations/queries for usage details.\n"
            )
            too_costly = {
                "message": message,
                "extensions": {"code": "MAX_COST_EXCEEDED", "cost": requested, "maxCost": maximum},
            }
            return GraphQLAnswer(
                200, {"errors": [too_costly], "extensions": self._cost(requested, None, bucket)}
            )
        if not bucket.try_take(requested):
            throttled = {
                "message": "Throttled",
                "extensions": {"code": "THROTTLED", "documentation": RATE_LIMIT_DOCS},
            }
            return GraphQLAnswer(
                200, {"errors": [throttled], "extensions": self._cost(requested, None, bucket)}
            )
        shop.settle(self.runtime.clock.monotonic(), self.runtime.store.ids)
        result = self._execute(
            shop, token, document, operation, variables, operation_name, base_url
        )
        actual = calculator.actual(result.data)
        bucket.refund(requested - actual)
        body: dict[str, Any] = {}
        if result.errors:
            body["errors"] = [_formatted(e) for e in result.errors]
        body["data"] = result.data
        body["extensions"] = self._cost(requested, actual, bucket)
        return GraphQLAnswer(200, body)

    def _execute(
        self,
        shop: Shop,
        token: Any,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: dict[str, Any],
        operation_name: str | None,
        base_url: str | None = None,
    ) -> ExecutionResult:
        context = RequestContext(runtime=self.runtime, shop=shop, token=token)
        if base_url is not None:
            context.base_url = base_url
        outcome = execute(
            self.schema,
            document,
            root_value=self.root,
            context_value=context,
            variable_values=variables,
            operation_name=operation_name,
        )
        if not isinstance(outcome, ExecutionResult):  # every resolver is synchronous
            raise TypeError("unexpected asynchronous execution result")
        return outcome

    def _record_fault(
        self, shop: str, payload: Any, raw_query: str | None, status: int, kind: str
    ) -> None:
        query = payload.get("query") if isinstance(payload, dict) else raw_query
        variables = payload.get("variables") if isinstance(payload, dict) else None
        self.runtime.store.requests.append(
            RequestRecord(
                shop=shop.lower(),
                at=self.runtime.clock.monotonic(),
                query=query if isinstance(query, str) else "",
                variables=variables if isinstance(variables, dict) else {},
                # A dropped connection answers nothing; 200 is what it had started to send.
                status=status,
                fault=kind,
            )
        )

    @staticmethod
    def _cost(requested: int, actual: int | None, bucket: LeakyBucket) -> dict[str, Any]:
        return {
            "cost": {
                "requestedQueryCost": requested,
                "actualQueryCost": actual,
                "throttleStatus": bucket.status(),
            }
        }

    async def route(self, request: Request) -> Response:
        shop = request.path_params["shop"]
        raw = await request.body()
        content_type = request.headers.get("content-type", "")
        payload: Any = None
        raw_query: str | None = None
        if "application/graphql" in content_type:
            raw_query = raw.decode("utf-8", errors="replace")
        else:
            try:
                payload = json.loads(raw or b"null")
            except ValueError:
                return JSONResponse({"errors": "Invalid JSON in request body"}, status_code=400)
        fault = self.faults.take(shop.lower())
        if fault is not None and fault.kind == "lost":
            # Shopify runs it; the answer never arrives.
            self.handle(
                shop,
                request.headers.get("x-shopify-access-token"),
                payload,
                raw_query,
                base_url=str(request.base_url),
            )
            return lost_answer()
        if fault is not None:
            failed = fault_response(fault)
            if failed is not None:
                self._record_fault(shop, payload, raw_query, failed.status_code, fault.kind)
                return failed
            await stall(fault)
        answer = self.handle(
            shop,
            request.headers.get("x-shopify-access-token"),
            payload,
            raw_query,
            base_url=str(request.base_url),
        )
        return JSONResponse(answer.body, status_code=answer.status)

    async def bulk_result(self, request: Request) -> Response:
        """A finished bulk operation's JSONL file (Shopify's signed storage URL stands in)."""
        shop = self.runtime.store.shop(request.path_params["shop"])
        number = request.path_params["operation"]
        operation = (
            shop.bulk_operations.get(int(number)) if shop is not None and number.isdigit() else None
        )
        if operation is None or operation.status != "COMPLETED":
            return Response("NoSuchKey", status_code=404)
        return Response(operation.result, media_type="application/jsonl")


def _fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
