"""All reads of the memory. Organization scoping happens here, once: a view
asks for an object *of an organization*, and another organization's object
is simply not found (404), so ids leak nothing."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.http import Http404

from crm import phones
from crm.models import ChangeRecord, Contact, Customer, Issue, Organization, Preference, Property, Staff

LOOKUP_NAME_FIELDS = ("given_name", "family_name", "native_name", "latin_name", "preferred_name")
MIN_PHONE_DIGITS = 4
MAX_QUERY_LENGTH = 100


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


def customer_list(*, organization: Organization, q: str | None = None) -> QuerySet[Customer]:
    """Customers of an organization, newest first; with q, those matching it, best first."""
    customers = Customer.objects.filter(organization=organization)
    if q is None:
        return customers.order_by("-created_at", "-id")
    return _customer_lookup(customers, q)


def _customer_lookup(customers: QuerySet[Customer], q: str) -> QuerySet[Customer]:
    """Simple, index-free lookup across names, email and phone digits."""
    q = " ".join(q.split())[:MAX_QUERY_LENGTH]
    if not q:
        return customers.none()
    name_exact = Q()
    name_prefix = Q()
    name_contains = Q()
    for field in LOOKUP_NAME_FIELDS:
        name_exact |= Q(**{f"{field}__iexact": q})
        name_prefix |= Q(**{f"{field}__istartswith": q})
        name_contains |= Q(**{f"{field}__icontains": q})
    matches = name_contains | Q(email__iexact=q) | Q(email__istartswith=f"{q}@")
    digits = phones.digits(q)
    if len(digits) >= MIN_PHONE_DIGITS and len(digits) >= len(q.replace(" ", "").replace("-", "")) - 1:
        matches |= Q(phone__endswith=digits)
    return (
        customers.filter(matches)
        .annotate(
            rank=Case(
                When(name_exact | Q(email__iexact=q), then=Value(0)),
                When(name_prefix, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        .order_by("rank", "-last_seen", "-id")
    )


def customer_get(*, organization: Organization, pk: object) -> Customer:
    return _get(Customer.objects.filter(organization=organization).select_related("organization"), pk)


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
