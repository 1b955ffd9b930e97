"""Admin API over the shop's customers: the index (search by name or email, filters, sorting,
keyset pages) and one customer's page (orders, every message with its opens and clicks,
running sequences, loyalty and referral standing, the link to the customer in Shopify's
admin). The shop is the one the verified session token speaks for; erased customers are not
listed."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from app.customers import directory, profile
from app.customers.directory import Direction, Filters, Sort
from app.errors import NotFound
from app.i18n import Text
from app.web.auth import CurrentShop
from app.web.deps import ResourcesDep, RowIdPath

router = APIRouter(prefix="/api/customers", tags=["customers"])


def admin_customer_url(shopify_id: int) -> str:
    """The customer in Shopify's admin, as App Bridge's Navigation API documents links out of
    an embedded app (`<a href="shopify://admin/customers/123" target="_top">`,
    shopify.dev/docs/api/app-home/apis/user-interface-and-interactions/navigation-api)."""
    return f"shopify://admin/customers/{shopify_id}"


def admin_order_url(shopify_id: int) -> str:
    return f"shopify://admin/orders/{shopify_id}"


class CustomerOut(BaseModel):
    id: int
    shopify_id: int
    first_name: str | None
    last_name: str | None
    email: str | None
    locale: str | None
    email_marketing_state: str | None
    orders_count: int
    total_spent: Decimal
    open_runs: int
    tier: str | None
    points: int | None
    admin_url: str


class CustomerIndexPage(BaseModel):
    customers: list[CustomerOut]
    # Pass as `cursor` (same sort and direction) for the next page; null on the last one.
    next_cursor: str | None


@router.get("")
async def list_customers(
    shop: CurrentShop,
    resources: ResourcesDep,
    search: Annotated[str, Query(max_length=200)] = "",
    subscribed: bool | None = None,
    open_run: bool | None = None,
    tier: Annotated[str | None, Query(max_length=64)] = None,
    sort: Sort = "created",
    direction: Direction = "desc",
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
) -> CustomerIndexPage:
    after = directory.decode_cursor(cursor, sort, direction) if cursor else None
    filters = Filters(search=search, subscribed=subscribed, open_run=open_run, tier=tier or None)
    async with resources.sessions.begin() as session:
        page = await directory.find(
            session, shop.id, filters, sort=sort, direction=direction, after=after, limit=limit
        )
    return CustomerIndexPage(
        customers=[
            CustomerOut(
                id=c.customer.id,
                shopify_id=c.customer.shopify_id,
                first_name=c.customer.first_name,
                last_name=c.customer.last_name,
                email=c.customer.email,
                locale=c.customer.locale,
                email_marketing_state=c.customer.email_marketing_state,
                orders_count=c.customer.orders_count,
                total_spent=c.customer.total_spent,
                open_runs=c.open_runs,
                tier=c.tier,
                points=c.points,
                admin_url=admin_customer_url(c.customer.shopify_id),
            )
            for c in page.customers
        ],
        next_cursor=page.next_cursor,
    )


class ProfileCustomerOut(BaseModel):
    id: int
    shopify_id: int
    first_name: str | None
    last_name: str | None
    email: str | None
    locale: str | None
    email_marketing_state: str | None
    orders_count: int
    total_spent: Decimal
    tags: list[str]
    signed_up_at: datetime | None
    erased: bool
    admin_url: str


class OrderOut(BaseModel):
    id: int
    name: str | None
    placed_at: datetime | None
    total_price: Decimal | None
    currency: str | None
    financial_status: str | None
    fulfillment_status: str | None
    cancelled_at: datetime | None
    admin_url: str


class EngagementOut(BaseModel):
    opens: int
    machine_opens: int
    clicks: int
    machine_clicks: int
    first_opened_at: datetime | None
    first_clicked_at: datetime | None
    clicked_urls: list[str]


class ProfileMessageOut(BaseModel):
    id: int
    scenario: str
    step: int
    subject: str
    to: str | None
    status: str
    status_reason: str | None
    mode: str
    scheduled_at: datetime
    sent_at: datetime | None
    engagement: EngagementOut


class OpenRunOut(BaseModel):
    id: int
    scenario: str
    next_step: int
    next_step_at: datetime | None
    started_at: datetime


class LoyaltyOut(BaseModel):
    balance: int
    pending: int
    tier: str | None


class ReferralsOut(BaseModel):
    code: str | None
    visits: int
    referrals: dict[str, int]


class CustomerProfileOut(BaseModel):
    customer: ProfileCustomerOut
    orders: list[OrderOut]
    messages: list[ProfileMessageOut]
    open_runs: list[OpenRunOut]
    loyalty: LoyaltyOut | None
    referrals: ReferralsOut | None


@router.get("/{customer_id}")
async def get_customer(
    customer_id: RowIdPath, shop: CurrentShop, resources: ResourcesDep
) -> CustomerProfileOut:
    async with resources.sessions.begin() as session:
        found = await profile.load(session, shop.id, customer_id)
    if found is None:
        raise NotFound(
            Text(
                en=f"Customer {customer_id} is not a customer of {shop.domain}: "
                "find them in the customer list.",
                fr=f"Le client {customer_id} n'est pas un client de {shop.domain} : "
                "cherchez-le dans la liste des clients.",
            )
        )
    c = found.customer
    return CustomerProfileOut(
        customer=ProfileCustomerOut(
            id=c.id,
            shopify_id=c.shopify_id,
            first_name=c.first_name,
            last_name=c.last_name,
            email=c.email,
            locale=c.locale,
            email_marketing_state=c.email_marketing_state,
            orders_count=c.orders_count,
            total_spent=c.total_spent,
            tags=list(c.tags or []),
            signed_up_at=c.signed_up_at,
            erased=c.redacted_at is not None,
            admin_url=admin_customer_url(c.shopify_id),
        ),
        orders=[
            OrderOut(
                id=o.id,
                name=o.name,
                placed_at=o.placed_at,
                total_price=o.total_price,
                currency=o.currency,
                financial_status=o.financial_status,
                fulfillment_status=o.fulfillment_status,
                cancelled_at=o.cancelled_at,
                admin_url=admin_order_url(o.shopify_id),
            )
            for o in found.orders
        ],
        messages=[
            ProfileMessageOut(
                id=m.message.id,
                scenario=m.message.scenario,
                step=m.message.step,
                subject=m.message.subject,
                to=m.message.to_address,
                status=m.message.status,
                status_reason=m.message.status_reason,
                mode=m.message.mode,
                scheduled_at=m.message.scheduled_at,
                sent_at=m.message.sent_at,
                engagement=EngagementOut(**vars(m.engagement)),
            )
            for m in found.messages
        ],
        open_runs=[
            OpenRunOut(
                id=r.id,
                scenario=r.scenario,
                next_step=r.step_index + 1,
                next_step_at=r.next_step_at,
                started_at=r.started_at,
            )
            for r in found.open_runs
        ],
        loyalty=LoyaltyOut(**vars(found.loyalty)) if found.loyalty else None,
        referrals=ReferralsOut(**vars(found.referrals)) if found.referrals else None,
    )
