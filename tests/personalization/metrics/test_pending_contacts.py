"""Contacts counted off the contact's path (issue 14, "contact overhead ≤ 10 %"): a contact logged is only marked
pending; the fold counts it — every 10 s through beat, and before any read of the figures — exactly as counting it
when logged did, whatever the order of logging and folding, across merges, erasures and rebuilds."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime
from zoneinfo import ZoneInfo

import psycopg
import pytest
from django.db import connection

from crm import services
from personalization.metrics.selectors import metrics_by_staff, metrics_for
from personalization.metrics.services import contacts
from personalization.metrics.services.contacts import FOLD_LOCK, metrics_caught_up, metrics_contacts_count
from personalization.metrics.services.rebuild import metrics_rebuild
from personalization.models import MetricDay, MetricsPendingContact
from tests.conftest import REDIS_URL
from tests.factories import CustomerFactory
from tests.workers import ROOT, wait_until, worker_env, worker_start, worker_stop

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEEK = {"start": date(2026, 3, 2), "end": date(2026, 3, 8)}  # Monday to Sunday


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of March 2026 in Shanghai."""
    return datetime(2026, 3, day, hour, minute, tzinfo=SHANGHAI)


def day_rows(organization) -> list[tuple]:
    return sorted(
        MetricDay.objects.filter(organization_id=organization.pk).values_list(
            "property_key",
            "staff_key",
            "day",
            "contacts",
            "greeted_by_name",
            "guest_days",
            "returning_guest_days",
        )
    )


def pending(organization) -> int:
    return MetricsPendingContact.objects.filter(organization_id=organization.pk).count()


def totals(organization, property_) -> dict:
    return metrics_for(organization_id=organization.pk, property_id=property_.pk, granularity="week", **WEEK)["totals"]


def log(guest, place, when, **fields):
    return services.contact_log(customer=guest, kind="visit", property=place, occurred_at=when, **fields)


@pytest.mark.django_db
def test_a_contact_waits_for_the_fold_and_every_read_shows_it_at_once(organization, property_, frontdesk, boss):
    # Given a guest greeted by name on Tuesday,
    guest = CustomerFactory(organization=organization)
    log(guest, property_, at(3, 9), actor=frontdesk.user, greeted_by_name=True)
    # the day counters are not touched while it is pending,
    assert day_rows(organization) == [] and pending(organization) == 1
    # yet the API's figures count it at once (they fold first),
    assert (totals(organization, property_)["contacts"], pending(organization)) == (1, 0)
    # and so do the staff table and the dashboard, for the next contact too.
    log(guest, property_, at(4, 9), actor=frontdesk.user)
    mine = metrics_by_staff(organization_id=organization.pk, property_id=None, **WEEK)
    assert mine[frontdesk.user.pk]["contacts"] == 2 and pending(organization) == 0
    log(guest, property_, at(5, 9), actor=frontdesk.user)
    page = boss.get("/metrics/", {"property": property_.pk, "from": "2026-03-02", "to": "2026-03-08"})
    cards = {card.key: card for card in page.context["cards"]}
    assert cards["contacts"].value == "3" and pending(organization) == 0


@pytest.mark.django_db
def test_folding_twice_counts_once(organization, property_):
    guest = CustomerFactory(organization=organization)
    log(guest, property_, at(3, 9))
    assert metrics_contacts_count(organization_id=organization.pk) == 1
    counted = day_rows(organization)
    assert metrics_contacts_count(organization_id=organization.pk) == 0
    assert metrics_caught_up(organization.pk) == 0
    assert day_rows(organization) == counted and totals(organization, property_)["contacts"] == 1


