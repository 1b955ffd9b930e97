"""Per-table exporters and erasers of one customer's personal data. Each feature that stores
customer data registers both, so data requests and redactions cover it: the built-in sections
with `exports` / `erases`, programs as `Section`s the composition root puts on every session
(app/platform/composition.py), beside the fact bus."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable


@dataclass(frozen=True)
class DataSubject:
    """Whose data: one customer of one shop, known by id, email and orders."""

    shop_id: int
    customer_shopify_id: int | None
    email: str | None
    order_shopify_ids: tuple[int, ...] = ()


Exporter = Callable[[AsyncSession, DataSubject], Awaitable[list[dict[str, Any]]]]
Eraser = Callable[[AsyncSession, DataSubject], Awaitable[int]]
Completer = Callable[[AsyncSession, DataSubject], Awaitable[DataSubject]]


@dataclass(frozen=True)
class Section:
    """A program's section of data requests and redactions."""

    name: str
    export: Exporter
    erase: Eraser


# Where a session carries its process's program sections (app.platform.composition puts them).
SESSION_KEY = "boomerang.compliance_sections"


class NoComplianceSections(RuntimeError):
    """A data request or redaction ran on a session built without the process's programs:
    their data would be left out. Sessions come from app.platform (Resources.sessions)."""


def _sections(session: AsyncSession) -> tuple[Section, ...]:
    sections = session.info.get(SESSION_KEY)
    if not isinstance(sections, tuple):
        raise NoComplianceSections(
            "this session carries no compliance sections: build it with app.platform"
        )
    return sections


_EXPORTERS: dict[str, Exporter] = {}
_ERASERS: dict[str, Eraser] = {}
_COMPLETERS: list[Completer] = []


def completes(completer: Completer) -> Completer:
    """Register a step that adds to a subject what its data is found by, before any section
    reads or erases it (app.compliance.commerce adds the orders found by email or customer, by
    id: once the orders eraser has erased the email, the sections after it still find them)."""
    _COMPLETERS.append(completer)
    return completer


async def _completed(session: AsyncSession, subject: DataSubject) -> DataSubject:
    for complete in _COMPLETERS:
        subject = await complete(session, subject)
    return subject


def exports(section: str) -> Callable[[Exporter], Exporter]:
    def register(exporter: Exporter) -> Exporter:
        if section in _EXPORTERS:
            raise RuntimeError(f"{section} already has an exporter")
        _EXPORTERS[section] = exporter
        return exporter

    return register


def erases(section: str) -> Callable[[Eraser], Eraser]:
    def register(eraser: Eraser) -> Eraser:
        if section in _ERASERS:
            raise RuntimeError(f"{section} already has an eraser")
        _ERASERS[section] = eraser
        return eraser

    return register


async def export_customer_data(
    session: AsyncSession, subject: DataSubject
) -> dict[str, list[dict[str, Any]]]:
    subject = await _completed(session, subject)
    exported = {
        section: await exporter(session, subject) for section, exporter in _EXPORTERS.items()
    }
    for program_section in _sections(session):
        exported[program_section.name] = await program_section.export(session, subject)
    return exported


async def erase_customer_data(session: AsyncSession, subject: DataSubject) -> dict[str, int]:
    """Rows touched per section. Idempotent: erasing twice leaves the same rows."""
    subject = await _completed(session, subject)
    erased = {section: await eraser(session, subject) for section, eraser in _ERASERS.items()}
    for program_section in _sections(session):
        erased[program_section.name] = await program_section.erase(session, subject)
    return erased


async def rows_changed(session: AsyncSession, statement: Executable) -> int:
    """Run an UPDATE or DELETE (no ORM session sync: erasers touch rows not loaded) and count
    the rows it touched."""
    result = await session.execute(statement.execution_options(synchronize_session=False))
    return int(result.rowcount)  # type: ignore[attr-defined]


def json_safe(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value
