"""The program's time-based rules, run by the worker's hourly pass (jobs.loyalty.apply_time_rules):
points expire after N months without earning or spending (with a warning email 14 days
before), and birthday points come once a year from the date the shopper gave through the app
proxy. Read back as ledger rows, emails at a real SMTP server, and `verify`."""

from __future__ import annotations

import json
import time as clock
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.loyalty import content, service
from app.loyalty.verify import verify
from app.loyalty.windows import months_before
from app.models import Customer, Message, PointsLedgerEntry, Shop
from app.platform.resources import Resources
from app.queue import JobContext
from app.settings import Settings
from devstore.app_proxy import AppProxy
from jobs.loyalty import apply_time_rules
from jobs.messages import send_message
from tests.app.loyalty.conftest import configure
from tests.conftest import TEST_API_SECRET
from tests.messaging.conftest import Inbox, make_customer, make_shop, start_inbox
from tests.support.sending import send_at_any_hour
from tests.support.services import on_a_free_port

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    handler, controller = on_a_free_port(start_inbox)
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def settings(settings: Settings, inbox: Inbox) -> Settings:
    return settings.model_copy(
        update={
            "smtp_url": SecretStr(f"smtp://127.0.0.1:{inbox.port}"),
            "customer_sync_flush_seconds": 86400.0,
        }
    )


@pytest.fixture
def resources(app: object) -> Resources:
    found: Resources = app.state.resources  # type: ignore[attr-defined]
    return found


async def _shop(sessions: async_sessionmaker[AsyncSession]) -> Shop:
    shop = await make_shop(sessions)
    async with sessions.begin() as session:
        await send_at_any_hour(session, shop.id, max_per_day=20)
    return shop


async def _give(
    sessions: async_sessionmaker[AsyncSession],
    shop: Shop,
    customer: Customer,
    points: int,
    at: datetime,
    key: str,
) -> None:
    async with sessions.begin() as session:
        await service.adjust_points(
            session,
            shop_id=shop.id,
            customer_id=customer.id,
            delta=points,
            reason="goodwill",
            actor=service.merchant_actor(1),
            key=key,
            now=at,
        )


async def _entries(
    sessions: async_sessionmaker[AsyncSession], customer: Customer
) -> list[tuple[str, str, int]]:
    async with sessions() as session:
        rows = await session.scalars(
            select(PointsLedgerEntry)
            .where(PointsLedgerEntry.customer_id == customer.id)
            .order_by(PointsLedgerEntry.id)
        )
        return [(e.kind, e.source_type, e.delta) for e in rows]


async def test_points_expire_after_the_inactive_months_once(resources: Resources) -> None:
    sessions = resources.sessions
    shop = await _shop(sessions)
    await configure(sessions, shop.id, enabled=True, expiry={"enabled": True, "inactive_months": 6})
    dormant = await make_customer(sessions, shop)
    active = await make_customer(sessions, shop)
    await _give(sessions, shop, dormant, 300, months_before(NOW, 7), "d1")
    await _give(sessions, shop, dormant, 200, months_before(NOW, 6) - timedelta(days=1), "d2")
    await _give(sessions, shop, active, 400, months_before(NOW, 8), "a1")
    await _give(sessions, shop, active, -100, months_before(NOW, 1), "a2")  # spending is activity
    unreachable = await make_customer(sessions, shop)
    async with sessions.begin() as session:
        row = await session.get(Customer, unreachable.id)
        assert row is not None
        row.email = None
    await _give(sessions, shop, unreachable, 80, months_before(NOW, 7), "u1")

    await apply_time_rules(resources, NOW)
    # Turned on over an account dormant for months: warned first, its points kept 14 days.
    assert [k for k, _s, _d in await _entries(sessions, dormant)] == ["adjust", "adjust"]
    await apply_time_rules(resources, NOW + timedelta(days=15))
    await apply_time_rules(resources, NOW + timedelta(days=15, hours=1))  # the next pass

    assert await _entries(sessions, dormant) == [
        ("adjust", "manual", 300),
        ("adjust", "manual", 200),
        ("expire", "inactivity", -500),
    ]
    assert [kind for kind, _s, _d in await _entries(sessions, active)] == ["adjust", "adjust"]
    # No email to warn: expired at the rule's date, on the first pass.
    assert (await _entries(sessions, unreachable))[-1] == ("expire", "inactivity", -80)
    async with sessions() as session:
        report = await verify(session)
    assert report.differences == []

    # An expiry that took more than was held is what verify reports (tampering no code does).
    async with sessions.begin() as session:
        await session.execute(
            update(PointsLedgerEntry).where(PointsLedgerEntry.kind == "expire").values(delta=-700)
        )
    async with sessions() as session:
        tampered = await verify(session)
    assert any("took 700 points of the 500 held" in d.what for d in tampered.differences)
    async with sessions.begin() as session:
        await session.execute(
            update(PointsLedgerEntry).where(PointsLedgerEntry.kind == "expire").values(delta=-500)
        )

    # Active again, then dormant again: a new stretch, a new expiry.
    later = NOW + timedelta(days=20)
    await _give(sessions, shop, dormant, 50, later, "d3")
    await apply_time_rules(resources, months_before(later, -6) - timedelta(days=13))  # warned
    await apply_time_rules(resources, months_before(later, -6) + timedelta(days=1))
    assert (await _entries(sessions, dormant))[-1] == ("expire", "inactivity", -50)
    async with sessions() as session:
        warned = list(
            await session.scalars(
                select(Message.subject_key).where(
                    Message.customer_id == dormant.id, Message.step == content.EXPIRY_WARNING
                )
            )
        )
    assert len(warned) == 2  # one warning per stretch of inactivity


