"""crm's events write and cancel touches in their own transaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from crm import services
from crm.models import Contact
from personalization.models import Channel, Touch, TouchKind, TouchStatus
from personalization.touches.services import outbox
from tests.factories import CustomerFactory, PropertyFactory
from tests.personalization.touches.conftest import resolve_issue

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 5, 4, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai


@time_machine.travel(NOW, tick=False)
def test_resolving_an_issue_schedules_one_follow_up_after_the_delay(customer, property_, settings):
    issue = resolve_issue(customer, property_)
    touch = Touch.objects.get()
    assert (touch.kind, touch.channel, touch.issue, touch.status) == (
        TouchKind.ISSUE_FOLLOW_UP,
        Channel.EMAIL,
        issue,
        TouchStatus.SCHEDULED,
    )
    assert touch.due_at == NOW + timedelta(days=2)
    assert touch.property == property_
    # closing it afterwards adds nothing; reopening cancels it; resolving again reschedules the same row
    services.issue_update(issue=issue, status="open")
    touch.refresh_from_db()
    assert (touch.status, touch.reason) == (TouchStatus.CANCELLED, "issue reopened")
    settings.RAPPORT_FOLLOW_UP_DELAY_HOURS = 1
    services.issue_update(issue=issue, status="resolved")
    touch.refresh_from_db()
    assert touch.status == TouchStatus.SCHEDULED and touch.due_at == NOW + timedelta(hours=1)
    assert Touch.objects.count() == 1


def test_a_guest_without_email_gets_a_call_back_task_for_the_desk(organization, property_):
    guest = CustomerFactory(organization=organization, email="", phone="+8613800138000")
    resolve_issue(guest, property_)
    touch = Touch.objects.get()
    assert (touch.kind, touch.channel) == (TouchKind.STAFF_TASK, Channel.STAFF_TASK)


def test_a_failed_resolution_leaves_no_touch(customer, property_):
    issue = services.issue_open(customer=customer, property=property_, summary="Noise")
    with pytest.raises(Exception):  # noqa: B017 - no resolution: refused by the service
        services.issue_update(issue=issue, status="resolved")
    assert not Touch.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_a_departure_earns_a_thank_you_next_morning_at_most_once_a_week(customer, organization):
    new_york = PropertyFactory(organization=organization, timezone="America/New_York")
    services.contact_log(customer=customer, kind="departure", property=new_york)
    touch = Touch.objects.get()
    assert touch.kind == TouchKind.THANK_YOU
    # 2026-05-04 03:00 UTC is 23:00 on the 3rd in New York: thanked on the 4th at 10:00 EDT
    assert touch.due_at == datetime(2026, 5, 4, 14, 0, tzinfo=UTC)
    services.contact_log(customer=customer, kind="visit", property=new_york)
    services.contact_log(customer=customer, kind="call", property=new_york)
    assert Touch.objects.count() == 1
    with time_machine.travel(NOW + timedelta(days=8), tick=False):
        services.contact_log(customer=customer, kind="visit", property=new_york)
    assert Touch.objects.count() == 2


@time_machine.travel(NOW, tick=False)
def test_a_cancelled_thank_you_does_not_count_and_the_touch_returned_is_the_row_written(customer, property_):
    # Given a thank-you of this week that was cancelled
    services.contact_log(customer=customer, kind="departure", property=property_)
    outbox.touches_cancel(touches=Touch.objects.all(), reason="test")
    # When the guest visits again (the contact written as crm writes it, the thank-you scheduled here)
    contact = Contact.objects.create(customer=customer, kind="visit", property=property_, occurred_at=NOW)
    touch = outbox.touch_schedule_thank_you(contact=contact)
    # Then a new thank-you is scheduled, and the touch returned is the row as stored
    stored = Touch.objects.get(status=TouchStatus.SCHEDULED)
    assert touch is not None and touch.pk == stored.pk and not touch._state.adding
    assert (stored.kind, stored.channel, stored.idempotency_key) == ("thank_you", "email", f"thank_you:{contact.pk}")
    assert (stored.customer_id, stored.property_id, stored.due_at) == (customer.pk, property_.pk, touch.due_at)
    assert (stored.attempts, stored.note, stored.outcome, stored.created_at) == (0, "", "", NOW)
    # And within the week a second one is not
    later = Contact.objects.create(customer=customer, kind="visit", property=property_, occurred_at=NOW)
    assert outbox.touch_schedule_thank_you(contact=later) is None
    assert Touch.objects.count() == 2


def test_a_visit_logged_long_after_the_fact_is_not_thanked_now(customer, property_):
    services.contact_log(
        customer=customer, kind="visit", property=property_, occurred_at=timezone.now() - timedelta(days=30)
    )
    assert not Touch.objects.exists()


def test_withdrawn_consent_and_erasure_cancel_what_is_pending(customer, property_):
    resolve_issue(customer, property_)
    services.contact_log(customer=customer, kind="departure", property=property_)
    # withdrawing surprise consent leaves the service follow-up alone
    services.customer_update(customer=customer, consent_surprises=False)
    assert Touch.objects.filter(status=TouchStatus.SCHEDULED).count() == 2
    services.customer_update(customer=customer, do_not_contact=True)
    assert set(Touch.objects.values_list("status", "reason")) == {(TouchStatus.CANCELLED, "consent withdrawn")}


def test_erasing_a_customer_erases_their_touches(customer, property_):
    resolve_issue(customer, property_)
    services.customer_erase(customer=customer)
    assert not Touch.objects.exists()


def test_a_merge_keeps_one_touch_per_occasion_and_undo_gives_them_back(organization, property_):
    kept = CustomerFactory(organization=organization, email="kept@example.com")
    duplicate = CustomerFactory(organization=organization, email="dup@example.com")
    for person in (kept, duplicate):
        Touch.objects.create(
            organization=organization,
            customer=person,
            property=property_,
            kind=TouchKind.BIRTHDAY,
            due_at=timezone.now() + timedelta(days=3),
            idempotency_key=f"birthday:{person.pk}:2026",
        )
    resolve_issue(duplicate, property_)
    merge = services.customer_merge(kept=kept, duplicate=duplicate)
    pending = Touch.objects.filter(customer=kept, status=TouchStatus.SCHEDULED)
    assert sorted(pending.values_list("kind", flat=True)) == ["birthday", "issue_follow_up"]
    assert Touch.objects.get(idempotency_key=f"birthday:{duplicate.pk}:2026").reason == "duplicate after a merge"
    services.merge_undo(merge=merge)
    assert Touch.objects.filter(customer=duplicate).count() == 2
    assert Touch.objects.filter(customer=kept).count() == 1
