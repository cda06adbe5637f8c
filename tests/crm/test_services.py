"""The memory's services, called directly (no HTTP)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from crm import services, signals
from crm.models import ChangeRecord, Customer, IssueStatus, Preference
from crm.partial_dates import PartialDate
from tests.factories import IssueFactory, PreferenceFactory

pytestmark = pytest.mark.django_db


def test_customer_create_normalizes_phone_email_and_tags(organization, frontdesk):
    customer = services.customer_create(
        organization=organization,
        actor=frontdesk.user,
        given_name="Zoë",
        family_name="Smith",
        email="  zoe@example.co.uk ",
        phone="(415) 555-0100",
        tags=["vip", " vip", "", "runner"],
        birthday=PartialDate(month=2, day=29),
    )
    customer.refresh_from_db()
    assert customer.phone == "+14155550100"
    assert customer.email == "zoe@example.co.uk"
    assert customer.tags == ["vip", "runner"]
    assert str(customer.birthday) == "02-29"
    assert ChangeRecord.objects.filter(action="customer.create", target_id=customer.pk, actor=frontdesk.user).exists()


def test_customer_create_without_any_name_is_refused_and_writes_nothing(organization):
    with pytest.raises(ValidationError) as excinfo:
        services.customer_create(organization=organization, email="nobody@example.com")
    assert "given_name" in excinfo.value.message_dict
    assert not Customer.objects.exists()
    assert not ChangeRecord.objects.exists()


def test_customer_create_with_bad_phone_names_the_field(organization):
    with pytest.raises(ValidationError) as excinfo:
        services.customer_create(organization=organization, given_name="Ann", phone="12")
    assert list(excinfo.value.message_dict) == ["phone"]


def test_customer_update_that_changes_nothing_records_nothing(customer):
    services.customer_update(customer=customer, given_name=customer.given_name)
    assert not ChangeRecord.objects.filter(action="customer.update").exists()


def test_withdrawing_consent_announces_it(customer):
    heard = []

    def receiver(sender, customer, **kwargs):
        heard.append(customer.pk)

    signals.customer_contact_restricted.connect(receiver)
    try:
        services.customer_update(customer=customer, consent_marketing=True)
        assert heard == []
        services.customer_update(customer=customer, do_not_contact=True)
        assert heard == [customer.pk]
    finally:
        signals.customer_contact_restricted.disconnect(receiver)


@pytest.mark.parametrize(("category", "expected"), [("allergy", True), ("dietary", True), ("drink", False)])
def test_preference_safety_critical_defaults_by_category(customer, category, expected):
    preference = services.preference_record(customer=customer, category=category, text="Peanuts")
    assert preference.safety_critical is expected


def test_preference_explicit_safety_flag_wins(customer):
    preference = services.preference_record(
        customer=customer, category="allergy", text="Mild hay fever", safety_critical=False
    )
    assert preference.safety_critical is False


def test_preference_confirm_counts_and_refreshes_age(customer):
    preference = PreferenceFactory(customer=customer, last_confirmed_at=timezone.now() - timedelta(days=400))
    services.preference_confirm(preference=preference)
    services.preference_confirm(preference=preference)
    preference.refresh_from_db()
    assert preference.times_confirmed == 2
    assert timezone.now() - preference.last_confirmed_at < timedelta(seconds=5)


def test_issue_cannot_be_resolved_without_a_resolution(customer):
    issue = IssueFactory(customer=customer)
    with pytest.raises(ValidationError) as excinfo:
        services.issue_update(issue=issue, status="resolved")
    assert "resolution" in excinfo.value.message_dict
    issue.refresh_from_db()
    assert issue.status == IssueStatus.OPEN


def test_issue_lifecycle_stamps_times_and_announces_resolution_and_reopening(customer):
    resolved, reopened = [], []

    def on_resolved(sender, issue, **kwargs):
        resolved.append(issue.pk)

    def on_reopened(sender, issue, **kwargs):
        reopened.append(issue.pk)

    signals.issue_resolved.connect(on_resolved)
    signals.issue_reopened.connect(on_reopened)
    try:
        issue = services.issue_open(customer=customer, summary="Cold breakfast")
        assert issue.first_response_at is None
        services.issue_update(issue=issue, status="in_progress")
        assert issue.first_response_at is not None
        services.issue_update(issue=issue, status="resolved", resolution="Fresh breakfast, on the house")
        assert issue.resolved_at is not None
        assert resolved == [issue.pk]
        services.issue_update(issue=issue, status="open")
        assert issue.resolved_at is None
        assert reopened == [issue.pk]
    finally:
        signals.issue_resolved.disconnect(on_resolved)
        signals.issue_reopened.disconnect(on_reopened)


def test_closed_issue_cannot_jump_to_in_progress(customer):
    issue = services.issue_open(customer=customer, summary="Lost umbrella", status="closed")
    with pytest.raises(ValidationError) as excinfo:
        services.issue_update(issue=issue, status="in_progress")
    assert "status" in excinfo.value.message_dict


def test_contact_log_counts_visits_and_tracks_first_and_last_seen(customer):
    now = timezone.now()
    services.contact_log(customer=customer, kind="arrival", occurred_at=now - timedelta(days=10))
    services.contact_log(customer=customer, kind="call", occurred_at=now - timedelta(days=20))
    services.contact_log(customer=customer, kind="visit", occurred_at=now - timedelta(days=1))
    customer.refresh_from_db()
    assert customer.visit_count == 2  # the call is not a visit
    assert customer.first_seen == now - timedelta(days=20)
    assert customer.last_seen == now - timedelta(days=1)


def test_contact_log_orders_moments_a_fraction_of_a_second_apart(customer):
    # Given a contact on the second (SQLite writes it without a fraction, and compares its datetimes as text)
    noon = timezone.now().replace(microsecond=0) - timedelta(days=2)
    services.contact_log(customer=customer, kind="visit", occurred_at=noon)
    # When one is logged half a second later and one a millisecond before
    services.contact_log(customer=customer, kind="visit", occurred_at=noon + timedelta(milliseconds=500))
    services.contact_log(customer=customer, kind="call", occurred_at=noon - timedelta(milliseconds=1))
    # Then the later is the last seen and the earlier the first, on the caller's copy and in the row
    expected = (2, noon - timedelta(milliseconds=1), noon + timedelta(milliseconds=500))
    assert (customer.visit_count, customer.first_seen, customer.last_seen) == expected
    customer.refresh_from_db()
    assert (customer.visit_count, customer.first_seen, customer.last_seen) == expected


def test_contact_log_with_unknown_kind_is_refused(customer):
    with pytest.raises(ValidationError) as excinfo:
        services.contact_log(customer=customer, kind="telepathy")
    assert "kind" in excinfo.value.message_dict
    customer.refresh_from_db()
    assert customer.visit_count == 0


def test_erasing_a_customer_removes_their_history(customer):
    PreferenceFactory(customer=customer)
    IssueFactory(customer=customer)
    customer_id = customer.pk
    services.customer_erase(customer=customer)
    assert not Customer.objects.filter(pk=customer_id).exists()
    assert not Preference.objects.filter(customer_id=customer_id).exists()
    assert ChangeRecord.objects.filter(action="customer.erase", target_id=customer_id).exists()


def test_staff_upsert_creates_then_updates(db):
    staff = services.staff_upsert(
        username="amy", password="first-pass-123", organization_name="Org A", property_name="Prop 1", role="frontdesk"
    )
    assert staff.organization.name == "Org A" and staff.property.name == "Prop 1"
    assert not staff.user.is_staff
    staff = services.staff_upsert(
        username="amy", password="second-pass-456", organization_name="Org A", property_name="Prop 1", role="manager"
    )
    staff.user.refresh_from_db()
    assert staff.role == "manager" and staff.user.is_staff
    assert staff.user.check_password("second-pass-456")


def test_staff_cannot_move_to_another_organization(db):
    services.staff_upsert(
        username="bo", password="bo-desk-pass-1", organization_name="Org A", property_name=None, role="frontdesk"
    )
    with pytest.raises(ValidationError):
        services.staff_upsert(
            username="bo", password="bo-desk-pass-1", organization_name="Org B", property_name=None, role="frontdesk"
        )
