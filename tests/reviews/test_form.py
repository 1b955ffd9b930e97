"""The hosted review form over HTTP: each bad input refused with a clear message in the
customer's language and nothing stored (no row, no photo on disk); forged, expired and reused
links; edits within 24 hours; HTML typed into a review shown as text."""

from __future__ import annotations

import html
import io
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from PIL import Image
from sqlalchemy import update

from app.models import Review
from app.web.body_limits import MIB, max_body_bytes
from tests.reviews.conftest import (
    form,
    fulfilled_order,
    photo_bytes,
    photos,
    products,
    review_path,
    reviews,
)
from tests.scenarios.conftest import Store


def shown(response: httpx.Response) -> str:
    """The page's text as a reader sees it (entities decoded)."""
    return html.unescape(response.text)


def stored_files(store: Store) -> list[str]:
    root = store.settings.data_dir / "review-photos"
    return [str(p) for p in root.rglob("*") if p.is_file()] if root.exists() else []


async def assert_nothing_stored(store: Store) -> None:
    assert await reviews(store) == []
    assert await photos(store) == []
    assert stored_files(store) == []


@pytest.fixture
async def french_order(store: Store) -> tuple[str, int]:
    (kettle,) = products(store, "Bouilloire en cuivre")
    order = await fulfilled_order(store, [kettle], locale="fr", email="lea@example.test")
    return await review_path(store, order), kettle.id


async def test_the_page_speaks_the_orders_language_and_needs_no_script(
    store: Store, french_order: tuple[str, int]
) -> None:
    path, product = french_order
    page = await store.client.get(f"{path}?p={product}&r=4")
    assert page.status_code == 200
    assert 'lang="fr"' in page.text
    assert "Donnez votre avis sur votre commande" in page.text
    assert "<script" not in page.text
    assert len(page.content) < 50_000
    assert 'name="viewport"' in page.text
    assert f'id="s{product}-4" name="rating" value="4" required checked' in page.text


@pytest.mark.parametrize("rating", ["0", "6", "", "4.5", "five"])
async def test_a_rating_outside_one_to_five_is_refused(
    store: Store, french_order: tuple[str, int], rating: str
) -> None:
    path, product = french_order
    sent = await store.client.post(
        path, data={"product": str(product), "rating": rating, "title": "t", "body": "b"}
    )
    assert sent.status_code == 400
    assert "Choisissez une note de 1 à 5 étoiles." in shown(sent)
    await assert_nothing_stored(store)


async def test_text_over_the_limit_is_refused(store: Store, french_order: tuple[str, int]) -> None:
    path, product = french_order
    sent = await store.client.post(
        path, data={"product": str(product), "rating": "5", "body": "x" * 5001}
    )
    assert sent.status_code == 400
    assert "L'avis fait 5001 caractères : limitez-le à 5000." in shown(sent)
    title = await store.client.post(
        path, data={"product": str(product), "rating": "5", "title": "y" * 151}
    )
    assert title.status_code == 400
    assert "limitez-le à 150" in shown(title)
    await assert_nothing_stored(store)


async def test_a_product_outside_the_order_is_refused(
    store: Store, french_order: tuple[str, int]
) -> None:
    path, _ = french_order
    (other,) = products(store, "Not ordered")
    sent = await store.client.post(path, data=form(other))
    assert sent.status_code == 400
    assert "ne fait pas partie de la commande" in shown(sent)
    await assert_nothing_stored(store)


async def test_a_file_that_is_not_a_photo_is_refused_whatever_its_name(
    store: Store, french_order: tuple[str, int]
) -> None:
    path, product = french_order
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, "GIF")
    for name, data, declared in (
        ("photo.jpg", b"<html>not an image</html>", "image/jpeg"),
        ("anim.png", gif.getvalue(), "image/png"),
        ("cut.jpg", photo_bytes("JPEG")[:40], "image/jpeg"),
    ):
        sent = await store.client.post(
            path,
            data={"product": str(product), "rating": "5"},
            files=[("photos", (name, data, declared))],
        )
        assert sent.status_code == 422, name
        assert f"Le fichier {name} n'est pas une photo JPEG, PNG ou WebP." in shown(sent)
    await assert_nothing_stored(store)


