"""The loyalty admin API through HTTP with session tokens: settings saved and refused per field
in the merchant's language, a customer's position and ledger, a manual adjustment whose actor
is the session token's user (once per key), and the liability valued from the catalogue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.loyalty import expiry, service
from app.models import Customer, PointsLedgerEntry
from app.referrals.content import REFERRAL_POINTS
from app.reviews.rewards import REVIEWED, REVIEWED_WITH_PHOTO
from app.settings import Settings
from tests.support.commerce_payloads import paid_order
from tests.support.session_tokens import bearer, mint_session_token
from tests.support.shops import create_shop
from tests.support.webhooks import SHOP, deliver_and_process

REWARDS = [
    {"key": "five_off", "cost": 500, "kind": "fixed_amount", "value": "5.00"},
    {"key": "twelve_off", "cost": 1000, "kind": "fixed_amount", "value": "12.00"},
    {"key": "ten_percent", "cost": 1000, "kind": "percentage", "value": "10"},
]


async def test_settings_are_saved_and_refused_per_field_in_the_merchants_language(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    shop = await create_shop(sessions, domain=SHOP)
    auth = bearer(mint_session_token(shop.domain))
    assert (await client.get("/api/loyalty/settings")).status_code == 401

    found = await client.get("/api/loyalty/settings", headers=auth)
    assert found.status_code == 200, found.text
    assert found.json()["enabled"] is False
    assert found.json()["currency"] == "USD"

    saved = await client.put(
        "/api/loyalty/settings",
        headers=auth,
        json={"enabled": True, "per_currency": {"points": "2"}, "rewards": REWARDS},
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["per_currency"] == {"enabled": True, "points": "2"}
    assert [r["key"] for r in saved.json()["rewards"]] == ["five_off", "twelve_off", "ten_percent"]

    refused = await client.put(
        "/api/loyalty/settings?locale=fr",
        headers=auth,
        json={"rewards": [{"key": "big", "cost": 100, "kind": "percentage", "value": "150"}]},
    )
    assert refused.status_code == 400
    [problem] = refused.json()["problems"]
    assert problem["field"] == "rewards.0.value"
    assert "pourcentage" in problem["message"]
    negative = await client.put(
        "/api/loyalty/settings", headers=auth, json={"tiers": [{"key": "gold"}]}
    )
    assert negative.status_code == 400
    fields = {p["field"] for p in negative.json()["problems"]}
    assert {"tiers.0.name_en", "tiers.0.name_fr", "tiers.0.threshold"} <= fields
    # Nothing refused was stored.
    again = await client.get("/api/loyalty/settings", headers=auth)
    assert len(again.json()["rewards"]) == 3


async def test_a_customers_page_and_a_manual_adjustment_by_the_tokens_user(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    shop = await create_shop(sessions, domain=SHOP)
    auth = bearer(mint_session_token(shop.domain, user_id=4242))
    await client.put(
        "/api/loyalty/settings", headers=auth, json={"enabled": True, "rewards": REWARDS}
    )
    body = paid_order(order_id=71, customer_id=7_000_071, email="mae@example.com")
    await deliver_and_process(
        client,
        settings.model_copy(update={"customer_sync_flush_seconds": 86400.0}),
        "orders/paid",
        body,
    )
    async with sessions.begin() as session:
        customer_id = await session.scalar(
            select(Customer.id).where(Customer.shopify_id == 7_000_071)
        )
    assert customer_id is not None

    page = await client.get(f"/api/loyalty/customers/{customer_id}", headers=auth)
    assert page.status_code == 200, page.text
    data = page.json()
    assert (data["balance"], data["spendable"], data["pending"]) == (388, 388, 0)
    assert [(e["kind"], e["delta"]) for e in data["ledger"]] == [("earn", 388)]

    # No reason: refused next to the field, in French when asked.
    refused = await client.post(
        f"/api/loyalty/customers/{customer_id}/adjustments?locale=fr",
        headers=auth,
        json={"points": 50, "reason": "  ", "key": "form-1"},
    )
    assert refused.status_code == 400
    assert refused.json()["problems"][0]["field"] == "reason"
    assert refused.json()["problems"][0]["message"].startswith("Indiquez pourquoi")
    zero = await client.post(
        f"/api/loyalty/customers/{customer_id}/adjustments",
        headers=auth,
        json={"points": 0, "reason": "nothing", "key": "form-0"},
    )
    assert zero.status_code == 400
    assert zero.json()["problems"][0]["field"] == "points"

    for _ in range(2):  # the same submission twice adjusts once
        done = await client.post(
            f"/api/loyalty/customers/{customer_id}/adjustments",
            headers=auth,
            json={"points": -88, "reason": "Damaged parcel goodwill reversed", "key": "form-2"},
        )
        assert done.status_code == 201, done.text
    assert done.json()["applied"] is False
    assert done.json()["balance"] == 300
    async with sessions.begin() as session:
        entry = await session.scalar(
            select(PointsLedgerEntry).where(PointsLedgerEntry.kind == "adjust")
        )
    assert entry is not None
    assert (entry.delta, entry.actor, entry.reason) == (
        -88,
        "user:4242",
        "Damaged parcel goodwill reversed",
    )
    ledger = (await client.get(f"/api/loyalty/customers/{customer_id}", headers=auth)).json()
    assert [(e["kind"], e["delta"], e["actor"]) for e in ledger["ledger"]] == [
        ("adjust", -88, "user:4242"),
        ("earn", 388, "system"),
    ]

    # Another shop's token sees no such customer.
    other = await create_shop(sessions, domain="other.myshopify.com")
    foreign = bearer(mint_session_token(other.domain))
    assert (
        await client.get(f"/api/loyalty/customers/{customer_id}", headers=foreign)
    ).status_code == 404

    # The liability: 300 points outstanding, a point worth 12.00 / 1000 (the best fixed rate).
    owed = await client.get("/api/loyalty/liability", headers=auth)
    assert owed.status_code == 200, owed.text
    figures = owed.json()
    assert figures["outstanding"] == 300
    assert figures["members"] == 1
    assert figures["issued"] == 388
    assert figures["adjusted"] == -88
    assert figures["point_value"] == "0.012"
    assert figures["point_value_reward"]["key"] == "twelve_off"
    assert figures["liability"] == "3.60"
    assert figures["currency"] == "USD"


async def test_the_ledger_names_other_programs_reasons_in_the_merchants_language(
    client: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    shop = await create_shop(sessions, domain=SHOP)
    auth = bearer(mint_session_token(shop.domain, user_id=4242))
    saved = await client.put(
        "/api/loyalty/settings",
        headers=auth,
        json={
            "enabled": True,
            "rewards": REWARDS,
            "expiry": {"enabled": True, "inactive_months": 1},
            "notices": {"expiry_warning": False},
        },
    )
    assert saved.status_code == 200, saved.text
    await deliver_and_process(
        client,
        settings.model_copy(update={"customer_sync_flush_seconds": 86400.0}),
        "orders/paid",
        paid_order(order_id=72, customer_id=7_000_072, email="ines@example.com"),
    )
    async with sessions.begin() as session:
        customer_id = await session.scalar(
            select(Customer.id).where(Customer.shopify_id == 7_000_072)
        )
    assert customer_id is not None
    now = datetime.now(UTC)
    # What the review and referral programs give, with the reasons they write.
    for source_type, note in (
        ("review", REVIEWED),
        ("review_photo", REVIEWED_WITH_PHOTO),
        ("referral", REFERRAL_POINTS),
    ):
        async with sessions.begin() as session:
            await service.award_bonus(
                session,
                shop_id=shop.id,
                customer_id=customer_id,
                points=10,
                source_type=source_type,
                source_id="1",
                now=now,
                note=note,
            )
    # A merchant's own reason, colon and all, stays as written.
    adjusted = await client.post(
        f"/api/loyalty/customers/{customer_id}/adjustments",
        headers=auth,
        json={"points": 5, "reason": "Goodwill: late parcel", "key": "form-1"},
    )
    assert adjusted.status_code == 201, adjusted.text
    # Two months without activity: the points expire.
    async with sessions.begin() as session:
        program = await service.load_settings(session, shop.id)
        later = now + timedelta(days=62)
        assert await expiry.expire_account(session, program, shop.id, customer_id, later)

    def reasons(page: httpx.Response) -> dict[str, str | None]:
        assert page.status_code == 200, page.text
        return {e["source_type"]: e["reason"] for e in page.json()["ledger"]}

    english = reasons(await client.get(f"/api/loyalty/customers/{customer_id}", headers=auth))
    assert english["inactivity"] == "Points expired after a period without earning or spending"
    assert english["review"] == "Points for a product review"
    assert english["review_photo"] == "Bonus points for a review with a photo"
    assert english["referral"] == "Points for a friend's qualifying order"
    assert "Goodwill: late parcel" in english.values()
    french = reasons(
        await client.get(f"/api/loyalty/customers/{customer_id}?locale=fr", headers=auth)
    )
    assert french["inactivity"] == "Points expirés après une période sans gain ni utilisation"
    assert french["review"] == "Points pour un avis produit"
    assert french["review_photo"] == "Points bonus pour un avis avec photo"
    assert french["referral"] == "Points pour la commande qualifiante d'un ami"
    assert "Goodwill: late parcel" in french.values()


async def test_every_program_setting_and_the_emails_mode_round_trip_through_the_admin_api(
    client: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    shop = await create_shop(sessions, domain=SHOP)
    auth = bearer(mint_session_token(shop.domain))
    first = (await client.get("/api/loyalty/settings", headers=auth)).json()
    assert first["email_mode"] == "live"
    assert first["birthday"] == {"enabled": False, "points": 100}
    assert first["expiry"] == {"enabled": False, "inactive_months": 12, "warning_days": 14}

    wanted = {
        "email_mode": "approval",
        "birthday": {"enabled": True, "points": 250},
        "expiry": {"enabled": True, "inactive_months": 6, "warning_days": 21},
        "notices": {"points_digest": False, "digest_hours": 48, "expiry_warning": True},
    }
    saved = await client.put("/api/loyalty/settings", headers=auth, json=wanted)
    assert saved.status_code == 200, saved.text
    again = (await client.get("/api/loyalty/settings", headers=auth)).json()
    assert again["email_mode"] == "approval"
    assert again["birthday"] == wanted["birthday"]
    assert again["expiry"] == wanted["expiry"]
    assert again["notices"]["digest_hours"] == 48
    assert again["notices"]["points_digest"] is False

    refused = await client.put(
        "/api/loyalty/settings?locale=fr",
        headers=auth,
        json={"email_mode": "sometimes", "birthday": {"points": 0}},
    )
    assert refused.status_code == 400
    [problem] = refused.json()["problems"]
    assert problem["field"] == "email_mode"
    assert "Le mode des e-mails" in problem["message"]
    warning = await client.put(
        "/api/loyalty/settings", headers=auth, json={"expiry": {"warning_days": 0}}
    )
    assert warning.status_code == 400
    assert [p["field"] for p in warning.json()["problems"]] == ["expiry.warning_days"]
    # Nothing refused was stored.
    kept = (await client.get("/api/loyalty/settings", headers=auth)).json()
    assert (kept["email_mode"], kept["expiry"]["warning_days"]) == ("approval", 21)
