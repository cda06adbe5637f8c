"""The figures against a week computed by hand: which day a contact belongs to, guest-days and returns, a merged
guest counted once, an erased guest's counts kept, a contact logged late, issue times, surveys, an empty period."""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm import services
from personalization.metrics.figures import bucket_of, seconds_of
from personalization.metrics.selectors import metrics_by_staff, metrics_for, periods_of, spans_covering
from personalization.metrics.services.contacts import metrics_caught_up, metrics_contacts_count
from personalization.metrics.services.days import metrics_touches_finished
from personalization.metrics.services.durations import metrics_duration
from personalization.metrics.services.rebuild import metrics_rebuild
from personalization.models import Measure, Touch
from personalization.touches.services.manual import feedback_record
from tests.factories import CustomerFactory, PropertyFactory, TouchFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of March 2026 in Shanghai."""
    return datetime(2026, 3, day, hour, minute, tzinfo=SHANGHAI)


def week(organization, property_=None, **kwargs):
    return metrics_for(
        organization_id=organization.pk,
        property_id=property_.pk if property_ else None,
        start=date(2026, 3, 2),  # a Monday
        end=date(2026, 3, 8),
        granularity=kwargs.get("granularity", "day"),
    )


def month_of_march(organization, property_):
    return metrics_for(
        organization_id=organization.pk,
        property_id=property_.pk,
        start=date(2026, 3, 1),
        end=date(2026, 3, 31),
        granularity="month",
    )


def by_day(result) -> dict[str, dict]:
    return {period["start"]: period for period in result["periods"]}


def first_responses(organization, property_, durations: Iterable[tuple[datetime, float]]) -> None:
    """Count first responses at the property by no one in particular: (when each ended, how many seconds it took)."""
    where = {"organization_id": organization.pk, "property_id": property_.pk, "staff_id": None}
    for when, seconds in durations:
        metrics_duration(**where, at=when, measure=Measure.FIRST_RESPONSE, seconds=seconds)


def test_periods_are_calendar_days_weeks_and_months_clipped_to_the_range():
    weeks = periods_of(date(2026, 3, 4), date(2026, 3, 20), "week")
    assert [(p.start.isoformat(), p.end.isoformat()) for p in weeks] == [
        ("2026-03-04", "2026-03-08"),
        ("2026-03-09", "2026-03-15"),
        ("2026-03-16", "2026-03-20"),
    ]
    months = periods_of(date(2025, 12, 15), date(2026, 2, 10), "month")
    assert [(p.start.isoformat(), p.end.isoformat()) for p in months] == [
        ("2025-12-15", "2025-12-31"),
        ("2026-01-01", "2026-01-31"),
        ("2026-02-01", "2026-02-10"),
    ]


def test_a_range_is_read_from_the_fewest_stored_spans():
    assert spans_covering(date(2026, 2, 27), date(2026, 4, 7)) == [
        ("day", date(2026, 2, 27)),
        ("day", date(2026, 2, 28)),
        ("month", date(2026, 3, 1)),
        ("day", date(2026, 4, 1)),
        ("day", date(2026, 4, 2)),
        ("day", date(2026, 4, 3)),
        ("day", date(2026, 4, 4)),
        ("day", date(2026, 4, 5)),
        ("day", date(2026, 4, 6)),
        ("day", date(2026, 4, 7)),
    ]
    assert spans_covering(date(2026, 3, 2), date(2026, 3, 15)) == [
        ("week", date(2026, 3, 2)),
        ("week", date(2026, 3, 9)),
    ]


def test_a_duration_is_read_back_within_two_percent():
    for seconds in (2, 59, 60, 1800, 3600, 86_400, 30 * 86_400):
        assert seconds_of(bucket_of(seconds)) == pytest.approx(seconds, rel=0.02)
    assert seconds_of(bucket_of(0)) == 0


def test_contacts_count_on_their_local_day_and_guest_days_say_who_returned(organization, property_, frontdesk):
    # Given a Shanghai property, a desk, and a guest first seen on Monday 2 March,
    desk = frontdesk.user
    first = CustomerFactory(organization=organization)
    services.contact_log(customer=first, kind="arrival", actor=desk, property=property_, occurred_at=at(2, 9))
    # who comes back on Tuesday at 23:30 local (15:30 UTC: still Tuesday in Shanghai), greeted by name and with a
    # preference honoured, and again on Tuesday at 8:00 (one guest-day, two contacts),
    services.contact_log(
        customer=first,
        kind="visit",
        actor=desk,
        property=property_,
        occurred_at=at(3, 23, 30),
        greeted_by_name=True,
        preference_honored=True,
    )
    services.contact_log(
        customer=first, kind="visit", actor=desk, property=property_, occurred_at=at(3, 8), greeted_by_name=True
    )
    # and a second guest whose Thursday visit is logged first, and whose Monday visit is logged late.
    second = CustomerFactory(organization=organization)
    services.contact_log(customer=second, kind="visit", actor=desk, property=property_, occurred_at=at(5, 12))
    services.contact_log(customer=second, kind="visit", actor=desk, property=property_, occurred_at=at(2, 18))

    days = by_day(week(organization, property_))
    # Monday: two first visits. Tuesday: one guest-day, a return, 2 of 2 greeted, 1 of 2 with a preference honoured.
    assert (days["2026-03-02"]["contacts"], days["2026-03-02"]["guest_days"]) == (2, 2)
    assert days["2026-03-02"]["returning_guest_rate"] == 0.0
    assert days["2026-03-03"]["contacts"] == 2
    assert days["2026-03-03"]["greeted_by_name_rate"] == 1.0
    assert days["2026-03-03"]["preference_honored_rate"] == 0.5
    assert (days["2026-03-03"]["guest_days"], days["2026-03-03"]["returning_guest_rate"]) == (1, 1.0)
    # Thursday became a return when Monday was logged late.
    assert (days["2026-03-05"]["guest_days"], days["2026-03-05"]["returning_guest_rate"]) == (1, 1.0)
    # An empty day: nothing counted, and no rate rather than a rate of 0.
    empty = days["2026-03-04"]
    assert empty["contacts"] == 0 and empty["greeted_by_name_rate"] is None and empty["returning_guest_rate"] is None
    assert empty["csat_average"] is None and empty["nps"] is None and empty["resolution_median_seconds"] is None

    # The week by week: 5 contacts, 3 of 5 greeted, 4 guest-days of which 2 returning.
    (whole,) = week(organization, property_, granularity="week")["periods"]
    assert (whole["start"], whole["end"]) == ("2026-03-02", "2026-03-08")
    assert whole["contacts"] == 5 and whole["greeted_by_name_rate"] == 0.4
    assert (whole["guest_days"], whole["returning_guest_rate"]) == (4, 0.5)
    # The organization's figures are the same here (one property), and the desk's own line says what they did.
    assert week(organization)["totals"]["contacts"] == 5
    mine = metrics_by_staff(
        organization_id=organization.pk, property_id=property_.pk, start=date(2026, 3, 2), end=date(2026, 3, 8)
    )
    assert mine[desk.pk]["contacts"] == 5 and mine[desk.pk]["greeted_by_name_rate"] == 0.4


def test_a_merged_guest_counts_once_and_an_erased_guest_still_counts(organization, property_, manager):
    # Given one person with two profiles, both seen on Wednesday, and another guest seen on Wednesday,
    twin_a = CustomerFactory(organization=organization)
    twin_b = CustomerFactory(organization=organization)
    gone = CustomerFactory(organization=organization)
    for guest, hour in ((twin_a, 9), (twin_b, 15), (gone, 11)):
        services.contact_log(customer=guest, kind="visit", property=property_, occurred_at=at(4, hour))
    assert by_day(week(organization, property_))["2026-03-04"]["guest_days"] == 3

    # When the two profiles are merged, Wednesday holds two guests: the merged one counts once.
    merge = services.customer_merge(kept=twin_a, duplicate=twin_b, actor=manager.user)
    wednesday = by_day(week(organization, property_))["2026-03-04"]
    assert (wednesday["contacts"], wednesday["guest_days"]) == (3, 2)
    # Undone, they are two again.
    services.merge_undo(merge=merge, actor=manager.user)
    assert by_day(week(organization, property_))["2026-03-04"]["guest_days"] == 3
    services.customer_merge(kept=twin_a, duplicate=twin_b, actor=manager.user)

    # When the other guest is erased, their contact and guest-day are still counted, with nothing of who.
    services.customer_erase(customer=gone, actor=manager.user)
    wednesday = by_day(week(organization, property_))["2026-03-04"]
    assert (wednesday["contacts"], wednesday["guest_days"]) == (3, 2)


def _survey(customer, property_, key: str) -> Touch:
    """A survey as the sender leaves it: sent, and counted."""
    touch = TouchFactory(customer=customer, property=property_, sent_survey=True, idempotency_key=f"survey:{key}")
    metrics_touches_finished([touch], status="sent", at=touch.sent_at)
    return touch


def test_issue_times_satisfaction_and_recommendation(organization, property_, frontdesk, manager):
    desk = frontdesk.user
    guest = CustomerFactory(organization=organization)
    # Given three issues opened on Monday at 10:00 and answered after 10 min, 30 min and 2 h; resolved after 1 h,
    # 5 h and 26 h (the last on Tuesday), one of them high,
    answered, resolved = (10, 30, 120), (60, 300, 1560)
    issues = []
    for i, severity in enumerate(("low", "medium", "high")):
        with time_machine.travel(at(2, 10), tick=False):
            issues.append(
                services.issue_open(
                    customer=guest, property=property_, summary=f"Issue {i}", severity=severity, actor=desk
                )
            )
    for issue, minutes in zip(issues, answered, strict=True):
        with time_machine.travel(at(2, 10) + timedelta(minutes=minutes), tick=False):
            services.issue_update(issue=issue, status="in_progress", actor=desk)
    for issue, minutes in zip(issues, resolved, strict=True):
        with time_machine.travel(at(2, 10) + timedelta(minutes=minutes), tick=False):
            services.issue_update(issue=issue, status="resolved", resolution="Fixed", actor=manager.user)
    # and one reopened on Wednesday.
    with time_machine.travel(at(4, 9), tick=False):
        services.issue_update(issue=issues[0], status="open", actor=desk)

    # Survey answers on Friday: 5 (would recommend 10), 4 (8), 2 (3) and 4 (no answer to "recommend"), of 5 sent.
    with time_machine.travel(at(6, 12), tick=False):
        answers = ((5, 10), (4, 8), (2, 3), (4, None))
        for i, (score, recommend) in enumerate(answers):
            feedback_record(touch=_survey(guest, property_, str(i)), score=score, recommend=recommend)

    days = by_day(week(organization, property_))
    monday = days["2026-03-02"]
    assert monday["issues_opened"] == 3
    assert monday["issues_opened_by_severity"] == {"low": 1, "medium": 1, "high": 1}
    # First responses 600, 1800, 7200 s: the median is the 2nd smallest; the 90th percentile the 3rd.
    assert monday["first_response_median_seconds"] == pytest.approx(1800, rel=0.02)
    assert monday["first_response_p90_seconds"] == pytest.approx(7200, rel=0.02)
    # Resolutions count on the day they happened: Monday 1 h and 5 h, Tuesday 26 h.
    assert monday["issues_resolved"] == 2 and days["2026-03-03"]["issues_resolved"] == 1
    assert monday["resolution_median_seconds"] == pytest.approx(3600, rel=0.02)
    assert days["2026-03-03"]["resolution_median_seconds"] == pytest.approx(26 * 3600, rel=0.02)
    assert days["2026-03-04"]["issues_reopened"] == 1
    friday = days["2026-03-06"]
    assert friday["csat_responses"] == 4 and friday["csat_average"] == 3.75
    assert friday["csat_distribution"] == {"1": 0, "2": 1, "3": 0, "4": 2, "5": 1}
    # NPS of 10, 8, 3: one promoter, one detractor of three answers → 0.
    assert (friday["nps_responses"], friday["nps"]) == (3, 0)

    totals = week(organization, property_)["totals"]
    # Over the week: resolutions 1 h, 5 h, 26 h → the median is 5 h; the manager resolved all three.
    assert totals["resolution_median_seconds"] == pytest.approx(5 * 3600, rel=0.02)
    assert totals["issues_opened"] == 3 and totals["issues_resolved"] == 3
    # Read from the week's own buckets, the same median; and from the month's, March's first week alone in it.
    (whole_week,) = week(organization, property_, granularity="week")["periods"]
    assert whole_week["resolution_median_seconds"] == totals["resolution_median_seconds"]
    march = month_of_march(organization, property_)
    assert march["totals"]["resolution_median_seconds"] == totals["resolution_median_seconds"]
    assert march["totals"]["first_response_p90_seconds"] == totals["first_response_p90_seconds"]
    staff = metrics_by_staff(
        organization_id=organization.pk, property_id=None, start=date(2026, 3, 2), end=date(2026, 3, 8)
    )
    assert staff[manager.user.pk]["issues_resolved"] == 3
    assert staff[manager.user.pk]["resolution_median_seconds"] == pytest.approx(5 * 3600, rel=0.02)
    assert staff[desk.pk]["issues_opened"] == 3 and staff[desk.pk]["issues_first_responses"] == 3


def test_a_resolution_that_lands_late_in_a_closed_week_changes_that_weeks_figures(organization, property_, manager):
    # Given three issues opened on Monday 2 March at 10:00, two resolved that day after 1 h and 3 h,
    guest = CustomerFactory(organization=organization)
    issues = [
        services.issue_open(customer=guest, property=property_, opened_at=at(2, 10), summary=f"Noise {n}")
        for n in range(3)
    ]
    for issue, hours in zip(issues[:2], (1, 3), strict=True):
        services.issue_update(issue=issue, status="resolved", resolution="Fixed", now=at(2, 10 + hours))
    # the week, long closed on 20 March, reads a median of 1 h (the 1st of 2) and a 90th percentile of 3 h.
    with time_machine.travel(at(20, 9), tick=False):
        (closed,) = week(organization, property_, granularity="week")["periods"]
    assert closed["resolution_median_seconds"] == seconds_of(bucket_of(3600))
    assert closed["resolution_p90_seconds"] == seconds_of(bucket_of(3 * 3600))

    # When the third issue's resolution is recorded on 20 March for Tuesday 3 March at 10:00 (24 h),
    with time_machine.travel(at(20, 9), tick=False):
        services.issue_update(issue=issues[2], status="resolved", resolution="Fixed", actor=manager.user, now=at(3, 10))

    # the week's figures are those of its three resolutions: the median the 2nd (3 h), the 90th percentile the 3rd,
    (whole,) = week(organization, property_, granularity="week")["periods"]
    assert (whole["issues_resolved"], whole["resolution_median_seconds"]) == (3, seconds_of(bucket_of(3 * 3600)))
    assert whole["resolution_p90_seconds"] == seconds_of(bucket_of(24 * 3600))
    # and so are Tuesday's, March's, and those of a fortnight read from two weeks.
    assert by_day(week(organization, property_))["2026-03-03"]["resolution_median_seconds"] == seconds_of(
        bucket_of(24 * 3600)
    )
    march = month_of_march(organization, property_)
    fortnight = metrics_for(
        organization_id=organization.pk,
        property_id=None,
        start=date(2026, 3, 2),
        end=date(2026, 3, 15),
        granularity="week",
    )
    for figures in (march["totals"], fortnight["totals"]):
        assert figures["resolution_median_seconds"] == seconds_of(bucket_of(3 * 3600))
        assert figures["resolution_p90_seconds"] == seconds_of(bucket_of(24 * 3600))


def test_the_quantiles_of_a_range_of_many_spans_are_the_ranks_of_its_durations(organization, property_):
    # Given 300 first responses from a second to two weeks long over nine weeks (days, weeks and a whole month),
    chance = random.Random(14)
    durations = []
    for _ in range(300):
        seconds = round(math.exp(chance.uniform(0, math.log(14 * 86_400))))
        when = at(1, 12) - timedelta(days=20) + timedelta(days=chance.randrange(63), hours=chance.randrange(10))
        durations.append((when, seconds))
    first_responses(organization, property_, durations)

    def by_hand(start: date, end: date) -> tuple[int, int]:
        """The ⌈n/2⌉-th and ⌈0.9·n⌉-th smallest of the range's durations, read back from their buckets."""
        ranked = sorted(seconds for when, seconds in durations if start <= when.date() <= end)
        ranks = (math.ceil(len(ranked) / 2), math.ceil(len(ranked) * 0.9))
        return tuple(seconds_of(bucket_of(ranked[rank - 1])) for rank in ranks)

    # the totals and the previous range, each read from several spans (days, weeks, March whole), are exactly
    # those of the durations by rank.
    for start, end in ((date(2026, 2, 26), date(2026, 4, 8)), (date(2026, 2, 16), date(2026, 3, 12))):
        result = metrics_for(
            organization_id=organization.pk, property_id=property_.pk, start=start, end=end, granularity="week"
        )
        previous = result["previous"]
        for figures, first, last in (
            (result["totals"], start, end),
            (previous, date.fromisoformat(previous["start"]), date.fromisoformat(previous["end"])),
        ):
            found = (figures["first_response_median_seconds"], figures["first_response_p90_seconds"])
            assert found == by_hand(first, last)


