"""The setup guide's own memory: the steps no other table records (the merchant reviewed the
sender, previewed on a real customer, sent a test) and whether they dismissed the guide.
Whether a scenario is on is read from the scenarios' settings, never copied here."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, Timestamps


class SetupGuideRow(Timestamps, Base):
    __tablename__ = "setup_guides"
    __table_args__ = (UniqueConstraint("shop_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    sender_checked_at: Mapped[datetime | None]
    previewed_at: Mapped[datetime | None]
    test_sent_at: Mapped[datetime | None]
    dismissed_at: Mapped[datetime | None]
