"""`boomerang demo`: the whole product on this machine. Embedded PostgreSQL and Redis, the app
and the worker as real processes, the Shopify simulator on loopback; a demo shop installed
through the real OAuth flow, a seeded week of store traffic replayed as signed webhooks, some
shoppers coming back through their reminder; then a report of what Boomerang did (only what it
really does: the scenarios not built yet are not reported)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import random
import re
import secrets
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx
import structlog
from redis.asyncio import Redis
from sqlalchemy import func, make_url, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db.engine import create_engine, create_sessionmaker
from app.loyalty.jobs import WAITING_LOST_AFTER
from app.messaging.config import MessagingConfig
from app.messaging.tracking import DELIVERY_GRACE, click_token, open_token
from app.models import (
    Checkout,
    Customer,
    LoyaltyAccount,
    Message,
    Referral,
    ReferralCode,
    ScenarioConversion,
    ScenarioRun,
    Shop,
    TimelineEntry,
    WebhookEvent,
)
from app.platform.children import child_environment, stop_children
from app.referrals.admin import figures as referral_figures
from app.referrals.records import PENDING as REFERRAL_PENDING
from app.referrals.records import QUALIFIED as REFERRAL_QUALIFIED
from app.settings import Settings

log = structlog.get_logger(__name__)

DEMO_SHOP = "boomerang-demo"
CART = "abandoned_cart"
DEMO_DOMAIN = f"{DEMO_SHOP}.myshopify.com"
_DEMO_SECRETS = Path(".boomerang") / "demo-secrets.json"
# A browser's user agent: the demo's shoppers are people, not link scanners.
_SHOPPER_AGENT = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 Safari/605.1.15"


def demo_settings_overrides() -> dict[str, object]:
    """Secrets for the demo app, made once and kept under .boomerang/ so restarts agree.
    Anything set in the environment wins."""
    _DEMO_SECRETS.parent.mkdir(parents=True, exist_ok=True)
    if _DEMO_SECRETS.exists():
        stored = json.loads(_DEMO_SECRETS.read_text())
    else:
        stored = {
            "shopify_api_key": "demo" + secrets.token_hex(14),
            "shopify_api_secret": "shpss_" + secrets.token_hex(24),
            "token_encryption_keys": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        }
        _DEMO_SECRETS.write_text(json.dumps(stored))
        _DEMO_SECRETS.chmod(0o600)
    return {key: value for key, value in stored.items() if key.upper() not in os.environ}


# Shopify's webhook timings in the demo: an hour a second, so a delivery the app fails is
# retried over four seconds (Shopify's four hours), not four hours.
DEMO_WEBHOOK_COMPRESSION = 3600.0
# Scheduled scenarios (win-back's daily selection) walk every 5 s, the cron ticking as often.
DEMO_SCHEDULE_PERIOD_SECONDS = 5
# Win-back's reminder after 12 s instead of a week: time for some to come back before it.
DEMO_WINBACK_REMINDER_SECONDS = 12
# The frequency cap counts real days and weeks (the product's pacing is not compressed), while
# the demo plays a shopper's week of emails (cart reminders, the welcome series, loyalty
# notices…) within minutes of one real day: a shop's 3 a day would then be the whole week's
# budget. The demo's daily cap is nearer a week's: 7 per shopper for the run (10 a week). The
# busiest shoppers (three cart reminders and loyalty emails besides the welcome series) still
# have some held.
DEMO_CAP_PER_DAY = 7
DEMO_CAP_PER_WEEK = 10


@dataclass(frozen=True)
class DemoOptions:
    port: int
    once: bool
    seed: int = 7
    days: float = 7.0
    # Share of reminded shoppers who click through and buy with their code.
    come_back_rate: float = 0.35


def run_demo(settings: Settings, options: DemoOptions) -> None:
    asyncio.run(_demo(settings, options))


def demo_database_url(database_url: str) -> str:
    """The demo's own database, beside the configured one: `{name}_demo`."""
    url = make_url(database_url)
    return url.set(database=f"{url.database}_demo").render_as_string(hide_password=False)


async def fresh_demo_services(settings: Settings) -> Settings:
    """Every demo plays a store the simulator makes anew, so it starts from nothing: what an
    earlier run left (its shop's token, pools of codes only that run's simulator knew, queued
    jobs for rows that no longer exist) would break this one. The demo therefore works in a
    database of its own, `{name}_demo`, dropped and created again, and empties its Redis db
    (the embedded one by default; a REDIS_URL given to the demo must be a db of its own)."""
    demo_url = demo_database_url(settings.database)
    name = make_url(demo_url).database
    admin = await asyncpg.connect(settings.database.replace("+asyncpg", "", 1))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    redis = Redis.from_url(settings.redis)
    try:
        await redis.flushdb()
    finally:
        await redis.aclose()
    return settings.model_copy(update={"database_url": demo_url})


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _say(line: str) -> None:
    print(line, flush=True)  # noqa: T201  (the demo talks to the person running it)


async def _demo(settings: Settings, options: DemoOptions) -> None:
    from devstore import SimulatorConfig, create_simulator

    app_url = f"http://127.0.0.1:{options.port}"
    # The app runs on the demo's port, whatever APP_URL says: links and callbacks go there.
    settings = settings.model_copy(update={"app_url": app_url})
    sim_config = SimulatorConfig(
        api_key=settings.shopify_api_key,
        api_secret=settings.shopify_api_secret.get_secret_value(),
        app_url=app_url,
        webhook_time_compression=DEMO_WEBHOOK_COMPRESSION,
        # The demo plays an app Shopify approved for its product review syndication program,
        # so reviews also reach the standard product_review metaobject.
        product_review_syndication_approved=True,
    )
    _, sim = create_simulator(sim_config)
    sim.add_shop(
        DEMO_SHOP,
        email="owner@boomerang-demo.test",
        currency="EUR",
        iana_timezone="Europe/Paris",
        shop_name="Boomerang Demo Store",
    )
    async with sim.serve(port=_free_port()) as sim_url:
        processes = _start_processes(settings, app_url=app_url, sim_url=sim_url)
        # This process reaches the simulated Shopify too (the loyalty redemptions' codes).
        settings = settings.model_copy(update={"shopify_admin_url_template": f"{sim_url}/{{shop}}"})
        try:
            await _wait_ready(f"{app_url}/readyz")
            _say(f"Shopify simulator on {sim_url}; Boomerang on {app_url} (web + worker)")
            engine = create_engine(settings.database, pool_size=2)
            sessions = create_sessionmaker(engine)
            try:
                await _play(settings, options, sim, app_url, sessions)
            finally:
                await engine.dispose()
            admin_page = f"{sim_url}/store/{DEMO_SHOP}/apps/boomerang"
            _say(f"Admin UI: {admin_page} (the simulated Shopify admin)")
            port = urlsplit(sim_url).port
            _say(
                f"Storefront widget: http://{DEMO_DOMAIN}:{port}/pages/rewards in a browser "
                f'started with --host-resolver-rules="MAP {DEMO_DOMAIN} 127.0.0.1" (the shop '
                "at its own host, so its app proxy answers); log in as a customer with the "
                "storefront_customer_id cookie"
            )
            if not options.once:
                _say("Running. Ctrl-C stops it.")
                while all(p.poll() is None for p in processes):  # noqa: ASYNC110  (child processes)
                    await asyncio.sleep(1)
        finally:
            # Also on Ctrl-C and SIGTERM (the CLI turns it into Ctrl-C): the app and the
            # worker stop here, the embedded PostgreSQL and Redis at exit.
            stop_children(processes)
            await sim.webhooks.cancel_pending()


