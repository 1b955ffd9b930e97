"""Settings of the simulator: app credentials, token lifetimes, plan rate limits, webhook pacing."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

DEFAULT_API_VERSION = "2026-10"


@dataclass(frozen=True)
class PlanLimits:
    """A plan's GraphQL Admin API leaky bucket (per app and store)."""

    display_name: str
    maximum_available: float
    restore_rate: float
    shopify_plus: bool = False


# Restore rates are the documented ones (shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits:
# Standard 100 points/s, Advanced 200, Plus 1000, Enterprise 2000). The page no longer prints the
# bucket size; real answers report maximumAvailable at twenty seconds of restore (2000.0 beside a
# restoreRate of 100.0 on a standard store), so the buckets keep that ratio.
PLANS: dict[str, PlanLimits] = {
    "standard": PlanLimits("Basic", 2000.0, 100.0),
    "advanced": PlanLimits("Advanced", 4000.0, 200.0),
    "plus": PlanLimits("Shopify Plus", 20000.0, 1000.0, shopify_plus=True),
    "enterprise": PlanLimits("Shopify Plus", 40000.0, 2000.0, shopify_plus=True),
}

# Shopify retries a failed delivery 8 times over 4 hours with exponential backoff, keeping the
# original payload (changelog: updates-to-webhook-retry-mechanism, 2024-09-10). The page gives no
# exact intervals, so each wait doubles the one before and the eight add up to the four hours.
WEBHOOK_RETRIES = 8
WEBHOOK_RETRY_WINDOW = 4 * 3600.0
# Shopify sends shop/redact 48 hours after the app is uninstalled (privacy-law compliance page).
SHOP_REDACT_AFTER = 48 * 3600.0


def retry_delays(
    retries: int = WEBHOOK_RETRIES, window: float = WEBHOOK_RETRY_WINDOW
) -> tuple[float, ...]:
    """Seconds waited before each retry: each twice the one before, together `window`."""
    unit = window / (2**retries - 1)
    return tuple(unit * 2**number for number in range(retries))


WEBHOOK_RETRY_DELAYS: tuple[float, ...] = retry_delays()


@dataclass
class SimulatorConfig:
    """Everything the simulator needs to know about the one app it serves."""

    api_key: str = "0d3v5t0r3c113n71d000000000000000"
    # A well-known development secret; real deployments pass their own.
    api_secret: str = "shpss_0d3v5t0r3c113n75ecr3700000000"  # noqa: S105
    app_id: int = 7654321
    app_url: str = "http://127.0.0.1:8000"
    webhook_path: str = "/webhooks"
    scopes: frozenset[str] = frozenset(
        {
            "read_customers",
            "write_customers",
            "read_orders",
            "read_checkouts",
            "read_discounts",
            "write_discounts",
            "read_products",
            # The reviews' standard product metafields (reviews.rating, reviews.rating_count).
            "write_products",
            "read_locales",
            # fulfillments/update and fulfillment_events/create need it (WebhookSubscriptionTopic:
            # shopify.dev/docs/api/admin-graphql/latest/enums/WebhookSubscriptionTopic).
            "read_fulfillments",
            # An app declaring [app_proxy] (shopify.dev: apps/build/online-store/app-proxies).
            "write_app_proxy",
        }
    )
    # The app's `optional_scopes` (shopify.app.toml): requested after install, granted or
    # declined by the merchant (Shopify's "Manage access scopes" guide).
    optional_scopes: frozenset[str] = frozenset(
        {
            # Store credit rewards.
            "write_store_credit_account_transactions",
            "read_store_credit_accounts",
            # Syndicating reviews to the standard product_review metaobject (off by default,
            # and only for apps approved by Shopify for it).
            "write_metaobject_definitions",
            "write_metaobjects",
        }
    )
    # A store credit account's most (None: no limit here): past it, storeCreditAccountCredit
    # answers CREDIT_LIMIT_EXCEEDED. Shopify does not publish its figure.
    store_credit_limit: Decimal | None = None
    api_version: str = DEFAULT_API_VERSION
    access_token_lifetime: float = 3600.0
    refresh_token_lifetime: float = 90 * 24 * 3600.0
    # Recovery window for a refresh token already used once (changelog 2026-08: 30 days).
    refresh_token_grace: float = 30 * 24 * 3600.0
    authorization_code_lifetime: float = 600.0
    session_token_leeway: float = 5.0
    plans: dict[str, PlanLimits] = field(default_factory=lambda: dict(PLANS))
    single_query_max_cost: int = 1000
    input_array_max: int = 250
    bulk_code_creation_delay: float = 0.05
    # How long a bulk query operation runs before its result file is ready (seconds).
    bulk_operation_delay: float = 0.05
    # codeDiscountNodeByCode finds a code discount only this long after its creation: a read
    # that trails the write, so clients can be tested against the moment a code is already
    # taken but not yet found. 0 (the default) is read-your-writes.
    code_lookup_lag: float = 0.0
    # Divides Shopify's webhook timings (retry waits, requested delays, shop/redact's 48 hours):
    # 1.0 is real time, 3600 makes an hour a second.
    webhook_time_compression: float = 1.0
    webhook_connect_timeout: float = 1.0
    webhook_total_timeout: float = 5.0
    webhook_max_retries: int = WEBHOOK_RETRIES
    shop_redact_after: float = SHOP_REDACT_AFTER
    # Whether the app has Shopify's approval for protected customer data; without it
    # webhookSubscriptionCreate refuses the topics that carry customer data.
    protected_customer_data_approved: bool = True
    # Whether the app is approved for Shopify's standard product review syndication program:
    # the `product_review` standard metaobject definition "is only available to approved
    # partners" (shopify.dev/docs/apps/build/metaobjects/list-of-standard-definitions).
    # Off by default, like a new app; standardMetaobjectDefinitionEnable refuses it without.
    product_review_syndication_approved: bool = False

    # The app's `[app_proxy]` (shopify.app.toml): the storefront's /apps/boomerang/… is
    # forwarded, signed, to the app's URL + /proxy/….
    app_proxy_path: str = "/proxy"
    app_proxy_prefix: str = "apps"
    app_proxy_subpath: str = "boomerang"

    @property
    def webhook_url(self) -> str:
        return self.app_url.rstrip("/") + self.webhook_path

    def plan(self, name: str) -> PlanLimits:
        return self.plans[name]
