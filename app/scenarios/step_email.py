"""What every emailing journey's step shares, owned by the engine beside engine.py: the step
worth preparing, the code it hands out (keyed by run and step, so a retry gets the same one),
the offer's words in the message's context, and the email put in the outbox with the step
recorded on the customer's timeline. The journey keeps what is its own: when a step wants a
code, what its message says, its locale and its reason."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.models import ScenarioRun, Shop
from app.scenarios import runs, timeline
from app.scenarios.actions import CodeRequest, EmailRequest, IssuedCode
from app.scenarios.config import DiscountSettings
from app.scenarios.engine import Content, StepContext, retry_step
from app.scenarios.labels import reason_code
from app.scenarios.modes import Mode

# The timeline's kind for the message a step queued, by its status; anything else (a guard
# held it back) is `step_suppressed`.
_STEP_KINDS = {
    "queued": "step_queued",
    "draft": "step_drafted",
    "pending_approval": "step_awaiting_approval",
}
# The step's code was not ready (the settings changed since it was asked for): how soon the
# step runs again, with the code asked for anew.
CODE_RETRY_AFTER = timedelta(seconds=1)


def step_to_prepare(settings: Any, step_index: int) -> Any | None:
    """The step whose needs are to be fetched, or None: the journey paused, the step gone from
    the settings or turned off."""
    if settings.mode == Mode.PAUSED or step_index >= len(settings.steps):
        return None
    step = settings.steps[step_index]
    return step if step.enabled else None


def code_request(
    shop: Shop,
    run: ScenarioRun,
    *,
    scenario: str,
    content: Content,
    discount: DiscountSettings,
    prefix: str,
    step_index: int,
) -> CodeRequest:
    """The code step `step_index` of the run hands out (the same key, the same code)."""
    return CodeRequest(
        shop_id=shop.id,
        shop_domain=shop.domain,
        shop_locale=shop.locale,
        scenario=scenario,
        idempotency_key=f"{scenario}:{run.subject_key}:{step_index}",
        customer_id=run.customer_id,
        discount=discount,
        prefix=prefix,
        purpose=content.code_purpose,
        title=content.discount_title,
    )


def step_code(
    shop: Shop,
    run: ScenarioRun,
    settings: Any,
    step: Any,
    *,
    scenario: str,
    content: Content,
    step_index: int,
) -> CodeRequest | None:
    """The step's own code, when it offers a discount and the journey is not a dry run (which
    hands out none)."""
    if step.discount is None or settings.mode == Mode.DRY_RUN:
        return None
    return code_request(
        shop,
        run,
        scenario=scenario,
        content=content,
        discount=step.discount,
        prefix=settings.code_prefix,
        step_index=step_index,
    )


def retry_for_code(context: StepContext[Any, Any]) -> list[runs.DueStep]:
    """The settings changed since the code was asked for: ask again, shortly."""
    return retry_step(context.run, context.now, CODE_RETRY_AFTER)


def offer_context(code: IssuedCode | None, discount: DiscountSettings | None) -> dict[str, Any]:
    """The message's words for its offer: the code handed out and its end, the discount."""
    words: dict[str, Any] = {}
    if code is not None:
        words["discount_code"] = code.code
        words["discount_expires_at"] = code.expires_at.isoformat()
    if discount is not None:
        words["discount_kind"] = discount.kind
        words["discount_value"] = str(discount.value)
        words["discount_valid_hours"] = discount.valid_hours
    return words


async def queue_step_email(
    context: StepContext[Any, Any],
    *,
    scenario: str,
    content: Content,
    locale: str,
    message_context: dict[str, Any],
    transactional: bool,
    reason: str,
    **detail: Any,
) -> None:
    """The step's email into the outbox, and the step on the customer's timeline as the
    message stands (queued, drafted, awaiting approval or suppressed with the guard's reason;
    `reason` when none held it back), with the journey's own `detail`."""
    if context.actions is None:  # pragma: no cover - the engine always passes its actions
        raise RuntimeError("a step's email needs the engine's actions")
    run, shop, settings, now = context.run, context.shop, context.settings, context.now
    queued = await context.actions.queue_email(
        context.session,
        EmailRequest(
            shop=shop,
            scenario=scenario,
            step=context.step_index + 1,
            subject_key=run.subject_key,
            customer_id=run.customer_id,
            locale=locale,
            context=message_context,
            mode=settings.mode,
            transactional=transactional,
            scheduled_at=now,
            priority=content.priority,
        ),
    )
    await timeline.record(
        context.session,
        shop_id=shop.id,
        customer_id=run.customer_id,
        run_id=run.id,
        scenario=scenario,
        kind=_STEP_KINDS.get(queued.status, "step_suppressed"),
        step=context.step_index + 1,
        reason=reason if queued.reason is None else reason_code(queued.reason),
        at=now,
        delay_seconds=settings.steps[context.step_index].delay_seconds,
        message_id=queued.message_id,
        message_status=queued.status,
        status_reason=queued.reason,
        mode=str(settings.mode),
        **detail,
    )