def _start_processes(
    settings: Settings, *, app_url: str, sim_url: str
) -> list[subprocess.Popen[bytes]]:
    env = child_environment(dict(os.environ))
    env.update(
        SHOPIFY_API_KEY=settings.shopify_api_key,
        SHOPIFY_API_SECRET=settings.shopify_api_secret.get_secret_value(),
        TOKEN_ENCRYPTION_KEYS=settings.token_encryption_keys.get_secret_value(),
        APP_URL=app_url,
        DATABASE_URL=settings.database,
        REDIS_URL=settings.redis,
        SHOPIFY_ADMIN_URL_TEMPLATE=f"{sim_url}/{{shop}}",
        # The admin UI runs in the simulator's admin, on its App Bridge and Polaris stand-ins.
        SHOPIFY_CDN_URL=f"{sim_url}/cdn",
        EXTRA_FRAME_ANCESTORS=sim_url,
        LOG_LEVEL=os.environ.get("BOOMERANG_DEMO_LOG_LEVEL", "WARNING"),
        # The demo replays days of history stamped with their simulated times: the age check
        # on X-Shopify-Triggered-At would drop all but the last hours of it.
        WEBHOOK_MAX_AGE_SECONDS="0",
        # Demo timing: win-back's daily selection runs at every tick of the schedules' cron.
        SCHEDULE_PERIOD_SECONDS=str(DEMO_SCHEDULE_PERIOD_SECONDS),
    )
    port = str(urlsplit(app_url).port)
    cli = [sys.executable, "-m", "app.cli"]
    return [
        subprocess.Popen([*cli, "serve", "--port", port], env=env),  # noqa: S603
        subprocess.Popen([*cli, "worker"], env=env),  # noqa: S603
    ]


async def _wait_ready(url: str) -> None:
    async with httpx.AsyncClient() as client, asyncio.timeout(60):
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(url, timeout=1)).status_code == 200:
                    return
            await asyncio.sleep(0.2)


async def _install(client: httpx.AsyncClient, app_url: str) -> str:
    """The merchant's install: /auth → Shopify's authorize page → our callback → the embedded
    app. Every hop is a real redirect between the two servers; returns where it ended."""
    url = f"{app_url}/auth?shop={DEMO_DOMAIN}"
    for _ in range(6):
        response = await client.get(url)
        if response.status_code not in (301, 302, 303, 307):
            raise RuntimeError(f"install stopped at {url}: {response.status_code} {response.text}")
        url = response.headers["location"]
        if not url.startswith(("http://127.0.0.1", "/")):
            return url  # the Shopify admin, where the embedded app opens
        if url.startswith("/"):
            url = app_url + url
    raise RuntimeError("install redirected too many times")


