"""The rest of the program through its public surfaces: the share link refuses what we did not
issue (404, no redirect anywhere), rewards as single-use codes, the monthly cap, pausing (no new
codes, no rewards, the friend codes out stay valid), codes at sign-up, the settings' refusals,
the admin's advocates, the customer's own code for the app proxy, and data requests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from app.codes.offers import CodePurpose, Offer, Recipient, ValueType
from app.codes.service import issue_code
from app.compliance.registry import DataSubject, erase_customer_data, export_customer_data
from app.models import Referral, Shop
from app.platform.resources import build_resources
from app.referrals.links import referral_for_customer
from app.shopify.admin.factory import discount_gateway
from app.shopify.admin.types import ShopRef, customer_gid
from devstore.storefront import CheckoutError
from jobs.referrals import run_due
from tests.app.referrals.conftest import SHOP, Referrals, Shopper, customer_row
from tests.messaging.conftest import Inbox
from tests.scenarios.conftest import text_part, until


async def test_a_tampered_or_unknown_link_is_a_404_that_redirects_nowhere(
    referrals: Referrals,
) -> None:
    _ada, code = await referrals.advocate()
    client = referrals.store.client
    for path in (
        f"/r/{code[:-1]}X" if not code.endswith("X") else f"/r/{code[:-1]}Y",
        "/r/REF-AAAAAAAAAA",
        "/r/%2F%2Fevil.example",
        "/r/https:%2F%2Fevil.example",
        "/r/" + "A" * 300,
        f"/r/{code}%0d%0aLocation:%20https://evil.example",
    ):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert "location" not in response.headers
    # A page for the shopper's browser, in their language, not the API's JSON.
    tampered = await client.get("/r/REF-AAAAAAAAAA", headers={"Accept-Language": "fr-FR,fr"})
    assert tampered.headers["content-type"].startswith("text/html")
    assert '<html lang="fr">' in tampered.text
    assert "Ce lien de parrainage n&#x27;est pas valide" in tampered.text
    assert tampered.headers["cache-control"] == "no-store"
    english = await client.get("/r/REF-AAAAAAAAAA")
    assert "This referral link is not valid" in english.text
    assert (await referrals.figures())["link_visits"] == 0
    # Lower case is the same code (Shopify's codes are case-insensitive).
    found = await client.get(f"/r/{code.lower()}")
    assert found.headers["location"] == f"https://{SHOP}/discount/{code}"
    # An uninstalled shop's links lead nowhere either.
    async with referrals.store.sessions.begin() as session:
        await session.execute(update(Shop).values(uninstalled_at=Shop.created_at))
    gone = await client.get(f"/r/{code}")
    assert gone.status_code == 404
    assert "location" not in gone.headers


async def test_a_reward_as_a_single_use_code_for_the_advocate(
    referrals: Referrals, inbox: Inbox
) -> None:
    await referrals.configure(
        reward_kind="code", reward_code={"kind": "fixed_amount", "value": "15"}
    )
    ada, code = await referrals.advocate()
    bob = await referrals.sign_up("bob@example.test")
    await referrals.deliver_order(referrals.place(bob, code).order)
    await referrals.work()
    await referrals.after_hold()
    (referral,) = await referrals.referrals()
    assert referral.status == "rewarded"
    assert referral.reward_kind == "code"
    assert referral.reward_code is not None
    (discount,) = [
        d
        for d in referrals.sim.discounts(SHOP)
        if referral.reward_code in [c.code for c in d.codes]
    ]
    assert discount.customer_ids == frozenset({ada.shopify_id})
    assert discount.usage_limit == 1
    assert await referrals.bonus_points(ada) == []

    def rewards_to_ada() -> list[str]:
        return [
            text_part(m)
            for m in inbox.messages
            if str(m["To"]) == ada.email and "reward" in str(m["Subject"])
        ]

    await until(lambda: len(rewards_to_ada()) == 1)
    assert referral.reward_code in rewards_to_ada()[0]
    assert "15 EUR" in rewards_to_ada()[0]


async def test_rewards_stop_at_the_monthly_cap(referrals: Referrals) -> None:
    await referrals.configure(monthly_reward_cap=1)
    ada, code = await referrals.advocate()
    for name in ("bob", "cleo"):
        friend = await referrals.sign_up(f"{name}@example.test")
        await referrals.deliver_order(referrals.place(friend, code).order)
    await referrals.work()
    await referrals.after_hold()
    first, second = await referrals.referrals()
    assert first.status == "rewarded"
    assert (second.status, second.reason) == ("qualified", "monthly_cap_reached")
    assert await referrals.bonus_points(ada) == [500]


async def test_code_rewards_respect_the_monthly_cap(referrals: Referrals) -> None:
    # Three friends' orders qualify in one batch: each code reward is made later by its own
    # job, so the cap must count the rewards still waiting for their code.
    await referrals.configure(
        monthly_reward_cap=1,
        reward_kind="code",
        reward_code={"kind": "fixed_amount", "value": "15"},
    )
    _ada, code = await referrals.advocate()
    for name in ("bob", "cleo", "dan"):
        friend = await referrals.sign_up(f"{name}@example.test")
        await referrals.deliver_order(referrals.place(friend, code).order)
    await referrals.work()
    await referrals.after_hold()
    found = await referrals.referrals()
    assert len([r for r in found if r.status == "rewarded"]) == 1
    assert [(r.status, r.reason) for r in found if r.status != "rewarded"] == [
        ("qualified", "monthly_cap_reached")
    ] * 2
    reward_codes = [
        c.code
        for d in referrals.sim.discounts(SHOP)
        for c in d.codes
        if c.code.startswith("THANKS")
    ]
    assert reward_codes == [r.reward_code for r in found if r.status == "rewarded"]


async def test_a_reward_waiting_for_its_code_counts_towards_the_cap_of_point_rewards(
    referrals: Referrals,
) -> None:
    # Bob's referral qualifies for a code (its job not run yet); the merchant then rewards with
    # points: Cleo's referral, qualifying meanwhile, finds the cap taken by Bob's.
    ada, bobs, cleos = await _bob_and_cleo_waiting_for_codes(referrals, cap=1)
    await _hold_over_then_cron_without_its_jobs(referrals, bobs.id)
    await referrals.configure(reward_kind="points")
    await _hold_over_then_cron_without_its_jobs(referrals, cleos.id)
    await referrals.work()  # Bob's reward code job
    first, second = await referrals.referrals()
    assert (first.status, first.reward_kind) == ("rewarded", "code")
    assert (second.status, second.reason) == ("qualified", "monthly_cap_reached")
    assert await referrals.bonus_points(ada) == []


async def test_a_reward_code_made_before_a_crash_is_recorded_whatever_the_cap(
    referrals: Referrals,
) -> None:
    # Bob's and Cleo's referrals qualify for codes under a cap of 2. Cleo's job makes her
    # code at Shopify, then dies before recording it; the merchant lowers the cap to 1. Her
    # job's retry records that code (never a second one) and Bob's, though his qualified first,
    # finds the cap taken by it.
    ada, bobs, cleos = await _bob_and_cleo_waiting_for_codes(referrals, cap=2)
    await _hold_over_then_cron_without_its_jobs(referrals, bobs.id)
    await _hold_over_then_cron_without_its_jobs(referrals, cleos.id)
    advocate = await customer_row(referrals.store.sessions, ada.shopify_id)
    resources = await build_resources(
        referrals.store.settings, http_transport=referrals.store.shopify
    )
    try:
        made = await issue_code(
            resources.sessions,
            discount_gateway(resources),
            ShopRef(referrals.store.shop.id, SHOP),
            purpose=CodePurpose.REFERRAL_REWARD,
            idempotency_key=f"referral-reward:{cleos.id}",
            offer=Offer(
                title="Boomerang: referral reward",
                value_type=ValueType.FIXED_AMOUNT,
                value=Decimal(15),
                valid_for=timedelta(days=30),
            ),
            recipient=Recipient(
                customer_id=advocate.id,
                customer_gid=customer_gid(advocate.shopify_id),
                email=advocate.email,
            ),
            prefix="THANKS",
        )
    finally:
        await resources.close()
    await referrals.configure(monthly_reward_cap=1)
    await referrals.work()
    first, second = await referrals.referrals()
    assert (first.status, first.reason) == ("qualified", "monthly_cap_reached")
    assert (second.status, second.reward_code) == ("rewarded", made.code)
    assert [c for c in referrals.sim.codes(SHOP) if c.startswith("THANKS")] == [made.code]


async def _bob_and_cleo_waiting_for_codes(
    referrals: Referrals, *, cap: int
) -> tuple[Shopper, Referral, Referral]:
    """Ada's code, used by Bob then Cleo on their first orders, rewarded with a code under a
    monthly cap of `cap`: the advocate and both referrals (pending, their hold still on)."""
    await referrals.configure(
        monthly_reward_cap=cap,
        reward_kind="code",
        reward_code={"kind": "fixed_amount", "value": "15"},
    )
    ada, code = await referrals.advocate()
    for name in ("bob", "cleo"):
        friend = await referrals.sign_up(f"{name}@example.test")
        await referrals.deliver_order(referrals.place(friend, code).order)
    await referrals.work()
    bobs, cleos = await referrals.referrals()
    return ada, bobs, cleos


async def _hold_over_then_cron_without_its_jobs(referrals: Referrals, referral_id: int) -> None:
    """One referral's hold period over, then the due-referrals cron, its jobs left queued."""
    async with referrals.store.sessions.begin() as session:
        await session.execute(
            update(Referral)
            .where(Referral.id == referral_id)
            .values(due_at=Referral.due_at - timedelta(days=15))
        )
    resources = await build_resources(
        referrals.store.settings, http_transport=referrals.store.shopify
    )
    try:
        await run_due(resources, datetime.now(UTC))
    finally:
        await resources.close()