async def test_expiry_is_off_by_default(resources: Resources) -> None:
    sessions = resources.sessions
    shop = await _shop(sessions)
    await configure(sessions, shop.id, enabled=True)
    customer = await make_customer(sessions, shop)
    await _give(sessions, shop, customer, 300, months_before(NOW, 30), "old")
    await apply_time_rules(resources, NOW)
    assert await _entries(sessions, customer) == [("adjust", "manual", 300)]


async def test_a_warning_email_goes_fourteen_days_before_expiry_once(
    resources: Resources, inbox: Inbox
) -> None:
    sessions = resources.sessions
    shop = await _shop(sessions)
    await configure(sessions, shop.id, enabled=True, expiry={"enabled": True, "inactive_months": 6})
    soon = await make_customer(sessions, shop, locale="fr")
    later = await make_customer(sessions, shop)
    await _give(sessions, shop, soon, 300, months_before(NOW, 6) + timedelta(days=10), "s")
    await _give(sessions, shop, later, 300, months_before(NOW, 6) + timedelta(days=20), "l")

    await apply_time_rules(resources, NOW)
    await apply_time_rules(resources, NOW + timedelta(hours=1))

    async with sessions() as session:
        warnings = list(
            await session.scalars(
                select(Message).where(
                    Message.scenario == content.PROGRAM_KEY,
                    Message.step == content.EXPIRY_WARNING,
                )
            )
        )
    assert [(m.customer_id, m.status) for m in warnings] == [(soon.id, "queued")]
    context = JobContext(job_id="t", attempt=1, resources=resources)
    assert await send_message(context, warnings[0].id) == "sent"
    [email] = inbox.messages
    assert str(email["Subject"]) == "Vos 300 points chez Acme expirent bientôt"
    # Nothing expired yet.
    assert [k for k, _s, _d in await _entries(sessions, soon)] == ["adjust"]


def _signed(path: str, shop: Shop, customer: Customer | None, **query: str) -> str:
    proxy = AppProxy(url="http://testserver/proxy")
    return proxy.forwarded_url(
        shop.domain,
        path,
        secret=TEST_API_SECRET,
        timestamp=int(clock.time()),
        customer_id=customer.shopify_id if customer else None,
        query=list(query.items()),
    )


async def test_birthday_points_once_a_year_from_the_date_given_on_the_storefront(
    resources: Resources, client: httpx.AsyncClient
) -> None:
    sessions = resources.sessions
    shop = await _shop(sessions)
    await configure(sessions, shop.id, enabled=True, birthday={"enabled": True, "points": 250})
    customer = await make_customer(sessions, shop)
    today = NOW.date()
    born = date(1990, today.month, min(today.day, 28))
    when = datetime(today.year, born.month, born.day, 12, tzinfo=UTC)

    given = await client.post(
        _signed("/loyalty/birthday", shop, customer),
        content=json.dumps({"birth_date": born.isoformat()}),
    )
    assert given.status_code == 200, given.text
    changed = await client.post(
        _signed("/loyalty/birthday", shop, customer, locale="fr"),
        content=json.dumps({"birth_date": "1991-01-01"}),
    )
    assert changed.status_code == 400
    assert "déjà enregistrée" in changed.json()["detail"]
    # Named, so the widget shows it by the date's input.
    assert [p["field"] for p in changed.json()["problems"]] == ["birth_date"]
    future = await client.post(
        _signed("/loyalty/birthday", shop, customer),
        content=json.dumps({"birth_date": f"{today.year + 1}-01-01"}),
    )
    assert future.status_code == 400
    assert [p["field"] for p in future.json()["problems"]] == ["birth_date"]
    as_guest = await client.post(
        _signed("/loyalty/birthday", shop, None), content=json.dumps({"birth_date": "1990-01-01"})
    )
    assert as_guest.status_code == 401

    await apply_time_rules(resources, when - timedelta(days=1))  # not yet
    await apply_time_rules(resources, when)
    await apply_time_rules(resources, when + timedelta(hours=1))
    await apply_time_rules(
        resources, datetime(today.year + 1, born.month, born.day, 12, tzinfo=UTC)
    )

    async with sessions() as session:
        birthdays = list(
            await session.scalars(
                select(PointsLedgerEntry.source_id).where(
                    PointsLedgerEntry.source_type == "birthday"
                )
            )
        )
    assert sorted(birthdays) == [str(today.year), str(today.year + 1)]
    page = await client.get(_signed("/loyalty", shop, customer))
    assert page.json()["customer"]["birth_date"] == born.isoformat()
    assert page.json()["customer"]["balance"] == 500
    assert any(w["key"] == "birthday" for w in page.json()["program"]["ways_to_earn"])


async def test_a_29_february_birthday_is_kept_on_28_february(resources: Resources) -> None:
    sessions = resources.sessions
    shop = await _shop(sessions)
    await configure(sessions, shop.id, enabled=True, birthday={"enabled": True, "points": 100})
    customer = await make_customer(sessions, shop)
    from app.loyalty import birthdays

    async with sessions.begin() as session:
        await birthdays.set_birthday(
            session,
            shop_id=shop.id,
            customer_id=customer.id,
            birth_date=date(2004, 2, 29),
            today=date(2027, 1, 1),
        )
    await apply_time_rules(resources, datetime(2027, 2, 28, 12, tzinfo=UTC))
    await apply_time_rules(resources, datetime(2027, 3, 1, 12, tzinfo=UTC))
    assert await _entries(sessions, customer) == [("bonus", "birthday", 100)]
