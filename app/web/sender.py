"""Admin API for the shop's sender identity: who its emails come from (name, reply-to, an
address on a domain the operator verified), its logo and brand colour, and its postal address
as read from Shopify. Saving it is the setup guide's first step."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from app.messaging.sender import SenderFields, apply_fields, sender_of
from app.models import Shop
from app.setup_guide.progress import Step, record
from app.web.auth import CurrentShop
from app.web.deps import ResourcesDep

router = APIRouter(prefix="/api", tags=["sender"])


class SenderIn(BaseModel):
    """Only the fields sent change; null or "" puts a field back to its default."""

    model_config = ConfigDict(strict=True, extra="forbid")

    name: str | None = Field(default=None, max_length=500)
    reply_to: str | None = Field(default=None, max_length=500)
    address: str | None = Field(default=None, max_length=500)
    logo_url: str | None = Field(default=None, max_length=2000)
    brand_color: str | None = Field(default=None, max_length=50)


class SenderOut(BaseModel):
    name: str | None
    reply_to: str | None
    address: str | None
    logo_url: str | None
    brand_color: str | None
    # What shoppers see now: the From and Reply-To headers, and whether the shop's own
    # address is used (else the operator's, under the shop's name).
    from_header: str
    reply_to_header: str | None
    own_address: bool
    default_name: str
    verified_domains: list[str]
    postal_address: list[str]


def _clean(value: str | None) -> str | None:
    return value.strip() or None if value is not None else None


def _out(shop: Shop, resources: ResourcesDep) -> SenderOut:
    settings = resources.settings
    domains = settings.verified_sender_domains
    sender = sender_of(shop, settings.email_from, domains)
    return SenderOut(
        name=shop.sender_name,
        reply_to=shop.sender_reply_to,
        address=shop.sender_address,
        logo_url=shop.logo_url,
        brand_color=shop.brand_color,
        from_header=sender.from_header,
        reply_to_header=sender.reply_to,
        own_address=sender.own_address,
        default_name=shop.name or shop.domain,
        verified_domains=sorted(domains),
        postal_address=(shop.postal_address or "").splitlines(),
    )


@router.get("/sender")
async def get_sender(shop: CurrentShop, resources: ResourcesDep) -> SenderOut:
    return _out(shop, resources)


@router.put("/sender")
async def put_sender(body: SenderIn, shop: CurrentShop, resources: ResourcesDep) -> SenderOut:
    async with resources.sessions.begin() as session:
        row = await session.get(Shop, shop.id, with_for_update=True)
        if row is None:  # pragma: no cover - the session token's shop was just loaded
            raise LookupError(shop.id)
        current = SenderFields(
            name=row.sender_name,
            reply_to=row.sender_reply_to,
            address=row.sender_address,
            logo_url=row.logo_url,
            brand_color=row.brand_color,
        )
        sent = {key: _clean(getattr(body, key)) for key in body.model_fields_set}
        fields = SenderFields(**{**current.__dict__, **sent})
        apply_fields(row, fields, resources.settings.verified_sender_domains)
        await record(session, shop.id, Step.SENDER, datetime.now(UTC))
        return _out(row, resources)
