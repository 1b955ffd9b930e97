"""Issue codes through the single-create path and the pool path against the simulator served
by uvicorn in a subprocess (a Standard plan shop), and compare the throughput with what the
bucket allows. The bucket's size and restore rate are read from what Shopify answered (the
shared throttle mirror), the mutation's cost from its requestedQueryCost: nothing assumed."""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import socket
import subprocess
import sys
import time
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
from redis.asyncio import Redis
from sqlalchemy import select

from app.codes import pools
from app.codes.offers import CodePurpose, Offer, Recipient, ValueType
from app.codes.service import issue_code
from app.db.engine import create_engine, create_sessionmaker
from app.db.migrate import upgrade
from app.models.discount_codes import DiscountCode
from app.models.shops import Shop
from app.shopify.admin.client import AdminClient
from app.shopify.admin.discounts import CREATE_BASIC, ShopifyDiscounts
from app.shopify.admin.types import ShopRef
from app.shopify.throttle import ShopThrottle

PG = os.environ.get("BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432")
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
OFFER = Offer(title="Bench 10% off", value_type=ValueType.PERCENTAGE, value=Decimal("0.1"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_up(base: str) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(200):
            try:
                if (await client.get(f"{base}/_sim/health")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError("simulator did not start")


async def main(single_n: int, pool_n: int, single_concurrency: int, claimers: int) -> None:
    port = free_port()
    sim = subprocess.Popen(  # noqa: ASYNC220 - once, before anything is measured
        [sys.executable, "-m", "devstore", "--port", str(port), "--shop", "bench-seed"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    db_name = f"bench_codes_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(PG.replace("+asyncpg", "") + "/postgres")
    await admin.execute(f'CREATE DATABASE "{db_name}"')
    url = f"{PG}/{db_name}"
    try:
        base = f"http://127.0.0.1:{port}"
        await wait_up(base)
        await asyncio.to_thread(upgrade, url)
        engine = create_engine(url, pool_size=20)
        sessions = create_sessionmaker(engine)
        redis = Redis.from_url(REDIS)
        http = httpx.AsyncClient(
            timeout=30, limits=httpx.Limits(max_connections=50, max_keepalive_connections=50)
        )
        results: dict[str, Any] = {}
        for path in ("single", "pool"):
            name = f"bench-{path}-{secrets.token_hex(3)}"
            created = (await http.post(f"{base}/_sim/shops", json={"name": name})).json()
            domain = created["shop"]
            token = (await http.post(f"{base}/_sim/shops/{domain}/install")).json()["access_token"]
            async with sessions() as session, session.begin():
                row = Shop(domain=domain, scopes="write_discounts")
                session.add(row)
                await session.flush()
                shop = ShopRef(row.id, domain)

            async def tokens(_shop: ShopRef, token: str = token) -> str:
                return token

            client = AdminClient(
                http,
                admin_url=lambda d: f"{base}/{d}",
                api_version="2026-10",
                tokens=tokens,
                throttle=ShopThrottle(redis),
            )
            gateway = ShopifyDiscounts(client)
            if path == "single":
                results["single"] = await bench_single(
                    sessions, gateway, shop, single_n, single_concurrency
                )
            else:
                results["pool"] = await bench_pool(sessions, gateway, shop, pool_n, claimers)
            limits = await ShopThrottle(redis).snapshot(domain)
            results[path]["maximum"] = limits["maximum"]
            results[path]["restore_rate"] = limits["rate"]
            results[path]["mutation_cost"] = client.learned_cost(CREATE_BASIC.name)
            requests = (await http.get(f"{base}/_sim/requests")).json()["requests"]
            mine = [r for r in requests if r["shop"] == domain]
            results[path]["throttled"] = sum(1 for r in mine if r["throttled"])
            results[path]["calls"] = len(mine)
            listed = (await http.get(f"{base}/_sim/shops/{domain}/codes")).json()["discounts"]
            at_shopify = [c for d in listed for c in d["codes"]]
            results[path]["at_shopify"] = len(at_shopify)
            results[path]["duplicates_at_shopify"] = len(at_shopify) - len(set(at_shopify))
        report(results)
        await http.aclose()
        await redis.aclose()
        await engine.dispose()
    finally:
        sim.terminate()
        sim.wait(timeout=10)
        await admin.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        await admin.close()


async def bench_single(
    sessions: Any, gateway: ShopifyDiscounts, shop: ShopRef, n: int, concurrency: int
) -> dict[str, Any]:
    limit = asyncio.Semaphore(concurrency)
    errors = 0

    async def one(i: int) -> str | None:
        nonlocal errors
        async with limit:
            try:
                issued = await issue_code(
                    sessions,
                    gateway,
                    shop,
                    purpose=CodePurpose.LOYALTY_REWARD,
                    idempotency_key=f"bench:{i}",
                    offer=OFFER,
                    recipient=Recipient(),
                    prefix="BENCH",
                )
                return issued.code
            except Exception as exc:
                errors += 1
                print("error:", type(exc).__name__, exc, file=sys.stderr)
                return None

    start = time.monotonic()
    codes = await asyncio.gather(*(one(i) for i in range(n)))
    elapsed = time.monotonic() - start
    got = [c for c in codes if c]
    async with sessions() as session:
        rows = list(await session.scalars(select(DiscountCode.code)))
    return {
        "n": n,
        "elapsed": elapsed,
        "errors": errors,
        "issued": len(got),
        "duplicates": len(got) - len(set(got)) + len(rows) - len(set(rows)),
    }


async def bench_pool(
    sessions: Any, gateway: ShopifyDiscounts, shop: ShopRef, n: int, claimers: int
) -> dict[str, Any]:
    start = time.monotonic()
    ref = await pools.ensure_pool(
        sessions,
        gateway,
        shop,
        scenario="cart_recovery",
        offer=OFFER,
        prefix="CART",
        target_size=3000,
        low_watermark=1500,
    )
    refilling: asyncio.Task[Any] | None = None
    refills = 0

    errors = 0

    def settled(task: asyncio.Task[Any]) -> None:
        nonlocal errors
        if not task.cancelled() and task.exception() is not None:
            errors += 1
            print("refill error:", repr(task.exception()), file=sys.stderr)

    def top_up() -> None:
        nonlocal refilling, refills
        if refilling is None or refilling.done():
            refills += 1
            refilling = asyncio.create_task(
                pools.refill_pool(sessions, gateway, shop, ref.id, poll_interval=0.02)
            )
            refilling.add_done_callback(settled)

    top_up()
    claimed: list[str] = []
    waits = 0
    next_key = 0

    async def claimer() -> None:
        nonlocal next_key, waits, errors
        while next_key < n:
            key = f"cart:{next_key}"
            next_key += 1
            while True:
                try:
                    async with sessions() as session, session.begin():
                        claim = await pools.claim_code(session, shop.id, ref.id, key)
                except Exception as exc:
                    errors += 1
                    print("claim error:", type(exc).__name__, exc, file=sys.stderr)
                    break
                if claim is not None:
                    claimed.append(claim.code)
                    if claim.needs_refill:
                        top_up()
                    break
                # Empty: the refill is on its way (in production the message waits or
                # falls back to a one-off code).
                waits += 1
                top_up()
                await asyncio.sleep(0.02)

    await asyncio.gather(*(claimer() for _ in range(claimers)))
    elapsed = time.monotonic() - start
    if refilling is not None:
        await asyncio.gather(refilling, return_exceptions=True)
    return {
        "n": n,
        "elapsed": elapsed,
        "errors": errors,
        "issued": len(claimed),
        "duplicates": len(claimed) - len(set(claimed)),
        "refills": refills,
        "empty_waits": waits,
    }


def report(results: dict[str, Any]) -> None:
    single = results["single"]
    rate, bucket = single["restore_rate"], single["maximum"]
    cost = single["mutation_cost"] or CREATE_BASIC.cost
    ceiling = rate / cost
    s_rate = single["issued"] / single["elapsed"]
    # The bucket starts full: the fastest possible run spends it, then the restore rate.
    ideal = max(0.0, (single["issued"] * cost - bucket) / rate)
    fastest = (
        f"{100 * ideal / single['elapsed']:.1f}% of the fastest run the bucket allows "
        f"({ideal:.1f}s)"
        if ideal > 0
        else "the bucket's first fill covered the whole run"
    )
    pool = results["pool"]
    p_rate = pool["issued"] / pool["elapsed"]
    print(
        f"== codes benchmark (simulator over loopback; bucket learned from Shopify's answers: "
        f"{bucket:.0f} points, {rate:.0f} points/s; mutation cost {cost})"
    )
    print(
        f"single: {single['issued']}/{single['n']} codes in {single['elapsed']:.1f}s = "
        f"{s_rate:.2f} codes/s = {100 * s_rate / ceiling:.1f}% of the ceiling {ceiling:.1f} "
        f"codes/s (restore rate / mutation cost; a full bucket at the start lets a short run "
        f"pass it); {fastest}; THROTTLED {single['throttled']}; errors {single['errors']}; "
        f"duplicates {single['duplicates']} (Shopify: {single['duplicates_at_shopify']}); "
        f"calls {single['calls']}"
    )
    print(
        f"pool:   {pool['issued']}/{pool['n']} codes in {pool['elapsed']:.1f}s = "
        f"{p_rate:.0f} codes/s = {p_rate / s_rate:.0f}x single; THROTTLED {pool['throttled']}; "
        f"errors {pool['errors']}; duplicates {pool['duplicates']} "
        f"(Shopify: {pool['duplicates_at_shopify']}); codes at Shopify {pool['at_shopify']}; "
        f"refills {pool['refills']}; empty-pool waits {pool['empty_waits']}; "
        f"calls {pool['calls']}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--single", type=int, default=2000)
    parser.add_argument("--pool", type=int, default=20000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--claimers", type=int, default=6)
    args = parser.parse_args()
    asyncio.run(main(args.single, args.pool, args.concurrency, args.claimers))