async def test_a_photo_over_5_mb_is_refused(store: Store, french_order: tuple[str, int]) -> None:
    path, product = french_order
    big = photo_bytes("JPEG") + os.urandom(5 * 1024 * 1024)
    sent = await store.client.post(
        path,
        data={"product": str(product), "rating": "5"},
        files=[("photos", ("big.jpg", big, "image/jpeg"))],
    )
    assert sent.status_code == 413
    assert "La photo big.jpg dépasse 5 Mo." in shown(sent)
    await assert_nothing_stored(store)


async def test_a_decompression_bomb_is_refused(store: Store, french_order: tuple[str, int]) -> None:
    path, product = french_order
    bomb = io.BytesIO()
    # 12,000 x 12,000 pixels of one colour: a few kilobytes on the wire, 144 megapixels open.
    Image.new("1", (12_000, 12_000)).save(bomb, "PNG")
    assert len(bomb.getvalue()) < 100_000
    sent = await store.client.post(
        path,
        data={"product": str(product), "rating": "5"},
        files=[("photos", ("bomb.png", bomb.getvalue(), "image/png"))],
    )
    assert sent.status_code == 422
    assert "contient trop de pixels pour être une photo" in shown(sent)
    await assert_nothing_stored(store)


async def test_more_than_five_photos_are_refused(
    store: Store, french_order: tuple[str, int]
) -> None:
    path, product = french_order
    six = [("photos", (f"p{i}.png", photo_bytes("PNG"), "image/png")) for i in range(6)]
    sent = await store.client.post(path, data={"product": str(product), "rating": "5"}, files=six)
    assert sent.status_code == 422
    assert "Ajoutez au plus 5 photos par produit." in shown(sent)
    await assert_nothing_stored(store)


async def test_png_and_webp_are_kept_in_their_format_without_metadata(
    store: Store, french_order: tuple[str, int]
) -> None:
    path, product = french_order
    files = [
        ("photos", ("a.png", photo_bytes("PNG"), "image/png")),
        # The declared type lies: the content decides.
        ("photos", ("b.jpg", photo_bytes("WEBP"), "image/jpeg")),
    ]
    sent = await store.client.post(path, data=form_of(product), files=files)
    assert sent.status_code == 200, sent.text
    stored = await photos(store)
    assert [p.content_type for p in stored] == ["image/png", "image/webp"]
    for photo in stored:
        data = (store.settings.data_dir / "review-photos" / photo.storage_key).read_bytes()
        with Image.open(io.BytesIO(data)) as image:
            assert not image.getexif()
            assert "exif" not in image.info


BOUNDARY = "review-form-test-boundary"
CHUNK = 64 * 1024


class MultipartSender:
    """The form with one photo of `photo_size` bytes, streamed; counts what the server
    pulled."""

    def __init__(self, product: int, photo_size: int) -> None:
        part = f"--{BOUNDARY}\r\nContent-Disposition: form-data; name="
        self.head = (
            f'{part}"product"\r\n\r\n{product}\r\n{part}"rating"\r\n\r\n5\r\n'
            f'{part}"photos"; filename="big.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
        ).encode()
        self.tail = f"\r\n--{BOUNDARY}--\r\n".encode()
        self.photo_size = photo_size
        self.total = len(self.head) + photo_size + len(self.tail)
        self.pulled = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        self.pulled += len(self.head)
        yield self.head
        left = self.photo_size
        while left > 0:
            size = min(CHUNK, left)
            left -= size
            self.pulled += size
            yield b"\xff" * size
        self.pulled += len(self.tail)
        yield self.tail


TOO_LARGE_FR = (
    "Votre avis et ses photos sont trop lourds pour être envoyés ensemble (26 Mo au plus). "
    "Envoyez au plus 5 photos de 5 Mo chacune au maximum, ou des photos plus légères, puis "
    "réessayez. Rien n'a été enregistré."
)


