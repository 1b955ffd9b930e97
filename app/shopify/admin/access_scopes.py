"""What the merchant granted the app at a shop: `currentAppInstallation.accessScopes`, the
installation's required scopes and the optional ones (`optional_scopes` in shopify.app.toml)
granted since through App Bridge's Scopes API. Features behind optional scopes (store credit
rewards, review syndication) ask it before they are turned on.
(shopify.dev/docs/api/admin-graphql/2026-10/objects/AppInstallation)"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from app.shopify.admin.client import AdminClient, Operation
from app.shopify.admin.types import ShopRef


class _Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class _Scope(_Model):
    handle: str


class _Installation(_Model):
    access_scopes: list[_Scope]


ACCESS_SCOPES = Operation(
    name="AppAccessScopes",
    document="query AppAccessScopes { currentAppInstallation { accessScopes { handle } } }",
    cost=2,
)


async def granted_scopes(client: AdminClient, shop: ShopRef) -> frozenset[str]:
    """The access scopes the shop has granted the app now."""
    data = await client.execute(shop, ACCESS_SCOPES)
    installation = _Installation.model_validate(data["currentAppInstallation"])
    return frozenset(scope.handle for scope in installation.access_scopes)
