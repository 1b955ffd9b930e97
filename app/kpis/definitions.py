"""The derived figures, as docs/kpis.md defines them, over the summed daily counts. Pure
functions over plain numbers: a rate whose denominator is 0 is None (shown as "—"), never 0."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

Figures = Mapping[str, Decimal]

_ZERO = Decimal(0)


def ratio(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    if denominator == 0:
        return None
    return numerator / denominator


def derived(figures: Figures) -> dict[str, Decimal | None]:
    """Rates and money ratios of one source (or one step) over a period."""

    def get(metric: str) -> Decimal:
        return figures.get(metric, _ZERO)

    revenue = get("revenue")
    cost = get("discount_cost")
    return {
        "open_rate": ratio(get("unique_human_opens"), get("delivered")),
        "click_rate": ratio(get("unique_human_clicks"), get("delivered")),
        "conversion_rate": ratio(get("conversions"), get("recipients")),
        "revenue_per_recipient": ratio(revenue, get("recipients")),
        "roi": ratio(revenue - cost, cost),
        "recovery_rate": ratio(get("recovered"), get("runs_started")),
        "reminded_rate": ratio(get("recipients"), get("runs_started")),
    }


def change(current: Decimal | None, previous: Decimal | None) -> Decimal | None:
    """Relative change from the previous period (None when there was nothing before)."""
    if current is None or previous is None or previous == 0:
        return None
    return (current - previous) / abs(previous)


def referral_rates(figures: Figures) -> dict[str, Decimal | None]:
    """The referral program's rates over a period (docs/kpis.md, "Referrals")."""

    def get(metric: str) -> Decimal:
        return figures.get(metric, _ZERO)

    return {
        # Orders that used a code per visit of a share link: a code can also be typed in
        # without a visit, so this is a ratio, not a share of the visitors.
        "conversion_rate": ratio(get("codes_used"), get("link_visits")),
        "flagged_rate": ratio(get("flagged"), get("codes_used")),
        "referred_revenue_per_order": ratio(get("referred_revenue"), get("referred_orders")),
    }


def review_rates(figures: Figures) -> dict[str, Decimal | None]:
    """The reviews program's rates over a period (docs/kpis.md, "Reviews")."""

    def get(metric: str) -> Decimal:
        return figures.get(metric, _ZERO)

    return {
        "response_rate": ratio(get("requests_answered"), get("requests")),
        "average_rating": ratio(get("rating_sum"), get("reviews")),
        "photo_share": ratio(get("reviews_with_photos"), get("reviews")),
    }
