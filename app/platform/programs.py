"""Every program this build runs, as an explicit list: the one place that names them. The
composition root (app/platform/composition.py) wires what it lists; importing this module
registers nothing."""

from __future__ import annotations

from app.loyalty.listeners import LOYALTY
from app.platform.program import Program
from app.referrals.listeners import REFERRALS
from app.reviews.program import REVIEWS

PROGRAMS: tuple[Program, ...] = (LOYALTY, REFERRALS, REVIEWS)
