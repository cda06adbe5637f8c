"""All reads of the memory. Organization scoping happens here, once: a view
asks for an object *of an organization*, and another organization's object
is simply not found (404), so ids leak nothing."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Case, QuerySet, Value, When
from django.http import Http404

from crm.lookup.search import search as lookup_search
from crm.models import ChangeRecord, Contact, Customer, Issue, Organization, Preference, Property, Staff


def staff_of(user: AbstractBaseUser | None) -> Staff | None:
    """The staff profile of an authenticated user, or None (a user outside every organization)."""
    if user is None or not user.is_authenticated:
        return None
    try:
        return user.staff  # type: ignore[attr-defined]
    except Staff.DoesNotExist:
        return None


def _get(queryset: QuerySet, pk: object):
    try:
        return queryset.get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise Http404 from exc


def customers_of(organization: Organization) -> QuerySet[Customer]:
    """An organization's customers, without the profiles merged into others."""
    return Customer.objects.filter(organization=organization, merged_into__isnull=True)


def customer_list(*, organization: Organization, q: str | None = None) -> QuerySet[Customer]:
    """Customers of an organization, newest first; with q, those matching it, best first
    (at most crm.lookup.search.RESULT_LIMIT)."""
    customers = customers_of(organization)
    if q is None:
        return customers.order_by("-created_at", "-id")
    ids = lookup_search(organization=organization, text=q)
    if not ids:
        return customers.none()
    return customers.filter(pk__in=ids).order_by(Case(*(When(pk=pk, then=Value(i)) for i, pk in enumerate(ids))))


def customer_get(*, organization: Organization, pk: object) -> Customer:
    return _get(customers_of(organization).select_related("organization"), pk)


def preference_list(*, customer: Customer) -> QuerySet[Preference]:
    return Preference.objects.filter(customer=customer).order_by("-safety_critical", "-last_confirmed_at", "-id")


def preference_get(*, organization: Organization, pk: object) -> Preference:
    return _get(
        Preference.objects.filter(customer__organization=organization).select_related("customer__organization"), pk
    )


def issue_list(*, customer: Customer) -> QuerySet[Issue]:
    return Issue.objects.filter(customer=customer).order_by("-opened_at", "-id")


def issue_get(*, organization: Organization, pk: object) -> Issue:
    return _get(Issue.objects.filter(customer__organization=organization).select_related("customer__organization"), pk)


def contact_list(*, customer: Customer) -> QuerySet[Contact]:
    return Contact.objects.filter(customer=customer).order_by("-occurred_at", "-id")


def property_get(*, organization: Organization, pk: object) -> Property:
    return _get(Property.objects.filter(organization=organization), pk)


def property_list(*, organization: Organization) -> QuerySet[Property]:
    return Property.objects.filter(organization=organization).order_by("name")


def change_history(*, organization: Organization, target_type: str, target_id: int) -> QuerySet[ChangeRecord]:
    return ChangeRecord.objects.filter(
        organization=organization, target_type=target_type, target_id=target_id
    ).select_related("actor")
