"""`boomerang demo --once` end to end, on this test run's PostgreSQL and Redis: its report says
what the database holds, and nothing Boomerang does not do."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import asyncpg
from sqlalchemy import func, make_url, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db.engine import create_engine, create_sessionmaker
from app.demo import demo_database_url
from app.models import (
    Customer,
    LoyaltyAccount,
    LoyaltyRedemption,
    Message,
    MessageEvent,
    OrderDelivery,
    PointsLedgerEntry,
    Referral,
    ReferralCode,
    ReferralVisit,
    Review,
    ScenarioConversion,
    ScenarioRun,
    Shop,
    TimelineEntry,
    WebhookEvent,
)
from app.settings import Settings
from app.shopify.token_cipher import TokenCipher
from tests.support.groups import WHOLE_PRODUCT
from tests.support.services import free_port

pytestmark = WHOLE_PRODUCT

REPO = Path(__file__).resolve().parents[2]


def run_demo(
    settings: Settings, cwd: Path, *args: str, log_level: str = "WARNING"
) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SHOPIFY_", "DATABASE_", "REDIS_", "TOKEN_", "APP_", "SMTP_"))
    }
    env.update(
        DATABASE_URL=settings.database,
        REDIS_URL=settings.redis,
        PYTHONPATH=str(REPO),
        BOOMERANG_DEMO_LOG_LEVEL=log_level,
        # The demo's worker would serve its metrics on 8001, which another test's may hold.
        WORKER_METRICS_PORT="0",
    )
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "app.cli", "demo", "--once", "--port", str(free_port()), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        # The demo plays the cart, welcome, referral, win-back and review parts (~100 s for
        # two days at a load average of 5; more on a loaded machine: over 180 s for half a
        # day at a load average of 11). A guard against a hang.
        timeout=480,
        check=False,
    )


def figure(report: str, label: str, pattern: str = r"(\d+)") -> str:
    found = re.search(rf"^  {re.escape(label)}:\s+{pattern}", report, re.MULTILINE)
    assert found is not None, f"no {label!r} line in:\n{report}"
    return found.group(1)


async def test_demo_once_reports_what_the_database_holds(
    settings: Settings, tmp_path: Path
) -> None:
    demo_url = demo_database_url(settings.database)
    try:
        await _demo_reports_its_database(settings, tmp_path, demo_url)
    finally:
        admin = await asyncpg.connect(settings.database.replace("+asyncpg", "", 1))
        name = make_url(demo_url).database
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def _demo_reports_its_database(settings: Settings, tmp_path: Path, demo_url: str) -> None:
    # A first run leaves its data behind (a store the next run's simulator does not know):
    # the second must start from nothing and report only its own.
    first = await asyncio.to_thread(run_demo, settings, tmp_path, "--days", "0.25", "--seed", "5")
    assert first.returncode == 0, first.stdout + first.stderr
    # At INFO, every log line the app and the worker write is in the output (secrets checked).
    # Two days: the shortest replay whose orders are fulfilled within it in numbers enough for
    # review requests to be sent and answered (half a day had none).
    result = await asyncio.to_thread(
        run_demo, settings, tmp_path, "--days", "2", "--seed", "3", log_level="INFO"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = result.stdout
    assert "Replaying 2 days of seeded traffic" in report
    engine = create_engine(demo_url, pool_size=1)
    try:
        await _check_report(report, create_sessionmaker(engine), tmp_path)
        await _check_no_secret_in_the_logs(
            result.stdout + result.stderr, create_sessionmaker(engine), tmp_path
        )
    finally:
        await engine.dispose()


async def _check_report(
    report: str, sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    async with sessions.begin() as session:
        events = await session.scalar(select(func.count()).select_from(WebhookEvent))
        runs = await session.scalar(
            select(func.count()).where(ScenarioRun.scenario == "abandoned_cart")
        )
        welcomed = await session.scalar(
            select(func.count()).where(ScenarioRun.scenario == "welcome")
        )
        welcome_sent = await session.scalar(
            select(func.count()).where(
                Message.scenario == "welcome", Message.status == "sent", Message.step == 1
            )
        )
        winbacks = await session.scalar(
            select(func.count()).where(ScenarioRun.scenario == "winback")
        )
        winback_codes = await session.scalar(
            select(func.coalesce(func.sum(func.cardinality(ScenarioRun.issued_codes)), 0)).where(
                ScenarioRun.scenario == "winback"
            )
        )
        sent = await session.scalar(
            select(func.count()).select_from(Message).where(Message.status == "sent")
        )
        recovered, revenue = (
            await session.execute(
                select(func.count(), func.coalesce(func.sum(ScenarioConversion.revenue), 0)).where(
                    ScenarioConversion.scenario == "abandoned_cart"
                )
            )
        ).one()
        won_back = await session.scalar(
            select(func.count()).where(ScenarioConversion.scenario == "winback")
        )
        advocates = await session.scalar(select(func.count()).where(ReferralCode.code.is_not(None)))
        visits = await session.scalar(select(func.count()).select_from(ReferralVisit))
        referrals = dict(
            (
                await session.execute(
                    select(Referral.status, func.count()).group_by(Referral.status)
                )
            ).all()
        )
    assert (events or 0) > 10
    assert int(figure(report, "webhooks stored")) == events
    assert int(figure(report, "cart sequences")) == runs
    assert int(figure(report, "emails")) == sent
    # Every email carries the shop's postal address, read from Shopify at install.
    assert int(figure(report, "sent with the address")) == sent
    assert "scenarios on at install: 0" in report
    assert re.search(r"Sender: From Boomerang Demo Store <[^>]+>, Reply-To hello@", report)
    assert int(figure(report, "carts recovered")) == recovered
    assert Decimal(figure(report, "revenue attributed", r"([\d.]+) EUR")) == Decimal(revenue)
    # The welcome series next to the cart: the simulator's traffic has sign-ups.
    assert int(figure(report, "welcome series")) == welcomed
    assert int(figure(report, "welcome emails sent", r"welcome: (\d+)")) == welcome_sent
    # Win-back, next to the cart: the store's lapsed customers selected and offered a code.
    assert int(figure(report, "win-back")) == winbacks
    assert (winbacks or 0) > 0
    assert int(figure(report, "win-back codes")) == winback_codes
    assert int(figure(report, "win-back recovered")) == won_back
    # Referrals: advocates' codes, their links visited, friends' orders rewarded or flagged.
    assert int(figure(report, "referral codes")) == advocates
    assert int(figure(report, "referral codes", r"\d+ advocates got their code; (\d+)")) == visits
    assert int(figure(report, "referrals")) == sum(referrals.values())
    assert int(figure(report, "referrals", r"\d+ orders used a code: (\d+) rewarded")) == (
        referrals.get("rewarded", 0)
    )
    # The advocate who used their own code is flagged, never rewarded.
    assert referrals.get("flagged", 0) >= 1
    # Review requests, timed after delivery: the runs timed from a delivered status and the
    # deliveries Shopify reported, as the database holds them.
    async with sessions.begin() as session:
        review_runs = await session.scalar(
            select(func.count()).where(ScenarioRun.scenario == "review_request")
        )
        from_delivery = await session.scalar(
            select(func.count(func.distinct(TimelineEntry.run_id))).where(
                TimelineEntry.scenario == "review_request",
                TimelineEntry.reason == "order_delivered",
            )
        )
        delivered = await session.scalar(select(func.count()).select_from(OrderDelivery))
    assert int(figure(report, "review requests")) == review_runs
    assert int(figure(report, "review timing")) == from_delivery
    assert int(figure(report, "review timing", r"\d+ timed from a delivered status \((\d+)")) == (
        delivered
    )
    # Syndication on (the demo's app is approved): one product_review metaobject per
    # published review whose author was not redacted.
    async with sessions.begin() as session:
        syndicated = await session.scalar(
            select(func.count()).where(Review.status == "published", Review.anonymised_at.is_(None))
        )
    assert int(figure(report, "review metaobjects")) == syndicated
    # The shoppers who follow a star of their request leave reviews (the email's star links
    # lead to the form, which takes the answer), and those reach Shopify as product ratings
    # and product_review metaobjects.
    async with sessions.begin() as session:
        requests_sent = await session.scalar(
            select(func.count()).where(
                Message.scenario == "review_request", Message.status == "sent"
            )
        )
        reviews_written = await session.scalar(select(func.count()).select_from(Review))
    assert (requests_sent or 0) > 0
    assert int(figure(report, "reviews")) == reviews_written
    assert (reviews_written or 0) > 0, report
    assert "review answers that failed" not in report
    assert int(figure(report, "product ratings")) > 0
    assert (syndicated or 0) > 0
    # The Results page's figures (the KPI roll-up read through /api/kpis) say the same.
    async with sessions.begin() as session:
        written = await session.scalar(select(func.count()).where(Review.status != "spam"))
        reminded = await session.scalar(
            select(func.count(func.distinct(Message.subject_key))).where(
                Message.scenario == "abandoned_cart", Message.status.in_(("sent", "unconfirmed"))
            )
        )
    assert int(figure(report, "results referrals")) == visits
    assert int(figure(report, "results referrals", r"\d+ link visits, (\d+) codes used")) == sum(
        referrals.values()
    )
    assert int(figure(report, "results reviews", r"\d+ requests, (\d+) reviews")) == written
    assert int(figure(report, "results abandoned_cart")) == reminded
    # A seeded share of the recipients open their emails (the pixel loaded, as a person's mail
    # client does), so the Results page shows open rates above 0.
    async with sessions.begin() as session:
        human_opened = await session.scalar(
            select(func.count(func.distinct(MessageEvent.message_id))).where(
                MessageEvent.kind == "open", MessageEvent.human
            )
        )
    opened = re.search(r"^(\d+) of (\d+) emails sent were opened", report, re.MULTILINE)
    assert opened is not None, report
    assert 0 < int(opened.group(1)) <= (human_opened or 0)
    rates = {
        name: Decimal(rate)
        for name, rate in re.findall(
            r"^  results (\w+): .*; open rate ([\d.]+) %", report, re.MULTILINE
        )
    }
    assert rates["abandoned_cart"] > 0, report
    assert all(0 <= rate <= 100 for rate in rates.values())
    # The welcome series reaches most consenting sign-ups it is still for (a first order ends
    # it): its first email is sent, not held to the end by the frequency cap or by the emails
    # that outrank it, and its later steps reach some too.
    async with sessions.begin() as session:
        welcomes = dict(
            (
                await session.execute(
                    select(Message.step, func.count())
                    .where(
                        Message.scenario == "welcome",
                        Message.status_reason.is_distinct_from("customer_placed_first_order"),
                    )
                    .group_by(Message.step)
                )
            ).all()
        )
        welcomed = dict(
            (
                await session.execute(
                    select(Message.step, func.count())
                    .where(Message.scenario == "welcome", Message.status == "sent")
                    .group_by(Message.step)
                )
            ).all()
        )
    assert welcomed.get(1, 0) > welcomes.get(1, 0) / 2, (welcomed, welcomes)
    assert welcomed.get(2, 0) > 0, (welcomed, welcomes)
    assert "Admin UI: http://127.0.0.1:" in report
    # The customer index finds its top spender again by name, and their page lists orders.
    assert int(figure(report, "customer index", r"top spender .* finds (\d+)")) >= 1
    assert int(figure(report, "their page", r"orders .*; (\d+) emails")) >= 0
    # The loyalty program: on for the demo shop, members earning, some redeeming a reward
    # through the real redemption path (a code at the simulated Shopify for each).
    async with sessions.begin() as session:
        members = await session.scalar(select(func.count()).select_from(LoyaltyAccount))
        outstanding = await session.scalar(
            select(func.coalesce(func.sum(LoyaltyAccount.balance), 0)).where(
                LoyaltyAccount.balance > 0
            )
        )
        issued = await session.scalar(
            select(func.coalesce(func.sum(PointsLedgerEntry.delta), 0)).where(
                PointsLedgerEntry.kind.in_(("earn", "bonus"))
            )
        )
        redeemed = await session.scalar(
            select(func.count()).where(LoyaltyRedemption.status != "returned")
        )
        tiered = await session.scalar(select(func.count()).where(LoyaltyAccount.tier.is_not(None)))
        codes = await session.scalar(
            select(func.count()).where(LoyaltyRedemption.code.is_not(None))
        )
        credits = await session.scalar(
            select(func.count()).where(LoyaltyRedemption.store_credit_transaction_id.is_not(None))
        )
    assert int(figure(report, "loyalty members")) == members
    assert (members or 0) > 0
    assert int(figure(report, "points issued")) == issued
    assert (issued or 0) > 0
    assert int(figure(report, "points outstanding")) == outstanding
    assert (outstanding or 0) > 0
    liability = Decimal(figure(report, "loyalty liability", r"([\d.]+) EUR"))
    assert liability == (Decimal(outstanding or 0) * Decimal("0.1")).quantize(Decimal("0.01"))
    assert liability > 0
    assert int(figure(report, "rewards redeemed")) == redeemed
    assert (redeemed or 0) > 0
    # Each redemption kept is a code or a store credit at Shopify, never both nor neither.
    assert (codes or 0) + (credits or 0) == redeemed
    credit_line = re.search(
        r"rewards redeemed:\s+\d+ \((\d+) as Shopify store credit: ([\d.]+) EUR\)", report
    )
    assert credit_line is not None
    assert int(credit_line.group(1)) == credits
    assert Decimal(credit_line.group(2)) == Decimal(10) * (credits or 0)
    tiers = re.search(r"loyalty members:\s+\d+ \(tiers: ([^)]*)\)", report)
    assert tiers is not None
    assert sum(int(n) for n in re.findall(r": (\d+)", tiers.group(1))) == tiered
    assert (tiered or 0) > 0
    assert "loyalty ledger:" in report
    assert "no difference" in report
    # The shoppers' side: the storefront widget rendered from the metafields the app wrote.
    widget = re.search(
        r"storefront widget:\s+the program on the shop \(\$app:loyalty\.program: (\w+)\), "
        r"(\d+) customers carry",
        report,
    )
    assert widget is not None, report
    assert widget.group(1) == "written"
    assert 0 < int(widget.group(2)) <= (members or 0)
    assert re.search(r"^    guest: how it works and a sign-up call", report, re.MULTILINE)
    top = re.search(r"^    top member \([^)]*\): (\d+) points", report, re.MULTILINE)
    assert top is not None, report
    assert int(top.group(1)) > 0
    # The emails went to the file outbox under the demo's working directory.
    assert len(list((tmp_path / ".boomerang" / "outbox").rglob("*.eml"))) >= sent


async def _check_no_secret_in_the_logs(
    output: str, sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    """The demo's whole output (its report, the app's and the worker's logs at INFO) names no
    token, secret, encryption key or shopper's email."""
    secrets = json.loads((tmp_path / ".boomerang" / "demo-secrets.json").read_text())
    keys = secrets["token_encryption_keys"].split(",")
    cipher = TokenCipher(keys)
    async with sessions.begin() as session:
        shop = (await session.execute(select(Shop))).scalar_one()
        emails = set(
            (await session.scalars(select(Customer.email).where(Customer.email.is_not(None)))).all()
        )
        emails |= set((await session.scalars(select(Message.to_address))).all())
    assert shop.access_token_encrypted is not None
    tokens = {"access token": cipher.decrypt(shop.access_token_encrypted)}
    if shop.refresh_token_encrypted is not None:
        tokens["refresh token"] = cipher.decrypt(shop.refresh_token_encrypted)
    named = {
        **tokens,
        "API secret": secrets["shopify_api_secret"],
        **{f"Fernet key {i}": key for i, key in enumerate(keys)},
        **{f"shopper email {email}": email for email in emails if email},
    }
    assert len(emails) > 5  # the run reached shoppers, so their addresses could have leaked
    assert "webhook event handled" in output  # the app's and worker's INFO lines are here
    leaked = [name for name, value in named.items() if value in output]
    assert not leaked, f"in the demo's logs: {leaked}"
