"""The hosted review form: a public page per order, opened by the signed link of the review
request (app/reviews/tokens.py), in the order's language (EN/FR), without JavaScript and well
under 50 KB. One form per product: 1–5 stars (the email's star arrives chosen), a title, a
text and up to 5 photos. Bad input is refused in the customer's language and nothing is
stored; every customer-typed text is escaped where it is shown."""

from __future__ import annotations

import asyncio
import html
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException

from app.errors import BoomerangError
from app.i18n import Locale, Text
from app.models import Review
from app.platform.resources import Resources
from app.queue.deferred import defer, transaction
from app.reviews import aggregates, syndication
from app.reviews.errors import LinkExpired, LinkInvalid
from app.reviews.photos import MAX_PHOTO_BYTES, MAX_PHOTOS, CleanPhoto, clean_photo, too_many
from app.reviews.service import (
    MAX_BODY,
    MAX_TITLE,
    PUBLISHED,
    OrderForReview,
    Submission,
    check_submission,
    order_for_review,
    store_photos,
    submit_review,
)
from app.reviews.storage import PhotoStore
from app.reviews.tokens import ReviewLink, ReviewTokens
from app.scenarios.review_request.declaration import review_submitted
from app.web.body_limits import BodyRefused, BodyTimeout, PayloadTooLarge
from app.web.deps import ResourcesDep
from app.web.rate_limits import RateLimited, RateLimiterDep, limit_public
from app.web.shopper_pages import shopper_page

# Where the form lives: the body cap (app/web/body_limits.py) answers under it with a page.
FORM_PREFIX = "/review/"

# The public rate limit is taken in each route (not as a dependency) so that a shopper over
# it gets the form's page in their language, not the API's JSON.
router = APIRouter(tags=["reviews"])

_T = {
    "title": Text(en="Review your order", fr="Donnez votre avis sur votre commande"),
    "intro": Text(
        en="Tell other customers what you think of each product. It only takes a minute.",
        fr="Dites aux autres clients ce que vous pensez de chaque produit. Cela ne prend "
        "qu'une minute.",
    ),
    "rating": Text(en="Your rating", fr="Votre note"),
    "star": Text(en="stars", fr="étoiles"),
    "headline": Text(en="Title (optional)", fr="Titre (facultatif)"),
    "body": Text(en="Your review (optional)", fr="Votre avis (facultatif)"),
    "photos": Text(
        en="Photos (optional, up to 5: JPEG, PNG or WebP, 5 MB each)",
        fr="Photos (facultatif, 5 au plus : JPEG, PNG ou WebP, 5 Mo chacune)",
    ),
    "send": Text(en="Send my review", fr="Envoyer mon avis"),
    "update": Text(en="Update my review", fr="Modifier mon avis"),
    "done": Text(en="Thank you! Your review was received.", fr="Merci ! Votre avis a été reçu."),
    "edit_until": Text(
        en="You can still edit it for 24 hours after sending it.",
        fr="Vous pouvez encore le modifier pendant 24 heures après l'envoi.",
    ),
    "closed": Text(en="Reviewed — thank you!", fr="Avis envoyé — merci !"),
    "code": Text(
        en="Your thank-you code: {code}. Use it at checkout.",
        fr="Votre code de remerciement : {code}. Utilisez-le lors du paiement.",
    ),
    "nothing": Text(
        en="This order has no product to review.", fr="Cette commande n'a aucun produit à noter."
    ),
    # The whole form's body over its cap (413): the photos together are too heavy.
    "too_large": Text(
        en="Your review and its photos are too large to send together (26 MB at most). Send "
        "at most 5 photos of up to 5 MB each, or smaller ones, and try again. Nothing was "
        "saved.",
        fr="Votre avis et ses photos sont trop lourds pour être envoyés ensemble (26 Mo au "
        "plus). Envoyez au plus 5 photos de 5 Mo chacune au maximum, ou des photos plus "
        "légères, puis réessayez. Rien n'a été enregistré.",
    ),
    # The body did not arrive within the time budget (408).
    "too_slow": Text(
        en="Sending your review took too long. Check your connection, then send it again, "
        "with fewer or smaller photos if you can. Nothing was saved.",
        fr="L'envoi de votre avis a pris trop de temps. Vérifiez votre connexion, puis "
        "renvoyez-le, avec moins de photos ou des photos plus légères si possible. Rien n'a "
        "été enregistré.",
    ),
}

