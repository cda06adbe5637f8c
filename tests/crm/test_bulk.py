"""Inserting many rows at once (crm.bulk): COPY on PostgreSQL, bulk_create elsewhere — the same rows either way."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.db.models.signals import post_save
from django.utils import timezone

from crm.bulk import insert_objects, insert_one, insert_rows
from crm.models import ChangeRecord, Customer, ExternalId, SearchTerm, TermKind
from crm.partial_dates import PartialDate
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_guests_inserted_with_their_ids_hold_every_value_as_saved(organization, property_):
    # given unsaved guests with text that COPY must escape, JSON, a partial date and a foreign key
    guests = [
        Customer(
            organization=organization,
            home_property=property_,
            given_name="Tab\\Back",
            family_name="O'Brien",
            native_name="张伟",
            email="a@example.com",
            tags=["vip", '引号"', "line"],
            birthday=PartialDate(3, 14, 1985),
        ),
        Customer(organization=organization, given_name="Ann"),
    ]
    # when they are inserted with their ids
    insert_objects(guests, with_ids=True)
    # then each has its id, and reads back as written
    assert all(guest.pk for guest in guests) and guests[0].pk < guests[1].pk
    first = Customer.objects.get(pk=guests[0].pk)
    assert (first.given_name, first.family_name, first.native_name, first.email) == (
        "Tab\\Back",
        "O'Brien",
        "张伟",
        "a@example.com",
    )
    assert first.tags == ["vip", '引号"', "line"]
    assert str(first.birthday) == "1985-03-14"
    assert first.home_property == property_ and first.created_at is not None
    assert not first.pronunciation_audio
    assert Customer.objects.get(pk=guests[1].pk).language == "en"


def test_rows_of_values_and_json_changes_are_inserted(organization):
    guest = CustomerFactory(organization=organization)
    insert_rows(
        SearchTerm,
        ("organization_id", "customer_id", "term", "kind"),
        [(organization.pk, guest.pk, "zz-term", TermKind.NAME), (organization.pk, guest.pk, "#321", TermKind.PHONE)],
    )
    assert set(SearchTerm.objects.filter(customer=guest, term__in=["zz-term", "#321"]).values_list("term", "kind")) == {
        ("zz-term", TermKind.NAME),
        ("#321", TermKind.PHONE),
    }
    insert_objects(
        [
            ChangeRecord(
                organization=organization,
                action="customer.import",
                target_type="customer",
                target_id=guest.pk,
                customer_id=guest.pk,
                changes={"given_name": {"new": "A\tB\n"}, "import": 7},
            )
        ]
    )
    record = ChangeRecord.objects.get(customer_id=guest.pk, action="customer.import")
    assert record.changes == {"given_name": {"new": "A\tB\n"}, "import": 7}
    # Empty containers (most of an applied import row's cells) keep their type; falsy scalars stay themselves.
    for number, changes in enumerate([{}, [], 0, "", False, [{}], {"": []}]):
        insert_rows(
            ChangeRecord,
            ("organization_id", "action", "target_type", "target_id", "customer_id", "changes", "created_at"),
            [(organization.pk, "customer.update", "customer", number, guest.pk, changes, timezone.now())],
        )
        stored = ChangeRecord.objects.get(customer_id=guest.pk, action="customer.update", target_id=number).changes
        assert stored == changes and type(stored) is type(changes)


def test_a_duplicate_is_djangos_integrity_error(organization):
    # The import's task retries on IntegrityError (an id taken by another writer meanwhile).
    guest = CustomerFactory(organization=organization)
    ExternalId.objects.create(organization=organization, customer=guest, system="opera", value="A1")
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_objects([ExternalId(organization=organization, customer=guest, system="opera", value="A1")])


def _stored(customer: Customer) -> dict:
    return {f.attname: getattr(customer, f.attname) for f in Customer._meta.concrete_fields if f.attname != "id"}


def test_one_row_inserted_by_hand_is_the_row_save_writes(organization, property_):
    # Given the same new guest twice, with text to escape, JSON, a partial date and a foreign key
    def guest() -> Customer:
        return Customer(
            organization=organization,
            home_property=property_,
            given_name="Tab\\Back",
            family_name="O'Brien",
            native_name="张伟",
            tags=["vip", '引号"'],
            birthday=PartialDate(3, 14, 1985),
        )

    by_hand, by_save = guest(), guest()
    # When one is inserted by insert_one and the other saved
    insert_one(by_hand)
    by_save.save()
    # Then the first is a saved row like the second, its timestamps filled on the instance too
    assert by_hand.pk and not by_hand._state.adding and by_hand.created_at and by_hand.updated_at
    loaded, saved = Customer.objects.get(pk=by_hand.pk), Customer.objects.get(pk=by_save.pk)
    assert _stored(loaded) | {"created_at": None, "updated_at": None} == _stored(saved) | {
        "created_at": None,
        "updated_at": None,
    }
    assert loaded.created_at == by_hand.created_at


def test_a_model_whose_saves_someone_listens_to_is_saved_by_save(organization):
    # Given a receiver of the change records' post_save
    heard = []

    def listen(sender, instance, created, **kwargs):
        heard.append((instance.pk, created))

    post_save.connect(listen, sender=ChangeRecord)
    try:
        record = ChangeRecord(organization=organization, action="customer.create", target_type="customer", target_id=1)
        # When one is inserted
        insert_one(record)
    finally:
        post_save.disconnect(listen, sender=ChangeRecord)
    # Then it was saved by save(), which the receiver heard
    assert heard == [(record.pk, True)]
    assert ChangeRecord.objects.filter(pk=record.pk).exists()
