"""Where the catalog's scenarios are wired, once, into what the rest of the app calls: each
scenario's fact handlers onto the fact bus (the steps they schedule deferred to the commit),
its outbox hooks (the engine's defaults: subject lock, outcome on the timeline, stop on
unsubscribe and the pre-send re-check, plus its own), its templates into the template book and
its wording into the labels. The programs (app/platform/programs.py: loyalty) listen on the
same bus, after the scenarios, and add their sections to data requests and redactions. Every
session of the process carries the result (see
`session_info`): no module registers anything when it is imported."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app import facts
from app.compliance import registry as compliance
from app.db.engine import create_sessionmaker
from app.inbox import backlog
from app.messaging import defaults, guards, structured
from app.messaging.defaults import TemplateBook, TemplateSource
from app.messaging.i18n import Locale
from app.messaging.structured import EmailBook, StructuredDefault
from app.platform.program import Program
from app.platform.programs import PROGRAMS
from app.scenarios import engine
from app.scenarios.catalog import CATALOG
from app.scenarios.labels import Labels
from app.scenarios.scheduling import defer_steps


@dataclass(frozen=True)
class Platform:
    catalog: engine.Catalog
    facts: facts.FactBus
    outbox: guards.OutboxHooks
    templates: TemplateBook
    labels: Labels
    programs: tuple[Program, ...] = ()
    # The steps a merchant can edit as fields (the template editor's simple form).
    emails: EmailBook = field(default_factory=lambda: EmailBook({}))

    def session_info(self, *, inbox: backlog.InboxChecks = backlog.DEFAULT) -> dict[str, Any]:
        """What each session of the process carries."""
        return {
            backlog.SESSION_KEY: inbox,
            facts.SESSION_KEY: self.facts,
            guards.SESSION_KEY: self.outbox,
            defaults.SESSION_KEY: self.templates,
            structured.SESSION_KEY: self.emails,
            compliance.SESSION_KEY: tuple(
                section for program in self.programs for section in program.compliance
            ),
            engine.ORDER_SUBJECTS_KEY: engine.order_subjects(self.catalog),
        }

    def sessionmaker(
        self, db: AsyncEngine, *, inbox: backlog.InboxChecks = backlog.DEFAULT
    ) -> async_sessionmaker[AsyncSession]:
        return create_sessionmaker(db, info=self.session_info(inbox=inbox))


def _on_fact(handler: engine.FactHandler) -> facts.Listener[Any]:
    async def listener(session: AsyncSession, fact: Any) -> None:
        defer_steps(session, await handler(session, fact, datetime.now(UTC)))

    return listener


def _hooks(scenario: engine.Scenario[Any, Any]) -> guards.ScenarioHooks:
    return guards.ScenarioHooks(
        guard=engine.still_wanted(scenario),
        lock_subject=engine.lock_subject(scenario),
        on_engaged=scenario.hooks.on_engaged,
        on_unsubscribed=engine.stop_on_unsubscribe(scenario),
        on_send_outcome=engine.outcome_on_timeline(scenario),
    )


def _templates(
    catalog: engine.Catalog, programs: tuple[Program, ...] = ()
) -> Mapping[tuple[str, int, Locale], TemplateSource]:
    book: dict[tuple[str, int, Locale], TemplateSource] = dict(defaults.DEFAULTS)
    for scenario in catalog:
        for (step, locale), source in scenario.content.templates.items():
            book[(scenario.key, step, locale)] = source
    for program in programs:
        for (step, locale), source in program.templates.items():
            book[(program.key, step, locale)] = source
    return book


def _emails(
    catalog: engine.Catalog, programs: tuple[Program, ...] = ()
) -> Mapping[tuple[str, int, Locale], StructuredDefault]:
    return {
        **{
            (scenario.key, step, locale): email
            for scenario in catalog
            for (step, locale), email in scenario.content.emails.items()
        },
        **{
            (program.key, step, locale): email
            for program in programs
            for (step, locale), email in program.emails.items()
        },
    }


def _check_programs(programs: tuple[Program, ...]) -> None:
    keys = [program.key for program in programs]
    sections = [section.name for program in programs for section in program.compliance]
    for names, what in ((keys, "program"), (sections, "compliance section")):
        if len(set(names)) != len(names):
            raise ValueError(f"each {what} needs a name of its own (now {', '.join(names)})")


def compose(catalog: engine.Catalog, programs: tuple[Program, ...] = PROGRAMS) -> Platform:
    _check_programs(programs)
    bus = facts.FactBus()
    for scenario in catalog:
        for fact_type, handler in {**scenario.starts_on, **scenario.stops_on}.items():
            bus.subscribe(fact_type, _on_fact(handler))
    for program in programs:
        for fact_type, listener in program.listens.items():
            bus.subscribe(fact_type, listener)
    return Platform(
        catalog=catalog,
        programs=programs,
        facts=bus,
        outbox=guards.OutboxHooks(
            {
                **{s.key: _hooks(s) for s in catalog},
                **{
                    p.key: guards.ScenarioHooks(guard=p.guard, on_send_outcome=p.on_send_outcome)
                    for p in programs
                    if p.guard or p.on_send_outcome
                },
            }
        ),
        templates=TemplateBook(_templates(catalog, programs)),
        emails=EmailBook(_emails(catalog, programs)),
        labels=Labels(
            kinds_by_scenario={
                **{s.key: s.content.kinds for s in catalog},
                **{p.key: p.kinds for p in programs if p.kinds},
            },
            reasons_by_scenario={
                **{s.key: s.content.reasons for s in catalog},
                **{p.key: p.reasons for p in programs},
            },
        ),
    )


# The platform of this build: the shipped catalog and programs, wired.
PLATFORM = compose(CATALOG, PROGRAMS)
