"""The reasoning and the touches: brief, gift rules, delights, touches (outbox), feedback.

One module per model family; everything is importable from ``personalization.models``.
"""

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

__all__ = ["PENDING_STATUSES", "Channel", "Feedback", "PlanningRun", "Tip", "Touch", "TouchKind", "TouchStatus"]