def test_the_previous_range_of_the_same_length_is_beside_the_totals(organization, property_):
    guest = CustomerFactory(organization=organization)
    services.contact_log(customer=guest, kind="visit", property=property_, occurred_at=at(1, 12))  # a Sunday
    result = week(organization, property_)
    assert (result["previous"]["start"], result["previous"]["end"]) == ("2026-02-23", "2026-03-01")
    assert result["previous"]["contacts"] == 1 and result["totals"]["contacts"] == 0


def test_another_property_in_another_zone_keeps_its_own_day(organization, property_):
    london = PropertyFactory(organization=organization, name="Mayfair", timezone="Europe/London")
    guest = CustomerFactory(organization=organization)
    # 23:30 on Tuesday in London is Wednesday 7:30 in Shanghai: it is London's Tuesday.
    when = datetime(2026, 3, 3, 23, 30, tzinfo=ZoneInfo("Europe/London"))
    services.contact_log(customer=guest, kind="visit", property=london, occurred_at=when)
    assert by_day(week(organization, london))["2026-03-03"]["contacts"] == 1
    assert by_day(week(organization, property_))["2026-03-03"]["contacts"] == 0
    assert by_day(week(organization))["2026-03-03"]["contacts"] == 1


def test_a_rebuild_from_the_rows_on_file_counts_what_the_events_counted(organization, property_, frontdesk):
    # Given a history counted as it happened (contacts, one logged late; issues answered and resolved by their
    # owner; survey answers),
    desk = frontdesk.user
    guest, other = CustomerFactory(organization=organization), CustomerFactory(organization=organization)
    for customer, day, hour in ((guest, 3, 9), (guest, 2, 20), (guest, 3, 23), (other, 4, 10), (guest, 6, 8)):
        services.contact_log(
            customer=customer,
            kind="visit",
            actor=desk,
            property=property_,
            occurred_at=at(day, hour),
            greeted_by_name=hour < 12,
        )
    for minutes, severity in ((15, "high"), (90, "low")):
        with time_machine.travel(at(2, 10), tick=False):
            issue = services.issue_open(
                customer=guest, property=property_, summary="Noise", severity=severity, actor=desk
            )
        with time_machine.travel(at(2, 10) + timedelta(minutes=minutes), tick=False):
            services.issue_update(issue=issue, status="in_progress", actor=desk)
        with time_machine.travel(at(3, 10) + timedelta(minutes=minutes), tick=False):
            services.issue_update(issue=issue, status="resolved", resolution="Moved rooms", actor=desk)
    with time_machine.travel(at(5, 12), tick=False):
        feedback_record(touch=_survey(guest, property_, "a"), score=3, recommend=9)
    live = week(organization, property_, granularity="day"), week(organization, granularity="week")
    mine = metrics_by_staff(
        organization_id=organization.pk, property_id=None, start=date(2026, 3, 2), end=date(2026, 3, 8)
    )

    # When the counters are rebuilt from the rows on file, the figures are the same.
    assert metrics_rebuild(organization_id=organization.pk) == {"contacts": 5, "issues": 2, "feedback": 1, "touches": 1}
    assert (week(organization, property_, granularity="day"), week(organization, granularity="week")) == live
    assert (
        metrics_by_staff(
            organization_id=organization.pk, property_id=None, start=date(2026, 3, 2), end=date(2026, 3, 8)
        )
        == mine
    )