async def _play(
    settings: Settings,
    options: DemoOptions,
    sim: Any,
    app_url: str,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    from devstore.traffic import TrafficGenerator, TrafficSettings, replay

    async with httpx.AsyncClient(timeout=30) as client:
        landing = await _install(client, app_url)
        _say(f"Installed on {DEMO_DOMAIN} through OAuth; the merchant lands on {landing}")
        headers = {"Authorization": f"Bearer {sim.mint_session_token(DEMO_SHOP)}"}
        guide = await _api_json(client, "GET", f"{app_url}/api/setup-guide", headers)
        _say(
            f"Setup guide: {guide['done']}/{guide['total']} steps done; scenarios on at "
            f"install: {len(guide['on'])} (a new shop starts with every scenario off)"
        )
        # The guide's first step: who the emails come from. The demo's relay verifies no
        # domain, so they go from the app's address under the shop's name, replies to the shop.
        sender = await _api_json(
            client,
            "PUT",
            f"{app_url}/api/sender",
            headers,
            {"reply_to": "hello@boomerang-demo.test", "brand_color": "#0b7a75"},
        )
        _say(
            f"Sender: From {sender['from_header']}, Reply-To {sender['reply_to_header']}; "
            f"footer address read from Shopify: {', '.join(sender['postal_address'])}"
        )
        # Demo timing: a week happens in seconds, so the reminders' delays are seconds too.
        # Turned on live as a merchant would once the guide's checks are done.
        await _api(
            client,
            "PUT",
            f"{app_url}/api/scenarios/abandoned_cart",
            headers,
            {
                "mode": "live",
                "steps": [
                    {"delay_seconds": 2},
                    {"delay_seconds": 6},
                    {"delay_seconds": 12, "enabled": True},
                ],
            },
        )
        await _api(
            client,
            "PUT",
            f"{app_url}/api/messaging/settings",
            headers,
            {
                "paused": False,
                "max_per_day": DEMO_CAP_PER_DAY,
                "max_per_week": DEMO_CAP_PER_WEEK,
                "quiet_start": "00:00:00",
                "quiet_end": "00:00:00",
            },
        )
        _say("Abandoned cart: reminders after 2 s, 6 s (10 % code) and 12 s (15 % code)")
        _say(
            f"Frequency cap: {DEMO_CAP_PER_DAY} marketing emails per shopper a day, "
            f"{DEMO_CAP_PER_WEEK} a week (a shop's week of emails plays within one real day "
            "here), no quiet hours"
        )
        await _api(client, "PUT", f"{app_url}/api/scenarios/welcome", headers, _WELCOME_DEMO)
        _say("Welcome series: at sign-up, best-sellers after 4 s, an offer (10 % code) after 8 s")
        # The merchant accepts the store credit permission request (App Bridge's Scopes API)
        # before turning store credit rewards on.
        from app.loyalty.store_credit import SCOPES as STORE_CREDIT_SCOPES

        sim.grant_scopes(DEMO_DOMAIN, STORE_CREDIT_SCOPES)
        await _api(client, "PUT", f"{app_url}/api/loyalty/settings", headers, _LOYALTY_DEMO)
        _say(
            "Loyalty program on: 1 point per 1 EUR on paid orders, 50 at sign-up; tiers Silver "
            "(150 points in 12 months) and Gold (400, ×1.5); rewards from 50 points, "
            "10 EUR of Shopify store credit for 100"
        )
        await _api(client, "PUT", f"{app_url}/api/referrals/settings", headers, _REFERRALS_DEMO)
        _say(
            "Referrals: a personal code (10 % off a friend's first order) after a first paid "
            "order; a 10 EUR code for each friend's order past the hold (no hold in the demo)"
        )
        await _api(client, "PUT", f"{app_url}/api/scenarios/review_request", headers, _REVIEWS_DEMO)
        _say(
            "Review requests after delivery: 3 s after Shopify reports the order delivered (7 "
            f"days in a shop), a reminder 6 s later; without a delivered status, "
            f"{DEMO_DELIVERY_WAIT_SECONDS} s after the fulfilment counts as the delivery"
        )
        # The merchant accepts syndication's permission request (App Bridge's Scopes API) too.
        from app.reviews.syndication import SCOPES as SYNDICATION_SCOPES

        sim.grant_scopes(DEMO_DOMAIN, SYNDICATION_SCOPES)
        await _api(
            client,
            "PUT",
            f"{app_url}/api/reviews/settings",
            headers,
            {"syndicate_to_shopify": True},
        )
        _say(
            "Review syndication on: Shopify's standard product_review metaobject enabled (the "
            "demo's app is approved), one metaobject per published review"
        )
        # Win-back waits (paused) until the cart's part is played; then the merchant turns it on.
        await _api(
            client,
            "PUT",
            f"{app_url}/api/scenarios/winback",
            headers,
            {
                "mode": "paused",
                "steps": {"reminder": {"delay_seconds": DEMO_WINBACK_REMINDER_SECONDS}},
            },
        )

        traffic = TrafficSettings(
            seed=options.seed,
            days=options.days,
            start=datetime.now(UTC) - timedelta(days=options.days),
            recover_rate=0.2,
            recover_with_code_rate=0.0,
            deliver_rate=DEMO_DELIVER_RATE,
            fulfill_after_days=DEMO_FULFILL_AFTER_DAYS,
        )
        shop = sim.shop(DEMO_SHOP)
        events = list(TrafficGenerator(sim.storefront, shop, traffic).events())
        _say(f"Replaying {_span(options.days)} of seeded traffic: {len(events)} signed webhooks")
        started = time.monotonic()
        await replay(events, sim, DEMO_SHOP)
        await sim.webhooks.drain()
        _say(f"  delivered in {time.monotonic() - started:.1f} s")
        # Up to 90 s: it returns as soon as nothing is due (about 20 s on an idle machine), but
        # on a busy one the reminders carrying codes were not all sent after 40 s, and fewer
        # shoppers then had a code to come back with (2 against 9 on the same seed).
        await _settle(sessions, seconds=90)

        come_back = await _shoppers_come_back(settings, options, sim, client, sessions)
        who = "shopper" if come_back == 1 else "shoppers"
        _say(f"{come_back} {who} clicked their reminder and bought with its code")
        await sim.webhooks.drain()
        await _settle(sessions, seconds=20)
        referred = await _friends_referred(options, sim, client, sessions, app_url)
        _say(
            f"{referred} advocates shared their link; a friend of each bought with their code "
            "(and one advocate tried their own code from their own address)"
        )
        # A fresh session token: App Bridge's last a minute.
        headers = {"Authorization": f"Bearer {sim.mint_session_token(DEMO_SHOP)}"}
        await _api(client, "PUT", f"{app_url}/api/scenarios/winback", headers, {"mode": "live"})
        _say(
            "Win-back turned on: lapsed customers selected every 5 s (daily in a real shop), "
            "an offer with a single-use pooled code at once, a reminder "
            f"{DEMO_WINBACK_REMINDER_SECONDS} s later"
        )
        await _win_back(options, sim, sessions)
        redeemed = await _shoppers_redeem(settings, options, sim, sessions)
        _say(
            f"{redeemed} loyalty members spent points on a reward (codes or store credit made "
            "at Shopify)"
        )
        reviewed = await _customers_review(settings, options, client, sessions)
        _say(f"{reviewed} customers followed a star in their review request and left a review")
        opened, sent = await _shoppers_open(settings, options, client, sessions)
        _say(
            f"{opened} of {sent} emails sent were opened with their images shown (the tracking "
            "pixel fetched as a mail client does; the others stay unread or block images)"
        )
        await _settle(sessions, seconds=20)
        await _report(sessions, sim, app_url)
        await _storefront_widget(sim, sessions)
        # A fresh session token: the first one (about a minute of life) is long expired.
        fresh = {"Authorization": f"Bearer {sim.mint_session_token(DEMO_SHOP)}"}
        for line in await _customer_lines(client, app_url, fresh):
            _say(line)
        for line in await _results(sessions, sim, client, app_url, options.days):
            _say(line)


async def _api(
    client: httpx.AsyncClient, method: str, url: str, headers: dict[str, str], body: object
) -> None:
    response = await client.request(method, url, headers=headers, json=body)
    if response.status_code >= 400:
        raise RuntimeError(f"{method} {url} answered {response.status_code}: {response.text}")


async def _api_json(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    headers: dict[str, str],
    body: object = None,
) -> dict[str, Any]:
    response = await client.request(method, url, headers=headers, json=body)
    if response.status_code >= 400:
        raise RuntimeError(f"{method} {url} answered {response.status_code}: {response.text}")
    found: dict[str, Any] = response.json()
    return found


async def _settle(sessions: async_sessionmaker[AsyncSession], *, seconds: float) -> None:
    """Wait until every webhook is processed, no reminder, loyalty notice or referral reward
    is due and the outbox is empty: what the report counts then stays as it says."""
    deadline = time.monotonic() + seconds
    quiet = 0
    while time.monotonic() < deadline and quiet < 3:
        now = datetime.now(UTC)
        soon = now + timedelta(seconds=15)
        async with sessions.begin() as session:
            pending_events = await session.scalar(
                select(func.count()).where(WebhookEvent.status == "received")
            )
            due_runs = await session.scalar(
                select(func.count()).where(
                    ScenarioRun.status == "active",
                    ScenarioRun.next_step_at <= soon,
                )
            )
            outgoing = await session.scalar(
                select(func.count()).where(
                    Message.status.in_(("queued", "sending")),
                    # Held by the frequency cap until tomorrow is not work still to come.
                    Message.scheduled_at <= soon,
                )
            )
            # A member's notices job (tier reached, reward reachable, the digest) and a
            # referral's reward wait in the queue, not in the outbox, until their job runs and
            # writes the emails (one past its moment by more than the queue would keep it
            # waiting counts as lost, not as work to come).
            lost = now - WAITING_LOST_AFTER
            notices = await session.scalar(
                select(func.count()).where(LoyaltyAccount.notices_due_at.between(lost, soon))
            )
            rewards = await session.scalar(
                select(func.count()).where(
                    Referral.status.in_((REFERRAL_PENDING, REFERRAL_QUALIFIED)),
                    Referral.due_at.between(lost, soon),
                )
            )
        waiting = pending_events or due_runs or outgoing or notices or rewards
        quiet = 0 if waiting else quiet + 1
        await asyncio.sleep(1)


async def _shoppers_come_back(
    settings: Settings,
    options: DemoOptions,
    sim: Any,
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
) -> int:
    """A seeded share of the shoppers who got a code click the email's link (the tracked
    redirect, as their mail client would) and check out with the code."""
    rng = random.Random(options.seed)  # noqa: S311  (a reproducible demo, not a secret)
    config = MessagingConfig.from_settings(settings)
    async with sessions.begin() as session:
        sent = list(
            await session.execute(
                select(Message, Checkout)
                .join(Checkout, Checkout.token == Message.subject_key)
                .where(Message.status == "sent", Message.scenario == "abandoned_cart")
                .order_by(Message.id)
            )
        )
    chosen: dict[str, tuple[Message, Checkout]] = {}
    for message, checkout in sent:
        if message.context.get("discount_code") and checkout.token not in chosen:
            chosen[checkout.token] = (message, checkout)
    picked = [pair for pair in chosen.values() if rng.random() < options.come_back_rate]
    await asyncio.sleep(2.2)  # people click a while after delivery; scanners don't wait
    for message, checkout in picked:
        url = message.context["checkout_url"]
        await _open_email(client, config, message.id)
        await client.get(
            f"{config.app_url}/t/c/{click_token(config, message.id, url)}",
            headers={"User-Agent": _SHOPPER_AGENT},
        )
        await sim.checkout(
            DEMO_SHOP,
            email=checkout.email,
            discount_code=message.context["discount_code"],
            checkout_token=checkout.token,
        )
    return len(picked)


# Share of the emails sent that their recipient opens with images shown, so the tracking pixel
# loads (the rest stay unread, or their mail client blocks images).
DEMO_OPEN_RATE = 0.45


async def _open_email(client: httpx.AsyncClient, config: MessagingConfig, message_id: int) -> bool:
    """The shopper's mail client shows the email and loads its images: the open pixel, through
    the real route, with a person's mail client's User-Agent."""
    pixel = await client.get(
        f"{config.app_url}/t/o/{open_token(config, message_id)}.gif",
        headers={"User-Agent": _SHOPPER_AGENT},
    )
    return pixel.status_code == 200


async def _shoppers_open(
    settings: Settings,
    options: DemoOptions,
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
) -> tuple[int, int]:
    """A seeded share of every email sent so far is opened by its recipient (the pixel
    loaded); returns how many were, and how many were sent."""
    rng = random.Random(options.seed + 5)  # noqa: S311  (a reproducible demo, not a secret)
    config = MessagingConfig.from_settings(settings)
    async with sessions.begin() as session:
        sent = list(
            (
                await session.execute(
                    select(Message.id, Message.sent_at)
                    .where(Message.status == "sent")
                    .order_by(Message.id)
                )
            ).all()
        )
    picked = [(mid, at) for mid, at in sent if rng.random() < DEMO_OPEN_RATE]
    # People open a while after delivery; a hit within seconds of it is a machine's.
    latest = max((at for _, at in picked if at is not None), default=None)
    if latest is not None:
        wait = (latest + DELIVERY_GRACE - datetime.now(UTC)).total_seconds() + 0.5
        await asyncio.sleep(max(wait, 0.0))
    opened = 0
    for message_id, _ in picked:
        opened += await _open_email(client, config, message_id)
    return opened, len(sent)


async def _win_back(
    options: DemoOptions, sim: Any, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """Wait for win-back's selection (at the schedules' next tick), let a seeded
    share of the customers who got the offer come back with its code before the reminder, then
    wait for the reminders."""
    rng = random.Random(options.seed + 1)  # noqa: S311  (a reproducible demo, not a secret)
    deadline = time.monotonic() + 30
    offers: list[Message] = []
    while time.monotonic() < deadline:
        async with sessions.begin() as session:
            selected, offering = (
                await session.execute(
                    select(
                        func.count(),
                        func.count().filter(
                            ScenarioRun.status == "active", ScenarioRun.step_index == 0
                        ),
                    ).where(ScenarioRun.scenario == "winback")
                )
            ).one()
            offers = list(
                await session.scalars(
                    select(Message)
                    .where(Message.scenario == "winback", Message.step == 1)
                    .order_by(Message.id)
                )
            )
        # Selected, every offer made, and none still on its way.
        if selected and not offering and all(m.status not in ("queued", "sending") for m in offers):
            break
        await asyncio.sleep(1)
    if not offers:
        _say("Win-back selected nobody within the demo's wait")
        return
    picked = [
        m
        for m in offers
        if m.status == "sent" and m.context.get("discount_code") and rng.random() < 0.4
    ]
    for message in picked:
        await sim.checkout(
            DEMO_SHOP, email=message.to_address, discount_code=message.context["discount_code"]
        )
    who = "customer" if len(picked) == 1 else "customers"
    _say(f"{len(picked)} lapsed {who} came back with their win-back code")
    await sim.webhooks.drain()
    deadline = time.monotonic() + DEMO_WINBACK_REMINDER_SECONDS + 15
    while time.monotonic() < deadline:
        async with sessions.begin() as session:
            running = await session.scalar(
                select(func.count()).where(
                    ScenarioRun.scenario == "winback", ScenarioRun.status == "active"
                )
            )
        if not running:
            break
        await asyncio.sleep(1)
    await _settle(sessions, seconds=20)


async def _report(sessions: async_sessionmaker[AsyncSession], sim: Any, app_url: str) -> None:
    async with sessions.begin() as session:
        events = dict(
            (
                await session.execute(
                    select(WebhookEvent.status, func.count()).group_by(WebhookEvent.status)
                )
            ).all()
        )
        runs = dict(
            (
                await session.execute(
                    select(ScenarioRun.stop_reason, func.count())
                    .where(ScenarioRun.status == "stopped", ScenarioRun.scenario == CART)
                    .group_by(ScenarioRun.stop_reason)
                )
            ).all()
        )
        started = await session.scalar(select(func.count()).where(ScenarioRun.scenario == CART))
        messages = dict(
            (
                await session.execute(select(Message.status, func.count()).group_by(Message.status))
            ).all()
        )
        suppressed = dict(
            (
                await session.execute(
                    select(Message.status_reason, func.count())
                    .where(Message.status == "suppressed")
                    .group_by(Message.status_reason)
                )
            ).all()
        )
        recovered, revenue, cost = (
            await session.execute(
                select(
                    func.count(),
                    func.coalesce(func.sum(ScenarioConversion.revenue), 0),
                    func.coalesce(func.sum(ScenarioConversion.discount_cost), 0),
                ).where(ScenarioConversion.scenario == CART)
            )
        ).one()
        postal = await session.scalar(select(Shop.postal_address))
        # The whole address as the footer writes it, on one line.
        footer = ", ".join((postal or "").splitlines())
        with_address = (
            await session.scalar(
                select(func.count()).where(
                    Message.status == "sent", Message.text_body.contains(footer)
                )
            )
            if footer
            else 0
        )
        welcome = await _welcome_figures(session)
        winback = await _winback_figures(session)
        loyalty = await _loyalty_figures(session)
        referral = await _referral_lines(session)
        review_lines = await _review_figures(session)
    codes = sim.codes(DEMO_SHOP)
    _say("")
    _say("What Boomerang did")
    _say(f"  webhooks stored:       {sum(events.values())} ({_counts(events)})")
    _say(f"  cart sequences:        {started} started; stopped: {_counts(runs) or 'none'}")
    _say(f"  emails:                {messages.get('sent', 0)} sent ({_counts(messages)})")
    _say(f"  sent with the address: {with_address} (the shop's postal address in the footer)")
    if suppressed:
        _say(f"  not sent, and why:     {_counts(suppressed)}")
    _say(f"  discount codes:        {len(codes)} exist at Shopify (pool and one-off)")
    _say(f"  carts recovered:       {recovered}")
    _say(
        f"  revenue attributed:    {Decimal(revenue):.2f} EUR (discounts cost {Decimal(cost):.2f})"
    )
    for line in welcome:
        _say(line)
    _say(
        f"  win-back:              {winback.selected} lapsed customers selected; "
        f"stopped: {_counts(winback.stopped) or 'none'}"
    )
    _say(f"  win-back emails:       {_counts(winback.emails) or 'none'}")
    _say(f"  win-back codes:        {winback.codes} single-use pooled codes handed out")
    for line in review_lines:
        _say(line)
    rated = [m for m in sim.metafields(DEMO_SHOP) if m.namespace == "reviews" and m.key == "rating"]
    _say(f"  product ratings:       {len(rated)} products carry reviews.rating at Shopify")
    syndicated = [h for (t, h) in sim.shop(DEMO_SHOP).metaobjects if t == "product_review"]
    _say(f"  review metaobjects:    {len(syndicated)} product_review metaobjects at Shopify")
    _say(
        f"  win-back recovered:    {winback.recovered} orders, {Decimal(winback.revenue):.2f} EUR "
        f"(discounts cost {Decimal(winback.cost):.2f})"
    )
    for line in loyalty:
        _say(line)
    for line in referral:
        _say(line)


# The theme app extension the simulated online store renders (a checkout of the repository).
WIDGET_EXTENSION = Path(__file__).resolve().parents[1] / "extensions" / "loyalty-widget"


async def _storefront_widget(sim: Any, sessions: async_sessionmaker[AsyncSession]) -> None:
    """The shoppers' side: the simulated online store renders the loyalty widget (theme app
    extension) from the metafields the app wrote, for a guest, a member and the top member,
    and the report prints what each first paint shows, with the pages' addresses."""
    from app.models import Customer, LoyaltyAccount
    from devstore.server import STOREFRONT_CUSTOMER_COOKIE

    if not (WIDGET_EXTENSION / "blocks").is_dir():
        _say("  storefront widget:     not shown (extensions/loyalty-widget is not here)")
        return
    sim.install_theme_extension(WIDGET_EXTENSION)
    async with sessions.begin() as session:
        ranked = (
            await session.execute(
                select(Customer.shopify_id, Customer.first_name, LoyaltyAccount.tier)
                .select_from(LoyaltyAccount)
                .join(Customer, Customer.id == LoyaltyAccount.customer_id)
                .where(LoyaltyAccount.balance > 0)
                .order_by(LoyaltyAccount.balance.desc(), Customer.id)
            )
        ).all()
    visitors: list[tuple[str, int | None]] = [("guest", None)]
    if ranked:
        visitors.append(("top member", int(ranked[0].shopify_id)))
        others = [r for r in ranked[1:] if r.tier != ranked[0].tier] or ranked[1:]
        if others:
            visitors.append(("member", int(others[len(others) // 2].shopify_id)))
    program = next(
        (m for m in sim.metafields(DEMO_SHOP) if m.key == "program" and "loyalty" in m.namespace),
        None,
    )
    statuses = [
        m for m in sim.metafields(DEMO_SHOP) if m.key == "status" and "loyalty" in m.namespace
    ]
    _say(
        "  storefront widget:     the program on the shop ($app:loyalty.program: "
        f"{'written' if program else 'missing'}), {len(statuses)} customers carry "
        "$app:loyalty.status"
    )
    state = re.compile(r'<script type="application/json" data-boomerang-state>(.*?)</script>', re.S)
    transport = httpx.ASGITransport(app=sim.app())
    async with httpx.AsyncClient(transport=transport, base_url="http://simulator") as client:
        for who, customer in visitors:
            client.cookies.clear()
            if customer:
                client.cookies.set(STOREFRONT_CUSTOMER_COOKIE, str(customer))
            page = await client.get(f"/{DEMO_DOMAIN}/pages/rewards")
            found = state.search(page.text)
            if page.status_code != 200 or not found:
                _say(f"    {who}: the page did not render ({page.status_code})")
                continue
            shown = json.loads(found.group(1))
            member = shown.get("customer")
            if member is None:
                _say(f"    {who}: how it works and a sign-up call ({len(page.text)} bytes)")
                continue
            status = member.get("status") or {}
            _say(
                f"    {who} ({member.get('first_name') or 'no name'}): {member['points']} "
                f"points, {status.get('pending', 0)} pending, tier {member.get('tier') or 'none'}, "
                f"referral link {'yes' if status.get('referral') else 'not yet'}"
            )


async def _results(
    sessions: async_sessionmaker[AsyncSession],
    sim: Any,
    client: httpx.AsyncClient,
    app_url: str,
    days: float,
) -> list[str]:
    """What the Results page shows for the demo's days, read through /api/kpis once the KPI
    roll-up is up to date (its cron job runs every 30 s; here it is brought up to date at once,
    as `roll_up_kpis` would)."""
    from app.kpis.jobs import roll_up

    for _ in range(10):
        if not await roll_up(sessions):
            break
    headers = {"Authorization": f"Bearer {sim.mint_session_token(DEMO_SHOP)}"}
    today = datetime.now(UTC).date()
    period = f"from={today - timedelta(days=int(days) + 2)}&to={today + timedelta(days=1)}"

    async def read(path: str) -> dict[str, Any]:
        response = await client.get(f"{app_url}/api/kpis/{path}?{period}", headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"GET /api/kpis/{path} answered {response.status_code}")
        body: dict[str, Any] = response.json()
        return body

    def value(figures: dict[str, Any], name: str) -> Decimal:
        return Decimal(figures[name]["value"] or 0)

    def rate(figures: dict[str, Any], name: str) -> str:
        found = figures[name]["value"]
        return "—" if found is None else f"{Decimal(found) * 100:.1f} %"

    lines = ["", "What the Results page shows (GET /api/kpis, the KPI roll-up)"]
    for row in (await read("scenarios"))["scenarios"]:
        f = row["figures"]
        if not value(f, "sent") and not value(f, "runs_started"):
            continue
        lines.append(
            f"  results {row['scenario']}:".ljust(26)
            + f"{value(f, 'recipients'):.0f} recipients, {value(f, 'conversions'):.0f} orders "
            f"attributed, {value(f, 'revenue'):.2f} EUR; open rate {rate(f, 'open_rate')}, "
            f"conversion rate {rate(f, 'conversion_rate')}"
        )
    referrals = (await read("referrals"))["figures"]
    lines.append(
        f"  results referrals:      {value(referrals, 'link_visits'):.0f} link visits, "
        f"{value(referrals, 'codes_used'):.0f} codes used, {value(referrals, 'flagged'):.0f} "
        f"flagged, {value(referrals, 'rewarded'):.0f} rewarded, "
        f"{value(referrals, 'referred_revenue'):.2f} EUR referred"
    )
    reviews = (await read("reviews"))["figures"]
    average = reviews["average_rating"]["value"]
    lines.append(
        f"  results reviews:        {value(reviews, 'requests'):.0f} requests, "
        f"{value(reviews, 'reviews'):.0f} reviews; response rate "
        f"{rate(reviews, 'response_rate')}, average rating "
        f"{'—' if average is None else f'{Decimal(average):.2f}'}, with photos "
        f"{rate(reviews, 'photo_share')}"
    )
    return lines


# The loyalty program on for the demo shop (through the admin API, as the merchant would).
_LOYALTY_DEMO: dict[str, Any] = {
    "enabled": True,
    "per_currency": {"enabled": True, "points": "1"},
    "signup": {"enabled": True, "points": 50},
    "tiers": [
        {"key": "silver", "name_en": "Silver", "name_fr": "Argent", "threshold": "150"},
        {
            "key": "gold",
            "name_en": "Gold",
            "name_fr": "Or",
            "threshold": "400",
            "multiplier": "1.5",
        },
    ],
    "rewards": [
        {"key": "five_off", "cost": 50, "kind": "fixed_amount", "value": "5.00"},
        {"key": "free_shipping", "cost": 80, "kind": "free_shipping"},
        {"key": "ten_percent", "cost": 150, "kind": "percentage", "value": "10"},
        {"key": "store_credit", "cost": 100, "kind": "store_credit", "value": "10.00"},
    ],
    # Store credit rewards (storeCreditAccountCredit), with the scopes granted first.
    "store_credit_enabled": True,
}
# Share of the members who can afford a reward and redeem one.
LOYALTY_REDEEM_RATE = 0.5


async def _shoppers_redeem(
    settings: Settings, options: DemoOptions, sim: Any, sessions: async_sessionmaker[AsyncSession]
) -> int:
    """A seeded share of the members with enough spendable points redeem a reward they can
    afford, through the real redemption path (app/loyalty/redeeming.py: the debit and the
    redemption in one transaction, then the single-use code at the simulated Shopify)."""
    from app.loyalty import redeeming, service
    from app.platform.resources import build_resources
    from app.shopify.admin.factory import discount_gateway, store_credit_gateway
    from app.shopify.admin.types import ShopRef

    rng = random.Random(options.seed + 2)  # noqa: S311  (a reproducible demo, not a secret)
    resources = await build_resources(settings)
    done = 0
    try:
        async with resources.sessions.begin() as session:
            shop_id = await session.scalar(select(Shop.id).where(Shop.domain == DEMO_DOMAIN))
            members = list(
                await session.scalars(
                    select(LoyaltyAccount.customer_id)
                    .where(LoyaltyAccount.shop_id == shop_id, LoyaltyAccount.balance > 0)
                    .order_by(LoyaltyAccount.customer_id)
                )
            )
        if shop_id is None:
            return 0
        shop = ShopRef(shop_id, DEMO_DOMAIN)
        gateway = discount_gateway(resources)
        for customer_id in members:
            async with resources.sessions.begin() as session:
                position = await service.balance_of(
                    session, shop_id=shop_id, customer_id=customer_id, now=datetime.now(UTC)
                )
            rewards: list[dict[str, Any]] = _LOYALTY_DEMO["rewards"]
            affordable = [r for r in rewards if r["cost"] <= position.spendable]
            if not affordable or rng.random() >= LOYALTY_REDEEM_RATE:
                continue
            reward = rng.choice(affordable)
            result = await redeeming.redeem(
                resources.sessions,
                resources.queue,
                gateway,
                shop,
                customer_id=customer_id,
                reward_key=str(reward["key"]),
                request_key=f"demo-{options.seed}-{customer_id}",
                credits=store_credit_gateway(resources),
            )
            done += result.status != "returned"
    finally:
        await resources.close()
    return done


# The referral program on: codes after a first paid order, no hold period (a demo's week
# passes in seconds; a shop's default is 14 days), a 10 EUR single-use code as the reward.
_REFERRALS_DEMO = {
    "mode": "live",
    "hold_days": 0,
    "reward_kind": "code",
    "reward_code": {"kind": "fixed_amount", "value": "10"},
}
# The share of advocates whose friend buys with their code.
DEMO_REFERRAL_RATE = 0.3


async def _friends_referred(
    options: DemoOptions,
    sim: Any,
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    app_url: str,
) -> int:
    """A seeded share of the advocates share their link: each friend opens it (the visit is
    recorded, the redirect goes to the shop's /discount/{code}) and checks out with the code
    from an address and IP of their own; one advocate uses their own code as a 'friend', from
    their own address and IP, which the fraud rules flag. Then the referrals are rewarded."""
    rng = random.Random(options.seed + 3)  # noqa: S311  (a reproducible demo, not a secret)
    async with sessions.begin() as session:
        codes = list(
            await session.scalars(
                select(ReferralCode.code)
                .where(ReferralCode.code.is_not(None))
                .order_by(ReferralCode.id)
            )
        )
    picked = [code for code in codes if code and rng.random() < DEMO_REFERRAL_RATE]
    for number, code in enumerate(picked, start=1):
        opened = await client.get(f"{app_url}/r/{code}", follow_redirects=False)
        if opened.status_code != 302:
            raise RuntimeError(f"the share link of {code} answered {opened.status_code}")
        await sim.checkout(
            DEMO_SHOP,
            email=f"friend{number}@boomerang-demo.test",
            discount_code=code,
            browser_ip=f"198.51.100.{number % 250 + 1}",
            shipping_address={
                "address1": f"{number} avenue des Amis",
                "city": "Lyon",
                "zip": "69001",
                "country_code": "FR",
                "phone": f"+33 4 00 00 {number // 100:02d} {number % 100:02d}",
            },
        )
    if codes and codes[0]:
        # The sample order's address and IP, which the advocate's own orders carry too.
        await sim.checkout(
            DEMO_SHOP, email="second-self@boomerang-demo.test", discount_code=codes[0]
        )
    await sim.webhooks.drain()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        async with sessions.begin() as session:
            waiting = await session.scalar(
                select(func.count()).where(
                    Referral.status.in_(("pending", "qualified")), Referral.reason.is_(None)
                )
            )
        if not waiting:
            break
        await asyncio.sleep(1)
    # The reward emails leave while win-back plays (its wait settles the outbox).
    return len(picked)


async def _referral_lines(session: AsyncSession) -> list[str]:
    shop_id = await session.scalar(select(Shop.id).where(Shop.domain == DEMO_DOMAIN))
    if shop_id is None:
        return []
    figures = await referral_figures(session, shop_id)
    rules: dict[str, int] = {}
    for evidence in await session.scalars(select(Referral.evidence)):
        for item in evidence:
            rules[str(item["rule"])] = rules.get(str(item["rule"]), 0) + 1
    return [
        f"  referral codes:        {figures.codes_issued} advocates got their code; "
        f"{figures.link_visits} link visits",
        f"  referrals:             {figures.codes_used} orders used a code: "
        f"{figures.rewarded} rewarded, {figures.pending} pending, {figures.qualified} "
        f"qualified, {figures.flagged} flagged, {figures.rejected} rejected, "
        f"{figures.void} void",
        f"  referral fraud flags:  {_counts(rules) or 'none'}",
        f"  referred revenue:      {figures.referred_revenue:.2f} EUR",
    ]


# Review requests on, timed after delivery: the request 3 s after the order's delivered status
# and the reminder 6 s after it; an order with no delivered status is taken as delivered 12 s
# after its fulfilment (10 days in a shop).
DEMO_DELIVERY_WAIT_SECONDS = 12
_REVIEWS_DEMO = {
    "mode": "live",
    "timing": "after_delivery",
    "delivery_wait_seconds": DEMO_DELIVERY_WAIT_SECONDS,
    "steps": [{"delay_seconds": 3}, {"delay_seconds": 9}],
}
# Share of fulfilled orders whose carrier reports the delivery (the rest never do).
DEMO_DELIVER_RATE = 0.75
# The demo's shop ships within a day of the order (2 hours to a day), so the orders of the
# replayed days' last part are fulfilled within them too and their review requests play.
DEMO_FULFILL_AFTER_DAYS = (0.1, 1.0)
# Share of review requests sent whose customer follows a star and leaves a review; of those,
# the share that attaches a photo.
DEMO_REVIEW_RATE = 0.6
DEMO_PHOTO_RATE = 0.3
_REVIEW_WORDS = (
    ("Love it", "Exactly as described, and it arrived quickly."),
    ("Very good", "Good quality for the price. I would buy it again."),
    ("Fine", "Does the job, nothing more."),
    ("Disappointed", "Smaller than I expected. See www.example.com for a better one."),
)


def _demo_photo(rng: random.Random) -> bytes:
    """A small JPEG with a GPS position in its EXIF, as a phone takes it (the app drops it)."""
    import io

    from PIL import Image

    image = Image.new("RGB", (480, 360), (rng.randrange(256), rng.randrange(256), 120))
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 3.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


async def _customers_review(
    settings: Settings,
    options: DemoOptions,
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
) -> int:
    """A seeded share of the customers whose review request (or its reminder) was sent click
    one of its stars (the tracked link, as their mail client follows it) and send the form,
    some with a photo."""
    from html import unescape

    rng = random.Random(options.seed + 4)  # noqa: S311  (a reproducible demo, not a secret)
    config = MessagingConfig.from_settings(settings)
    deadline = time.monotonic() + 30
    sent: list[Message] = []
    while time.monotonic() < deadline:
        async with sessions.begin() as session:
            requests = list(
                await session.scalars(
                    select(Message).where(Message.scenario == "review_request").order_by(Message.id)
                )
            )
        sent = [m for m in requests if m.status == "sent"]
        # Held by the frequency cap until tomorrow is not on its way now.
        soon = datetime.now(UTC) + timedelta(seconds=15)
        if requests and all(
            m.status not in ("queued", "sending") or m.scheduled_at > soon for m in requests
        ):
            break
        await asyncio.sleep(1)
    reviewed = 0
    answered: set[str] = set()
    refused: Counter[str] = Counter()
    for message in sent:
        # One answer per order, to its request or to its reminder.
        if message.subject_key in answered or rng.random() >= DEMO_REVIEW_RATE:
            continue
        # The stored email's links to the review form (the sent copy routes them through the
        # click tracking): five stars per product, then the order's button.
        links = [unescape(h) for h in _REVIEW_LINK.findall(message.html or "")]
        stars = links[:5]
        if len(stars) < 5:
            refused[f"{len(links)} review links in the email"] += 1
            continue
        rating = rng.choices([5, 4, 3, 2, 1], weights=[50, 25, 12, 8, 5])[0]
        form_url = stars[rating - 1]
        # The shopper's mail client shows the email (its images too), then they tap a star.
        await _open_email(client, config, message.id)
        await client.get(
            f"{config.app_url}/t/c/{click_token(config, message.id, form_url)}",
            headers={"User-Agent": _SHOPPER_AGENT},
        )
        page = await client.get(form_url)
        product = re.search(r'name="product" value="(\d+)"', page.text)
        if page.status_code != 200 or product is None:
            refused[f"form {page.status_code}"] += 1
            continue
        title, body = _REVIEW_WORDS[min(5 - rating, len(_REVIEW_WORDS) - 1)]
        files = (
            [("photos", ("photo.jpg", _demo_photo(rng), "image/jpeg"))]
            if rng.random() < DEMO_PHOTO_RATE
            else None
        )
        answer = await client.post(
            form_url.split("?")[0],
            data={"product": product.group(1), "rating": str(rating), "title": title, "body": body},
            files=files,
        )
        if answer.status_code == 200:
            reviewed += 1
            answered.add(message.subject_key)
        else:
            refused[f"sent {answer.status_code}"] += 1
    if refused:
        # Said out loud: a review request a shopper could not answer is a bug to see.
        _say(f"  review answers that failed: {_counts(refused)}")
    return reviewed


# A star of a review request: a link to the hosted review form (app/reviews/tokens.py's
# form_url, `/review/{token}?p=<product>&r=<stars>`).
_REVIEW_LINK = re.compile(r'href="([^"]+/review/[^"]+)"')

# The welcome series on, its delays in seconds like the cart's.
_WELCOME_DEMO = {
    "mode": "live",
    "steps": [{"delay_seconds": 0}, {"delay_seconds": 4}, {"delay_seconds": 8}],
}


async def _review_figures(session: AsyncSession) -> list[str]:
    """The review request's lines: runs (and why they stopped), requests and reminders sent,
    reviews by status, photos."""
    from app.models import OrderDelivery, Review, ReviewPhoto

    started = await session.scalar(
        select(func.count()).where(ScenarioRun.scenario == "review_request")
    )
    stopped = dict(
        (
            await session.execute(
                select(ScenarioRun.stop_reason, func.count())
                .where(ScenarioRun.scenario == "review_request", ScenarioRun.status == "stopped")
                .group_by(ScenarioRun.stop_reason)
            )
        ).all()
    )
    emails = dict(
        (
            await session.execute(
                select(Message.step, func.count())
                .where(Message.scenario == "review_request", Message.status == "sent")
                .group_by(Message.step)
            )
        ).all()
    )
    reviews = dict(
        (await session.execute(select(Review.status, func.count()).group_by(Review.status))).all()
    )
    average = await session.scalar(select(func.avg(Review.rating)))
    pictures = await session.scalar(select(func.count()).select_from(ReviewPhoto))
    # Runs timed from a delivered status (known at the start, or re-timed when it came); the
    # others counted from the fulfilment plus the wait.
    from_delivery = await session.scalar(
        select(func.count(func.distinct(TimelineEntry.run_id))).where(
            TimelineEntry.scenario == "review_request",
            TimelineEntry.reason == "order_delivered",
            TimelineEntry.kind.in_(("started", "retimed")),
        )
    )
    deliveries = await session.scalar(select(func.count()).select_from(OrderDelivery))
    return [
        f"  review requests:       {started} started; stopped: {_counts(stopped) or 'none'}",
        f"  review timing:         {from_delivery} timed from a delivered status "
        f"({deliveries} orders reported delivered), {(started or 0) - (from_delivery or 0)} "
        "from the fulfilment plus the wait",
        f"  review emails:         {emails.get(1, 0)} requests and {emails.get(2, 0)} reminders "
        "sent",
        f"  reviews:               {sum(reviews.values())} ({_counts(reviews) or 'none'}), "
        f"average {Decimal(average or 0):.1f} stars, {pictures} photos",
    ]


async def _welcome_figures(session: AsyncSession) -> list[str]:
    """The welcome series' lines of the report: sign-ups, series started (and why), emails
    per step, the series the first order stopped, codes and first orders attributed."""
    scenario = "welcome"
    signed_up, with_consent = (
        await session.execute(
            select(
                func.count(),
                func.count().filter(Customer.email_marketing_state == "subscribed"),
            ).where(Customer.signed_up_at.is_not(None))
        )
    ).one()
    started = dict(
        (
            await session.execute(
                select(TimelineEntry.reason, func.count())
                .where(TimelineEntry.scenario == scenario, TimelineEntry.kind == "started")
                .group_by(TimelineEntry.reason)
            )
        ).all()
    )
    not_started = dict(
        (
            await session.execute(
                select(TimelineEntry.reason, func.count())
                .where(TimelineEntry.scenario == scenario, TimelineEntry.kind == "not_started")
                .group_by(TimelineEntry.reason)
            )
        ).all()
    )
    per_step = dict(
        (
            await session.execute(
                select(Message.step, func.count())
                .where(Message.scenario == scenario, Message.status == "sent")
                .group_by(Message.step)
            )
        ).all()
    )
    # Waiting, and why: the frequency cap is full, another email to the same shopper goes
    # first (outranked), or an earlier step of the series waits.
    held = func.split_part(func.coalesce(Message.status_reason, "due"), ":", 1)
    waiting: dict[Any, int] = dict(
        (
            await session.execute(
                select(held, func.count())
                .where(Message.scenario == scenario, Message.status == "queued")
                .group_by(held)
            )
        ).all()
    )
    stopped = dict(
        (
            await session.execute(
                select(ScenarioRun.stop_reason, func.count())
                .where(ScenarioRun.scenario == scenario, ScenarioRun.status == "stopped")
                .group_by(ScenarioRun.stop_reason)
            )
        ).all()
    )
    codes = await session.scalar(
        select(func.coalesce(func.sum(func.cardinality(ScenarioRun.issued_codes)), 0)).where(
            ScenarioRun.scenario == scenario
        )
    )
    orders, revenue = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(ScenarioConversion.revenue), 0)).where(
                ScenarioConversion.scenario == scenario
            )
        )
    ).one()
    by_order = stopped.pop("customer_placed_first_order", 0)
    steps = ", ".join(
        f"{name}: {per_step.get(number, 0)}"
        for number, name in enumerate(("welcome", "best-sellers", "offer"), start=1)
    )
    return [
        f"  sign-ups seen:         {signed_up} ({with_consent} with marketing consent now)",
        f"  welcome series:        {sum(started.values())} started "
        f"({started.get('customer_signed_up', 0)} at sign-up, "
        f"{started.get('customer_subscribed', 0)} on a later subscription); "
        f"not started: {_counts(not_started) or 'none'}",
        f"  welcome emails sent:   {steps}; {sum(waiting.values())} waiting their turn "
        f"({_counts(waiting) or 'none'})",
        f"  welcome stopped:       {by_order} by the first order; "
        f"otherwise: {_counts(stopped) or 'none'}",
        f"  welcome codes:         {codes} handed out; first orders attributed: {orders} "
        f"({Decimal(revenue):.2f} EUR)",
    ]


async def _loyalty_figures(session: AsyncSession) -> list[str]:
    """The loyalty program's lines of the report (app/loyalty/reports.py, as the admin's
    program page shows them), and the ledger verified."""
    from app.loyalty.reports import program_figures
    from app.loyalty.service import load_settings
    from app.loyalty.verify import verify

    shop_id = await session.scalar(select(Shop.id).where(Shop.domain == DEMO_DOMAIN))
    if shop_id is None:
        return []
    settings = await load_settings(session, shop_id)
    f = await program_figures(session, shop_id, settings, datetime.now(UTC))
    checked = await verify(session)
    value = f.value
    worth = (
        f"{f.liability} EUR (a point is worth {value.per_point.normalize():f} EUR: the best "
        f"fixed-amount reward, {value.reward_key})"
        if f.liability is not None and value.per_point is not None
        else "not valued (no fixed-amount reward)"
    )
    verdict = (
        "no difference"
        if checked.ok
        else f"{len(checked.differences)} differences: {checked.differences[0]}"
    )
    return [
        f"  loyalty members:       {f.members} (tiers: {_counts(f.tiers) or 'none yet'})",
        f"  points issued:         {f.issued} (redeemed {f.redeemed}, taken back "
        f"{f.taken_back}, adjusted {f.adjusted})",
        f"  points outstanding:    {f.outstanding} ({f.pending} pending)",
        f"  loyalty liability:     {worth}",
        f"  rewards redeemed:      {f.rewards_redeemed} ({f.store_credits} as Shopify store "
        f"credit: {f.store_credit_total} EUR)",
        f"  loyalty ledger:        verified for {checked.customers} customers, "
        f"{checked.entries} entries: {verdict}",
    ]


@dataclass(frozen=True)
class _WinbackFigures:
    selected: int
    stopped: dict[Any, int]
    # By "step N status".
    emails: dict[str, int]
    codes: int
    recovered: int
    revenue: Decimal
    cost: Decimal


async def _winback_figures(session: AsyncSession) -> _WinbackFigures:
    runs = select(ScenarioRun).where(ScenarioRun.scenario == "winback").subquery()
    selected = await session.scalar(select(func.count()).select_from(runs)) or 0
    stopped: dict[Any, int] = dict(
        (
            await session.execute(
                select(runs.c.stop_reason, func.count())
                .where(runs.c.status == "stopped")
                .group_by(runs.c.stop_reason)
            )
        ).all()
    )
    codes = await session.scalar(
        select(func.coalesce(func.sum(func.cardinality(runs.c.issued_codes)), 0))
    )
    emails = {
        f"{'offer' if step == 1 else 'reminder'} {status}": count
        for step, status, count in (
            await session.execute(
                select(Message.step, Message.status, func.count())
                .where(Message.scenario == "winback")
                .group_by(Message.step, Message.status)
            )
        ).all()
    }
    recovered, revenue, cost = (
        await session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(ScenarioConversion.revenue), 0),
                func.coalesce(func.sum(ScenarioConversion.discount_cost), 0),
            ).where(ScenarioConversion.scenario == "winback")
        )
    ).one()
    return _WinbackFigures(
        selected, stopped, emails, int(codes or 0), recovered, Decimal(revenue), Decimal(cost)
    )


