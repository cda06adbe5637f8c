"""The pre-arrival note (issue 13): "anything we can prepare for your stay?" some days before a stay a PMS told
us of, when a manager turned it on for the property; at the property's 10:00, in the guest's language, once;
not for a stay cancelled meanwhile."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine

from crm import services
from crm.services.stays import stay_push
from personalization.models import Touch, TouchKind, TouchStatus
from personalization.touches.services import planning
from personalization.touches.services.send import Outcome, touches_send
from tests.factories import StayFactory
from tests.personalization.touches.conftest import claim

pytestmark = pytest.mark.django_db

NIGHT = datetime(2026, 12, 1, 18, 30, tzinfo=UTC)  # 02:30 on 2 December in Shanghai


@pytest.fixture
def shanghai(property_):
    property_.timezone = "Asia/Shanghai"
    property_.pre_arrival_days = 2
    property_.save()
    return property_


def booked(organization, property_, name, arrival, **fields):
    guest = services.customer_create(organization=organization, given_name=name, email=f"{name}@example.com", **fields)
    return guest, StayFactory(customer=guest, property=property_, arrival=arrival, departure=date(2026, 12, 9))


def test_stays_within_the_days_get_one_note_at_ten_local(organization, shanghai):
    soon, soon_stay = booked(organization, shanghai, "soon", date(2026, 12, 4))
    booked(organization, shanghai, "later", date(2026, 12, 5))  # three days away: not yet
    booked(organization, shanghai, "today", date(2026, 12, 2))  # arriving today: too late for a note
    with time_machine.travel(NIGHT, tick=False):
        planning.touches_plan()
        planning.touches_plan()
    touch = Touch.objects.get(kind=TouchKind.PRE_ARRIVAL)
    assert (touch.customer_id, touch.stay_id) == (soon.pk, soon_stay.pk)
    assert touch.due_at == datetime(2026, 12, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def test_no_note_unless_a_manager_turned_it_on(organization, property_):
    booked(organization, property_, "soon", date(2026, 12, 3))
    with time_machine.travel(NIGHT, tick=False):
        planning.touches_plan()
    assert not Touch.objects.filter(kind=TouchKind.PRE_ARRIVAL).exists()


@pytest.mark.parametrize(("language", "words"), [("en", "anything we can prepare"), ("zh-hant", "入住期間有什麼需要")])
def test_the_note_speaks_of_the_arrival_in_the_guests_language(smtp, organization, shanghai, language, words):
    booked(organization, shanghai, "soon", date(2026, 12, 4), language=language)
    with time_machine.travel(NIGHT, tick=False):
        planning.touches_plan()
    touch = claim(Touch.objects.get(kind=TouchKind.PRE_ARRIVAL))
    with time_machine.travel(datetime(2026, 12, 2, 2, 5, tzinfo=UTC), tick=False):
        assert list(touches_send(touch_ids=[touch.pk]).values()) == [Outcome.SENT]
    touch.refresh_from_db()
    assert words in touch.subject and ("2026" in touch.body_text)


def test_a_stay_cancelled_meanwhile_gets_no_note(smtp, organization, shanghai):
    guest, stay = booked(organization, shanghai, "soon", date(2026, 12, 4))
    with time_machine.travel(NIGHT, tick=False):
        planning.touches_plan()
    stay_push(
        organization=organization,
        system="opera",
        external_id=stay.external_id,
        customer=guest,
        status="cancelled",
        arrival=stay.arrival,
        departure=stay.departure,
    )
    touch = claim(Touch.objects.get(kind=TouchKind.PRE_ARRIVAL))
    with time_machine.travel(datetime(2026, 12, 2, 2, 5, tzinfo=UTC), tick=False):
        touches_send(touch_ids=[touch.pk])
    touch.refresh_from_db()
    assert touch.status == TouchStatus.SKIPPED and touch.reason == "stay cancelled" and smtp.messages == []
