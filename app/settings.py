"""The service's settings, read once from the environment and passed in."""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import make_url
from sqlalchemy.exc import ArgumentError

_DATABASE_SCHEME = "postgresql+asyncpg://"
_API_VERSION = re.compile(r"^\d{4}-(01|04|07|10)$|^unstable$")
_PROJECT_ROOT = Path(__file__).resolve().parents[1]


class SettingsError(Exception):
    """A setting is missing or malformed; the message names it and says what to do."""


class Settings(BaseSettings):
    """Every knob of the service. Secrets are SecretStr so they never print."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", frozen=True)

    shopify_api_key: Annotated[str, Field(min_length=1)]
    shopify_api_secret: SecretStr
    # Accepted for webhook and session-token verification during a secret rotation.
    shopify_api_secret_previous: SecretStr | None = None
    # Kept equal to [access_scopes] in shopify.app.toml (a test ties them): read_checkouts for
    # abandoned carts, read_locales for the shop's primary locale (shopLocales), read_products
    # for the cart email's item images (checkout webhooks carry none), write_products for the
    # reviews' product metafields, read_fulfillments for the fulfillments/update and
    # fulfillment_events/create topics (a shipment's delivered status), write_app_proxy for the
    # storefront's app proxy ([app_proxy] needs it: apps/build/online-store/app-proxies).
    # Optional features' scopes are not here: `optional_scopes` in the toml, requested through
    # App Bridge when the merchant turns the feature on (store credit, review syndication).
    shopify_scopes: str = (
        "read_customers,write_customers,read_orders,read_checkouts,read_discounts,"
        "write_discounts,read_locales,read_products,write_products,read_fulfillments,"
        "write_app_proxy"
    )
    shopify_api_version: str = "2026-10"
    app_url: str = "http://127.0.0.1:8000"
    # Unset means: start an embedded PostgreSQL / Redis under data_dir.
    database_url: str | None = None
    redis_url: str | None = None
    shopify_admin_url_template: str = "https://{shop}"
    # Where the embedded page loads App Bridge and Polaris web components from; tests and the
    # demo point it at the simulator's stand-ins (offline).
    shopify_cdn_url: str = "https://cdn.shopify.com"
    # Origins besides the shop and admin.shopify.com allowed to frame the embedded app
    # (comma-separated): the simulator's admin in development and tests.
    extra_frame_ancestors: str = ""
    # The built admin UI (Vite's dist: hashed assets and .vite/manifest.json).
    frontend_dir: Path = _PROJECT_ROOT / "frontend" / "dist"
    # Comma-separated Fernet keys, newest first (MultiFernet encrypts with the first).
    token_encryption_keys: SecretStr
    # Unset means: write .eml files under data_dir/outbox.
    smtp_url: SecretStr | None = None
    email_from: str = "Boomerang <no-reply@boomerang.invalid>"
    # Domains whose SPF, DKIM and DMARC the operator set up for the relay (comma-separated):
    # a shop may send from an address on one of them; any other shop's mail goes from
    # email_from's address, under the shop's name and with its reply-to.
    sender_domains: str = ""
    data_dir: Path = Path(".boomerang")
    log_level: str = "INFO"
    # "json": one JSON object per line (what a log pipeline reads; the container image sets
    # it); "text": key=value lines for a terminal.
    log_format: Literal["text", "json"] = "text"
    # Jobs due now are taken round-robin across the shops that have some (app/queue/fair.py),
    # so one shop's backlog never holds back another's, with the backlog's own shop served
    # faster than by FIFO (bench/RESULTS.md, bench/fairness 2026-12-05). Off: one FIFO queue.
    queue_fair: bool = True
    # At most this many jobs of one shop run at once across all workers, whatever else waits
    # (0: no cap; a shop alone may then use every worker). Round-robin already serves a shop
    # with new work on the next free slot; a cap also keeps slots free for it.
    queue_shop_max_running: Annotated[int, Field(ge=0)] = 0
    db_pool_size: int = 10
    # Refresh an expiring offline token this long before it expires (Shopify: "a few minutes").
    shopify_token_refresh_ahead_seconds: Annotated[int, Field(ge=0)] = 300
    # How old an OAuth callback's timestamp may be before it is refused as a replay.
    oauth_callback_max_age_seconds: Annotated[int, Field(gt=0)] = 600
    # A delivery whose X-Shopify-Triggered-At is older than this is dropped (answered 200, not
    # stored, counted): Shopify retries 8 times over 4 hours, so nothing genuine is older than
    # that; 6 hours leaves a margin for its queues and our clock. 0 turns the check off (the
    # demo replays a week of history).
    webhook_max_age_seconds: Annotated[int, Field(ge=0)] = 6 * 3600
    # Grace before the sweeper re-enqueues a stored webhook event that has no live job.
    webhook_sweep_after_seconds: float = 30.0
    # The checks before a cart step and before its send read at most this many of the shop's
    # unprocessed order and checkout deliveries; with more waiting (the worker is behind) the
    # step and the send wait instead of deciding on a partial view (app/inbox/backlog.py).
    inbox_check_limit: Annotated[int, Field(gt=0)] = 500
    # …and look again this many seconds later.
    inbox_recheck_seconds: Annotated[float, Field(gt=0)] = 30.0
    # Loyalty metafields and tags written back to Shopify are coalesced and flushed per shop
    # at most this often (app/shopify/customer_sync.py).
    customer_sync_flush_seconds: Annotated[float, Field(gt=0)] = 10.0
    # Shortens every scheduled scenario's period (win-back's day) to this many seconds; below a
    # minute the schedules' cron ticks as often (else once a minute). Unset in production; the
    # demo sets it.
    schedule_period_seconds: Annotated[int, Field(gt=0)] | None = None
    # Missed webhooks (app/reconcile): each shop's orders, checkouts and customers changed
    # since its last mark are read back from the Admin API this often; a gap longer than
    # reconcile_bulk_after_seconds is read through a bulk operation instead of pages.
    reconcile_every_seconds: Annotated[int, Field(gt=0)] = 300
    reconcile_bulk_after_seconds: Annotated[int, Field(gt=0)] = 6 * 3600
    # A version younger than this may still be on its way as a webhook: the periodic run
    # leaves it to the next one (a run right before a reminder takes everything).
    reconcile_grace_seconds: Annotated[int, Field(ge=0)] = 60
    # Raw bodies of processed webhook events are dropped this many days after receipt (the row
    # stays: dedup by X-Shopify-Webhook-Id and the audit trail). Failed events keep theirs for
    # replay. At least a day, far past Shopify's 4-hour retry window.
    webhook_body_retention_days: Annotated[int, Field(ge=1)] = 30
    # Slow clients (app/web/body_limits.py, app/web/server.py): a request's body must arrive
    # within body_read_timeout_seconds of its headers, and its headers within
    # header_read_timeout_seconds of the connection (or of the previous response).
    body_read_timeout_seconds: Annotated[float, Field(gt=0)] = 10.0
    header_read_timeout_seconds: Annotated[float, Field(gt=0)] = 10.0
    # uvicorn's HTTP/1.1 parser: httptools (the fast one bench/ingest measures) or h11; both
    # bound request heads to 16 KiB and give them a deadline (app/web/server.py).
    http_parser: Literal["h11", "httptools"] = "httptools"
    # An idle keep-alive connection is closed after this many seconds.
    keep_alive_timeout_seconds: Annotated[int, Field(gt=0)] = 5
    # Connections (and requests in progress) per web process beyond which it answers 503.
    max_connections: Annotated[int, Field(gt=0)] = 1000
    # Rate limits (app/web/rate_limits.py), in the `limits` notation ("30/minute", several
    # separated by ";"), counted in Redis across processes.
    rate_limit_previews: str = "20/minute;200/hour"
    rate_limit_test_sends: str = "5/minute;30/hour"
    rate_limit_public_per_ip: str = "600/minute"
    rate_limit_public_per_token: str = "30/minute"  # noqa: S105  (a rate, not a secret)
    # Reward redemptions per customer through the storefront (app/web/loyalty_proxy.py).
    rate_limit_redemptions: str = "10/minute;60/hour"
    # Where the worker serves its Prometheus metrics (the web app serves its own at /metrics
    # on its port); port 0 turns the worker's off.
    worker_metrics_host: str = "127.0.0.1"
    worker_metrics_port: Annotated[int, Field(ge=0, le=65535)] = 8001
    # Review photos (app/reviews/storage.py): on local disk under data_dir/review-photos, or
    # in an S3-compatible store (AWS, MinIO, R2…) when review_photo_store is "s3".
    review_photo_store: Literal["local", "s3"] = "local"
    review_s3_bucket: str = ""
    # Unset means AWS itself; any S3-compatible endpoint otherwise.
    review_s3_endpoint_url: str | None = None
    review_s3_region: str = "us-east-1"
    review_s3_access_key_id: SecretStr | None = None
    review_s3_secret_access_key: SecretStr | None = None
    # How long the link in a review request stays valid.
    review_link_days: Annotated[int, Field(gt=0)] = 60

    @field_validator("shopify_api_secret", "token_encryption_keys")
    @classmethod
    def _not_blank(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("database_url")
    @classmethod
    def _asyncpg_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(_DATABASE_SCHEME):
            raise ValueError(
                f"must start with {_DATABASE_SCHEME} (PostgreSQL through asyncpg), "
                f"e.g. {_DATABASE_SCHEME}user@127.0.0.1:5432/boomerang"
            )
        try:
            _ = make_url(value).port
        except (ArgumentError, ValueError) as exc:
            raise ValueError(f"is malformed ({exc})") from None
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

    @field_validator(
        "rate_limit_previews",
        "rate_limit_test_sends",
        "rate_limit_public_per_ip",
        "rate_limit_public_per_token",
        "rate_limit_redemptions",
    )
    @classmethod
    def _rate(cls, value: str) -> str:
        from limits import parse_many

        try:
            parse_many(value)
        except ValueError:
            raise ValueError(
                "must be rates such as 30/minute, several separated by ';' (30/minute;300/hour)"
            ) from None
        return value

    @field_validator("shopify_api_version")
    @classmethod
    def _api_version(cls, value: str) -> str:
        if not _API_VERSION.match(value):
            raise ValueError("must be a quarterly version such as 2026-10")
        return value

    @field_validator("shopify_admin_url_template")
    @classmethod
    def _template(cls, value: str) -> str:
        if "{shop}" not in value:
            raise ValueError("must contain {shop}, e.g. https://{shop}")
        return value.rstrip("/")

    @field_validator("shopify_cdn_url")
    @classmethod
    def _cdn_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL such as https://cdn.shopify.com")
        return value.rstrip("/")

    @cached_property
    def scopes(self) -> frozenset[str]:
        return frozenset(s.strip() for s in self.shopify_scopes.split(",") if s.strip())

    @property
    def verified_sender_domains(self) -> frozenset[str]:
        return frozenset(
            d.strip().lower().rstrip(".") for d in self.sender_domains.split(",") if d.strip()
        )

    @property
    def database(self) -> str:
        """The database URL once resolved (the CLI starts an embedded server when unset)."""
        if not self.database_url:
            raise SettingsError("DATABASE_URL is not set and no embedded PostgreSQL was started")
        return self.database_url

    @property
    def redis(self) -> str:
        if not self.redis_url:
            raise SettingsError("REDIS_URL is not set and no embedded Redis was started")
        return self.redis_url

    def admin_url(self, shop: str) -> str:
        """Base URL of one shop's admin endpoints (Shopify, or the simulator in tests)."""
        return self.shopify_admin_url_template.format(shop=shop)


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment; raise SettingsError with one readable line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise SettingsError(describe_validation_error(exc)) from None


def describe_validation_error(exc: ValidationError) -> str:
    problems = []
    for err in exc.errors():
        name = "_".join(str(p) for p in err["loc"]).upper() or "settings"
        if err["type"] == "missing":
            problems.append(f"{name} is required but not set")
        else:
            problems.append(f"{name} {err['msg'].removeprefix('Value error, ')}")
    return "configuration error: " + "; ".join(problems)