_STYLE = (
    "body{font-family:-apple-system,Segoe UI,Roboto,Arial,sans-serif;max-width:560px;"
    "margin:24px auto;padding:0 16px;color:#1f2937;line-height:1.45}"
    "section{border:1px solid #e5e7eb;border-radius:10px;padding:16px;margin:16px 0}"
    "h2{font-size:18px;margin:0 0 8px}label{display:block;margin:10px 0 4px;font-weight:600}"
    "input[type=text],textarea{width:100%;box-sizing:border-box;padding:10px;font-size:16px;"
    "border:1px solid #d1d5db;border-radius:6px}textarea{min-height:110px}"
    "button{background:#111827;color:#fff;border:0;border-radius:6px;padding:12px 20px;"
    "font-size:16px;margin-top:12px}"
    ".stars{display:inline-flex;flex-direction:row-reverse;border:0;padding:0;margin:0}"
    ".stars input{position:absolute;opacity:0;width:1px;height:1px}"
    ".stars label{font-size:36px;color:#d1d5db;margin:0 2px;cursor:pointer;font-weight:400}"
    ".stars input:checked~label,.stars label:hover,.stars label:hover~label{color:#f5a623}"
    ".stars input:focus-visible+label{outline:2px solid #2563eb}"
    ".error{background:#fef2f2;color:#991b1b;padding:10px;border-radius:6px}"
    ".ok{background:#ecfdf5;color:#065f46;padding:10px;border-radius:6px}"
)


def _tokens(resources: ResourcesDep) -> ReviewTokens:
    return ReviewTokens.from_settings(resources.settings)


def _store(resources: ResourcesDep) -> PhotoStore:
    if resources.review_photos is None:  # pragma: no cover - build_resources sets it
        raise RuntimeError("no review photo store: build the resources with build_resources")
    return resources.review_photos


def _page(locale: Locale, title: str, body: str, status: int = 200) -> HTMLResponse:
    return shopper_page(locale, title, body, status, style=_STYLE)


def _link_error(error: BoomerangError) -> HTMLResponse:
    """A link we cannot read says so in both languages: we do not know whose it is."""
    body = "".join(
        f'<p class="error" lang="{loc}">{html.escape(error.detail_in(loc))}</p>'
        for loc in ("en", "fr")
    )
    return _page("en", "Review / Avis", body, status=error.status_code)


def _refusal_text(error: BoomerangError) -> Text:
    if isinstance(error, PayloadTooLarge):
        return _T["too_large"]
    if isinstance(error, BodyTimeout):
        return _T["too_slow"]
    return Text(en=error.detail_in("en"), fr=error.detail_in("fr"))


async def refusal_page(request: Request, error: BoomerangError) -> Response:
    """A refusal before the form is read, said on the form's page: the body cap's (413, 408:
    app/web/body_limits.py, Connection: close, the rest of the body is never read) or the
    public rate limit's (429, with Retry-After). The form again, in the order's language,
    saying what to do; in both languages when the link cannot be read. Status and headers
    stay the refusal's."""
    what = _refusal_text(error)
    token = request.url.path.removeprefix(FORM_PREFIX).split("/", 1)[0]
    resources: Resources = request.app.state.resources
    now = datetime.now(UTC)
    try:
        link = ReviewTokens.from_settings(resources.settings).read(token, now)
        opened = await _open(resources, link)
    except (LinkInvalid, LinkExpired):
        body = "".join(
            f'<p class="error" role="alert" lang="{loc}">{html.escape(what.in_locale(loc))}</p>'
            for loc in ("en", "fr")
        )
        page = _page("en", "Review / Avis", body, status=error.status_code)
    else:
        loc = opened.locale
        body = _form_html(token, opened, now, error=(0, what.in_locale(loc)))
        page = _page(loc, _T["title"].in_locale(loc), body, status=error.status_code)
    page.headers.update(error.headers)
    return page


