"""A search term's organization and customer are kept by the writers rather than by constraints in the database
(migrations 0026 and 0028, README "Design"): every writer gives the customer's own organization, and an organization
or a customer deleted takes its terms with it."""

from __future__ import annotations

import pytest
from django.db.models import F

from crm.lookup.terms import reindex
from crm.models import Customer, Organization, SearchTerm
from tests.factories import CustomerFactory, OrganizationFactory, PropertyFactory

pytestmark = pytest.mark.django_db


def test_every_term_carries_its_customers_organization(organization):
    # Given guests of two organizations, written by the customer services and re-indexed in bulk
    other = PropertyFactory(organization=OrganizationFactory())
    CustomerFactory(organization=organization, given_name="Wei", family_name="Zhang", email="wei@example.com")
    CustomerFactory(organization=other.organization, native_name="张伟", given_name="", family_name="")
    reindex(Customer.objects.all())
    # then every term names its customer's organization
    assert SearchTerm.objects.count() > 20
    assert not SearchTerm.objects.exclude(organization_id=F("customer__organization_id")).exists()


def test_an_organization_deleted_takes_its_terms_with_it(organization):
    # Given a second organization whose guest has terms
    other = PropertyFactory(organization=OrganizationFactory())
    kept = CustomerFactory(organization=organization, given_name="Kay", family_name="Lee")
    CustomerFactory(organization=other.organization, given_name="Wei", family_name="Zhang")
    # when it is deleted
    Organization.objects.filter(pk=other.organization.pk).delete()
    # then none of its terms is left behind, and the other organization keeps its own
    assert not SearchTerm.objects.filter(organization_id=other.organization.pk).exists()
    assert set(SearchTerm.objects.values_list("customer_id", flat=True)) == {kept.pk}


def test_a_customer_deleted_takes_its_terms_with_it(organization):
    # Given two guests with terms
    kept = CustomerFactory(organization=organization, given_name="Kay", family_name="Lee")
    gone = CustomerFactory(organization=organization, given_name="Wei", family_name="Zhang")
    assert SearchTerm.objects.filter(customer_id=gone.pk).exists()
    # when one is deleted as a whole queryset (an import undone deletes its guests so)
    Customer.objects.filter(pk=gone.pk).delete()
    # then no term of theirs is left behind to name a guest who is not there
    assert set(SearchTerm.objects.values_list("customer_id", flat=True)) == {kept.pk}
