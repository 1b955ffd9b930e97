"""What a program (an always-on domain such as loyalty, as opposed to a scenario's run of
steps) hands the composition root: the facts it listens to, its sections of customer
data requests and redactions, and the default templates of its emails. Declaring one
registers nothing; the composition root wires the programs `app.platform.programs` lists."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.compliance.registry import Section
from app.facts import Listener
from app.i18n import Locale, Text
from app.messaging.defaults import TemplateSource
from app.messaging.guards import Guard, OutcomeListener
from app.messaging.structured import StructuredDefault


@dataclass(frozen=True)
class Program:
    key: str
    # Fact type -> the listener run in the publishing transaction (after the scenarios').
    listens: Mapping[type[Any], Listener[Any]] = field(default_factory=dict)
    compliance: tuple[Section, ...] = ()
    # Labels (English and French) of the reason codes it records, which the admin shows.
    reasons: Mapping[str, Text] = field(default_factory=dict)
    # Default templates of the emails it queues in the outbox under its key, by (step,
    # locale): they join the template book as a scenario's do, so the merchant can override
    # them and the modes, consent, caps and quiet hours apply the same way.
    templates: Mapping[tuple[int, Locale], TemplateSource] = field(default_factory=dict)
    # The structured fields those templates compile from, where it has them (the template
    # editor's simple form and its "reset to default"), by (step, locale).
    emails: Mapping[tuple[int, Locale], StructuredDefault] = field(default_factory=dict)
    # Re-checks one of its emails when it is about to leave (after quiet hours, the frequency
    # cap or the merchant's approval held it): a reason to suppress it, or None.
    guard: Guard | None = None
    # Told what became of each of its emails (to write it on the customer's timeline).
    on_send_outcome: OutcomeListener | None = None
    # Wording (English and French) of the timeline kinds it records.
    kinds: Mapping[str, Text] = field(default_factory=dict)