def _stars(product_id: int, chosen: int | None, locale: Locale) -> str:
    radios = []
    for n in range(5, 0, -1):
        ident = f"s{product_id}-{n}"
        checked = " checked" if chosen == n else ""
        radios.append(
            f'<input type="radio" id="{ident}" name="rating" value="{n}" required{checked}>'
            f'<label for="{ident}" title="{n} {_T["star"].in_locale(locale)}">&#9733;</label>'
        )
    legend = html.escape(_T["rating"].in_locale(locale))
    return (
        f'<label>{legend}</label><fieldset class="stars" aria-label="{legend}">'
        + "".join(radios)
        + "</fieldset>"
    )


def _reward_code(review: Review | None) -> str | None:
    """The review's code when it is already issued (an edit: the first send's job has run);
    a first send's code is issued by a job after the commit and comes by email. None for a
    review rejected as spam."""
    if review is None or review.status == "spam":
        return None
    reward = review.reward or {}
    code = reward.get("code")
    return code if isinstance(code, str) and not reward.get("revoked") else None


def _code_sentence(code: str, locale: Locale) -> str:
    before, _, after = _T["code"].in_locale(locale).partition("{code}")
    return f"{html.escape(before)}<strong>{html.escape(code)}</strong>{html.escape(after)}"


def _form_html(
    token: str,
    opened: OrderForReview,
    now: datetime,
    *,
    chosen: tuple[int, int] | None = None,
    error: tuple[int, str] | None = None,
    done: int | None = None,
    typed: dict[str, str] | None = None,
) -> str:
    loc = opened.locale
    parts = [f"<p>{html.escape(_T['intro'].in_locale(loc))}</p>"]
    if not opened.products:
        parts.append(f"<p>{html.escape(_T['nothing'].in_locale(loc))}</p>")
    if error is not None and opened.product(error[0]) is None:
        parts.append(f'<p class="error" role="alert">{html.escape(error[1])}</p>')
    for product in opened.products:
        pid = product.product_id
        review = opened.reviews.get(pid)
        parts.append(f'<section id="p{pid}"><h2>{html.escape(product.title)}</h2>')
        if done == pid:
            parts.append(
                f'<p class="ok" role="status">{html.escape(_T["done"].in_locale(loc))} '
                f"{html.escape(_T['edit_until'].in_locale(loc))}</p>"
            )
            code = _reward_code(review)
            if code is not None:
                parts.append(f'<p class="ok">{_code_sentence(code, loc)}</p>')
        if error is not None and error[0] == pid:
            parts.append(f'<p class="error" role="alert">{html.escape(error[1])}</p>')
        if not opened.editable(pid, now):
            parts.append(f"<p>{html.escape(_T['closed'].in_locale(loc))}</p></section>")
            continue
        mine = typed if (error is not None and error[0] == pid) else None
        rating = (
            int(mine["rating"])
            if mine and mine.get("rating") in {"1", "2", "3", "4", "5"}
            else (chosen[1] if chosen and chosen[0] == pid else (review.rating if review else None))
        )
        title = mine.get("title", "") if mine else (review.title if review else "")
        body = mine.get("body", "") if mine else (review.body if review else "")
        button = _T["update" if review else "send"].in_locale(loc)
        parts.append(
            f'<form method="post" action="/review/{html.escape(token)}#p{pid}" '
            'enctype="multipart/form-data">'
            f'<input type="hidden" name="product" value="{pid}">'
            + _stars(pid, rating, loc)
            + f'<label for="t{pid}">{html.escape(_T["headline"].in_locale(loc))}</label>'
            f'<input type="text" id="t{pid}" name="title" maxlength="{MAX_TITLE}" '
            f'value="{html.escape(title)}">'
            f'<label for="b{pid}">{html.escape(_T["body"].in_locale(loc))}</label>'
            f'<textarea id="b{pid}" name="body" maxlength="{MAX_BODY}">{html.escape(body)}'
            "</textarea>"
            f'<label for="f{pid}">{html.escape(_T["photos"].in_locale(loc))}</label>'
            f'<input type="file" id="f{pid}" name="photos" multiple '
            'accept="image/jpeg,image/png,image/webp">'
            f'<button type="submit">{html.escape(button)}</button></form></section>'
        )
    return "".join(parts)


async def _open(resources: Resources, link: ReviewLink) -> OrderForReview:
    async with resources.sessions.begin() as session:
        return await order_for_review(session, link)


