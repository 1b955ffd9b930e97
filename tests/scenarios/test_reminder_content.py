"""What a reminder carries: each item's image (looked up in the Admin API, since checkout
webhooks have none), and a discount code stacking as the merchant chose, titled in the
shop's language in Shopify's admin."""

from __future__ import annotations

import copy
from decimal import Decimal

from sqlalchemy import update

from app.models import Shop
from app.shopify.token_cipher import TokenCipher
from devstore.products import VariantSpec
from tests.conftest import TEST_FERNET_KEY
from tests.messaging.conftest import Inbox
from tests.scenarios.conftest import SHOP, Store, html_part, text_part

# The sample checkout's line item (Shopify's fixture), stocked in every simulated shop.
FIXTURE_VARIANT = 808950810


async def test_the_reminder_shows_each_items_image(store: Store, inbox: Inbox) -> None:
    shirt = store.sim.shop(SHOP).variant(FIXTURE_VARIANT)
    assert shirt is not None
    assert shirt.image_url  # the variant's own image
    # A product whose variant has no image of its own: the product's featured image shows.
    mug = store.sim.add_product(
        SHOP,
        "Enamel Mug",
        image_url="https://cdn.example.test/mug.jpg",
        variants=[VariantSpec("Forest", Decimal("18.00"), sku="MUG-F")],
    )
    (forest,) = mug.variants.values()

    customer = store.customer_payload(email="ines@example.test")
    await store.deliver("customers/create", customer)
    checkout = store.checkout_payload(customer)
    second = copy.deepcopy(checkout["line_items"][0])
    second.update(
        title="Enamel Mug",
        presentment_title="Enamel Mug",
        variant_title="Forest",
        presentment_variant_title="Forest",
        product_id=mug.id,
        variant_id=forest.id,
        price="18.00",
    )
    checkout["line_items"].append(second)
    await store.deliver("checkouts/create", checkout)
    await store.work()

    assert len(inbox.messages) == 3
    for sent in inbox.messages:
        html = html_part(sent)
        assert f'<img src="{shirt.image_url}"' in html
        assert '<img src="https://cdn.example.test/mug.jpg"' in html
        text = text_part(sent)
        assert "IPod Nano - 8GB" in text  # the checkout's own (presentment) title
        assert "Enamel Mug (Forest)" in text
    # One Admin API lookup for the three reminders: images are cached per variant.
    lookups = [r for r in store.sim.store.requests if "VariantImages" in r.query]
    assert len(lookups) == 1
    assert lookups[0].requested_cost == 8  # 2 variants × 4 points
    assert lookups[0].throttled is False


async def test_the_code_stacks_as_chosen_and_its_title_follows_the_shop_language(
    store: Store, inbox: Inbox
) -> None:
    async with store.sessions.begin() as session:
        await session.execute(update(Shop).where(Shop.id == store.shop.id).values(locale="fr"))
    await store.configure(
        steps={
            "1": {
                "discount": {
                    "value": "12",
                    "combines_with": {"order_discounts": True, "shipping_discounts": True},
                }
            },
            "2": {"enabled": False},
            "3": {"enabled": False},
        }
    )
    customer = store.customer_payload(email="jules@example.test")
    await store.deliver("customers/create", customer)
    await store.deliver("checkouts/create", store.checkout_payload(customer))
    await store.work()

    (message,) = await store.messages()
    code = message.context["discount_code"]
    (discount,) = [d for d in store.sim.discounts(SHOP) if code in [c.code for c in d.codes]]
    assert discount.combines_with == {
        "orderDiscounts": True,
        "productDiscounts": False,
        "shippingDiscounts": True,
    }
    assert discount.title == "Boomerang : panier abandonné"
    assert discount.percentage == 0.12
    assert [m["To"] for m in inbox.messages] == ["jules@example.test"]


async def test_an_english_shop_gets_an_english_discount_title(store: Store, inbox: Inbox) -> None:
    await store.configure(
        steps=[{"discount": {"value": "10"}}, {"enabled": False}, {"enabled": False}]
    )
    customer = store.customer_payload(email="kai@example.test")
    await store.deliver("customers/create", customer)
    await store.deliver("checkouts/create", store.checkout_payload(customer))
    await store.work()
    (message,) = await store.messages()
    code = message.context["discount_code"]
    (discount,) = [d for d in store.sim.discounts(SHOP) if code in [c.code for c in d.codes]]
    assert discount.title == "Boomerang: abandoned cart"
    # Nothing stacks unless the merchant says so.
    assert set(discount.combines_with.values()) == {False}
    # The first reminder's default email says its code, not only inside the link.
    (sent,) = inbox.messages
    assert f"Use code {code} at checkout." in text_part(sent)
    assert f"<strong>{code}</strong>" in html_part(sent)


async def test_a_shop_without_read_products_still_gets_its_reminders(
    store: Store, inbox: Inbox
) -> None:
    """Installed before Boomerang asked for read_products: Shopify refuses the image lookup;
    the reminders go out without images, and the refusal is not asked again at every step."""
    for access in store.sim.store.access_tokens.values():
        access.revoked = True
    store.sim.config.scopes = store.sim.config.scopes - {"read_products", "write_products"}
    tokens = store.sim.install("acme")
    async with store.sessions.begin() as session:
        await session.execute(
            update(Shop)
            .where(Shop.id == store.shop.id)
            .values(
                access_token_encrypted=TokenCipher([TEST_FERNET_KEY]).encrypt(tokens.access_token)
            )
        )
    customer = store.customer_payload(email="lia@example.test")
    await store.deliver("customers/create", customer)
    await store.deliver("checkouts/create", store.checkout_payload(customer))
    await store.work()
    assert len(inbox.messages) == 3
    assert all('<img src="https://cdn.shopify.com' not in html_part(m) for m in inbox.messages)
    lookups = [r for r in store.sim.store.requests if "VariantImages" in r.query]
    assert len(lookups) == 1
    assert lookups[0].errors[0]["extensions"]["code"] == "ACCESS_DENIED"
