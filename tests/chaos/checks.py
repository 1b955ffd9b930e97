"""What must hold after the chaos run, read from the simulator, the SMTP server and the
database. Each check returns its figures and its violations; the test prints every figure."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from devstore.server import Simulator
from tests.chaos.harness import Dropped, Received


@dataclass
class Check:
    name: str
    figures: dict[str, Any] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    skipped: str | None = None

    def report(self) -> str:
        state = (
            f"SKIPPED ({self.skipped})"
            if self.skipped
            else ("ok" if not self.violations else f"FAILED ({len(self.violations)})")
        )
        lines = [f"{self.name}: {state}"]
        lines += [f"    {key}: {value}" for key, value in self.figures.items()]
        lines += [f"    ! {violation}" for violation in self.violations[:15]]
        if len(self.violations) > 15:
            lines.append(f"    ! ... and {len(self.violations) - 15} more")
        return "\n".join(lines)


async def webhooks_once(conn: AsyncConnection, sim: Simulator, app_url: str) -> Check:
    """Every delivery the app acknowledged is stored exactly once, and every stored event is
    processed (none left `received`, none `failed`)."""
    check = Check("webhooks stored exactly once, every event processed")
    deliveries = [d for d in sim.webhooks.deliveries if d.url.startswith(app_url)]
    acknowledged = {(d.shop, d.webhook_id) for d in deliveries if d.delivered}
    given_up = [d for d in deliveries if not d.delivered]
    rows = (
        await conn.execute(
            text(
                "SELECT s.domain, e.webhook_id, count(*) FROM webhook_events e "
                "JOIN shops s ON s.id = e.shop_id GROUP BY s.domain, e.webhook_id"
            )
        )
    ).all()
    stored = {(domain, webhook_id): count for domain, webhook_id, count in rows}
    statuses = dict(
        (await conn.execute(text("SELECT status, count(*) FROM webhook_events GROUP BY 1"))).all()
    )
    twice = {key: n for key, n in stored.items() if n > 1}
    missing = acknowledged - set(stored)
    attempts = [a for d in deliveries for a in d.attempts]
    check.figures.update(
        deliveries=len(deliveries),
        acknowledged=len(acknowledged),
        posts=len(attempts),
        duplicate_posts=sum(1 for a in attempts if a.duplicate),
        failed_attempts_retried_by_shopify=sum(1 for a in attempts if not a.ok and not a.duplicate),
        given_up_by_shopify=len(given_up),
        stored_rows=sum(stored.values()),
        synthetic_rows=sum(1 for _, w in stored if w.startswith("reconcile:")),
        stored_twice=len(twice),
        acknowledged_not_stored=len(missing),
        statuses=statuses,
    )
    check.violations += [f"stored {n} times: {key}" for key, n in twice.items()]
    check.violations += [f"acknowledged, not stored: {key}" for key in sorted(missing)]
    for status, count in statuses.items():
        if status != "processed":
            check.violations.append(f"{count} events left {status}")
    return check


_RESOURCE = {
    "orders": ("orders", "shopify_id", "id"),
    "checkouts": ("checkouts", "token", "token"),
    "customers": ("customers", "shopify_id", "id"),
}


async def reconciled(conn: AsyncConnection, dropped: list[Dropped], *, reconciler: bool) -> Check:
    """Every change whose webhook never came (dropped, or given up by Shopify) reached the
    app anyway: its copy of the order, checkout or customer is at least that version."""
    check = Check("missing events reconciled")
    behind: list[str] = []
    kinds: Counter[str] = Counter()
    installed = {
        row[0]: row[1]
        for row in (await conn.execute(text("SELECT domain, installed_at FROM shops"))).all()
    }
    before_install = 0
    for item in dropped:
        family = item.event.topic.split("/", 1)[0]
        domain = item.shop if "." in item.shop else f"{item.shop}.myshopify.com"
        updated_at = item.event.payload.get("updated_at")
        since = installed.get(domain)
        if updated_at and since and datetime.fromisoformat(str(updated_at)) < since:
            # The store's history from before the install (lapsed customers' old orders): the
            # reconciler reads back from the install on, as Shopify sends webhooks from it on.
            before_install += 1
            continue
        if family not in _RESOURCE:
            kinds["other topics"] += 1
            continue
        kinds[family] += 1
        table, column, key = _RESOURCE[family]
        value = item.event.payload.get(key)
        updated = item.event.payload.get("updated_at")
        if value is None or updated is None:
            continue
        row = (
            await conn.execute(
                text(
                    f"SELECT t.shopify_updated_at FROM {table} t JOIN shops s ON s.id = t.shop_id "  # noqa: S608
                    f"WHERE s.domain = :shop AND t.{column} = :value"
                ),
                {
                    "shop": domain,
                    "value": value if family == "checkouts" else int(value),
                },
            )
        ).first()
        wanted = datetime.fromisoformat(str(updated))
        if row is None or row[0] is None or row[0] < wanted:
            held = "no row" if row is None else f"app has {row[0]}"
            behind.append(
                f"{item.shop} {item.event.topic} {key}={value} updated_at={updated} ({held})"
            )
    check.figures.update(
        dropped=len(dropped),
        changed_before_the_install=before_install,
        by_resource=dict(kinds),
        app_copy_behind=len(behind),
    )
    if reconciler:
        check.violations += behind
    else:
        check.skipped = "no reconciler on this branch (app/reconcile): dropped changes stay lost"
    return check


@dataclass(frozen=True)
class Sent:
    """A received email joined to its outbox row by Message-ID."""

    received: Received
    shop: str
    scenario: str
    subject_key: str
    step: int
    to: str
    code: str | None
    sending_started_at: datetime | None


async def join_emails(
    conn: AsyncConnection, received: list[Received]
) -> tuple[list[Sent], list[Received]]:
    rows = (
        await conn.execute(
            text(
                "SELECT m.message_id_header, s.domain, m.scenario, m.subject_key, m.step, "
                "m.to_address, m.context->>'discount_code', m.sending_started_at "
                "FROM messages m JOIN shops s ON s.id = m.shop_id "
                "WHERE m.message_id_header IS NOT NULL"
            )
        )
    ).all()
    by_header = {row[0].strip(): row for row in rows}
    joined: list[Sent] = []
    unmatched: list[Received] = []
    for item in received:
        row = by_header.get(item.message_id)
        if row is None:
            unmatched.append(item)
            continue
        joined.append(Sent(item, row[1], row[2], row[3], row[4], row[5], row[6], row[7]))
    return joined, unmatched


def emails_once_and_in_order(sent: list[Sent], unmatched: list[Received]) -> Check:
    check = Check("no email twice, none out of order")
    per_message = Counter((s.shop, s.scenario, s.subject_key, s.step, s.to) for s in sent)
    twice = {key: n for key, n in per_message.items() if n > 1}
    runs: dict[tuple[str, str, str], dict[int, datetime]] = defaultdict(dict)
    for s in sent:
        first = runs[(s.shop, s.scenario, s.subject_key)].get(s.step)
        if first is None or s.received.at < first:
            runs[(s.shop, s.scenario, s.subject_key)][s.step] = s.received.at
    overtaken: list[str] = []
    for run, steps in runs.items():
        for step, at in steps.items():
            previous = steps.get(step - 1)
            if previous is not None and at < previous:
                overtaken.append(f"{run}: step {step} at {at:%H:%M:%S.%f} before step {step - 1}")
    check.figures.update(
        received=len(sent) + len(unmatched),
        by_scenario_step=dict(sorted(Counter(f"{s.scenario}#{s.step}" for s in sent).items())),
        runs_emailed=len(runs),
        not_matching_an_outbox_row=len(unmatched),
        sent_twice=len(twice),
        step_before_previous=len(overtaken),
    )
    check.violations += [f"received {n} times: {key}" for key, n in twice.items()]
    check.violations += [f"unknown Message-ID {r.message_id} to {r.to}" for r in unmatched]
    check.violations += overtaken
    return check


async def none_after_order(conn: AsyncConnection, sent: list[Sent]) -> Check:
    """No cart reminder leaves once its order is in webhook_events: the outbox's hand-off
    (sending_started_at, the moment after its last check) is before the first stored order or
    completed-checkout event of the same checkout. The SMTP arrival time against the same
    moment is printed too."""
    check = Check("no reminder after its order")
    rows = (
        await conn.execute(
            text(
                "SELECT s.domain, "
                "coalesce(e.body::jsonb->>'checkout_token', e.body::jsonb->>'token'), "
                "min(e.received_at) FROM webhook_events e JOIN shops s ON s.id = e.shop_id "
                "WHERE e.topic IN ('orders/create', 'orders/paid') "
                "OR (e.topic LIKE 'checkouts/%' AND e.body::jsonb->>'completed_at' IS NOT NULL) "
                "GROUP BY 1, 2"
            )
        )
    ).all()
    ordered = {(shop, token): at for shop, token, at in rows if token}
    cart = [s for s in sent if s.scenario == "abandoned_cart"]
    left_after: list[str] = []
    arrived_after = 0
    for s in cart:
        stored = ordered.get((s.shop, s.subject_key))
        if stored is None:
            continue
        if s.received.at > stored:
            arrived_after += 1
        if s.sending_started_at is not None and s.sending_started_at > stored:
            left_after.append(
                f"{s.shop} checkout {s.subject_key} step {s.step}: handed off "
                f"{s.sending_started_at:%H:%M:%S.%f}, order stored {stored:%H:%M:%S.%f}"
            )
    check.figures.update(
        cart_emails=len(cart),
        cart_emails_whose_checkout_was_bought=sum(
            1 for s in cart if (s.shop, s.subject_key) in ordered
        ),
        handed_off_after_order_stored=len(left_after),
        smtp_arrival_after_order_stored=arrived_after,
    )
    check.violations += left_after
    return check


async def codes_exist_once(conn: AsyncConnection, sim: Simulator, sent: list[Sent]) -> Check:
    check = Check("no code created twice, every emailed code exists")
    shops = sorted(
        {s.shop for s in sent}
        | {d for (d,) in (await conn.execute(text("SELECT domain FROM shops"))).all()}
    )
    at_shopify: dict[str, Counter[str]] = {}
    for shop in shops:
        at_shopify[shop] = Counter(code.upper() for code in sim.codes(shop))
    created_twice = [
        f"{shop}: {code} x{n}"
        for shop, counts in at_shopify.items()
        for code, n in counts.items()
        if n > 1
    ]
    issued = (
        await conn.execute(
            text(
                "SELECT s.domain, r.scenario, r.subject_key, r.issued_codes FROM scenario_runs r "
                "JOIN shops s ON s.id = r.shop_id WHERE cardinality(r.issued_codes) > 0"
            )
        )
    ).all()
    issued_twice = [
        f"{shop} {scenario} {key}: {codes}"
        for shop, scenario, key, codes in issued
        if len(codes) != len(set(codes))
    ]
    emailed = {(s.shop, s.code.upper()) for s in sent if s.code}
    missing = sorted(
        f"{shop}: {code}" for shop, code in emailed if code not in at_shopify.get(shop, {})
    )
    check.figures.update(
        codes_at_shopify=sum(sum(c.values()) for c in at_shopify.values()),
        codes_issued_to_runs=sum(len(codes) for *_, codes in issued),
        codes_emailed=len(emailed),
        created_twice=len(created_twice),
        issued_twice_to_one_run=len(issued_twice),
        emailed_not_at_shopify=len(missing),
    )
    check.violations += (
        created_twice + issued_twice + [f"emailed, not at Shopify: {m}" for m in missing]
    )
    return check


async def attribution_before_order(conn: AsyncConnection) -> Check:
    """Every conversion has a message of its run that left before the order was placed (at
    the second: Shopify's timestamps have no fraction, so a message sent at 12:00:01.153 is
    before an order stamped 12:00:01 that was placed after it)."""
    check = Check("no attribution to a message sent after the order")
    rows = (
        await conn.execute(
            text(
                "SELECT c.id, c.scenario, c.attributed_via, o.placed_at, "
                "(SELECT min(date_trunc('second', coalesce(m.sent_at, m.sending_started_at))) "
                "FROM messages m "
                " WHERE m.shop_id = r.shop_id AND m.scenario = r.scenario "
                " AND m.subject_key = r.subject_key AND m.status IN ('sent', 'unconfirmed')) "
                "FROM scenario_conversions c JOIN orders o ON o.id = c.order_id "
                "JOIN scenario_runs r ON r.id = c.run_id"
            )
        )
    ).all()
    late = [
        f"conversion {cid} ({scenario} via {via}): first message {first}, order placed {placed}"
        for cid, scenario, via, placed, first in rows
        if first is None or placed is None or first > placed
    ]
    check.figures.update(
        conversions=len(rows),
        by_scenario=dict(Counter(row[1] for row in rows)),
        credited_to_a_later_message=len(late),
    )
    check.violations += late
    return check
