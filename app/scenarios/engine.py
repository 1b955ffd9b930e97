"""The scenario engine every journey runs on. A journey declares itself as a `Scenario` (its
key, settings model, triggers, steps, condition, action and content); the catalog
(app/scenarios/catalog.py) lists the declarations, and the composition root wires them. The
engine holds what they all share: one run per (shop, scenario, subject); each step run at most
once under the run's row lock after a live re-check; the run advanced or stopped (`stop_run`,
on the timeline); and the hooks every journey gets without writing them: the subject lock,
the send outcome on the timeline, the stop on unsubscribe and the outbox's last re-check.

Plain Python over the database session: no FastAPI, arq or httpx here."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.codes.offers import CodePurpose
from app.facts import CustomerChanged, OrderPlaced
from app.i18n import Text
from app.messaging.defaults import TemplateSource
from app.messaging.guards import (
    Engaged,
    Guard,
    Outcome,
    SendLater,
    SendOutcome,
    SubjectLock,
    Unsubscribed,
)
from app.messaging.i18n import Locale
from app.messaging.structured import StructuredDefault
from app.models import Message, ScenarioRun, Shop
from app.scenarios import runs, shoppers, timeline
from app.scenarios.actions import ProductsRequest, StepActions
from app.scenarios.config import MAX_ATTRIBUTION_WINDOW_DAYS, resolve
from app.scenarios.modes import Mode
from app.scenarios.runs import stop_run
from app.scenarios.settings_store import stored_options
from app.shopify.admin.types import ProductCard

S = TypeVar("S", bound=BaseModel)  # the scenario's settings model
T = TypeVar("T")  # what its condition and action read about the run's subject

# Why the engine stops a run, whichever the scenario (labels: app/scenarios/labels.py).
SHOP_TOKEN_INVALID = "shop_token_invalid"  # noqa: S105 - a timeline reason, not a secret
DISCOUNT_REFUSED = "discount_refused_by_shopify"
CUSTOMER_UNSUBSCRIBED = "customer_unsubscribed"
SEQUENCE_STOPPED = "sequence_stopped"
SHOP_UNINSTALLED = "shop_uninstalled"
STEP_TURNED_OFF = "step_turned_off"
# A step or a send waited for facts that stayed unknown for longer than MAX_WAIT_FOR_FACTS.
FACTS_UNKNOWN_TOO_LONG = "facts_unknown_too_long"
# How long a step (from when it was planned) or a send (from when it was queued) may wait on
# facts that are not known yet before the run stops: a reminder a day late helps nobody, and
# one sent on facts nobody could read may follow a purchase.
MAX_WAIT_FOR_FACTS = timedelta(hours=24)
# The timeline kind of a step that waits for facts not known yet (see NotYet).
STEP_POSTPONED = "step_postponed"
# What became of a message, as its reason on the timeline when the outbox gives none.
_OUTCOME_REASONS = {
    Outcome.SENT: "smtp_accepted",
    Outcome.REJECTED: "rejected_by_merchant",
    Outcome.DRAFTED: "dry_run",
    Outcome.HELD: "approval_mode",
}


class NotYet(Exception):
    """A scenario's condition raises this when a fact it must know is not known yet (the
    webhook inbox holds more unprocessed deliveries than a check reads): deciding now could
    send on stale facts, and stopping would lose a run that may still be wanted. The step
    runs again `retry_in` later (the first wait on the run's timeline, with `reason`); the
    outbox holds the message as long (messaging.guards.SendLater). Past MAX_WAIT_FOR_FACTS
    the run stops with FACTS_UNKNOWN_TOO_LONG."""

    def __init__(self, reason: str, retry_in: timedelta) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_in = retry_in


@dataclass(frozen=True)
class StepPlan:
    """One step of a run as the shop's settings make it."""

    key: str
    # Counted from the run's anchor (for a cart: when the checkout was last changed).
    delay: timedelta
    enabled: bool


@dataclass(frozen=True)
class StepNeeds:
    """What a step's action needs from Shopify, fetched before its transaction opens and with
    no lock held (a job waiting on Shopify with a run locked would stall the webhooks that
    wait on that run)."""

    shop_id: int
    shop_domain: str
    code: Any = None  # an app.scenarios.actions.CodeRequest
    # Product variants whose images the message shows.
    variant_ids: tuple[int, ...] = ()
    # Product cards the message shows (best-sellers).
    products: ProductsRequest | None = None


@dataclass(frozen=True)
class StepInputs:
    """What was fetched for the step: its code, image URLs by variant id, product cards."""

    code: Any = None  # an app.scenarios.actions.IssuedCode
    images: Mapping[int, str] = field(default_factory=dict)
    products: tuple[ProductCard, ...] = ()


@dataclass
class RunView(Generic[S, T]):
    """What a scenario's condition sees about a run: at each step and when the outbox makes
    its last check before a message leaves."""

    session: AsyncSession
    run: ScenarioRun
    shop: Shop
    settings: S
    subject: T
    now: datetime


@dataclass
class StepContext(RunView[S, T]):
    """Everything a step's action sees, inside the step's transaction."""

    step_index: int = 0
    step: StepPlan | None = None
    actions: StepActions | None = None
    inputs: StepInputs = field(default_factory=StepInputs)


# A fact handler: the scenario's decision about a fact, returning the steps to schedule.
FactHandler = Callable[[AsyncSession, Any, datetime], Awaitable[list[runs.DueStep]]]
# The subject key an order names for a scenario (the cart: its checkout's token), if any.
OrderSubject = Callable[[OrderPlaced], str | None]


@dataclass(frozen=True)
class Subject:
    """One subject a schedule selected: its run's key, who it is, and where the page ended
    (the keyset position the next page starts after: what the selection orders by)."""

    key: str
    customer_id: int | None
    email: str | None
    position: Any


# One page of a schedule's selection: (session, shop id, after position or None, limit, now).
SelectPage = Callable[[AsyncSession, int, Any, int, datetime], Awaitable[Sequence[Subject]]]


@dataclass(frozen=True)
class ScheduleTrigger:
    """Runs start on a schedule: every `every`, for each installed shop whose scenario is not
    paused, `select_page` is walked page by page (keyset pagination over an index, `page_size`
    at a time) and each subject it yields gets a run, once per (shop, scenario, subject key)."""

    every: timedelta
    select_page: SelectPage
    # The timeline's reason for a run this schedule starts.
    reason: str
    page_size: int = 500


@dataclass(frozen=True)
class Content:
    """What the scenario says and how it ranks, in one place (its `content.py`)."""

    # Default email templates by (step number, locale): what a new shop sends.
    templates: Mapping[tuple[int, Locale], TemplateSource] = field(default_factory=dict)
    # The steps whose email a merchant can edit as fields (subject, heading, body, button…),
    # with Boomerang's default fields; their default template is compiled from these.
    emails: Mapping[tuple[int, Locale], StructuredDefault] = field(default_factory=dict)
    # Timeline wording of this scenario: kind labels that replace the generic ones
    # ("Reminder sequence started"), and the labels of its own reasons.
    kinds: Mapping[str, Text] = field(default_factory=dict)
    reasons: Mapping[str, Text] = field(default_factory=dict)
    # When two messages are due for one shopper, the higher priority goes first.
    priority: int = 0
    # What its discount codes are for, and their title in Shopify's admin.
    code_purpose: CodePurpose | None = None
    discount_title: Text | None = None


@dataclass(frozen=True)
class Hooks:
    """A scenario's own hooks into the outbox, beside the ones the engine gives every scenario
    (subject lock, outcome on the timeline, stop on unsubscribe, the pre-send re-check)."""

    on_engaged: Engaged | None = None


async def _nothing_to_prepare(
    session: AsyncSession, run: ScenarioRun, shop: Shop, settings: Any, step_index: int
) -> StepNeeds | None:
    return None


async def _no_subject(session: AsyncSession, run: ScenarioRun, shop: Shop) -> None:
    return None


async def _always(view: RunView[Any, Any]) -> str | None:
    return None


@dataclass(frozen=True)
class Scenario(Generic[S, T]):
    """A journey's declaration: everything the engine, the admin and the outbox need."""

    key: str
    settings_model: type[S]
    # The steps for a shop's settings, in order.
    steps: Callable[[S], Sequence[StepPlan]]
    # What an enabled step does (queue a message), in the step's transaction. None lets the
    # engine advance the run; a list of steps to schedule instead means the step runs again
    # (see retry_step).
    action: Callable[[StepContext[S, T]], Awaitable[list[runs.DueStep] | None]]
    content: Content = Content()
    # Facts that may start a run (their handler may also re-time or stop it)…
    starts_on: Mapping[type[Any], FactHandler] = field(default_factory=dict)
    # …facts that only stop runs (and may attribute a conversion)…
    stops_on: Mapping[type[Any], FactHandler] = field(default_factory=dict)
    # …and a schedule that selects subjects.
    schedule: ScheduleTrigger | None = None
    # Reads the run's subject once per step, and at the outbox's last check.
    load_subject: Callable[[AsyncSession, ScenarioRun, Shop], Awaitable[T]] = _no_subject  # type: ignore[assignment]
    # The live re-check before each step and before each message leaves: a reason to stop
    # the run, or None to go on.
    condition: Callable[[RunView[S, T]], Awaitable[str | None]] = _always
    # What a step needs fetched beforehand (codes, images); None when it needs nothing.
    prepare: Callable[[AsyncSession, ScenarioRun, Shop, S, int], Awaitable[StepNeeds | None]] = (
        _nothing_to_prepare
    )
    hooks: Hooks = Hooks()
    # The subject an order names for this scenario: `runs_an_order_concerns` then finds its
    # run whatever its status (the shopper's other runs are found by customer and email).
    order_subject: OrderSubject | None = None

    def __post_init__(self) -> None:
        overlap = set(self.starts_on) & set(self.stops_on)
        if overlap:
            names = ", ".join(sorted(t.__name__ for t in overlap))
            raise ValueError(f"{self.key}: {names} both starts and stops it; declare it once")

    async def load_settings(self, session: AsyncSession, shop_id: int) -> S:
        settings = resolve(self.settings_model, await stored_options(session, shop_id, self.key))
        if not isinstance(settings, self.settings_model):  # pragma: no cover - resolve's type
            raise TypeError(f"{self.key}: settings are not a {self.settings_model.__name__}")
        return settings


class UnknownScenario(LookupError):
    pass


class Catalog:
    """The scenarios this build runs, by key: built from the explicit list in
    app/scenarios/catalog.py (or a test's own list)."""

    def __init__(self, scenarios: Iterable[Scenario[Any, Any]]) -> None:
        self._by_key: dict[str, Scenario[Any, Any]] = {}
        for scenario in scenarios:
            if scenario.key in self._by_key:
                raise ValueError(f"two scenarios are declared as {scenario.key!r}")
            self._by_key[scenario.key] = scenario

    def sorted_keys(self) -> list[str]:
        return sorted(self._by_key)

    def __iter__(self) -> Iterator[Scenario[Any, Any]]:
        return iter(self._by_key.values())

    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    def get(self, key: str) -> Scenario[Any, Any]:
        try:
            return self._by_key[key]
        except KeyError:
            raise UnknownScenario(key) from None

    def find(self, key: str) -> Scenario[Any, Any] | None:
        return self._by_key.get(key)

    def scheduled(self) -> list[Scenario[Any, Any]]:
        return [s for s in self._by_key.values() if s.schedule is not None]


# Where the composition root puts the catalog's order subjects on each session.
ORDER_SUBJECTS_KEY = "boomerang.order_subjects"
_ORDER_RUNS_KEY = "boomerang.order_runs"


class NoOrderSubjects(RuntimeError):
    """A session built without the platform's session info (app.platform) asked which runs
    an order concerns: the scenarios' subjects would be missing."""


def order_subjects(catalog: Catalog) -> tuple[tuple[str, OrderSubject], ...]:
    """The catalog's order subjects, as sessions carry them (ORDER_SUBJECTS_KEY)."""
    return tuple((s.key, s.order_subject) for s in catalog if s.order_subject is not None)


def order_probe(session: AsyncSession, fact: OrderPlaced, now: datetime) -> runs.ShopperProbe:
    """What to look for to know every run of any scenario that a new order may stop or be
    attributed to: the runs of the subjects it names (each scenario's order subject), and the
    shopper's runs still going, or sent or engaged with within the longest attribution
    window. The subjects and the shopper come from the order's payload, never from its row
    id: the orders handler asks before the row exists, to look inside its upsert."""
    declared = session.info.get(ORDER_SUBJECTS_KEY)
    if declared is None:
        raise NoOrderSubjects("this session carries no order subjects: build it with app.platform")
    placed = fact.placed_at or now
    return runs.ShopperProbe(
        shop_id=fact.shop_id,
        customer_id=fact.customer_id,
        email=fact.email,
        subjects=[(key, subject) for key, of in declared if (subject := of(fact)) is not None],
        # A second more than any window: Shopify's timestamps have whole seconds.
        since=placed - timedelta(days=MAX_ATTRIBUTION_WINDOW_DAYS, seconds=1),
    )


def keep_order_runs(session: AsyncSession, order_id: int, seen: list[runs.SeenRun]) -> None:
    """What `order_probe` found for the order `order_id`, read under the shopper's lock in
    this transaction: the listeners' `runs_an_order_concerns` answers it without a round
    trip."""
    transaction = session.sync_session.get_transaction()
    session.info[_ORDER_RUNS_KEY] = (transaction, order_id, seen)


async def runs_an_order_concerns(
    session: AsyncSession, fact: OrderPlaced, now: datetime
) -> list[runs.SeenRun]:
    """Every run of any scenario that a new order may stop or be attributed to (see
    `order_probe`). One round trip for all the scenarios listening to the order (the result
    is kept for the transaction), after the shopper's lock (usually taken with the order's
    customer already, see app/scenarios/shoppers.py); none when the orders handler looked
    inside its upsert (`keep_order_runs`). Unlocked: a scenario that finds its run locks it;
    one that finds none has nothing to do."""
    transaction = session.sync_session.get_transaction()
    kept = session.info.get(_ORDER_RUNS_KEY)
    if kept is not None and kept[0] is transaction and kept[1] == fact.order_id:
        seen: list[runs.SeenRun] = kept[2]
        return seen
    probe = order_probe(session, fact, now)
    await shoppers.serialize(session, fact.shop_id, fact.email)
    seen = await runs.runs_of_shopper(session, probe)
    keep_order_runs(session, fact.order_id, seen)
    return seen


def due_at(anchor: datetime, plan: Sequence[StepPlan], index: int) -> datetime:
    """A step is due its delay after the anchor. One that is off is passed over then, or
    with the next step that is on when that one comes sooner: the settings do not check an
    off step's delay against the others', so it must never hold the next step back."""
    due = anchor + plan[index].delay
    if plan[index].enabled:
        return due
    later = next((step for step in plan[index + 1 :] if step.enabled), None)
    return min(due, anchor + later.delay) if later is not None else due


@dataclass(frozen=True)
class Prepared:
    needs: StepNeeds | None
    # Shopify refused the shop's token: the step does no work (the job stops the run, saying so).
    token_refused: bool = False


async def prepare_step(
    session: AsyncSession, catalog: Catalog, run_id: int, step_index: int
) -> Prepared | None:
    """Phase one of a step, read without locks: what it needs fetched. None when the step is
    not due to run (already run, stopped, a stale job)."""
    run = await session.get(ScenarioRun, run_id)
    if run is None or run.status != runs.ACTIVE or run.step_index != step_index:
        return None
    scenario = catalog.get(run.scenario)
    shop = await session.get(Shop, run.shop_id)
    if shop is not None and shop.token_invalid_at is not None:
        return Prepared(None, token_refused=True)
    if shop is None or shop.uninstalled_at is not None:
        return Prepared(None)
    settings = await scenario.load_settings(session, shop.id)
    return Prepared(await scenario.prepare(session, run, shop, settings, step_index))


async def run_step(
    session: AsyncSession,
    catalog: Catalog,
    *,
    run_id: int,
    step_index: int,
    now: datetime,
    actions: StepActions,
    inputs: StepInputs,
) -> list[runs.DueStep]:
    """Run one due step, at most once: the run row is locked, the live state re-checked (a
    reason stops the run), the step's action taken (or the step skipped when it is off) and
    the run advanced, all in the caller's transaction. Returns the steps to schedule."""
    run = await runs.lock_by_id(session, run_id)
    if run is None or run.status != runs.ACTIVE or run.step_index != step_index:
        return []  # already run, stopped, or a stale job
    if run.next_step_at is not None and run.next_step_at > now:
        return [runs.DueStep(run.id, run.step_index, run.next_step_at)]  # re-timed since
    shop = await session.get(Shop, run.shop_id)
    if shop is None:
        return []
    scenario = catalog.get(run.scenario)
    settings = await scenario.load_settings(session, shop.id)
    plan = scenario.steps(settings)
    context: StepContext[Any, Any] = StepContext(
        session=session,
        run=run,
        shop=shop,
        settings=settings,
        subject=await scenario.load_subject(session, run, shop),
        now=now,
        step_index=step_index,
        step=plan[step_index] if step_index < len(plan) else None,
        actions=actions,
        inputs=inputs,
    )
    try:
        reason = await scenario.condition(context)
    except NotYet as wait:
        return await _postpone(session, run, plan, wait, now)
    if reason is not None:
        await stop_run(session, run, reason, now)
        return []
    if context.step is not None and context.step.enabled:
        instead = await scenario.action(context)
        if instead is not None:
            return instead
    else:
        await timeline.record(
            session,
            shop_id=shop.id,
            customer_id=run.customer_id,
            run_id=run.id,
            scenario=run.scenario,
            kind="step_skipped",
            step=step_index + 1,
            reason=STEP_TURNED_OFF,
            at=now,
        )
    return advance(run, plan, now)


async def _postpone(
    session: AsyncSession,
    run: ScenarioRun,
    plan: Sequence[StepPlan],
    wait: NotYet,
    now: datetime,
) -> list[runs.DueStep]:
    """The step cannot be decided yet: it runs again `wait.retry_in` later, the run's
    timeline saying why once per step (not at every retry), or the run stops when the step
    has waited past MAX_WAIT_FOR_FACTS since it was planned."""
    index = run.step_index
    planned = due_at(run.anchor_at, plan, index) if index < len(plan) else now
    if now - planned > MAX_WAIT_FOR_FACTS:
        await stop_run(session, run, FACTS_UNKNOWN_TOO_LONG, now, waited_for=wait.reason)
        return []
    again = retry_step(run, now, wait.retry_in)
    if not await timeline.recorded(
        session, shop_id=run.shop_id, run_id=run.id, kind=STEP_POSTPONED, step=index + 1
    ):
        await timeline.record(
            session,
            shop_id=run.shop_id,
            customer_id=run.customer_id,
            run_id=run.id,
            scenario=run.scenario,
            kind=STEP_POSTPONED,
            step=index + 1,
            reason=wait.reason,
            at=now,
            until=again[0].due_at.isoformat(),
        )
    return again


def advance(run: ScenarioRun, plan: Sequence[StepPlan], now: datetime) -> list[runs.DueStep]:
    """Move a locked run to its next step (or complete it); returns that step to schedule."""
    nxt = run.step_index + 1
    run.step_index = nxt
    if nxt >= len(plan):
        runs.complete(run, now)
        return []
    run.next_step_at = max(due_at(run.anchor_at, plan, nxt), now)
    return [runs.DueStep(run.id, nxt, run.next_step_at)]


def retry_step(run: ScenarioRun, now: datetime, after: timedelta) -> list[runs.DueStep]:
    """Run the same step again shortly (its inputs went stale between the phases)."""
    run.next_step_at = now + after
    return [runs.DueStep(run.id, run.step_index, run.next_step_at)]


# -- the hooks every scenario gets ------------------------------------------------------------


def lock_subject(scenario: Scenario[Any, Any]) -> SubjectLock:
    """Locks the message's run before the outbox locks the message: every transaction locks
    customer, run, message in that order."""

    async def lock(session: AsyncSession, shop_id: int, subject_key: str) -> None:
        await runs.lock_by_subject(
            session, shop_id=shop_id, scenario=scenario.key, subject_key=subject_key
        )

    return lock


def still_wanted(scenario: Scenario[Any, Any]) -> Guard:
    """The outbox's last check before a message leaves, in the transaction that claims it:
    the run must still be going and the scenario's condition (the same one each step runs)
    must still call for it; a reason stops the run. A condition that cannot decide yet
    (NotYet) holds the message instead: the outbox defers it and asks again."""

    async def guard(session: AsyncSession, message: Message) -> str | None:
        run = await runs.lock_by_subject(
            session, shop_id=message.shop_id, scenario=scenario.key, subject_key=message.subject_key
        )
        if run is None:
            return None
        if run.status == runs.STOPPED:
            return run.stop_reason or SEQUENCE_STOPPED
        shop = await session.get(Shop, run.shop_id)
        if shop is None:
            return SHOP_UNINSTALLED
        now = datetime.now(UTC)
        view: RunView[Any, Any] = RunView(
            session=session,
            run=run,
            shop=shop,
            settings=await scenario.load_settings(session, shop.id),
            subject=await scenario.load_subject(session, run, shop),
            now=now,
        )
        try:
            reason = await scenario.condition(view)
        except NotYet as wait:
            # From when it was asked for, or approved (a merchant may approve days later).
            asked = max(message.requested_at, message.approved_at or message.requested_at)
            if now - asked <= MAX_WAIT_FOR_FACTS:
                raise SendLater(wait.reason, now + wait.retry_in) from None
            reason = FACTS_UNKNOWN_TOO_LONG
        if reason is not None and run.status == runs.ACTIVE:
            await stop_run(session, run, reason, now, at_send=True)
        return reason

    return guard


def stop_on_unsubscribe(scenario: Scenario[Any, Any]) -> Unsubscribed:
    """A shopper who unsubscribes stops every running sequence of theirs at once."""

    async def unsubscribed(
        session: AsyncSession, shop_id: int, customer_id: int, now: datetime
    ) -> None:
        await stop_customer_runs(session, scenario.key, shop_id, customer_id, now)

    return unsubscribed


async def stop_customer_runs(
    session: AsyncSession, scenario: str, shop_id: int, customer_id: int, now: datetime
) -> None:
    active = await session.scalars(
        select(ScenarioRun)
        .where(
            ScenarioRun.shop_id == shop_id,
            ScenarioRun.scenario == scenario,
            ScenarioRun.customer_id == customer_id,
            ScenarioRun.status == runs.ACTIVE,
        )
        .with_for_update(key_share=True)
    )
    for run in active:
        await stop_run(session, run, CUSTOMER_UNSUBSCRIBED, now)


def stops_on_unsubscribe(scenario_key: str) -> FactHandler:
    """The CustomerChanged handler every journey shares: a customer who unsubscribed at
    Shopify has their runs of `scenario_key` stopped at once, as through our own link (the
    consent check before each send would hold the emails anyway, but a run left active kept
    an email in the merchant's approval queue until its next step)."""

    async def customer_changed(
        session: AsyncSession, fact: CustomerChanged, now: datetime
    ) -> list[runs.DueStep]:
        if fact.email_marketing_state == "unsubscribed":
            await stop_customer_runs(session, scenario_key, fact.shop_id, fact.customer_id, now)
        return []

    return customer_changed


def outcome_on_timeline(scenario: Scenario[Any, Any]) -> Callable[..., Awaitable[None]]:
    """Each message's fate on the customer's timeline; a sent one marks its run."""

    async def on_outcome(session: AsyncSession, outcome: SendOutcome) -> None:
        # The outbox took this run's lock (its subject lock) before any outcome: this reads it.
        run = await runs.lock_by_subject(
            session,
            shop_id=outcome.shop_id,
            scenario=scenario.key,
            subject_key=outcome.subject_key,
        )
        if outcome.kind == Outcome.SENT and run is not None:
            run.last_step_sent_at = outcome.at
        await timeline.record_send_outcome(
            session,
            scenario.key,
            outcome,
            reason=outcome.reason or _OUTCOME_REASONS.get(outcome.kind, outcome.kind),
            customer_id=run.customer_id if run else None,
            run_id=run.id if run else None,
        )

    return on_outcome


# -- the schedule trigger ---------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduleReport:
    shops: int = 0
    selected: int = 0
    started: int = 0


async def start_scheduled_page(
    session: AsyncSession,
    scenario: Scenario[Any, Any],
    shop_id: int,
    after: Any,
    now: datetime,
) -> tuple[Sequence[Subject], list[runs.DueStep]]:
    """One page of a schedule's selection, each subject's run started (once per subject key:
    a subject selected again, or by a concurrent walk, is left as it is). Returns the page and
    the first steps to schedule after commit."""
    trigger = scenario.schedule
    if trigger is None:  # pragma: no cover - the caller walks scheduled scenarios only
        raise ValueError(f"{scenario.key} has no schedule")
    settings = await scenario.load_settings(session, shop_id)
    if getattr(settings, "mode", Mode.LIVE) == Mode.PAUSED:
        return [], []  # paused during the walk: its later pages start nothing
    page = await trigger.select_page(session, shop_id, after, trigger.page_size, now)
    if not page:
        return page, []
    plan = scenario.steps(settings)
    due: list[runs.DueStep] = []
    for subject in page:
        run, created = await runs.start_or_get(
            session,
            shop_id=shop_id,
            scenario=scenario.key,
            subject_key=subject.key,
            customer_id=subject.customer_id,
            email=subject.email,
            anchor_at=now,
            first_step_at=due_at(now, plan, 0),
        )
        if not created or run.next_step_at is None:
            continue
        await timeline.record(
            session,
            shop_id=shop_id,
            customer_id=run.customer_id,
            run_id=run.id,
            scenario=scenario.key,
            kind="started",
            reason=trigger.reason,
            at=now,
            first_step_at=run.next_step_at.isoformat(),
        )
        due.append(runs.DueStep(run.id, 0, run.next_step_at))
    return page, due


async def schedule_runs_for(
    session: AsyncSession, scenario: Scenario[Any, Any], shop_id: int
) -> bool:
    """Whether the scenario's schedule walks this shop now: installed, with a token Shopify
    takes, and the scenario not paused."""
    shop = await session.get(Shop, shop_id)
    if shop is None or shop.uninstalled_at is not None or shop.token_invalid_at is not None:
        return False
    settings = await scenario.load_settings(session, shop_id)
    return getattr(settings, "mode", Mode.LIVE) != Mode.PAUSED