async def test_pausing_issues_no_code_and_no_reward_but_friend_codes_stay_valid(
    referrals: Referrals,
) -> None:
    ada, code = await referrals.advocate()
    await referrals.configure(mode="paused")
    # No new code for a new customer's first order.
    eve = await referrals.sign_up("eve@example.test")
    await referrals.deliver_order(referrals.place(eve).order)
    await referrals.work()
    assert await referrals.code_of(eve) is None
    # Ada's code still works at Shopify; the referral is recorded and waits.
    bob = await referrals.sign_up("bob@example.test")
    await referrals.deliver_order(referrals.place(bob, code).order)
    await referrals.work()
    await referrals.after_hold()
    (referral,) = await referrals.referrals()
    assert referral.status == "pending"
    assert await referrals.bonus_points(ada) == []
    # Back on: it is rewarded.
    await referrals.configure(mode="live")
    await referrals.after_hold(days=0)
    assert await referrals.bonus_points(ada) == [500]


async def test_codes_at_sign_up_when_the_merchant_chooses(referrals: Referrals) -> None:
    await referrals.configure(issue_on="sign_up")
    zoe = await referrals.sign_up("zoe@example.test")
    await referrals.work()
    code = await referrals.code_of(zoe)
    assert code is not None
    assert code.startswith("REF-")
    # Her first order does not give her another.
    await referrals.deliver_order(referrals.place(zoe).order)
    await referrals.work()
    assert await referrals.code_of(zoe) == code


