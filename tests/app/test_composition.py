"""What each process wires at start-up. Importing the app registers nothing anywhere (checked
in a fresh interpreter, since the test process has imported everything by now); the process
context it builds hands every session the catalog's scenarios: their outbox hooks and their
fact subscriptions."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from fastapi import FastAPI

from app.compliance import registry as compliance
from app.facts import (
    CheckoutChanged,
    CustomerChanged,
    CustomerCreated,
    OrderCancelled,
    OrderPaid,
    OrderPlaced,
    RefundCreated,
    bus_of,
)
from app.loyalty.listeners import LOYALTY
from app.messaging.guards import hooks_of
from app.platform.composition import compose
from app.platform.programs import PROGRAMS
from app.platform.resources import Resources
from app.scenarios.catalog import CATALOG

REPO = Path(__file__).resolve().parents[2]


def _fresh(code: str) -> str:
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()


def test_importing_the_app_and_the_worker_leaves_no_module_global_registry() -> None:
    # The registries the scenarios used to fill when imported, and the calls that filled them.
    former = (
        "_LISTENERS _REGISTRY _GUARDS _ENGAGED _UNSUBSCRIBED _SUBJECT_LOCKS _OUTCOMES "
        "subscribe register guards on_engagement on_unsubscribe locks_subject on_send_outcome"
    )
    out = _fresh(
        "import app.main, jobs.registry, app.facts, app.messaging.guards, app.scenarios.engine; "
        "from webhooks.registry import handler_for; "
        "modules = (app.facts, app.messaging.guards, app.scenarios.engine); "
        f"print([n for n in {former.split()!r} for m in modules if hasattr(m, n)], "
        "handler_for('checkouts/update') is not None)"
    )
    assert out == "[] True"


def test_the_web_apps_sessions_carry_every_scenarios_hooks_and_subscriptions(app: FastAPI) -> None:
    # The click and open routes live in the web process: its clicks must reach the scenarios.
    # A merchant's rejection in the approval queue is told to the scenario there too.
    resources: Resources = app.state.resources
    session = resources.sessions()
    hooks = hooks_of(session)
    complete = sorted(
        key
        for key, h in hooks.by_scenario.items()
        if h.guard and h.lock_subject and h.on_unsubscribed and h.on_send_outcome
    )
    assert complete == CATALOG.sorted_keys()
    assert {"abandoned_cart", "winback"} <= set(complete)
    assert hooks.of("abandoned_cart").on_engaged is not None
    bus = bus_of(session)
    # Each fact reaches every scenario that declares it (an order: the cart and win-back),
    # then every program that listens to it (a customer: loyalty's guest points).
    declared = [
        sum(1 for s in CATALOG if f in {**s.starts_on, **s.stops_on})
        + sum(1 for p in PROGRAMS if f in p.listens)
        for f in (CheckoutChanged, OrderPlaced, CustomerChanged)
    ]
    assert [len(bus.listeners(f)) for f in (CheckoutChanged, OrderPlaced, CustomerChanged)] == (
        declared
    )
    assert declared[1] >= 2


def test_the_programs_listen_on_the_same_bus_and_carry_their_compliance_sections(
    app: FastAPI,
) -> None:
    resources: Resources = app.state.resources
    session = resources.sessions()
    assert [program.key for program in resources.platform.programs] == [
        "loyalty",
        "referral",
        "reviews",
    ]
    bus = bus_of(session)
    for fact_type, listener in LOYALTY.listens.items():
        assert listener in bus.listeners(fact_type), fact_type
    assert {OrderPaid, RefundCreated, OrderCancelled, CustomerCreated} <= set(LOYALTY.listens)
    assert [s.name for s in session.info[compliance.SESSION_KEY]] == [
        "loyalty",
        "referrals",
        "reviews",
    ]
    # The referral program's emails are in the template book, in both languages.
    for step in (1, 2):
        for locale in ("en", "fr"):
            assert resources.platform.templates.source("referral", step, locale) is not None


def test_two_programs_with_one_key_are_refused() -> None:
    with pytest.raises(ValueError, match="each program needs a name of its own"):
        compose(CATALOG, (LOYALTY, LOYALTY))
