"""The ledger's position reaches Shopify: after a paid order is processed, the worker's batched
customer sync writes the customer's points and tier to `$app:loyalty.points` / `.tier`, the
storefront widget's `$app:loyalty.status` (pending points by lot, tier measure, referral link),
and tags them `vip-<tier>`, at the simulator."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.loyalty import service
from app.loyalty.jobs import SYNC_JOB, entry_change
from app.platform.resources import Resources
from app.settings import Settings
from devstore.server import Simulator
from tests.app.loyalty.conftest import configure
from tests.conftest import SIM_ADMIN_URL_TEMPLATE
from tests.messaging.conftest import make_customer, make_shop
from tests.support.commerce_payloads import paid_order, refund
from tests.support.session_tokens import bearer, mint_session_token
from tests.support.shops import create_shop
from tests.support.webhooks import deliver
from tests.support.worker import run_worker_burst

TIERS = [{"key": "silver", "name_en": "Silver", "name_fr": "Argent", "threshold": "100"}]


async def test_points_and_tier_are_written_to_the_customers_metafields_and_tags(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    sim: Simulator,
) -> None:
    domain = sim.add_shop("loyal-store").domain
    token = sim.install(domain, expiring=False).access_token
    shop_id = (await create_shop(sessions, domain=domain, access_token=token)).id
    await configure(sessions, shop_id, enabled=True, tiers=TIERS)
    customer = sim.add_customer(domain, "ada@example.com")
    worker_settings = settings.model_copy(
        update={
            "customer_sync_flush_seconds": 0.05,
            "shopify_admin_url_template": SIM_ADMIN_URL_TEMPLATE,
        }
    )

    body = paid_order(order_id=51, customer_id=customer.id, email="ada@example.com")
    assert (await deliver(client, "orders/paid", body, shop=domain)).status_code == 200
    await run_worker_burst(worker_settings, http_transport=sim.transport())

    namespace = f"app--{sim.config.app_id}--loyalty"
    written = {(m.namespace, m.key): m.value for m in sim.metafields(domain, customer.gid)}
    status = json.loads(written.pop((namespace, "status")))
    assert written == {(namespace, "points"): "388", (namespace, "tier"): "silver"}
    # No pending period configured: every point is spendable; the tiers measure what was earned.
    assert status == {
        "v": 1,
        "pending": 0,
        "pending_lots": [],
        "tier_measure": "388",
        "referral": None,
    }
    assert "vip-silver" in sim.tags(domain, customer.id)

    # A refund takes most of it back: the points follow, and the customer leaves the tier.
    back = refund(refund_id=511, order_id=51, lines=("300.00",))
    assert (await deliver(client, "refunds/create", back, shop=domain)).status_code == 200
    await run_worker_burst(worker_settings, http_transport=sim.transport())

    written = {(m.namespace, m.key): m.value for m in sim.metafields(domain, customer.gid)}
    status = json.loads(written.pop((namespace, "status")))
    assert written == {(namespace, "points"): "88", (namespace, "tier"): "none"}
    assert status["tier_measure"] == "88"
    assert "vip-silver" not in sim.tags(domain, customer.id)


async def test_pending_points_reach_the_storefront_by_the_moment_they_mature(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    sim: Simulator,
) -> None:
    domain = sim.add_shop("patient-store").domain
    token = sim.install(domain, expiring=False).access_token
    shop_id = (await create_shop(sessions, domain=domain, access_token=token)).id
    await configure(sessions, shop_id, enabled=True, pending_days=14)
    customer = sim.add_customer(domain, "ada@example.com")
    worker_settings = settings.model_copy(
        update={
            "customer_sync_flush_seconds": 0.05,
            "shopify_admin_url_template": SIM_ADMIN_URL_TEMPLATE,
        }
    )
    body = paid_order(order_id=52, customer_id=customer.id, email="ada@example.com")
    before = datetime.now(UTC)
    assert (await deliver(client, "orders/paid", body, shop=domain)).status_code == 200
    await run_worker_burst(worker_settings, http_transport=sim.transport())

    namespace = f"app--{sim.config.app_id}--loyalty"
    written = {(m.namespace, m.key): m.value for m in sim.metafields(domain, customer.gid)}
    status = json.loads(written[(namespace, "status")])
    points = int(written[(namespace, "points")])
    assert status["pending"] == points > 0
    [[lot, matures]] = status["pending_lots"]
    assert lot == points
    # Spendable 14 days after the order was processed.
    assert datetime.fromisoformat(matures) >= before + timedelta(days=14)


async def test_a_settings_change_rewrites_the_program_the_storefront_reads(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    sim: Simulator,
) -> None:
    domain = sim.add_shop("program-store", currency="EUR").domain
    token = sim.install(domain, expiring=False).access_token
    await create_shop(sessions, domain=domain, access_token=token)
    worker_settings = settings.model_copy(
        update={"shopify_admin_url_template": SIM_ADMIN_URL_TEMPLATE}
    )
    headers = bearer(mint_session_token(domain))
    patch = {
        "enabled": True,
        "tiers": TIERS,
        "rewards": [{"key": "five_off", "cost": 500, "kind": "fixed_amount", "value": "5"}],
    }
    answer = await client.put("/api/loyalty/settings", headers=headers, json=patch)
    assert answer.status_code == 200, answer.text
    await run_worker_burst(worker_settings, http_transport=sim.transport())

    shop_gid = sim.shop(domain).gid
    [field] = [m for m in sim.metafields(domain, shop_gid) if m.key == "program"]
    assert (field.namespace, field.type) == (f"app--{sim.config.app_id}--loyalty", "json")
    program = json.loads(field.value)
    assert program["enabled"] is True
    assert program["tiers"] == [
        {"key": "silver", "name": {"en": "Silver", "fr": "Argent"}, "threshold": "100"}
    ]
    [reward] = program["rewards"]
    assert (reward["key"], reward["cost"]) == ("five_off", 500)
    assert reward["label"]["en"].endswith(" off")
    assert reward["label"]["fr"].endswith(" de réduction")
    assert program["referral"]["enabled"] is False  # the referral program is off by default

    # The referral program turned on: the storefront's copy follows.
    answer = await client.put("/api/referrals/settings", headers=headers, json={"mode": "live"})
    assert answer.status_code == 200, answer.text
    await run_worker_burst(worker_settings, http_transport=sim.transport())
    [field] = [m for m in sim.metafields(domain, shop_gid) if m.key == "program"]
    assert json.loads(field.value)["referral"]["enabled"] is True


async def test_entries_moving_an_account_in_one_transaction_defer_one_sync_job(
    app: FastAPI,
) -> None:
    """Two gains of one customer in one transaction: one sync job, named for the newer entry
    (it reads the account as it stands when it runs); another customer's gain, its own."""
    resources: Resources = app.state.resources
    sessions = resources.sessions
    shop = await make_shop(sessions, domain="one-sync.myshopify.com")
    await configure(sessions, shop.id, enabled=True)
    ada = await make_customer(sessions, shop, email="ada@example.com", shopify_id=1)
    bob = await make_customer(sessions, shop, email="bob@example.com", shopify_id=2)
    entries: dict[tuple[int, str], int | None] = {}
    async with resources.transaction() as session:
        for customer, key in ((ada, "a"), (ada, "b"), (bob, "c")):
            entries[(customer.id, key)] = await service.award_bonus(
                session,
                shop_id=shop.id,
                customer_id=customer.id,
                points=10,
                source_type="review",
                source_id=key,
                now=datetime.now(UTC),
            )
    queued = sorted(
        job_id.decode()
        for job_id in await resources.redis.zrange("boomerang:queue", 0, -1)
        if job_id.startswith(f"{SYNC_JOB}:".encode())
    )
    assert queued == sorted(
        f"{SYNC_JOB}:{shop.id}:{customer_id}:{entry_change(entry)}"
        for (customer_id, key), entry in entries.items()
        if entry is not None and key != "a"
    )