@pytest.mark.django_db
def test_two_pending_contacts_of_a_guest_on_one_local_day_are_one_guest_day(organization, property_):
    # Given a guest seen before, then twice on Tuesday (at 8:00 and 23:30 Shanghai time), both pending,
    guest = CustomerFactory(organization=organization)
    log(guest, property_, at(2, 9))
    metrics_caught_up(organization.pk)
    log(guest, property_, at(3, 23, 30))
    log(guest, property_, at(3, 8))
    # when they are folded together, Tuesday has two contacts and one guest-day, a returning one.
    assert metrics_contacts_count(organization_id=organization.pk) == 2
    tuesday = {row[2]: row for row in day_rows(organization) if row[:2] == (property_.pk, -1)}[date(2026, 3, 3)]
    assert tuesday[3:] == (2, 0, 1, 1)
    rows = day_rows(organization)
    metrics_rebuild(organization_id=organization.pk)
    assert day_rows(organization) == rows


@pytest.mark.django_db
def test_a_late_contact_pending_beside_a_later_one_gives_the_rebuilds_rows(organization, property_):
    # Given a guest first seen on Thursday (counted), then a contact on Saturday and one logged late for Monday,
    # pending together: Monday becomes their first visit, Thursday and Saturday returns,
    guest, other = CustomerFactory(organization=organization), CustomerFactory(organization=organization)
    log(guest, property_, at(5, 12))
    log(other, property_, at(5, 13))
    metrics_caught_up(organization.pk)
    log(guest, property_, at(7, 10))
    log(guest, property_, at(2, 18), greeted_by_name=True)
    log(other, property_, at(2, 19))
    metrics_caught_up(organization.pk)
    # then the rows are those counted from the rows on file at once.
    folded = day_rows(organization)
    assert metrics_rebuild(organization_id=organization.pk)["contacts"] == 5
    assert day_rows(organization) == folded
    assert totals(organization, property_)["returning_guest_rate"] == pytest.approx(3 / 5)


@pytest.mark.django_db
def test_a_merge_and_its_undo_with_contacts_pending_equal_a_rebuild(organization, property_, manager):
    # Given one person with two profiles, A seen on Wednesday and Friday, B on Wednesday and Thursday (counted),
    # then A again on Tuesday and B on Friday (pending: apart, B's Friday is a guest-day; merged, it is not),
    twin_a, twin_b = CustomerFactory(organization=organization), CustomerFactory(organization=organization)
    for twin, when in ((twin_a, at(4, 9)), (twin_a, at(6, 8)), (twin_b, at(4, 15)), (twin_b, at(5, 10))):
        log(twin, property_, when)
    metrics_caught_up(organization.pk)
    log(twin_b, property_, at(6, 10))
    log(twin_a, property_, at(3, 10))
    # when they are merged with those contacts pending, the rows are those of one guest counted from scratch:
    merge = services.customer_merge(kept=twin_a, duplicate=twin_b, actor=manager.user)
    metrics_caught_up(organization.pk)
    merged = day_rows(organization)
    metrics_rebuild(organization_id=organization.pk)
    assert day_rows(organization) == merged
    assert totals(organization, property_)["guest_days"] == 4  # Tuesday to Friday, once each
    # and undone with A's Thursday pending (apart, a guest-day of A's beside B's), they are two guests again.
    log(twin_a, property_, at(5, 20))
    services.merge_undo(merge=merge, actor=manager.user)
    metrics_caught_up(organization.pk)
    parted = day_rows(organization)
    metrics_rebuild(organization_id=organization.pk)
    assert day_rows(organization) == parted
    assert totals(organization, property_)["guest_days"] == 4 + 3


@pytest.mark.django_db
def test_an_erased_guests_pending_contact_still_counts(organization, property_, manager):
    gone = CustomerFactory(organization=organization)
    log(gone, property_, at(4, 11))
    services.customer_erase(customer=gone, actor=manager.user)
    assert pending(organization) == 0
    assert (totals(organization, property_)["contacts"], totals(organization, property_)["guest_days"]) == (1, 1)


