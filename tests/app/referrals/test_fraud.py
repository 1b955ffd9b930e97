"""Fraud checks before any reward, each recording its evidence (the rule, the friend's value and
the advocate's): the friend is the advocate by customer, email (case, plus-addressing and
Gmail's dots folded), phone, shipping address or browser IP; too many referrals from one
advocate in a day; too many referred orders from one IP. A flagged referral waits for the
merchant, who approves (it goes on) or rejects it; it is never dropped."""

from __future__ import annotations

from typing import Any

from app.referrals import fraud
from tests.app.referrals.conftest import Referrals, Shopper, crafted


def _rules(evidence: list[dict[str, Any]]) -> list[str]:
    return [e["rule"] for e in evidence]


async def _friend_orders(referrals: Referrals, friend: Shopper, code: str) -> None:
    await referrals.deliver_order(referrals.place(friend, code).order)
    await referrals.work()


async def test_an_advocate_using_their_own_code_is_flagged_as_the_same_customer(
    referrals: Referrals,
) -> None:
    ada, code = await referrals.advocate()
    # Shopify's checkout would refuse it (she has ordered); keyed in at a point of sale.
    own = crafted(
        referrals.place(ada).order,
        discount_codes=[{"code": code, "amount": "5.00", "type": "percentage"}],
    )
    await referrals.deliver_order(own)
    await referrals.work()
    await referrals.after_hold()
    (referral,) = await referrals.referrals()
    assert referral.status == "flagged"
    assert _rules(referral.evidence)[:5] == [
        fraud.SAME_CUSTOMER,
        fraud.SAME_EMAIL,
        fraud.SAME_PHONE,
        fraud.SAME_ADDRESS,
        fraud.SAME_IP,
    ]
    assert await referrals.bonus_points(ada) == []


async def test_a_friend_with_the_advocates_gmail_address_folded_is_flagged(
    referrals: Referrals,
) -> None:
    _ada, code = await referrals.advocate("ada.lovelace@gmail.com")
    twin = await referrals.sign_up("AdaLovelace+friend@googlemail.com")
    await _friend_orders(referrals, twin, code)
    (referral,) = await referrals.referrals()
    assert referral.status == "flagged"
    assert referral.evidence == [
        {
            "rule": fraud.SAME_EMAIL,
            "friend": "AdaLovelace+friend@googlemail.com",
            "referrer": "ada.lovelace@gmail.com",
        }
    ]


async def test_a_friend_with_the_advocates_phone_is_flagged(referrals: Referrals) -> None:
    ada, code = await referrals.advocate()
    bob = await referrals.sign_up("bob@example.test")
    digits = ada.address["phone"].replace(" ", "").removeprefix("+33")
    bob.address = {**bob.address, "phone": f"0{digits}"}
    await _friend_orders(referrals, bob, code)
    (referral,) = await referrals.referrals()
    assert referral.evidence == [
        {"rule": fraud.SAME_PHONE, "friend": f"0{digits}", "referrer": ada.address["phone"]}
    ]


async def test_a_friend_shipping_to_the_advocates_address_is_flagged(
    referrals: Referrals,
) -> None:
    ada, code = await referrals.advocate()
    bob = await referrals.sign_up("bob@example.test")
    bob.address = {
        **ada.address,
        "address1": ada.address["address1"].upper(),
        "phone": bob.address["phone"],
    }
    await _friend_orders(referrals, bob, code)
    (referral,) = await referrals.referrals()
    assert _rules(referral.evidence) == [fraud.SAME_ADDRESS]
    assert ada.address["address1"] in referral.evidence[0]["referrer"]
    assert ada.address["address1"].upper() in referral.evidence[0]["friend"]


async def test_a_friend_ordering_from_the_advocates_ip_is_flagged(referrals: Referrals) -> None:
    ada, code = await referrals.advocate()
    bob = await referrals.sign_up("bob@example.test")
    bob.ip = ada.ip
    await _friend_orders(referrals, bob, code)
    (referral,) = await referrals.referrals()
    assert referral.evidence == [{"rule": fraud.SAME_IP, "friend": ada.ip, "referrer": ada.ip}]


async def test_more_referrals_than_allowed_in_a_day_are_flagged(referrals: Referrals) -> None:
    await referrals.configure(max_referrals_per_day=1)
    _ada, code = await referrals.advocate()
    for name in ("bob", "cleo"):
        await _friend_orders(referrals, await referrals.sign_up(f"{name}@example.test"), code)
    first, second = await referrals.referrals()
    assert (first.status, first.evidence) == ("pending", [])
    assert second.status == "flagged"
    assert second.evidence == [{"rule": fraud.TOO_MANY_PER_DAY, "friend": "2", "referrer": "max 1"}]


async def test_more_referred_orders_than_allowed_from_one_ip_are_flagged(
    referrals: Referrals,
) -> None:
    await referrals.configure(max_orders_per_ip=1)
    _ada, code = await referrals.advocate()
    _dan, other_code = await referrals.advocate("dan@example.test")
    bob = await referrals.sign_up("bob@example.test")
    cleo = await referrals.sign_up("cleo@example.test")
    cleo.ip = bob.ip
    await _friend_orders(referrals, bob, code)
    await _friend_orders(referrals, cleo, other_code)
    first, second = await referrals.referrals()
    assert first.status == "pending"
    assert second.evidence == [
        {"rule": fraud.TOO_MANY_PER_IP, "friend": f"{bob.ip}: 2", "referrer": "max 1"}
    ]


async def test_the_merchant_approves_or_rejects_a_flagged_referral(referrals: Referrals) -> None:
    ada, code = await referrals.advocate()
    bob = await referrals.sign_up("bob@example.test")
    cleo = await referrals.sign_up("cleo@example.test")
    bob.ip = cleo.ip = ada.ip
    await _friend_orders(referrals, bob, code)
    await _friend_orders(referrals, cleo, code)
    flagged = await referrals.store.client.get(
        "/api/referrals?status=flagged", headers=referrals.store.headers
    )
    assert flagged.status_code == 200
    listed = flagged.json()
    assert [r["friend_email"] for r in listed] == ["cleo@example.test", "bob@example.test"]
    assert listed[0]["evidence"] == [{"rule": fraud.SAME_IP, "friend": ada.ip, "referrer": ada.ip}]
    # Waiting, whatever the time: never rewarded, never dropped, without a decision.
    await referrals.after_hold()
    assert await referrals.bonus_points(ada) == []

    headers = referrals.store.headers
    approved = await referrals.store.client.post(
        f"/api/referrals/{listed[1]['id']}/approve", headers=headers
    )
    assert approved.json() == {"id": listed[1]["id"], "status": "pending"}
    rejected = await referrals.store.client.post(
        f"/api/referrals/{listed[0]['id']}/reject", headers=headers
    )
    assert rejected.json() == {"id": listed[0]["id"], "status": "rejected"}
    again = await referrals.store.client.post(
        f"/api/referrals/{listed[0]['id']}/approve", headers=headers
    )
    assert again.status_code == 409
    assert "flagged" in again.json()["detail"]

    await referrals.after_hold(days=0)
    bob_referral, cleo_referral = await referrals.referrals()
    assert (bob_referral.status, bob_referral.evidence[0]["rule"]) == ("rewarded", fraud.SAME_IP)
    assert cleo_referral.status == "rejected"
    assert await referrals.bonus_points(ada) == [500]
    figures = await referrals.figures()
    assert (figures["rewarded"], figures["rejected"], figures["flagged"]) == (1, 1, 0)
