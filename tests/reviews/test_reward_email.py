"""With loyalty off a review earns a single-use code, and its author gets it by email: through
the outbox (the program's key `reviews`, its mode, consent, the timeline), at the real SMTP
server, in the review's language, once per review however often the job runs, and never for a
review rejected as spam, even one whose email was held for approval."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from app.models import Message, TimelineEntry
from app.platform.resources import build_resources
from app.reviews.rewards import issue_code_job
from tests.messaging.conftest import Inbox
from tests.reviews.conftest import fulfilled_order, products, review_path, reviews
from tests.scenarios.conftest import SHOP, Store, html_part, text_part, until


async def submit(store: Store, path: str, product: int, rating: str = "4") -> str:
    """The form sent; the thank-you page it answers."""
    sent = await store.client.post(
        path, data={"product": str(product), "rating": rating, "body": "Does the job"}
    )
    assert sent.status_code == 200, sent.text
    return sent.text


async def messages(store: Store) -> list[Message]:
    async with store.sessions.begin() as session:
        rows = await session.scalars(
            select(Message).where(Message.scenario == "reviews").order_by(Message.id)
        )
        return list(rows)


async def settle(store: Store) -> None:
    """The worker's jobs, then a moment for SMTP deliveries that would still be on their way."""
    await store.work(horizon=2.0)
    await asyncio.sleep(0.3)


async def test_the_code_arrives_once_in_english(store: Store, inbox: Inbox) -> None:
    (kettle,) = products(store, "Copper Kettle")
    order = await fulfilled_order(store, [kettle])
    page = await submit(store, await review_path(store, order), kettle.id, rating="2")
    # Issued by a job after the commit: the email brings it.
    assert "thank-you code" not in page
    await store.work(horizon=2.0)
    await until(lambda: len(inbox.messages) == 1)

    (review,) = await reviews(store)
    code = review.reward["code"]
    assert code.startswith("THANKS")
    email = inbox.messages[0]
    assert email["To"] == order["email"]
    assert email["Subject"] == "Thank you for your review: 10% off your next order"
    text, html = text_part(email), html_part(email)
    assert "Hi Camille," in text
    assert "Thank you for reviewing Copper Kettle." in text
    assert f"Use code {code} at checkout. It is valid until" in text
    assert f"<strong>{code}</strong>" in html
    (message,) = await messages(store)
    assert (message.status, message.subject_key, message.transactional) == (
        "sent",
        f"review:{review.id}",
        False,
    )
    async with store.sessions.begin() as session:
        kinds = list(
            await session.scalars(
                select(TimelineEntry.kind).where(TimelineEntry.scenario == "reviews")
            )
        )
    assert kinds == ["message_sent"]

    # The job again, as a retry or a redelivered job would run it: no second email, the
    # same code.
    resources = await build_resources(store.settings, http_transport=store.shopify)
    try:
        job = issue_code_job(store.shop.id, review.id)
        assert await resources.queue.enqueue(
            job.name, *job.args, job_id=f"{job.job_id}:again", shop=SHOP
        )
    finally:
        await resources.close()
    await settle(store)
    assert len(inbox.messages) == 1
    assert len(await messages(store)) == 1
    (again,) = await reviews(store)
    assert again.reward["code"] == code
    # An edit within the day earns nothing more, and sends nothing more; its thank-you page
    # shows the code already issued.
    page = await submit(store, await review_path(store, order), kettle.id, rating="3")
    assert f"Your thank-you code: <strong>{code}</strong>. Use it at checkout." in page
    await settle(store)
    assert len(inbox.messages) == 1


async def test_a_french_review_gets_its_code_in_french(store: Store, inbox: Inbox) -> None:
    (teapot,) = products(store, "Théière en fonte")
    order = await fulfilled_order(
        store, [teapot], email="lea@example.test", first_name="Léa", locale="fr"
    )
    await submit(store, await review_path(store, order), teapot.id, rating="5")
    await store.work(horizon=2.0)
    await until(lambda: len(inbox.messages) == 1)

    (review,) = await reviews(store)
    code = review.reward["code"]
    email = inbox.messages[0]
    assert email["Subject"] == (
        "Merci pour votre avis : 10 % de réduction sur votre prochaine commande"
    )
    text = text_part(email)
    assert "Bonjour Léa," in text
    assert "Merci d'avoir donné votre avis sur Théière en fonte." in text
    assert f"Utilisez le code {code} lors du paiement. Il est valable jusqu'au" in text
    assert "Retourner à la boutique" in html_part(email)
    page = await submit(store, await review_path(store, order), teapot.id, rating="4")
    assert f"Votre code de remerciement : <strong>{code}</strong>." in page


async def test_a_review_rejected_as_spam_gets_no_code_and_no_email(
    store: Store, inbox: Inbox
) -> None:
    kettle, teapot = products(store, "Kettle", "Teapot")
    order = await fulfilled_order(store, [kettle, teapot])
    path = await review_path(store, order)
    await submit(store, path, kettle.id)
    await submit(store, path, teapot.id)
    spam = next(r for r in await reviews(store) if r.product_id == teapot.id)
    rejected = await store.client.post(f"/api/reviews/{spam.id}/spam", headers=store.headers)
    assert rejected.json()["status"] == "spam"
    await store.work(horizon=2.0)
    await until(lambda: len(inbox.messages) == 1)
    await asyncio.sleep(0.3)
    assert len(inbox.messages) == 1
    kept = next(r for r in await reviews(store) if r.product_id == kettle.id)
    assert kept.reward["code"] in text_part(inbox.messages[0])
    assert [m.subject_key for m in await messages(store)] == [f"review:{kept.id}"]


async def test_held_for_approval_then_rejected_as_spam_never_leaves(
    store: Store, inbox: Inbox
) -> None:
    changed = await store.client.patch(
        "/api/reviews/settings", headers=store.headers, json={"email_mode": "approval"}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["email_mode"] == "approval"
    (kettle,) = products(store, "Kettle")
    order = await fulfilled_order(store, [kettle])
    await submit(store, await review_path(store, order), kettle.id)
    await store.work(horizon=2.0)
    (message,) = await messages(store)
    assert message.status == "pending_approval"
    assert inbox.messages == []

    (review,) = await reviews(store)
    await store.client.post(f"/api/reviews/{review.id}/spam", headers=store.headers)
    approved = await store.client.post(
        f"/api/approvals/{message.id}/approve", headers=store.headers
    )
    assert approved.status_code == 200, approved.text
    await settle(store)
    assert inbox.messages == []
    (message,) = await messages(store)
    assert (message.status, message.status_reason) == (
        "suppressed",
        "review_reward_rejected_as_spam",
    )


async def test_the_emails_mode_is_refused_when_unknown(store: Store) -> None:
    refused = await store.client.patch(
        "/api/reviews/settings", headers=store.headers, json={"email_mode": "loud"}
    )
    assert refused.status_code == 400
    assert "email_mode" in refused.text
    now = await store.client.get("/api/reviews/settings", headers=store.headers)
    assert now.json()["email_mode"] == "live"