def test_logging_a_contact_costs_the_dashboard_one_insert(organization, property_, frontdesk):
    # Given a guest seen before at this property,
    guest = CustomerFactory(organization=organization)
    services.contact_log(customer=guest, kind="visit", property=property_, occurred_at=at(2, 9))
    # when another contact is logged, the dashboard's share of it is one INSERT of its pending row: no read of the
    # guest's contacts, of zones or of day rows.
    with CaptureQueriesContext(connection) as queries:
        services.contact_log(
            customer=guest, kind="visit", actor=frontdesk.user, property=property_, occurred_at=at(3, 9)
        )
    counting = [
        q["sql"]
        for q in queries.captured_queries
        if any(table in q["sql"] for table in ("metricday", "metricspendingcontact", '"timezone"'))
    ]
    assert len(counting) == 1 and counting[0].startswith("INSERT INTO personalization_metricspendingcontact")


def test_folding_a_contact_is_one_statement_on_postgresql(organization, property_, frontdesk):
    # Given a guest seen long ago and yesterday, counted,
    guest = CustomerFactory(organization=organization)
    for when in (datetime(2025, 6, 1, 9, tzinfo=SHANGHAI), at(2, 9)):
        services.contact_log(customer=guest, kind="visit", property=property_, occurred_at=when)
    metrics_caught_up(organization.pk)
    # and two more contacts of theirs pending,
    for hour in (9, 18):
        services.contact_log(customer=guest, kind="visit", property=property_, occurred_at=at(3, hour))
    # when the fold counts them, it costs the lock and the read of the pending contacts, then one statement a
    # contact on PostgreSQL (the contacts it may change read, its pending row deleted, inside the upsert); a read,
    # an upsert and a delete a contact elsewhere,
    with CaptureQueriesContext(connection) as queries:
        assert metrics_contacts_count(organization_id=organization.pk) == 2
    statements = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    assert len(statements) == (2 + 2 if connection.vendor == "postgresql" else 1 + 2 * 3)
    # and what it counted is what a count from scratch says: the day, and one returning guest-day there.
    mine = by_day(week(organization, property_))["2026-03-03"]
    assert (mine["contacts"], mine["guest_days"], mine["returning_guest_rate"]) == (2, 1, 1.0)


