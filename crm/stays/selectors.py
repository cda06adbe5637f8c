"""Reads of stays and properties, scoped to one organization."""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet

from crm.models import Customer, Organization, Property, Stay
from crm.selectors import get_or_404


def property_list(*, organization: Organization) -> QuerySet[Property]:
    return Property.objects.filter(organization=organization).order_by("pk")


def property_get(*, organization: Organization, pk: object) -> Property:
    return get_or_404(property_list(organization=organization), pk)


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
