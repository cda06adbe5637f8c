"""Template tags of the desk's screens."""

from __future__ import annotations

from django import template
from django.utils import timezone

from crm.selectors import staff_of
from personalization import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def open_tasks_due(context) -> int:
    """How many open tasks are due now at the signed-in staff member's property (0 outside an organization)."""
    request = context.get("request")
    staff = staff_of(getattr(request, "user", None))
    if staff is None:
        return 0
    return selectors.open_task_count(organization=staff.organization, property_id=staff.property_id, now=timezone.now())