def test_guest_days_at_no_property_and_logged_late_equal_a_count_from_scratch(organization, property_):
    # Given a guest's contacts at no property (counted in the organization's first property's zone), at a property
    # in another zone, a contact logged late that becomes their first, and two at the same moment in two zones,
    tokyo = PropertyFactory(organization=organization, name="Tokyo", timezone="Asia/Tokyo")
    guest = CustomerFactory(organization=organization)
    same = datetime(2026, 3, 4, 15, 30, tzinfo=ZoneInfo("UTC"))
    for place, when in (
        (None, at(3, 23, 30)),
        (tokyo, at(4, 0, 10)),
        (property_, same),
        (tokyo, same),
        (None, at(1, 8)),  # late: the guest's first contact now
        (property_, at(1, 23, 59)),
    ):
        services.contact_log(customer=guest, kind="visit", property=place, occurred_at=when)

    def rows():
        from personalization.models import MetricDay

        return sorted(
            MetricDay.objects.filter(organization_id=organization.pk).values_list(
                "property_key", "staff_key", "day", "contacts", "guest_days", "returning_guest_days"
            )
        )

    # then the day rows counted contact by contact equal those counted from all the contacts at once.
    metrics_caught_up(organization.pk)
    counted = rows()
    # (the organization: 1, 3 and 4 March, and 5 March in Tokyo, where the shared moment is already the 5th)
    assert sum(row[4] for row in counted if row[1] == -1 and row[0] == -1) == 4
    metrics_rebuild(organization_id=organization.pk)
    assert rows() == counted


