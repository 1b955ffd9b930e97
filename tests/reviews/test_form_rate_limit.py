"""The review form's link over its public rate limit: the shopper gets the form's page in the
order's language with Retry-After, not the API's JSON."""

from __future__ import annotations

import html

import pytest

from app.settings import Settings
from tests.reviews.conftest import fulfilled_order, products, review_path, reviews
from tests.scenarios.conftest import Store


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"rate_limit_public_per_token": "2/minute"})


async def test_a_link_over_its_rate_limit_gets_a_page_in_the_orders_language(
    store: Store,
) -> None:
    (kettle,) = products(store, "Bouilloire en cuivre")
    order = await fulfilled_order(store, [kettle], locale="fr", email="lou@example.test")
    path = await review_path(store, order)
    for _ in range(2):
        assert (await store.client.get(path)).status_code == 200
    limited = await store.client.post(path, data={"product": str(kettle.id), "rating": "5"})
    assert limited.status_code == 429
    assert limited.headers["content-type"].startswith("text/html")
    assert int(limited.headers["retry-after"]) > 0
    assert 'lang="fr"' in limited.text
    assert "requêtes pour ce lien" in html.unescape(limited.text)
    assert await reviews(store) == []
