"""The reasoning and the touches: brief, gift rules, delights, touches (outbox), feedback.

One module per model family; everything is importable from ``personalization.models``.
"""

from personalization.models.gifts import Delight, DelightStatus, GiftRule, GiftSpend, Trigger
from personalization.models.tips import Tip

__all__ = ["Delight", "DelightStatus", "GiftRule", "GiftSpend", "Tip", "Trigger"]
