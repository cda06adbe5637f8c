"""Reads of the personalization app; organization scoping happens here."""

from __future__ import annotations

from django.db.models import QuerySet

from crm.models import Customer, Organization
from crm.selectors import get_or_404
from personalization.models import Touch


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
