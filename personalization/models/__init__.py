"""The reasoning and the touches: brief, gift rules, delights, touches (outbox), feedback.

One module per model family; everything is importable from ``personalization.models``.
"""

from personalization.models.gifts import (
    GIVEN_STATUSES,
    OPEN_STATUSES,
    Delight,
    DelightStatus,
    GiftRule,
    GiftSpend,
    PastDelight,
    Trigger,
)
from personalization.models.metrics import Measure, MetricDay, MetricDuration, MetricsPendingContact, Span
from personalization.models.tips import Tip
from personalization.models.touches import (
    PENDING_STATUSES,
    Channel,
    Feedback,
    PlanningRun,
    TaskOutcome,
    Touch,
    TouchKind,
    TouchStatus,
)

__all__ = [
    "GIVEN_STATUSES",
    "OPEN_STATUSES",
    "PENDING_STATUSES",
    "PastDelight",
    "Channel",
    "Delight",
    "DelightStatus",
    "Feedback",
    "GiftRule",
    "GiftSpend",
    "Measure",
    "MetricsPendingContact",
    "MetricDay",
    "MetricDuration",
    "Span",
    "PlanningRun",
    "TaskOutcome",
    "Tip",
    "Touch",
    "TouchKind",
    "TouchStatus",
    "Trigger",
]