def _span(days: float) -> str:
    if days == 7:
        return "a week"
    return f"{days:g} day" + ("" if days == 1 else "s")


def _counts(counts: dict[Any, int]) -> str:
    return ", ".join(f"{key}: {value}" for key, value in sorted(counts.items(), key=str))


async def _customer_lines(
    client: httpx.AsyncClient, app_url: str, headers: dict[str, str]
) -> list[str]:
    """The customer index and page as the merchant reads them (GET /api/customers…): who
    spent the most, found again by name, and what Boomerang sent them and they did with it."""
    top = await client.get(
        f"{app_url}/api/customers",
        params={"sort": "spent", "direction": "desc", "limit": 1},
        headers=headers,
    )
    if not top.is_success:
        raise RuntimeError(f"GET /api/customers answered {top.status_code}: {top.text}")
    customers = top.json()["customers"]
    if not customers:
        return ["  customer index:        no customer"]
    best = customers[0]
    name = " ".join(p for p in (best["first_name"], best["last_name"]) if p) or best["email"]
    found = await client.get(
        f"{app_url}/api/customers",
        params={"search": name, "limit": 100},
        headers=headers,
    )
    matches = len(found.json()["customers"]) if found.is_success else 0
    page = (await client.get(f"{app_url}/api/customers/{best['id']}", headers=headers)).json()
    messages = page["messages"]
    opened = sum(1 for m in messages if m["engagement"]["opens"])
    clicked = sum(1 for m in messages if m["engagement"]["clicks"])
    orders = ", ".join(o["name"] or "?" for o in page["orders"][:3])
    return [
        f"  customer index:        top spender {name} ({best['orders_count']} orders, "
        f"{Decimal(best['total_spent']):.2f} EUR); a search for their name finds {matches}",
        f"  their page:            orders {orders or 'none'}; {len(messages)} emails, "
        f"{opened} opened and {clicked} clicked by them; {len(page['open_runs'])} running "
        f"sequences (#/customers/{best['id']} in the admin)",
    ]
