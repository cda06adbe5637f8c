"""Hooks of the gift rules for the rest of personalization.

A delight-notice touch (issue 5's outbox) connects here instead of the gift code writing touches:

- ``delight_planned`` (sender=Delight, delight=Delight, actor=User|None): a delight was planned, inside the
  planning transaction; a receiver may write its touch row in that same transaction.
- ``delights_suggested`` (sender=GiftRule, rule=GiftRule, count=int, since=datetime): the nightly planner
  recorded ``count`` new suggested delights of ``rule`` (those created at or after ``since``), set-based:
  a receiver should act on them with set-based SQL too.
- ``delight_declined`` (sender=Delight, delight=Delight, actor=User|None): inside the declining transaction.
- ``delights_expired`` (sender=Delight): suggested or planned delights past their time (or of a deleted rule)
  were marked expired in one UPDATE, inside its transaction; a receiver acts set-based on expired delights.
"""

from django.dispatch import Signal

delight_planned = Signal()
delights_suggested = Signal()
delight_declined = Signal()
delights_expired = Signal()