async def test_a_form_over_26_mib_gets_a_page_in_the_customers_language(
    store: Store, french_order: tuple[str, int]
) -> None:
    path, product = french_order
    limit = max_body_bytes(path)
    assert limit == 26 * MIB
    declared = MultipartSender(product, limit)
    sent = await store.client.post(
        path,
        content=declared,
        headers={
            "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
            "Content-Length": str(declared.total),
        },
    )
    assert sent.status_code == 413
    assert sent.headers["content-type"].startswith("text/html")
    assert sent.headers["connection"] == "close"
    assert 'lang="fr"' in sent.text
    assert TOO_LARGE_FR in shown(sent)
    # The form is there again to send a lighter review, and nothing was read past the head.
    assert 'enctype="multipart/form-data"' in sent.text
    assert declared.pulled <= len(declared.head) + CHUNK

    # Sent chunked (no Content-Length): cut off at the cap, the same page.
    chunked = MultipartSender(product, limit)
    sent = await store.client.post(
        path,
        content=chunked,
        headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
    )
    assert sent.status_code == 413
    assert TOO_LARGE_FR in shown(sent)
    assert chunked.pulled <= limit + CHUNK
    await assert_nothing_stored(store)


async def test_an_oversized_form_on_an_unreadable_link_is_told_in_both_languages(
    store: Store, french_order: tuple[str, int]
) -> None:
    _, product = french_order
    declared = MultipartSender(product, 27 * MIB)
    sent = await store.client.post(
        "/review/not-a-token",
        content=declared,
        headers={
            "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
            "Content-Length": str(declared.total),
        },
    )
    assert sent.status_code == 413
    assert "too large to send together (26 MB at most)" in shown(sent)
    assert TOO_LARGE_FR in shown(sent)
    await assert_nothing_stored(store)


def form_of(product: int, rating: str = "5") -> dict[str, str]:
    return {"product": str(product), "rating": rating, "title": "Bien", "body": "Très bien"}


async def test_a_forged_link_is_refused_in_both_languages(
    store: Store, french_order: tuple[str, int]
) -> None:
    path, product = french_order
    body, mac = path.removeprefix("/review/").split(".")
    forged = f"/review/{body}.{mac[:-1]}{'A' if mac[-1] != 'A' else 'B'}"
    for response in (
        await store.client.get(forged),
        await store.client.post(forged, data=form_of(product)),
        await store.client.get("/review/not-a-token"),
    ):
        assert response.status_code == 404
        assert "This review link is not valid." in shown(response)
        assert "Ce lien d'avis n'est pas valide." in shown(response)
    await assert_nothing_stored(store)


async def test_an_expired_link_is_refused(store: Store) -> None:
    (kettle,) = products(store, "Kettle")
    order = await fulfilled_order(store, [kettle])
    old = await review_path(store, order, now=datetime.now(UTC) - timedelta(days=61))
    sent = await store.client.post(old, data=form_of(kettle.id))
    assert sent.status_code == 410
    assert "This review link has expired." in shown(sent)
    await assert_nothing_stored(store)


async def test_a_link_reviews_each_product_once_and_edits_within_24_hours(
    store: Store,
) -> None:
    (kettle,) = products(store, "Kettle")
    order = await fulfilled_order(store, [kettle])
    path = await review_path(store, order)
    first = await store.client.post(path, data=form_of(kettle.id, "2"))
    assert first.status_code == 200
    edited = await store.client.post(path, data=form_of(kettle.id, "4"))
    assert edited.status_code == 200
    (review,) = await reviews(store)
    assert review.rating == 4
    assert review.edited_at is not None
    async with store.sessions.begin() as session:
        await session.execute(
            update(Review).values(submitted_at=datetime.now(UTC) - timedelta(hours=25))
        )
    again = await store.client.post(path, data=form_of(kettle.id, "1"))
    assert again.status_code == 409
    assert "reviews can only be edited within 24 hours" in shown(again)
    (review,) = await reviews(store)
    assert review.rating == 4
    page = await store.client.get(path)
    assert "Reviewed — thank you!" in page.text
    assert "<form" not in page.text


async def test_html_in_a_review_is_stored_as_text_and_shown_escaped(store: Store) -> None:
    (kettle,) = products(store, "Kettle")
    order = await fulfilled_order(store, [kettle])
    path = await review_path(store, order)
    script = '<script>alert("x")</script><b>bold</b>'
    sent = await store.client.post(
        path, data={"product": str(kettle.id), "rating": "5", "title": script, "body": script}
    )
    assert sent.status_code == 200
    (review,) = await reviews(store)
    assert review.body == script
    page = await store.client.get(path)
    assert "<script>alert" not in page.text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;" in page.text
    listed = await store.client.get("/api/reviews", headers=store.headers)
    # The admin API returns the text as typed; the admin renders it as text.
    assert listed.json()[0]["body"] == script
