"""The nightly planner: greetings within the window at each property's local night, win-backs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm import services
from crm.partial_dates import PartialDate
from personalization.models import Touch, TouchKind
from personalization.touches.services import planning
from tests.factories import CustomerFactory, PropertyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shanghai(organization, property_):
    property_.timezone = "Asia/Shanghai"
    property_.save()
    return property_


def _guest(organization, **fields):
    return CustomerFactory(organization=organization, **fields)


def _keys():
    return sorted(Touch.objects.values_list("idempotency_key", flat=True))


def test_birthdays_in_the_window_are_planned_once_at_the_local_night(organization, shanghai, settings):
    settings.RAPPORT_GREETING_WINDOW_DAYS = 7
    soon = _guest(organization, birthday=PartialDate(month=3, day=9))  # no year
    later = _guest(organization, birthday=PartialDate(month=3, day=20, year=1980))
    _guest(organization, birthday=PartialDate(month=3, day=6), consent_surprises=False)
    # 2026-03-01 17:00 UTC is 01:00 on the 2nd in Shanghai: the night of the 1st plans through the 8th
    with time_machine.travel(datetime(2026, 3, 1, 17, 0, tzinfo=UTC), tick=False):
        planning.touches_plan()
    assert _keys() == []
    with time_machine.travel(datetime(2026, 3, 1, 18, 30, tzinfo=UTC), tick=False):  # 02:30 local
        planning.touches_plan()
        planning.touches_plan()  # idempotent
    assert _keys() == [f"birthday:{soon.pk}:2026"]
    touch = Touch.objects.get()
    assert touch.due_at == datetime(2026, 3, 9, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai on the day
    # missed nights are caught up: the run two weeks later plans what came into the window since
    with time_machine.travel(datetime(2026, 3, 14, 18, 30, tzinfo=UTC), tick=False):
        planning.touches_plan()
    assert f"birthday:{later.pk}:2026" in _keys()


def test_29_february_is_celebrated_on_28_february_in_common_years(organization, shanghai, settings):
    settings.RAPPORT_GREETING_WINDOW_DAYS = 0
    leapling = _guest(organization, anniversary=PartialDate(month=2, day=29))
    with time_machine.travel(datetime(2027, 2, 27, 18, 30, tzinfo=UTC), tick=False):  # 28 Feb 2027 local
        planning.touches_plan()
    touch = Touch.objects.get()
    assert (touch.kind, touch.idempotency_key) == (TouchKind.ANNIVERSARY, f"anniversary:{leapling.pk}:2027")
    assert touch.due_at.date() == date(2027, 2, 28)
    Touch.objects.all().delete()
    with time_machine.travel(datetime(2028, 2, 27, 18, 30, tzinfo=UTC), tick=False):  # 28 Feb 2028: leap
        planning.touches_plan()
    assert _keys() == []


def test_each_property_plans_its_own_guests_at_its_own_night(organization, shanghai, settings):
    settings.RAPPORT_GREETING_WINDOW_DAYS = 0
    new_york = PropertyFactory(organization=organization, timezone="America/New_York")
    east = _guest(organization, birthday=PartialDate(month=7, day=1))  # no home: the first property
    west = _guest(organization, birthday=PartialDate(month=7, day=1), home_property=new_york)
    with time_machine.travel(datetime(2026, 6, 30, 18, 30, tzinfo=UTC), tick=False):  # 02:30 Shanghai, 14:30 NY
        planning.touches_plan()
    assert _keys() == [f"birthday:{east.pk}:2026"]
    with time_machine.travel(datetime(2026, 7, 1, 6, 30, tzinfo=UTC), tick=False):  # 02:30 in New York
        planning.touches_plan()
    assert _keys() == sorted([f"birthday:{east.pk}:2026", f"birthday:{west.pk}:2026"])
    assert Touch.objects.get(customer=west).due_at == datetime(2026, 7, 1, 14, 0, tzinfo=UTC)  # 10:00 EDT


def test_win_back_for_guests_away_long_enough_with_marketing_consent(organization, shanghai, settings):
    settings.RAPPORT_WIN_BACK_AFTER_DAYS = 180
    now = datetime(2026, 9, 1, 18, 30, tzinfo=UTC)
    away = _guest(organization, consent_marketing=True)
    services.contact_log(customer=away, kind="visit", occurred_at=now - timedelta(days=190))
    recent = _guest(organization, consent_marketing=True)
    services.contact_log(customer=recent, kind="visit", occurred_at=now - timedelta(days=20))
    no_consent = _guest(organization)
    services.contact_log(customer=no_consent, kind="visit", occurred_at=now - timedelta(days=190))
    Touch.objects.all().delete()  # the thank-yous of those visits
    with time_machine.travel(now, tick=False):
        planning.touches_plan()
    assert [(t.kind, t.customer_id) for t in Touch.objects.all()] == [(TouchKind.WIN_BACK, away.pk)]


def test_planning_is_set_based(organization, shanghai, settings):
    for n in range(30):
        _guest(organization, birthday=PartialDate(month=3, day=5), consent_marketing=bool(n % 2))
    with (
        time_machine.travel(datetime(2026, 3, 1, 18, 30, tzinfo=UTC), tick=False),
        CaptureQueriesContext(connection) as queries,
    ):
        planning.touches_plan()
    assert Touch.objects.count() == 30
    assert len(queries) < 20  # a handful per property, not one per customer
