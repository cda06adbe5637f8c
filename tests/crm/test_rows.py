"""Instances built from hand-written SQL rows (crm.rows) are the ORM's own, whichever way they are built."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models.signals import post_init

from crm import rows, services
from crm.models import Customer
from crm.partial_dates import PartialDate
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def loaded(customer: Customer) -> Customer:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {rows.columns(Customer, 'c')} FROM crm_customer c WHERE c.id = %s", [customer.pk])
        return rows.instance(Customer, cursor.fetchone())


def fields(customer: Customer) -> dict:
    return {f.attname: getattr(customer, f.attname) for f in Customer._meta.concrete_fields}


def test_a_guest_from_a_row_is_the_orms_guest_and_saves_as_an_update(organization, property_):
    # Given a guest with dates, partial dates, tags, a property and visits
    customer = CustomerFactory(organization=organization, home_property=property_, siobhan=True, tags=["vip"])
    services.customer_update(customer=customer, birthday=PartialDate.parse("03-14"))
    # When the guest is built from a row / Then every field is what the ORM loads
    from_row, from_orm = loaded(customer), Customer.objects.get(pk=customer.pk)
    assert fields(from_row) == fields(from_orm)
    assert str(from_row.birthday) == "03-14" and from_row.home_property == property_
    assert not from_row._state.adding and from_row._state.db == "default"
    # and changing it writes to the same row, not a new one
    from_row.salutation = "Ms"
    from_row.save(update_fields=["salutation"])
    assert Customer.objects.get(pk=customer.pk).salutation == "Ms"
    assert Customer.objects.filter(organization=organization).count() == 1


def test_a_listener_of_model_init_still_hears_a_guest_built_from_a_row(organization):
    customer = CustomerFactory(organization=organization, given_name="Ana")
    heard = []

    def listener(sender, instance, **kwargs):
        heard.append(instance.given_name)

    post_init.connect(listener, sender=Customer)
    try:
        assert loaded(customer).given_name == "Ana"
    finally:
        post_init.disconnect(listener, sender=Customer)
    assert heard == ["Ana"]
