"""The hosted review form in Chromium, served on a real socket: a customer on a phone-sized
screen opens the link with four stars already chosen (from the email), changes to five by
clicking a star, types a title and a review, attaches a photo and sends; the review and the
photo (re-encoded, no EXIF) are stored. No JavaScript runs on the page."""

from __future__ import annotations

import io
from pathlib import Path

from fastapi import FastAPI
from PIL import Image
from playwright.async_api import Browser

from tests.browser.conftest import TIMEOUT_MS
from tests.reviews.conftest import (
    fulfilled_order,
    photo_bytes,
    photos,
    products,
    review_path,
    reviews,
)
from tests.scenarios.conftest import (  # noqa: F401  (fixtures)
    Store,
    app,
    settings,
    sim,
    simulator,
    store,
)
from tests.support.servers import serve


async def test_a_customer_fills_in_the_form_and_attaches_a_photo(
    browser: Browser,
    app: FastAPI,  # noqa: F811
    store: Store,  # noqa: F811
    tmp_path: Path,
) -> None:
    (teapot,) = products(store, "Stone Teapot")
    order = await fulfilled_order(store, [teapot], locale="fr", email="lea@example.test")
    path = await review_path(store, order)
    picture = tmp_path / "teapot.jpg"
    picture.write_bytes(photo_bytes("JPEG", (800, 600)))
    async with serve(app, lifespan="off") as base:
        context = await browser.new_context(
            viewport={"width": 390, "height": 844}, java_script_enabled=False, locale="fr-FR"
        )
        context.set_default_timeout(TIMEOUT_MS)
        page = await context.new_page()
        try:
            await page.goto(f"{base}{path}?p={teapot.id}&r=4")
            assert await page.title() == "Donnez votre avis sur votre commande"
            assert await page.locator(f"#s{teapot.id}-4").is_checked()
            await page.locator(f"label[for='s{teapot.id}-5']").click()
            assert await page.locator(f"#s{teapot.id}-5").is_checked()
            await page.get_by_label("Titre (facultatif)").fill("Superbe théière")
            await page.get_by_label("Votre avis (facultatif)").fill("Elle verse <bien> & vite.")
            await page.get_by_label("Photos (facultatif").set_input_files(str(picture))
            await page.get_by_role("button", name="Envoyer mon avis").click()
            await page.get_by_text("Merci ! Votre avis a été reçu.").wait_for()
        finally:
            await context.close()
    (review,) = await reviews(store)
    assert (review.rating, review.title, review.body) == (
        5,
        "Superbe théière",
        "Elle verse <bien> & vite.",
    )
    assert review.locale == "fr"
    (photo,) = await photos(store)
    data = (store.settings.data_dir / "review-photos" / photo.storage_key).read_bytes()
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (800, 600)
        assert not image.getexif()