@router.get("/review/{token}", include_in_schema=False)
async def review_page(
    token: str,
    request: Request,
    resources: ResourcesDep,
    limiter: RateLimiterDep,
    p: int | None = None,
    r: int | None = None,
) -> Response:
    try:
        await limit_public(request, limiter)
    except RateLimited as error:
        return await refusal_page(request, error)
    now = datetime.now(UTC)
    try:
        link = _tokens(resources).read(token, now)
        opened = await _open(resources, link)
    except (LinkInvalid, LinkExpired) as error:
        return _link_error(error)
    chosen = (p, r) if p is not None and r is not None and 1 <= r <= 5 else None
    title = _T["title"].in_locale(opened.locale)
    return _page(opened.locale, title, _form_html(token, opened, now, chosen=chosen))


async def _read_photos(files: list[UploadFile]) -> list[CleanPhoto]:
    if len(files) > MAX_PHOTOS:
        raise too_many()
    cleaned: list[CleanPhoto] = []
    for upload in files:
        # One byte more than allowed tells "too large" without reading the rest.
        data = await upload.read(MAX_PHOTO_BYTES + 1)
        cleaned.append(await asyncio.to_thread(clean_photo, upload.filename or "", data))
    return cleaned


async def _save(
    link: ReviewLink,
    resources: ResourcesDep,
    opened: OrderForReview,
    fields: dict[str, str],
    files: list[UploadFile],
    now: datetime,
) -> Submission:
    """Check everything, then store the photos, then the review (the photos deleted again if
    the review is not stored): a refusal at any point leaves nothing behind."""
    submission = check_submission(
        product_id=fields.get("product", ""),
        rating=fields.get("rating", ""),
        title=fields.get("title", ""),
        body=fields.get("body", ""),
    )
    photos = await _read_photos(files)
    store = _store(resources)
    keys = await store_photos(store, link, submission.product_id, photos)
    try:
        async with transaction(resources.sessions, resources.queue) as session:
            current = await order_for_review(session, link)
            submitted = await submit_review(
                session, current, submission, list(zip(keys, photos, strict=True)), now
            )
            review = submitted.review
            await review_submitted(session, link.shop_id, link.order_id, now)
            if review.status == PUBLISHED or submitted.edited:
                change = f"review-{review.id}-{int(now.timestamp() * 1000)}"
                defer(session, aggregates.sync_job(review.shop_id, review.product_id, change))
                defer(session, syndication.sync_job(review.shop_id, review.id, change))
    except BaseException:
        for key in keys:
            await store.delete(key)
        raise
    for key in submitted.replaced_keys:
        await store.delete(key)
    return submission


@router.post("/review/{token}", include_in_schema=False)
async def submit(
    token: str, request: Request, resources: ResourcesDep, limiter: RateLimiterDep
) -> Response:
    try:
        await limit_public(request, limiter)
    except RateLimited as error:
        return await refusal_page(request, error)
    now = datetime.now(UTC)
    try:
        link = _tokens(resources).read(token, now)
        opened = await _open(resources, link)
    except (LinkInvalid, LinkExpired) as error:
        return _link_error(error)
    loc = opened.locale
    try:
        form = await request.form(max_files=MAX_PHOTOS + 1, max_fields=10)
    except BodyRefused as refused:
        # A chunked body over the cap, or one too slow, found while reading it.
        return await refusal_page(request, refused.error)
    except MultiPartException:
        body = _form_html(token, opened, now, error=(0, too_many().detail_in(loc)))
        return _page(loc, _T["title"].in_locale(loc), body, status=too_many().status_code)
    try:
        fields = {
            name: value
            for name in ("product", "rating", "title", "body")
            if isinstance(value := form.get(name), str)
        }
        files = [
            f
            for f in form.getlist("photos")
            if isinstance(f, UploadFile) and (f.size or f.filename)
        ]
        submission = await _save(link, resources, opened, fields, files, now)
    except BoomerangError as error:
        if isinstance(error, LinkInvalid | LinkExpired):
            return _link_error(error)
        try:
            pid = int(fields.get("product", ""))
        except ValueError:
            pid = 0
        body = _form_html(token, opened, now, error=(pid, error.detail_in(loc)), typed=fields)
        return _page(loc, _T["title"].in_locale(loc), body, status=error.status_code)
    finally:
        await form.close()
    async with resources.sessions.begin() as session:
        opened = await order_for_review(session, link)
    body = _form_html(token, opened, now, done=submission.product_id)
    return _page(loc, _T["title"].in_locale(loc), body)
