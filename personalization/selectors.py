"""Reads of the personalization app; organization scoping happens here."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Case, Q, QuerySet, Value, When

from crm.models import Customer, Organization
from crm.selectors import get_or_404
from personalization.models import Channel, Touch, TouchStatus

TASK_STATUSES = {"open": TouchStatus.SCHEDULED, "done": TouchStatus.DONE}


def touch_list(*, organization: Organization) -> QuerySet[Touch]:
    """An organization's touches, latest due first, with what the lists show."""
    return (
        Touch.objects.filter(organization=organization)
        .select_related("customer", "property", "issue")
        .order_by("-due_at", "-id")
    )


def touch_list_of(*, customer: Customer) -> QuerySet[Touch]:
    """One customer's touches (scheduled and past), latest due first."""
    return Touch.objects.filter(customer=customer).select_related("issue").order_by("-due_at", "-id")


def touch_get(*, organization: Organization, pk: object) -> Touch:
    return get_or_404(touch_list(organization=organization), pk)


def task_list(
    *,
    organization: Organization,
    status: str | None = None,
    customer_id: int | None = None,
    property_id: int | None = None,
) -> QuerySet[Touch]:
    """The organization's staff tasks. status "open" (due or not yet) in due order, the most overdue first;
    "done" most recently finished first; none: every task, open ones first. property_id: that property's tasks
    and those of no property (a guest of no property is everyone's)."""
    tasks = Touch.objects.filter(organization=organization, channel=Channel.STAFF_TASK).select_related(
        "customer", "property", "issue", "assignee", "done_by"
    )
    if status is not None:
        tasks = tasks.filter(status=TASK_STATUSES[status])
    if customer_id is not None:
        tasks = tasks.filter(customer_id=customer_id)
    if property_id is not None:
        tasks = tasks.filter(Q(property_id=property_id) | Q(property__isnull=True))
    if status == "done":
        return tasks.order_by("-done_at", "-id")
    open_first = Case(When(status=TouchStatus.SCHEDULED, then=Value(0)), default=Value(1))
    return tasks.order_by(open_first, "due_at", "id")


def task_get(*, organization: Organization, pk: object) -> Touch:
    """One of the organization's staff tasks (a message's id, or another organization's task: 404)."""
    return get_or_404(task_list(organization=organization), pk)


def open_task_count(*, organization: Organization, property_id: int | None, now: datetime) -> int:
    """How many open tasks are due by now at this property (and of no property): the count in the navigation."""
    return task_list(organization=organization, status="open", property_id=property_id).filter(due_at__lte=now).count()
