"""The unsubscribe page (GET, en/fr) and RFC 8058 one-click unsubscribe (POST)."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from app.messaging import signing
from app.messaging.config import MessagingConfig
from app.messaging.consent import unsubscribe_customer, write_back_job
from app.messaging.controls import sending_policy
from app.messaging.i18n import Locale, normalize_locale, resolve_locale, t
from app.models import Customer, Shop
from app.queue.deferred import defer, transaction
from app.web.deps import ResourcesDep
from app.web.messaging_deps import MessagingConfigDep
from app.web.rate_limits import limit_public
from app.web.shopper_pages import shopper_page

# Public: limited per client IP and per token (app/web/rate_limits.py).
router = APIRouter(tags=["unsubscribe"], dependencies=[Depends(limit_public)])


def _not_found() -> HTMLResponse:
    body = "".join(
        f'<p lang="{loc}">{html.escape(t("unsubscribe.not_found", loc))}</p>'
        for loc in ("en", "fr")
    )
    return shopper_page("en", "Unsubscribe / Désabonnement", body, status=404)


async def _target(
    resources: ResourcesDep, config: MessagingConfig, token: str
) -> tuple[Shop, Customer] | None:
    payload = signing.verify(token, config.unsubscribe_key)
    if payload is None:
        return None
    shop_id, customer_id = payload.get("s"), payload.get("c")
    if not isinstance(shop_id, int) or not isinstance(customer_id, int):
        return None
    async with resources.sessions.begin() as session:
        shop = await session.get(Shop, shop_id)
        customer = await session.scalar(
            select(Customer).where(Customer.shop_id == shop_id, Customer.id == customer_id)
        )
    if shop is None or customer is None:
        return None
    return shop, customer


def _page_locale(email_locale: str | None, shop: Shop, customer: Customer) -> Locale:
    """The email's language (the link carries it), else the customer's, else the shop's."""
    return normalize_locale(email_locale) or resolve_locale(customer.locale, shop.locale)


@router.get("/u/{token}", include_in_schema=False)
async def unsubscribeshopper_page(
    token: str,
    resources: ResourcesDep,
    config: MessagingConfigDep,
    l: Annotated[str | None, Query(max_length=16)] = None,  # noqa: E741  (the link's name)
) -> HTMLResponse:
    # GET never unsubscribes: mail clients and scanners prefetch links (RFC 8058 §1).
    target = await _target(resources, config, token)
    if target is None:
        return _not_found()
    shop, customer = target
    locale = _page_locale(l, shop, customer)
    name = shop.name or shop.domain
    action = f"/u/{token}?l={locale}"
    form = (
        f"<p>{html.escape(t('unsubscribe.question', locale, shop=name))}</p>"
        f'<form method="post" action="{html.escape(action)}">'
        '<input type="hidden" name="List-Unsubscribe" value="One-Click">'
        f'<button type="submit">{html.escape(t("unsubscribe.button", locale))}</button></form>'
    )
    return shopper_page(locale, t("unsubscribe.title", locale), form)


@router.post("/u/{token}", include_in_schema=False)
async def unsubscribe_now(
    token: str,
    resources: ResourcesDep,
    config: MessagingConfigDep,
    l: Annotated[str | None, Query(max_length=16)] = None,  # noqa: E741  (the link's name)
) -> HTMLResponse:
    """One click, no confirmation, no cookie: what RFC 8058 asks of the List-Unsubscribe URI."""
    target = await _target(resources, config, token)
    if target is None:
        return _not_found()
    shop, customer = target
    async with transaction(resources.sessions, resources.queue) as session:
        await unsubscribe_customer(session, shop.id, customer.id, now=datetime.now(UTC))
        # The local unsubscribe stands on its own; the write-back to Shopify, when the
        # merchant wants it, is best effort.
        if (await sending_policy(session, shop.id)).consent_write_back:
            defer(session, write_back_job(shop.id, customer.id))
    locale = _page_locale(l, shop, customer)
    done = t("unsubscribe.done", locale, shop=shop.name or shop.domain)
    return shopper_page(locale, t("unsubscribe.title", locale), f"<p>{html.escape(done)}</p>")
