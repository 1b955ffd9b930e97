"""The "Rewards" page in the shopper's customer account (a customer account UI extension,
extensions/loyalty-account, target `customer-account.page.render`): the same content as the
storefront widget, asked of the app directly with the extension's session token
(`Authorization: Bearer …`, verified by shopify_app's verify_customer_account_ui_ext_req; the
customer is the token's `sub`), since the extension runs on Shopify's origin and cannot use
the app proxy:

- `GET /customer-account/rewards`: `{"loyalty": <GET /proxy/loyalty's body>, "referral":
  <GET /proxy/referral's body>}` for the signed-in customer;
- `POST /customer-account/rewards/redemptions` `{"reward", "key"}`: as the proxy's.

Every answer, errors included, carries CORS headers for Shopify's origin; `OPTIONS` answers the
preflight."""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from app.errors import BoomerangError
from app.shopify.verification import (
    CUSTOMER_ACCOUNT_CORS,
    customer_account_preflight,
    verify_customer_account,
)
from app.web import loyalty_proxy, referral_proxy
from app.web.deps import ResourcesDep
from app.web.errors import error_response
from app.web.proxy import Visitor, served_visitor
from app.web.rate_limits import RateLimiterDep

PREFIX = "/customer-account"


class _CorsRoute(APIRoute):
    """Adds the CORS headers to every answer, the errors' too (rendered here, not by the
    app's handler, so the extension can read them)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                response = await handler(request)
            except BoomerangError as exc:
                response = error_response(request, exc)
            response.headers.update(CUSTOMER_ACCOUNT_CORS)
            return response

        return handle


router = APIRouter(prefix=PREFIX, tags=["customer account"], route_class=_CorsRoute)


async def customer_account_visitor(request: Request, resources: ResourcesDep) -> Visitor:
    verified = verify_customer_account(
        resources.settings, request.method, request.headers.get("authorization"), str(request.url)
    )
    return await served_visitor(resources, verified)


CustomerAccountVisitorDep = Annotated[Visitor, Depends(customer_account_visitor)]


@router.options("/{path:path}")
async def preflight(request: Request, resources: ResourcesDep) -> Response:
    headers = customer_account_preflight(
        resources.settings, dict(request.headers), str(request.url)
    )
    return Response(status_code=204, headers=headers)


def _body(response: Response) -> Any:
    return json.loads(bytes(response.body))


@router.get("/rewards")
async def rewards(
    request: Request, resources: ResourcesDep, visitor: CustomerAccountVisitorDep
) -> JSONResponse:
    loyalty = await loyalty_proxy.loyalty_page(request, visitor, resources)
    referral = await referral_proxy.referral_page(visitor, resources)
    return JSONResponse(
        {"loyalty": _body(loyalty), "referral": _body(referral)},
        headers={"Cache-Control": "private, no-store"},
    )


@router.post("/rewards/redemptions")
async def redeem(
    request: Request,
    resources: ResourcesDep,
    limiter: RateLimiterDep,
    visitor: CustomerAccountVisitorDep,
) -> JSONResponse:
    return await loyalty_proxy.redeem_reward(request, visitor, resources, limiter)
