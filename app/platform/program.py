"""What a program (an always-on domain such as loyalty, as opposed to a scenario's run of
steps) hands the composition root: the facts it listens to, and its sections of customer
data requests and redactions. Declaring one registers nothing; the composition root wires the
programs `app.platform.programs` lists."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.compliance.registry import Section
from app.facts import Listener
from app.i18n import Text
from app.messaging.defaults import TemplateSource
from app.messaging.i18n import Locale


@dataclass(frozen=True)
class Program:
    key: str
    # Fact type -> the listener run in the publishing transaction (after the scenarios').
    listens: Mapping[type[Any], Listener[Any]] = field(default_factory=dict)
    compliance: tuple[Section, ...] = ()
    # Labels (English and French) of the reason codes it records, which the admin shows.
    reasons: Mapping[str, Text] = field(default_factory=dict)
    # Default emails it sends through the outbox, by (template key, step, locale).
    templates: Mapping[tuple[str, int, Locale], TemplateSource] = field(default_factory=dict)
