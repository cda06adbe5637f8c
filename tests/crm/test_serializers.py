"""The API's output is what DRF itself would render, field for field, whatever the output plan skips."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework import serializers

from crm import selectors, services
from crm.partial_dates import PartialDate
from crm.serializers import (
    ContactSerializer,
    CustomerDetailSerializer,
    CustomerSerializer,
    CustomerSummarySerializer,
    IssueSerializer,
    MergeSerializer,
    PreferenceSerializer,
)
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def drf_rendering(serializer_class, instance, context=None):
    serializer = serializer_class(instance, context=context or {})
    return serializers.ModelSerializer.to_representation(serializer, instance)


@pytest.fixture
def customer(organization, property_):
    customer = CustomerFactory(organization=organization, home_property=property_, siobhan=True, tags=["vip", "runner"])
    services.customer_update(customer=customer, name_order="given_first", phone="+353861234567")
    services.customer_update(
        customer=customer, birthday=PartialDate.parse("03-14"), anniversary=PartialDate.parse("2015-06-20")
    )
    services.contact_log(customer=customer, kind="arrival", occurred_at=timezone.now() - timedelta(days=3))
    customer.refresh_from_db()
    return customer


def test_every_customer_field_renders_as_drf_would(customer, organization):
    # Given a customer with every kind of field set (dates, partial dates, lists, choices, a property)
    # When the API renders them / Then the output equals DRF's own field-by-field rendering
    for serializer_class in (CustomerSerializer, CustomerSummarySerializer):
        data = serializer_class(customer, context={"organization": organization}).data
        drf = drf_rendering(serializer_class, customer, {"organization": organization})
        assert data == drf
        assert list(data) == list(drf)  # the fields in DRF's order
    assert CustomerSerializer(customer).data["last_seen"].endswith("Z")
    assert CustomerSerializer(customer).data["birthday"] == "03-14"


def test_a_lookup_page_renders_as_drf_would_from_the_plan_alone(customer, organization):
    # Given a guest with ids in two other systems, found by a lookup as the desk types
    services.customer_update(
        customer=customer, external_ids=[{"system": "opera", "id": "A1"}, {"system": "pms", "id": "B2"}]
    )
    page = selectors.customer_lookup(organization=organization, q="Siob")
    context = {"organization": organization, "mask_contacts": True}
    # When the page is rendered (after a first page made the class's plan)
    CustomerSerializer(page, many=True, context=context).data  # noqa: B018
    serializer = CustomerSerializer(page, many=True, context=context)
    # Then each row is DRF's own rendering, the ids in other systems included
    assert serializer.data == [
        {**drf_rendering(CustomerSerializer, c, context), "email": "s•••@example.ie", "phone": "…4567"} for c in page
    ]
    assert serializer.data[0]["external_ids"] == [{"system": "opera", "id": "A1"}, {"system": "pms", "id": "B2"}]
    # and without copying the serializer's fields, as DRF would for every page (0.3–0.9 ms a keystroke)
    assert "fields" not in vars(serializer.child)


def test_nulls_and_context_fields_render_as_drf_would(organization, customer):
    bare = CustomerFactory(organization=organization, given_name="Ana", email="", phone="")
    assert CustomerSerializer(bare).data == drf_rendering(CustomerSerializer, bare)
    assert CustomerSerializer(bare).data["last_seen"] is None
    context = {"likely_duplicates": [(customer, ["same_name"])]}
    data = CustomerDetailSerializer(bare, context=context).data
    assert data == drf_rendering(CustomerDetailSerializer, bare, context)
    assert data["likely_duplicates"][0]["customer"]["id"] == customer.pk
    # Once the class's plan is made, the method field is called from it: no copy of every field
    serializer = CustomerDetailSerializer(bare, context=context)
    assert serializer.data == data and "fields" not in vars(serializer)


def test_history_renders_as_drf_would(customer, frontdesk):
    preference = services.preference_record(customer=customer, category="drink", text="Flat white")
    issue = services.issue_open(customer=customer, summary="Cold shower")
    contact = customer.contacts.first()
    duplicate = CustomerFactory(organization=customer.organization, given_name="Siobhan", family_name="OConnor")
    merge = services.customer_merge(kept=customer, duplicate=duplicate, actor=frontdesk.user)
    for serializer_class, instance in [
        (PreferenceSerializer, preference),
        (IssueSerializer, issue),
        (ContactSerializer, contact),
        (MergeSerializer, merge),
    ]:
        assert serializer_class(instance).data == drf_rendering(serializer_class, instance)


def test_validated_input_renders_back_as_drf_would(organization):
    serializer = CustomerSerializer(data={"given_name": "Ana", "tags": ["vip"]}, context={"organization": organization})
    assert serializer.is_valid(), serializer.errors
    assert serializer.data["given_name"] == "Ana" and serializer.data["tags"] == ["vip"]


def test_each_serializer_validates_with_fields_of_its_own(organization, property_, other_property):
    # Given two serializers of a new guest, alive at once, one of them with a validator added to a field
    first = CustomerSerializer(data={"given_name": "Ann", "tags": ["vip"]}, context={"organization": organization})
    second = CustomerSerializer(
        data={"given_name": "Bo", "home_property": other_property.pk, "tags": ["x" * 51]},
        context={"organization": organization},
    )
    first.fields["given_name"].validators.append(lambda value: None)
    # Then no field, nor a list's child, nor a nested serializer is shared between them or bound to the other
    for name in ("given_name", "tags", "external_ids", "home_property"):
        assert first.fields[name] is not second.fields[name]
        assert first.fields[name].parent is first and second.fields[name].parent is second
    assert first.fields["tags"].child is not second.fields["tags"].child
    assert first.fields["tags"].child.parent is first.fields["tags"]
    assert first.fields["external_ids"].child is not second.fields["external_ids"].child
    assert len(first.fields["given_name"].validators) == len(second.fields["given_name"].validators) + 1
    # and each validates its own input: another organization's property and a tag too long are the second's errors
    assert first.is_valid(), first.errors
    assert not second.is_valid()
    assert set(second.errors) == {"home_property", "tags"}
    assert first.validated_data["given_name"] == "Ann" and first.validated_data["tags"] == ["vip"]
    # and a third, made after them, has neither the added validator nor their values
    third = CustomerSerializer(data={"given_name": "Cy"}, context={"organization": organization})
    assert len(third.fields["given_name"].validators) == len(second.fields["given_name"].validators)
    assert third.is_valid(), third.errors