def test_guest_days_logged_in_any_order_across_zones_equal_a_count_from_scratch(organization, property_):
    # Given a guest seen 40 times over two months at three properties from UTC+13 to UTC−10, logged in a shuffled
    # order (late entries, a new first visit, the same day in two zones), and counted by folds now and then (each
    # fold counting several pending contacts of the guest, against those counted before),
    places = [
        property_,
        PropertyFactory(organization=organization, name="Auckland", timezone="Pacific/Auckland"),
        PropertyFactory(organization=organization, name="Honolulu", timezone="Pacific/Honolulu"),
    ]
    chance = random.Random(14)
    guest = CustomerFactory(organization=organization)
    moments = [
        (
            chance.choice(places),
            datetime(2026, 3, 1, tzinfo=ZoneInfo("UTC")) + timedelta(hours=chance.randrange(60 * 24)),
        )
        for _ in range(40)
    ]
    chance.shuffle(moments)
    for place, when in moments:
        services.contact_log(customer=guest, kind="visit", property=place, occurred_at=when)
        if chance.random() < 0.25:
            metrics_contacts_count(organization_id=organization.pk)
    metrics_contacts_count(organization_id=organization.pk)

    def guest_day_rows():
        from personalization.models import MetricDay

        return sorted(
            MetricDay.objects.filter(staff_key=-1).values_list(
                "property_key", "day", "guest_days", "returning_guest_days"
            )
        )

    # the guest-days counted as each contact came equal those counted from all the contacts at once.
    counted = guest_day_rows()
    assert sum(row[2] for row in counted) > 40  # days at three places and the organization's
    metrics_rebuild(organization_id=organization.pk)
    assert guest_day_rows() == counted


