"""The catalog: every scenario this build runs, as an explicit list. Adding a journey is its
package (app/scenarios/<key>/) and one line here. Importing this module registers nothing
anywhere: the composition root (app/platform/composition.py) wires what it lists."""

from __future__ import annotations

from app.scenarios.abandoned_cart.declaration import ABANDONED_CART
from app.scenarios.engine import Catalog
from app.scenarios.review_request.declaration import REVIEW_REQUEST
from app.scenarios.welcome.declaration import WELCOME
from app.scenarios.winback.declaration import WINBACK

CATALOG = Catalog(
    [
        ABANDONED_CART,
        REVIEW_REQUEST,
        WELCOME,
        WINBACK,
    ]
)
