"""The referral loop through the simulator: an advocate's first paid order gives them a code
(a Shopify discount for first-time buyers) and a share link by email; the link applies the
code at the shop; a friend's first order with it becomes a pending referral, qualified once
the hold period is over, which rewards the advocate and invites them to share again."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from devstore.storefront import CheckoutError
from tests.app.referrals.conftest import SHOP, Referrals, crafted
from tests.messaging.conftest import Inbox
from tests.scenarios.conftest import text_part, until


async def test_full_loop_from_the_code_email_to_the_reward_and_a_new_invitation(
    referrals: Referrals, inbox: Inbox
) -> None:
    ada, code = await referrals.advocate("ada@example.test")

    # The code is a Shopify discount for the shop's first-time buyers: 10 % off, each buyer
    # once, no overall limit.
    (discount,) = [d for d in referrals.sim.discounts(SHOP) if code in [c.code for c in d.codes]]
    assert discount.percentage == pytest.approx(0.1)
    assert discount.applies_once_per_customer
    assert discount.usage_limit is None
    (segment_id,) = discount.segment_ids or ()
    assert referrals.sim.shop(SHOP).segments[segment_id].query == "number_of_orders = 0"

    # The email gives the code and the link.
    def invites() -> list[str]:
        return [text_part(m) for m in inbox.messages if str(m["Subject"]).startswith("Share")]

    await until(lambda: len(invites()) == 1)
    (invite,) = invites()
    assert code in invite
    tracked = re.search(r"Your link: http://testserver(/t/c/\S+)", invite)
    assert tracked is not None, invite
    click = await referrals.store.client.get(tracked.group(1))
    assert click.status_code in (302, 303, 307)
    assert click.headers["location"].endswith(f"/r/{code}")

    # The link records the visit and sends the friend to the shop's own /discount/{code}.
    response = await referrals.store.client.get(f"/r/{code}")
    assert response.status_code == 302
    assert response.headers["location"] == f"https://{SHOP}/discount/{code}"
    assert (await referrals.figures())["link_visits"] == 1

    # The friend's first order with the code: pending until the end of the hold period.
    bob = await referrals.sign_up("bob@example.test", first_name="Bob")
    placed = referrals.place(bob, code)
    assert placed.order["discount_codes"][0]["code"] == code
    await referrals.deliver_order(placed.order)
    await referrals.work()
    (referral,) = await referrals.referrals()
    assert referral.status == "pending"
    assert referral.evidence == []

    # Not before the hold period is over.
    assert await referrals.after_hold(days=13) == 0
    assert await referrals.bonus_points(ada) == []

    assert await referrals.after_hold(days=1) == 1
    (referral,) = await referrals.referrals()
    assert referral.status == "rewarded"
    assert referral.reward_points == 500
    assert await referrals.bonus_points(ada) == [500]

    # Told by email, and invited to share again with the same code and link.
    def rewards_to_ada() -> list[str]:
        return [
            text_part(m)
            for m in inbox.messages
            if str(m["To"]) == "ada@example.test" and "reward" in str(m["Subject"])
        ]

    # (Her own paid order's loyalty email came too: the loyalty program is on.)
    await until(lambda: len(rewards_to_ada()) == 1)
    (reward,) = rewards_to_ada()
    assert "500 points" in reward
    assert code in reward
    assert "Keep sharing" in reward
    # Bob's own first paid order made him an advocate too: his code came by email.
    assert await referrals.code_of(bob) not in (None, code)

    figures = await referrals.figures()
    assert figures["codes_used"] == 1
    assert figures["rewarded"] == 1
    assert Decimal(figures["referred_revenue"]) == Decimal(placed.order["total_price"])

    # The loop restarts: another friend's order rewards her again.
    cleo = await referrals.sign_up("cleo@example.test", first_name="Cleo")
    await referrals.deliver_order(referrals.place(cleo, code).order)
    await referrals.work()
    await referrals.after_hold()
    assert await referrals.bonus_points(ada) == [500, 500]


async def test_the_same_order_webhook_three_times_records_one_referral(
    referrals: Referrals,
) -> None:
    _ada, code = await referrals.advocate()
    bob = await referrals.sign_up("bob@example.test")
    order = referrals.place(bob, code).order
    for _ in range(3):
        await referrals.store.deliver("orders/create", order)
    await referrals.store.deliver("orders/paid", order)
    await referrals.work()
    assert len(await referrals.referrals()) == 1
    await referrals.after_hold()
    await referrals.after_hold()
    (referral,) = await referrals.referrals()
    assert referral.status == "rewarded"
    assert len(await referrals.messages(step=2)) == 1


async def test_a_refund_during_the_hold_period_gives_no_reward(referrals: Referrals) -> None:
    ada, code = await referrals.advocate()
    bob = await referrals.sign_up("bob@example.test")
    order = referrals.place(bob, code).order
    await referrals.deliver_order(order)
    await referrals.work()
    refund = referrals.sim.payloads(SHOP).refund(order, referrals.sim.clock.now())
    await referrals.store.deliver("refunds/create", refund)
    await referrals.work()
    await referrals.after_hold()
    (referral,) = await referrals.referrals()
    assert (referral.status, referral.reason) == ("void", "refunded_during_hold")
    assert await referrals.bonus_points(ada) == []
    assert await referrals.messages(step=2) == []


async def test_a_cancellation_during_the_hold_period_gives_no_reward(referrals: Referrals) -> None:
    ada, code = await referrals.advocate()
    bob = await referrals.sign_up("bob@example.test")
    order = referrals.place(bob, code).order
    await referrals.deliver_order(order)
    cancelled = referrals.sim.payloads(SHOP).order_cancelled(order, referrals.sim.clock.now())
    await referrals.store.deliver("orders/cancelled", cancelled)
    await referrals.work()
    await referrals.after_hold()
    (referral,) = await referrals.referrals()
    assert (referral.status, referral.reason) == ("void", "cancelled_during_hold")
    assert await referrals.bonus_points(ada) == []


async def test_a_returning_customer_cannot_use_the_code_and_gets_no_reward(
    referrals: Referrals,
) -> None:
    ada, code = await referrals.advocate()
    carl = await referrals.sign_up("carl@example.test", first_name="Carl")
    first = referrals.place(carl)
    await referrals.deliver_order(first.order)
    await referrals.work()
    # Shopify's checkout refuses it: Carl is not in the first-time buyers' segment.
    with pytest.raises(CheckoutError) as refused:
        referrals.place(carl, code)
    assert refused.value.reason == "customer_not_eligible"
    # Reported through another channel anyway: flagged, with the earlier order as evidence.
    second = referrals.place(carl)
    keyed_in = crafted(
        second.order, discount_codes=[{"code": code, "amount": "5.00", "type": "percentage"}]
    )
    await referrals.deliver_order(keyed_in)
    await referrals.work()
    await referrals.after_hold()
    (referral,) = await referrals.referrals()
    assert referral.status == "flagged"
    assert [e["rule"] for e in referral.evidence] == ["friend_had_earlier_orders"]
    assert first.order["name"] in referral.evidence[0]["friend"]
    assert await referrals.bonus_points(ada) == []


async def test_the_friend_code_honours_its_minimum_subtotal(referrals: Referrals) -> None:
    await referrals.configure(friend_minimum_subtotal="1000.00")
    _ada, code = await referrals.advocate()
    bob = await referrals.sign_up("bob@example.test")
    with pytest.raises(CheckoutError) as refused:
        referrals.place(bob, code)
    assert refused.value.reason == "minimum_not_met"
