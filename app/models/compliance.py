"""Answers to Shopify's compliance webhooks that the merchant must be able to see."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base


class CustomerDataRequest(Base):
    """A customers/data_request and the export of everything Boomerang holds on that customer."""

    __tablename__ = "customer_data_requests"
    __table_args__ = (UniqueConstraint("shop_id", "data_request_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    # data_request.id in the payload: Shopify's identity of the request (redeliveries share it).
    data_request_id: Mapped[int]
    customer_shopify_id: Mapped[int | None]
    customer_email: Mapped[str | None] = mapped_column(String(320))
    orders_requested: Mapped[list[int]] = mapped_column(ARRAY(BigInteger), default=list)
    export: Mapped[dict[str, Any]] = mapped_column(JSONB)
    requested_at: Mapped[datetime] = mapped_column(server_default=func.now())
