"""The referral program in customer data requests and redactions, through Shopify's compliance
webhooks: a guest friend's referral (their order had no customer on it, so the referral has no
friend) is found through their order, exported with the rest of their data and emptied of its
evidence (email, phone, address, IP) by customers/redact."""

from __future__ import annotations

import copy
import json
from typing import Any

from sqlalchemy import select

from app.models import CustomerDataRequest, Referral
from tests.app.referrals.conftest import Referrals, Shopper, crafted
from tests.scenarios.conftest import SHOP
from tests.support.fixtures import fixture_json


async def guest_friend_referral(referrals: Referrals) -> Shopper:
    """Ada's code used by Bob on an order checked out as a guest: a referral without friend."""
    ada, code = await referrals.advocate()
    bob = await referrals.sign_up("bob@example.test", first_name="Bob")
    bob.ip = ada.ip  # shared with the advocate: the referral keeps evidence
    guest_order = crafted(referrals.place(bob, code).order, customer=None)
    await referrals.deliver_order(guest_order)
    await referrals.work()
    (referral,) = await referrals.referrals()
    assert referral.friend_id is None
    assert (referral.browser_ip, bob.ip in json.dumps(referral.evidence)) == (bob.ip, True)
    return bob


def compliance_request(topic: str, shopper: Shopper) -> dict[str, Any]:
    """Shopify's sample for `shopper`, naming no order: a guest order is not on their
    customer record at Shopify, only their email is."""
    payload = copy.deepcopy(fixture_json(topic))
    payload["shop_domain"] = SHOP
    payload["customer"].update(id=shopper.shopify_id, email=shopper.email)
    payload["orders_to_redact" if topic == "customers/redact" else "orders_requested"] = []
    return payload


async def test_a_data_request_exports_a_guest_friends_referral(referrals: Referrals) -> None:
    bob = await guest_friend_referral(referrals)
    await referrals.store.deliver(
        "customers/data_request", compliance_request("customers/data_request", bob)
    )
    await referrals.work()
    async with referrals.store.sessions.begin() as session:
        stored = await session.scalar(select(CustomerDataRequest))
    assert stored is not None
    exported = [item["referral"] for item in stored.export["referrals"] if "referral" in item]
    assert len(exported) == 1
    assert exported[0]["browser_ip"] == bob.ip


async def test_a_redaction_empties_a_guest_friends_referral_evidence(
    referrals: Referrals,
) -> None:
    bob = await guest_friend_referral(referrals)
    await referrals.store.deliver("customers/redact", compliance_request("customers/redact", bob))
    await referrals.work()
    async with referrals.store.sessions.begin() as session:
        (kept,) = list(await session.scalars(select(Referral)))
    assert (kept.evidence, kept.browser_ip) == ([], None)
    assert kept.order_id is not None  # the referral stays in the shop's books
