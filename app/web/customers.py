"""Admin API: find the shop's customers by name or email, e.g. to preview a template against
a real one. Redacted customers are not listed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import func, or_, select

from app.models import Customer
from app.web.auth import CurrentShop
from app.web.deps import ResourcesDep

router = APIRouter(prefix="/api/customers", tags=["customers"])


class CustomerOut(BaseModel):
    id: int
    first_name: str | None
    last_name: str | None
    email: str | None
    locale: str | None


@router.get("")
async def search_customers(
    shop: CurrentShop,
    resources: ResourcesDep,
    search: Annotated[str, Query(max_length=200)] = "",
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[CustomerOut]:
    query = (
        select(Customer)
        .where(Customer.shop_id == shop.id, Customer.redacted_at.is_(None))
        .order_by(Customer.id.desc())
        .limit(limit)
    )
    if term := search.strip():
        full_name = func.concat_ws(" ", Customer.first_name, Customer.last_name)
        query = query.where(
            or_(
                Customer.email.icontains(term, autoescape=True),
                full_name.icontains(term, autoescape=True),
            )
        )
    async with resources.sessions.begin() as session:
        rows = await session.scalars(query)
        return [CustomerOut.model_validate(c, from_attributes=True) for c in rows]
