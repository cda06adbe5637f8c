"""One guest read by id (crm.selectors.customer_get): the read behind every profile, preference, contact, issue, merge
and stay that names a guest. One statement, scoped to the caller's organization; anything else is a 404."""

from __future__ import annotations

import pytest
from django.http import Http404

from crm import selectors, services
from crm.models import Customer
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("pk", ["abc", "1.5", "", None, True, 10**30, -(10**30), "9" * 40, [1], {"id": 1}])
def test_anything_that_is_not_a_guests_id_is_a_404(organization, pk):
    CustomerFactory(organization=organization)
    with pytest.raises(Http404):
        selectors.customer_get(organization=organization, pk=pk)


def test_another_organizations_guest_and_a_guest_merged_away_are_404(organization, other_property):
    theirs = CustomerFactory(organization=other_property.organization)
    kept, duplicate = CustomerFactory(organization=organization), CustomerFactory(organization=organization)
    services.customer_merge(kept=kept, duplicate=duplicate)
    for pk in (theirs.pk, duplicate.pk, str(duplicate.pk)):
        with pytest.raises(Http404):
            selectors.customer_get(organization=organization, pk=pk)
    assert selectors.customer_get(organization=organization, pk=str(kept.pk)).pk == kept.pk


@pytest.mark.parametrize("external_ids", [True, False])
def test_one_statement_reads_the_guest_who_holds_the_callers_organization(
    organization, external_ids, django_assert_num_queries
):
    # Given a guest with ids in two other systems
    guest = CustomerFactory(organization=organization, given_name="Siobhán")
    services.customer_update(
        customer=guest, external_ids=[{"system": "opera", "id": "A1"}, {"system": "fidelio", "id": "F9"}]
    )
    # When read by id, with or without those ids: one statement, and nothing read again afterwards
    with django_assert_num_queries(1):
        found = selectors.customer_get(organization=organization, pk=guest.pk, external_ids=external_ids)
        assert found.organization is organization
        if external_ids:
            assert [(e.system, e.value) for e in found.external_ids.all()] == [("fidelio", "F9"), ("opera", "A1")]
    # Then it is the guest as the ORM loads them, and saves as an update of the same row
    from_orm = Customer.objects.get(pk=guest.pk)
    assert {f.attname: getattr(found, f.attname) for f in Customer._meta.concrete_fields} == {
        f.attname: getattr(from_orm, f.attname) for f in Customer._meta.concrete_fields
    }
    found.salutation = "Ms"
    found.save(update_fields=["salutation"])
    assert Customer.objects.get(pk=guest.pk).salutation == "Ms"
    assert Customer.objects.filter(organization=organization).count() == 1
