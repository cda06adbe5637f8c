"""All reads of the memory. Organization scoping happens here, once: a view
asks for an object *of an organization*, and another organization's object
is simply not found (404), so ids leak nothing."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, QuerySet
from django.http import Http404

from crm.lookup.search import search as lookup_search
from crm.models import (
    Contact,
    Customer,
    Issue,
    Merge,
    Organization,
    Preference,
    SearchTerm,
    Staff,
    TermKind,
)


def staff_of(user: AbstractBaseUser | None) -> Staff | None:
    """The staff profile of an authenticated user, or None (a user outside every organization)."""
    if user is None or not user.is_authenticated:
        return None
    try:
        return user.staff  # type: ignore[attr-defined]
    except Staff.DoesNotExist:
        return None


def has_second_factor(user: AbstractBaseUser) -> bool:
    """Whether the user signs in with a second factor (a confirmed authenticator app)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).exists()


def get_or_404(queryset: QuerySet, pk: object):
    """The row of queryset (already scoped to an organization) with this pk, or 404: another organization's
    row, a malformed or out-of-range id, and a missing row all look the same."""
    try:
        return queryset.get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise Http404 from exc


def customers_of(organization: Organization) -> QuerySet[Customer]:
    """An organization's customers, without the profiles merged into others."""
    return Customer.objects.filter(organization=organization, merged_into__isnull=True)


def customer_list(*, organization: Organization) -> QuerySet[Customer]:
    """Customers of an organization, newest first."""
    return customers_of(organization).order_by("-created_at", "-id")


def customer_lookup(*, organization: Organization, q: str) -> list[Customer]:
    """The organization's customers matching q, best first (at most crm.lookup.search.RESULT_LIMIT)."""
    return lookup_search(organization=organization, text=q)


def customer_get(*, organization: Organization, pk: object) -> Customer:
    return get_or_404(customers_of(organization).select_related("organization"), pk)


def preference_list(*, customer: Customer) -> QuerySet[Preference]:
    return Preference.objects.filter(customer=customer).order_by("-safety_critical", "-last_confirmed_at", "-id")


def preference_get(*, organization: Organization, pk: object) -> Preference:
    return get_or_404(
        Preference.objects.filter(customer__organization=organization).select_related("customer__organization"), pk
    )


def issue_list(*, customer: Customer) -> QuerySet[Issue]:
    return Issue.objects.filter(customer=customer).order_by("-opened_at", "-id")


def issue_get(*, organization: Organization, pk: object) -> Issue:
    return get_or_404(
        Issue.objects.filter(customer__organization=organization).select_related("customer__organization"), pk
    )


def contact_list(*, customer: Customer) -> QuerySet[Contact]:
    return Contact.objects.filter(customer=customer).order_by("-occurred_at", "-id")


# --- likely duplicates and merges ---------------------------------------------

DUPLICATE_KINDS = (TermKind.EMAIL, TermKind.PHONE, TermKind.FULL_NAME)
REASONS = {TermKind.EMAIL: "same_email", TermKind.PHONE: "same_phone", TermKind.FULL_NAME: "same_name"}
MAX_NAME_GROUP = 20  # a name shared by more guests than this is a common name, not a duplicate


@dataclass(frozen=True)
class DuplicatePair:
    first: Customer
    second: Customer
    reasons: tuple[str, ...]

    @property
    def customers(self) -> tuple[Customer, Customer]:
        return self.first, self.second


def _contradict(a: Customer, b: Customer) -> bool:
    """Two profiles with the same name are still two people when their emails, phones or birthdays differ."""
    return any(
        getattr(a, field) and getattr(b, field) and getattr(a, field) != getattr(b, field)
        for field in ("email", "phone", "birthday_month", "birthday_day")
    )


def _pairs(keys: dict[tuple[str, int], list[int]], customers: dict[int, Customer]) -> list[DuplicatePair]:
    reasons: dict[tuple[int, int], set[str]] = defaultdict(set)
    for (_term, kind), ids in keys.items():
        if kind == TermKind.FULL_NAME and len(ids) > MAX_NAME_GROUP:
            continue
        for a, b in combinations(sorted(set(ids)), 2):
            reasons[(a, b)].add(REASONS[kind])
    pairs = []
    for (a, b), why in sorted(reasons.items()):
        if a not in customers or b not in customers:  # merged away or another organization's
            continue
        if why == {"same_name"} and _contradict(customers[a], customers[b]):
            continue
        pairs.append(DuplicatePair(customers[a], customers[b], tuple(sorted(why))))
    return pairs


def likely_duplicates_of(customer: Customer) -> list[tuple[Customer, tuple[str, ...]]]:
    """Other profiles of the organization that share this one's email, phone or whole name."""
    own = SearchTerm.objects.filter(customer=customer, kind__in=DUPLICATE_KINDS).values("term")
    rows = (
        SearchTerm.objects.filter(organization_id=customer.organization_id, kind__in=DUPLICATE_KINDS, term__in=own)
        .exclude(customer=customer)
        .values_list("term", "kind", "customer_id")
    )
    keys: dict[tuple[str, int], list[int]] = defaultdict(lambda: [customer.pk])
    for term, kind, other in rows:
        keys[(term, kind)].append(other)
    others = {c.pk: c for c in Customer.objects.filter(pk__in={i for ids in keys.values() for i in ids})}
    others[customer.pk] = customer
    return [
        (pair.second if pair.first.pk == customer.pk else pair.first, pair.reasons)
        for pair in _pairs(keys, others)
        if customer.pk in (pair.first.pk, pair.second.pk)
    ]


def likely_duplicates(*, organization: Organization) -> list[DuplicatePair]:
    """Every pair of the organization's profiles sharing an email, a phone, or a whole name (set-based)."""
    shared = (
        SearchTerm.objects.filter(organization=organization, kind__in=DUPLICATE_KINDS)
        .values("term", "kind")
        .annotate(n=Count("customer_id", distinct=True))
        .filter(n__gt=1)
        .values("term")
    )
    rows = SearchTerm.objects.filter(organization=organization, kind__in=DUPLICATE_KINDS, term__in=shared).values_list(
        "term", "kind", "customer_id"
    )
    keys: dict[tuple[str, int], list[int]] = defaultdict(list)
    for term, kind, customer_id in rows:
        keys[(term, kind)].append(customer_id)
    customers = (
        customers_of(organization).select_related("home_property").in_bulk({i for ids in keys.values() for i in ids})
    )
    return [pair for pair in _pairs(keys, customers) if pair.first.pk in customers and pair.second.pk in customers]


def merge_list(*, organization: Organization) -> QuerySet[Merge]:
    return Merge.objects.filter(organization=organization).select_related("kept", "duplicate", "merged_by")


def merge_get(*, organization: Organization, pk: object) -> Merge:
    return get_or_404(merge_list(organization=organization), pk)
