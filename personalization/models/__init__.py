"""The reasoning and the touches: brief, gift rules, delights, touches (outbox), feedback.

One module per model family; everything is importable from ``personalization.models``.
"""

from personalization.models.gifts import Delight, DelightStatus, GiftRule, GiftSpend, Trigger
from personalization.models.tips import Tip
from personalization.models.touches import (
    PENDING_STATUSES,
    Channel,
    Feedback,
    PlanningRun,
    Touch,
    TouchKind,
    TouchStatus,
)

__all__ = [
    "PENDING_STATUSES",
    "Channel",
    "Delight",
    "DelightStatus",
    "Feedback",
    "GiftRule",
    "GiftSpend",
    "PlanningRun",
    "Tip",
    "Touch",
    "TouchKind",
    "TouchStatus",
    "Trigger",
]
