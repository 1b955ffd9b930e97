"""SQLAlchemy models; importing this package registers every table on Base.metadata."""

from app.models.commerce import (
    Checkout,
    Customer,
    CustomerOrderStats,
    Fulfillment,
    Order,
    OrderDelivery,
    OrderDiscountCode,
    OrderLineItem,
    Refund,
)
from app.models.compliance import CustomerDataRequest
from app.models.discount_codes import (
    DiscountCode,
    DiscountCodeStatus,
    DiscountPool,
    DiscountPoolStatus,
    PoolCode,
    PoolCodeStatus,
)
from app.models.kpis import (
    AnalyticsSettings,
    KpiAttribution,
    KpiDaily,
    KpiDirtyDay,
    KpiMonthly,
    KpiRunOutcome,
    KpiSnapshot,
)
from app.models.loyalty import (
    LoyaltyAccount,
    LoyaltyGuestPoints,
    LoyaltyProgram,
    LoyaltyRedemption,
    PointsLedgerEntry,
)
from app.models.messaging import (
    EmailSuppression,
    Message,
    MessageEvent,
    MessageTemplate,
    MessagingSettings,
    ScenarioSetting,
)
from app.models.reconcile import ReconcileState
from app.models.referrals import Referral, ReferralCode, ReferralSegment, ReferralVisit
from app.models.reviews import Review, ReviewPhoto, ReviewSettingsRow
from app.models.scenarios import ScenarioConversion, ScenarioRun, TimelineEntry
from app.models.setup_guide import SetupGuideRow
from app.models.shops import Shop
from app.models.webhook_events import WebhookEvent, WebhookEventStatus

__all__ = [
    "AnalyticsSettings",
    "Checkout",
    "Customer",
    "CustomerDataRequest",
    "CustomerOrderStats",
    "DiscountCode",
    "DiscountCodeStatus",
    "DiscountPool",
    "DiscountPoolStatus",
    "EmailSuppression",
    "Fulfillment",
    "KpiAttribution",
    "KpiDaily",
    "KpiDirtyDay",
    "KpiMonthly",
    "KpiRunOutcome",
    "KpiSnapshot",
    "LoyaltyAccount",
    "LoyaltyGuestPoints",
    "LoyaltyProgram",
    "LoyaltyRedemption",
    "Message",
    "MessageEvent",
    "MessageTemplate",
    "MessagingSettings",
    "Order",
    "OrderDelivery",
    "OrderDiscountCode",
    "OrderLineItem",
    "PointsLedgerEntry",
    "PoolCode",
    "PoolCodeStatus",
    "ReconcileState",
    "Referral",
    "ReferralCode",
    "ReferralSegment",
    "ReferralVisit",
    "Refund",
    "Review",
    "ReviewPhoto",
    "ReviewSettingsRow",
    "ScenarioConversion",
    "ScenarioRun",
    "ScenarioSetting",
    "SetupGuideRow",
    "Shop",
    "TimelineEntry",
    "WebhookEvent",
    "WebhookEventStatus",
]
