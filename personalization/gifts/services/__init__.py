"""Every write of the gift rules and their delights, one module each:

- ``gift_rules``: create, change, archive a rule; stop the rules a deleted property leaves empty;
- ``delights``: suggest (the brief), offer, plan, deliver, decline, expire; keep occasions apart on a merge;
- ``planner``: the nightly planner's set-based suggestions.
"""

from personalization.gifts.services.delights import (
    delight_decline,
    delight_deliver,
    delight_offer,
    delight_plan,
    delights_expire,
    delights_make_room_for_merge,
    delights_suggest,
)
from personalization.gifts.services.gift_rules import (
    gift_rule_create,
    gift_rule_delete,
    gift_rule_update,
    gift_rules_stop_for_property,
)
from personalization.gifts.services.planner import delights_plan_nightly

__all__ = [
    "delight_decline",
    "delight_deliver",
    "delight_offer",
    "delight_plan",
    "delights_expire",
    "delights_make_room_for_merge",
    "delights_plan_nightly",
    "delights_suggest",
    "gift_rule_create",
    "gift_rule_delete",
    "gift_rule_update",
    "gift_rules_stop_for_property",
]
