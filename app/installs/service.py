"""Recording an install (code grant or token exchange), then learning the shop's facts and
making sure its webhook subscriptions exist."""

from __future__ import annotations

from datetime import UTC, datetime

import structlog
from sqlalchemy import select

from app.errors import BoomerangError, ShopifyQueryError
from app.installs.webhook_subscriptions import (
    WebhookSubscriptionsRefused,
    ensure_webhook_subscriptions,
)
from app.kpis.jobs import set_timezone
from app.models import Shop
from app.platform.resources import Resources
from app.scenarios.settings_store import start_paused
from app.settings import Settings
from app.shopify.graphql import admin_query
from app.shopify.oauth import IssuedToken, parse_scopes
from app.shopify.tokens import store_issued_token

log = structlog.get_logger(__name__)

# shopAddress is the shop's address (Shop.billingAddress until 2026-01, deprecated since:
# https://shopify.dev/changelog/deprecation-of-shop-billingaddress-in-favor-of-shop-shopaddress),
# formatted by Shopify in the country's order, one line each: the emails' footer carries it.
SHOP_FACTS = """
query BoomerangShopFacts {
  shop {
    name email currencyCode ianaTimezone primaryDomain { url } plan { displayName }
    shopAddress { formatted(withCompany: true) }
  }
}
"""

# The shop's primary locale is not a Shop field: shopLocales lists the enabled locales and
# marks the primary one (needs read_locales). Asked apart from the facts above, so a shop that
# has not granted read_locales yet still gets its name, currency and time zone.
SHOP_LOCALES = """
query BoomerangShopLocales {
  shopLocales { locale primary }
}
"""


def missing_scopes(settings: Settings, shop: Shop) -> frozenset[str]:
    """Configured scopes the shop has not granted (a write scope implies its read scope)."""
    granted = set(parse_scopes(shop.scopes))
    granted |= {"read_" + s.removeprefix("write_") for s in granted if s.startswith("write_")}
    return frozenset(settings.scopes - granted)


def needs_authorization(settings: Settings, shop: Shop | None) -> bool:
    return (
        shop is None
        or shop.uninstalled_at is not None
        or shop.redacted_at is not None
        or shop.access_token_encrypted is None
        or bool(missing_scopes(settings, shop))
    )


async def record_install(resources: Resources, domain: str, issued: IssuedToken) -> int:
    """Store the new token pair on the shop's row (created on first install); a reinstall
    clears uninstalled_at. Returns the shop id."""
    cipher = resources.cipher
    now = datetime.now(UTC)
    async with resources.sessions.begin() as session:
        shop = await session.scalar(select(Shop).where(Shop.domain == domain).with_for_update())
        # A shop we never saw, or one whose data shop/redact erased: a new install, which
        # starts with every scenario off. A reinstall keeps what the merchant had chosen.
        new_install = shop is None or shop.redacted_at is not None
        if shop is None:
            shop = Shop(domain=domain)
            session.add(shop)
        # The last moment Shopify granted us a token: an app/uninstalled triggered before it
        # is stale (a late or retried delivery from before this reinstall) and is ignored.
        shop.installed_at = now
        shop.uninstalled_at = None
        shop.redacted_at = None
        store_issued_token(shop, issued, cipher)
        await session.flush()
        shop_id = shop.id
        if new_install:
            await start_paused(session, shop_id, resources.platform.catalog.sorted_keys())
    log.info("shop installed", shop=domain, scopes=",".join(sorted(issued.scopes)))
    return shop_id


async def primary_locale(resources: Resources, shop_id: int, domain: str) -> str | None:
    """The shop's primary locale (e.g. `fr`, `pt-BR`), or None when Shopify will not say
    (read_locales not granted yet: the shop keeps the locale it has)."""
    try:
        data = await admin_query(resources, shop_id, domain, SHOP_LOCALES)
    except ShopifyQueryError as exc:
        log.warning("shop locale unavailable", shop=domain, error=exc.detail)
        return None
    for entry in data.get("shopLocales") or []:
        if entry.get("primary") and entry.get("locale"):
            return str(entry["locale"])[:16]
    return None


async def refresh_shop_facts(resources: Resources, shop_id: int, domain: str) -> None:
    data = await admin_query(resources, shop_id, domain, SHOP_FACTS)
    facts = data["shop"]
    locale = await primary_locale(resources, shop_id, domain)
    # Its deferred jobs (a rebuild of the KPI roll-ups when the timezone moved) are sent
    # after the commit.
    async with resources.transaction() as session:
        shop = await session.get(Shop, shop_id)
        if shop is None:
            return
        shop.name = facts.get("name")
        shop.email = facts.get("email")
        shop.currency = facts.get("currencyCode") or shop.currency
        set_timezone(session, shop, facts.get("ianaTimezone") or shop.timezone)
        shop.primary_domain_url = (facts.get("primaryDomain") or {}).get("url")
        shop.plan_name = (facts.get("plan") or {}).get("displayName")
        address = [
            str(line).strip()
            for line in (facts.get("shopAddress") or {}).get("formatted") or []
            if str(line).strip()
        ]
        shop.postal_address = "\n".join(address) or shop.postal_address
        if locale is not None:
            shop.locale = locale


async def complete_install(resources: Resources, shop_id: int, domain: str) -> None:
    """Shop facts and webhook subscriptions after the token is stored. A failure here does not
    undo the install: it is logged and the next install or shop/update fills the gap."""
    try:
        await refresh_shop_facts(resources, shop_id, domain)
        created = await ensure_webhook_subscriptions(resources, shop_id, domain)
    except WebhookSubscriptionsRefused as exc:
        log.warning(
            "webhook subscriptions refused by Shopify",
            shop=domain,
            refused=",".join(topic for topic, _, _ in exc.errors),
            created=",".join(exc.created),
        )
        return
    except BoomerangError as exc:
        log.warning("install follow-up failed", shop=domain, error=type(exc).__name__)
        return
    if created:
        log.info("webhook subscriptions created", shop=domain, topics=",".join(created))
