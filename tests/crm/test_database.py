"""Invariants the database itself enforces, and writes that race."""

from __future__ import annotations

import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from crm import services
from crm.lookup.terms import visits_copy
from crm.models import Customer, Issue, Preference, SearchTerm
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("model", "fields"),
    [
        (Customer, {"given_name": "", "family_name": "", "native_name": "", "preferred_name": ""}),
        (Customer, {"given_name": "A", "birthday_month": 13, "birthday_day": 1}),
        (Customer, {"given_name": "A", "birthday_month": 2}),  # a month without a day
    ],
)
def test_database_refuses_invalid_customers(organization, model, fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.create(organization=organization, **fields)


def test_database_refuses_unknown_choices_and_unresolved_resolutions(customer):
    now = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        Preference.objects.create(customer=customer, category="mood", text="x", last_confirmed_at=now)
    with pytest.raises(IntegrityError), transaction.atomic():
        Issue.objects.create(
            customer=customer, summary="x", status="resolved", resolution="", opened_at=now, resolved_at=now
        )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_desks_logging_at_once_both_count(organization):
    customer = CustomerFactory(organization=organization)
    barrier = threading.Barrier(2)
    errors = []

    def log_visit():
        try:
            barrier.wait(timeout=10)
            services.contact_log(customer=Customer.objects.get(pk=customer.pk), kind="visit")
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=log_visit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    customer.refresh_from_db()
    assert customer.visit_count == 2
    # the later of the two is the guest's last seen, and, once beat copies it, their search terms' (the lookup's order)
    assert customer.last_seen == customer.contacts.order_by("-occurred_at").first().occurred_at
    visits_copy()
    assert set(SearchTerm.objects.filter(customer=customer).values_list("last_seen", flat=True)) == {customer.last_seen}