def test_a_quantile_on_the_edge_of_a_coarse_bucket_is_the_duration_of_its_rank(organization, property_):
    # Given, in ranges read as several spans (a Sunday, then weeks and days), first responses that fall on both
    # sides of the edge between two coarse buckets: one duration in the last bucket of the first, then more in the
    # first bucket of the next,
    edge = 15 * 16  # figures.COARSE is 16: bucket 239 ends a coarse bucket, bucket 240 (~3.4 hours) starts the next
    below = math.floor(1.04 ** (edge - 1))
    above = below + 1
    assert (bucket_of(below), bucket_of(above)) == (edge - 1, edge)
    first_responses(
        organization, property_, [(at(3, 12), below), (at(5, 12), above), (at(11, 12), above), (at(16, 12), above)]
    )

    def quantiles(end: int) -> tuple[int, int]:
        totals = metrics_for(
            organization_id=organization.pk,
            property_id=property_.pk,
            start=date(2026, 3, 1),
            end=date(2026, 3, end),
            granularity="week",
        )["totals"]
        return totals["first_response_median_seconds"], totals["first_response_p90_seconds"]

    # then with one on each side the median is the shorter (the 1st of 2) and the 90th percentile the longer;
    assert quantiles(8) == (seconds_of(edge - 1), seconds_of(edge))
    # with one below and two above, both are above (the 2nd and the 3rd of 3),
    assert quantiles(12) == (seconds_of(edge), seconds_of(edge))
    # and they stay above with three of four above.
    assert quantiles(18) == (seconds_of(edge), seconds_of(edge))