async def test_a_friend_cannot_use_the_code_on_a_second_order(referrals: Referrals) -> None:
    _ada, code = await referrals.advocate()
    bob = await referrals.sign_up("bob@example.test")
    referrals.place(bob, code)
    # No longer a first-time buyer: out of the code's segment.
    with pytest.raises(CheckoutError) as refused:
        referrals.place(bob, code)
    assert refused.value.reason == "customer_not_eligible"


async def test_settings_refusals_say_which_field_in_french(referrals: Referrals) -> None:
    response = await referrals.store.client.put(
        "/api/referrals/settings?locale=fr",
        headers=referrals.store.headers,
        json={"hold_days": -1, "reward_kind": "cash"},
    )
    assert response.status_code == 400
    fields = {p["field"] for p in response.json()["problems"]}
    assert {"hold_days", "reward_kind"} <= fields
    current = await referrals.store.client.get(
        "/api/referrals/settings", headers=referrals.store.headers
    )
    assert current.json()["hold_days"] == 14
    assert current.json()["friend_percent"] == "10"


async def test_top_advocates_and_the_customers_own_code(referrals: Referrals) -> None:
    ada, code = await referrals.advocate()
    for name in ("bob", "cleo"):
        friend = await referrals.sign_up(f"{name}@example.test")
        await referrals.deliver_order(referrals.place(friend, code).order)
    await referrals.work()
    await referrals.after_hold()
    response = await referrals.store.client.get(
        "/api/referrals/advocates", headers=referrals.store.headers
    )
    (top, *_) = response.json()
    assert (top["email"], top["code"], top["referrals"], top["rewarded"]) == (
        ada.email,
        code,
        2,
        2,
    )
    row = await customer_row(referrals.store.sessions, ada.shopify_id)
    async with referrals.store.sessions.begin() as session:
        own = await referral_for_customer(
            session,
            shop_id=referrals.store.shop.id,
            customer_id=row.id,
            app_url="https://app.example",
        )
    assert own is not None
    assert (own.code, own.link) == (code, f"https://app.example/r/{code}")


async def test_data_requests_export_and_redactions_erase_referral_data(
    referrals: Referrals,
) -> None:
    ada, code = await referrals.advocate()
    bob = await referrals.sign_up("bob@example.test")
    bob.ip = ada.ip
    await referrals.deliver_order(referrals.place(bob, code).order)
    await referrals.work()
    shop_id = referrals.store.shop.id
    subject = DataSubject(shop_id=shop_id, customer_shopify_id=bob.shopify_id, email=bob.email)
    async with referrals.store.sessions.begin() as session:
        exported = await export_customer_data(session, subject)
    (referral,) = [r["referral"] for r in exported["referrals"] if "referral" in r]
    assert referral["code"] == code
    assert referral["evidence"][0]["friend"] == ada.ip
    async with referrals.store.sessions.begin() as session:
        await erase_customer_data(session, subject)
    async with referrals.store.sessions.begin() as session:
        (kept,) = list(await session.scalars(select(Referral)))
    assert (kept.evidence, kept.browser_ip, kept.status) == ([], None, "flagged")
