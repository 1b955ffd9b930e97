"""Every figure source the roll-up runs, as an explicit list: a scenario or program adds its
figures with one `DailyFigures` line here (and its snapshot, if it keeps point-in-time
figures). How: docs/kpis.md, "Adding a scenario's or a program's figures"."""

from __future__ import annotations

from app.kpis import snapshots
from app.kpis.snapshots import Snapshot
from app.kpis.sources import (
    ATTRIBUTED_ORDERS,
    JOURNEY_MESSAGES,
    JOURNEY_RUNS,
    JOURNEY_SUPPRESSED,
    LOYALTY_POINTS,
    STORE_ORDERS,
    DailyFigures,
)
from app.referrals.kpis import REFERRAL_FIGURES
from app.reviews.kpis import REVIEW_FIGURES, REVIEWS_SNAPSHOT

DAILY: tuple[DailyFigures, ...] = (
    # Every journey (abandoned cart, welcome, win-back, and any journey added later).
    JOURNEY_MESSAGES,
    JOURNEY_SUPPRESSED,
    JOURNEY_RUNS,
    ATTRIBUTED_ORDERS,
    # The store as a whole, and the loyalty program.
    STORE_ORDERS,
    LOYALTY_POINTS,
    # The programs' own figures.
    REFERRAL_FIGURES,
    REVIEW_FIGURES,
)

SNAPSHOTS: tuple[Snapshot, ...] = (
    snapshots.RETENTION,
    snapshots.LOYALTY,
    REVIEWS_SNAPSHOT,
)

# Journeys whose subject is a checkout token: an order completing that checkout after one of
# their messages was sent is theirs first (the attribution rule's first clause).
CHECKOUT_SCENARIOS: tuple[str, ...] = ("abandoned_cart",)
