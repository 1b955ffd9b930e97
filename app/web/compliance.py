"""The merchant's view of customers/data_request answers (session-token auth)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import select

from app.models import CustomerDataRequest
from app.web.auth import CurrentShop
from app.web.deps import ResourcesDep

router = APIRouter(prefix="/api/compliance", tags=["compliance"])


class DataRequestOut(BaseModel):
    id: int
    data_request_id: int
    customer_shopify_id: int | None
    customer_email: str | None
    orders_requested: list[int]
    requested_at: datetime
    export: dict[str, Any]


@router.get("/data-requests")
async def list_data_requests(shop: CurrentShop, resources: ResourcesDep) -> list[DataRequestOut]:
    async with resources.sessions.begin() as session:
        rows = await session.scalars(
            select(CustomerDataRequest)
            .where(CustomerDataRequest.shop_id == shop.id)
            .order_by(CustomerDataRequest.requested_at.desc(), CustomerDataRequest.id.desc())
        )
        return [
            DataRequestOut(
                id=r.id,
                data_request_id=r.data_request_id,
                customer_shopify_id=r.customer_shopify_id,
                customer_email=r.customer_email,
                orders_requested=list(r.orders_requested),
                requested_at=r.requested_at,
                export=r.export,
            )
            for r in rows
        ]
