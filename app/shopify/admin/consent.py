"""Writes a shopper's unsubscribe back to Shopify's email marketing consent
(customerEmailMarketingConsentUpdate), so the merchant's other tools stop emailing them too."""

from __future__ import annotations

from datetime import datetime

from app.errors import ShopifyUserErrors
from app.i18n import Text
from app.shopify.admin.client import AdminClient, Operation
from app.shopify.admin.types import ShopRef, customer_gid

CONSENT_UPDATE = Operation(
    name="ConsentUpdate",
    document="""
mutation ConsentUpdate($input: CustomerEmailMarketingConsentUpdateInput!) {
  customerEmailMarketingConsentUpdate(input: $input) {
    customer { id }
    userErrors { field code message }
  }
}
""",
    cost=10,
)


class ShopifyConsentWriteBack:
    """The ConsentWriteBack of app.messaging.consent, through the throttle-aware client."""

    connected = True

    def __init__(self, client: AdminClient, shop: ShopRef) -> None:
        self._client = client
        self._shop = shop

    async def mark_unsubscribed(
        self, shop_domain: str, customer_shopify_id: int, at: datetime
    ) -> None:
        if shop_domain != self._shop.domain:
            raise ValueError(f"this write-back is for {self._shop.domain}, not {shop_domain}")
        data = await self._client.execute(
            self._shop,
            CONSENT_UPDATE,
            {
                "input": {
                    "customerId": customer_gid(customer_shopify_id),
                    "emailMarketingConsent": {
                        "marketingState": "UNSUBSCRIBED",
                        "consentUpdatedAt": at.isoformat(),
                    },
                }
            },
        )
        errors = data["customerEmailMarketingConsentUpdate"]["userErrors"]
        if errors:
            messages = "; ".join(str(e["message"]) for e in errors)
            raise ShopifyUserErrors(
                Text(
                    en=f"Shopify refused to record the unsubscribe in the customer's email "
                    f"consent: {messages}",
                    fr=f"Shopify a refusé d'enregistrer la désinscription dans le consentement "
                    f"e-mail du client : {messages}",
                ),
                [
                    (".".join(e.get("field") or []), e.get("code"), str(e["message"]))
                    for e in errors
                ],
            )
