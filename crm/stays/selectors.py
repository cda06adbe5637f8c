"""Reads of stays, scoped to one organization (the properties' are crm.selectors.property_list and property_get)."""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet

from crm.models import Customer, Organization, Property, Stay
from crm.selectors import get_or_404


def stay_list(
    *,
    organization: Organization,
    customer: Customer | None = None,
    property: Property | None = None,
    arrival: date | None = None,
) -> QuerySet[Stay]:
    """The organization's stays, latest arrival first, of one guest (their merged-away profiles' too, which
    a merge moved), one property or one arrival date when given."""
    stays = Stay.objects.filter(organization=organization).select_related("property")
    if customer is not None:
        stays = stays.filter(customer=customer)
    if property is not None:
        stays = stays.filter(property=property)
    if arrival is not None:
        stays = stays.filter(arrival=arrival)
    return stays.order_by("-arrival", "-id")


def stay_get(*, organization: Organization, pk: object) -> Stay:
    return get_or_404(Stay.objects.filter(organization=organization).select_related("customer", "property"), pk)