@pytest.mark.django_db
def test_a_rebuild_leaves_nothing_pending(organization, property_):
    guest = CustomerFactory(organization=organization)
    for day in (2, 3, 3):
        log(guest, property_, at(day, 12))
    assert pending(organization) == 3
    assert metrics_rebuild(organization_id=organization.pk)["contacts"] == 3
    assert pending(organization) == 0
    assert (totals(organization, property_)["contacts"], totals(organization, property_)["guest_days"]) == (3, 2)


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_fold_that_would_wait_for_another_leaves_the_contacts_to_it(organization, property_):
    # Given another fold of the organization running (its lock held by another connection),
    guest = CustomerFactory(organization=organization)
    log(guest, property_, at(3, 9))
    db = connection.settings_dict
    other = psycopg.connect(
        host=db["HOST"], port=db["PORT"], user=db["USER"], password=db["PASSWORD"], dbname=db["NAME"], autocommit=True
    )
    try:
        other.execute("SELECT pg_advisory_lock(%s, %s)", [FOLD_LOCK, organization.pk])
        # beat's fold (wait=False) leaves them to it,
        assert metrics_contacts_count(organization_id=organization.pk, wait=False) == 0
        assert pending(organization) == 1 and day_rows(organization) == []
        # (released by the statement, not by close(): the server drops a closed session's locks when it gets to it)
        other.execute("SELECT pg_advisory_unlock(%s, %s)", [FOLD_LOCK, organization.pk])
    finally:
        other.close()
    # and once it is done, a fold counts them.
    assert metrics_contacts_count(organization_id=organization.pk, wait=False) == 1


@pytest.mark.django_db(transaction=True)
def test_beats_fold_keeps_each_batch_it_counted_when_stopped_midway(organization, property_, monkeypatch):
    # Given a backlog of five contacts and batches of two,
    monkeypatch.setattr(contacts, "FOLD_BATCH", 2)
    guest = CustomerFactory(organization=organization)
    for day in (2, 3, 3, 4, 6):
        log(guest, property_, at(day, 12))
    # a fold limited to a batch counts two and leaves three;
    assert metrics_contacts_count(organization_id=organization.pk, limit=2) == 2 and pending(organization) == 3
    # beat's fold stopped in its second batch (its time limit, a crash) keeps the batch it committed,
    counted, real = [], contacts._contact_counted

    def stopped_at_the_third(contact, organization_id):
        if len(counted) == 2:
            raise SystemExit("time limit")
        counted.append(contact.pk)
        real(contact, organization_id)

    monkeypatch.setattr(contacts, "_contact_counted", stopped_at_the_third)
    with pytest.raises(SystemExit):
        contacts.metrics_contacts_count_all()
    assert pending(organization) == 1
    # and the next run counts the rest, to the rows a rebuild makes.
    monkeypatch.setattr(contacts, "_contact_counted", real)
    assert contacts.metrics_contacts_count_all() == 1 and pending(organization) == 0
    rows = day_rows(organization)
    metrics_rebuild(organization_id=organization.pk)
    assert day_rows(organization) == rows and totals(organization, property_)["contacts"] == 5


@pytest.fixture
def celery_beat_and_worker(tmp_path):
    """A real worker and a real beat (every schedule of CELERY_BEAT_SCHEDULE) on Redis and the test database."""
    env = worker_env(tmp_path, broker=REDIS_URL)
    log_file = open(tmp_path / "celery.log", "w")  # noqa: SIM115 - closed below
    worker = worker_start(f"metrics-{os.getpid()}@localhost", env=env, log=log_file)
    beat = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel", "INFO"],
        cwd=ROOT,
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    yield
    worker_stop(beat)  # first: a task it sends after the worker left would wait in the broker
    worker_stop(worker)
    log_file.close()


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_beat_folds_the_pending_contacts_through_a_real_worker(organization, property_, celery_beat_and_worker):
    # Given contacts logged and committed, pending,
    guests = [CustomerFactory(organization=organization) for _ in range(3)]
    for guest in guests:
        log(guest, property_, at(3, 9))
    assert pending(organization) == 3
    # when beat's fold has run on the worker (every 10 s), they are counted, without any read of the figures.
    wait_until(lambda: pending(organization) == 0, "the pending contacts folded", seconds=60)
    day = MetricDay.objects.get(organization_id=organization.pk, property_key=-1, staff_key=-1, day=date(2026, 3, 3))
    assert (day.contacts, day.guest_days) == (3, 3)
