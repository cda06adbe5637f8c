"""The day counters (MetricDay, MetricDuration) of one organization built from its raw rows by set-based SQL, for
bench/run metrics's generated history (the services count events as they happen; a generated history never
happened through them). What each counter means is personalization/metrics/figures.py and services.py:

- each event counts on its local day in its property's zone (no property: the organization's first property's),
  on three rows: (property, staff), (property, ALL), (ALL, ALL) — GROUPING SETS below;
- guest-days (services.days.guest_days) on (place, ALL) and (ALL, ALL) only: a guest with a contact that local day
  there; returning when their first contact ever, read in that contact's zone, was on an earlier day;
- durations in figures.bucket_of's buckets, on the day of the response or the resolution; each histogram's
  buckets grouped by coarse bucket (figures.grouped), its median and 90th percentile buckets
  (figures.rank_reached) and coarse counts (figures.coarse_of) beside it.

Issue events are credited to the issue's owner (the raw rows keep no other actor); touches finish on sent_at
(sent), done_at (a task done, by done_by) or updated_at (skipped, failed, cancelled); a survey answer counts at
its touch's property; a delight is suggested at created_at, delivered (with its cost) or declined by its staff.
Not rebuilt (no raw trace): reopened issues and touches postponed for quiet hours.

check_against_services() logs a few events through the services into an empty organization and compares, for
this fill and for main's `manage.py metrics_rebuild` (personalization.metrics.services.rebuild.metrics_rebuild).
"""

from __future__ import annotations

import time

from django.db import connection

from personalization.metrics.figures import COARSE, GAMMA
from personalization.models.metrics import COUNTERS

# The zone of each contact's place; what happened at no property takes the default property's (Zones).
_ZONE = "COALESCE(p.timezone, %(default_tz)s)"


def _local_day(column: str) -> str:
    return f"({column} AT TIME ZONE {_ZONE})::date"


def _bucket(seconds: str) -> str:
    """figures.bucket_of in SQL: the same double-precision logarithms."""
    return f"CASE WHEN {seconds} <= 1 THEN 0 ELSE ceil(ln({seconds}) / ln({GAMMA}::float8))::int END"


def _events_sql() -> list[str]:
    """INSERTs into bench_ev (property_key, staff_key, day, counters…) at the finest grain, one per source."""
    contacts = (
        "INSERT INTO bench_ev (property_key, staff_key, day, contacts, greeted_by_name, preference_honored,"
        " delight_delivered)"
        f" SELECT COALESCE(c.property_id, 0), COALESCE(c.staff_id, 0), {_local_day('c.occurred_at')}, count(*),"
        " count(*) FILTER (WHERE c.greeted_by_name), count(*) FILTER (WHERE c.preference_honored),"
        " count(*) FILTER (WHERE c.delight_delivered)"
        " FROM crm_contact c JOIN crm_customer cu ON cu.id = c.customer_id"
        " LEFT JOIN crm_property p ON p.id = c.property_id"
        " WHERE cu.organization_id = %(org)s GROUP BY 1, 2, 3"
    )
    issues_from = (
        " FROM crm_issue i JOIN crm_customer cu ON cu.id = i.customer_id"
        " LEFT JOIN crm_property p ON p.id = i.property_id WHERE cu.organization_id = %(org)s"
    )
    issues = [
        "INSERT INTO bench_ev (property_key, staff_key, day, issues_opened, issues_opened_low, issues_opened_medium,"
        " issues_opened_high)"
        f" SELECT COALESCE(i.property_id, 0), COALESCE(i.owner_id, 0), {_local_day('i.opened_at')}, count(*),"
        " count(*) FILTER (WHERE i.severity = 'low'), count(*) FILTER (WHERE i.severity = 'medium'),"
        f" count(*) FILTER (WHERE i.severity = 'high') {issues_from} GROUP BY 1, 2, 3",
        "INSERT INTO bench_ev (property_key, staff_key, day, issues_first_responses)"
        f" SELECT COALESCE(i.property_id, 0), COALESCE(i.owner_id, 0), {_local_day('i.first_response_at')},"
        f" count(*) {issues_from} AND i.first_response_at IS NOT NULL GROUP BY 1, 2, 3",
        "INSERT INTO bench_ev (property_key, staff_key, day, issues_resolved)"
        f" SELECT COALESCE(i.property_id, 0), COALESCE(i.owner_id, 0), {_local_day('i.resolved_at')}, count(*)"
        f" {issues_from} AND i.resolved_at IS NOT NULL GROUP BY 1, 2, 3",
    ]
    durations = [
        "INSERT INTO bench_dur (property_key, staff_key, measure, day, bucket, n)"
        f" SELECT COALESCE(i.property_id, 0), COALESCE(i.owner_id, 0), '{measure}', {_local_day(column)},"
        f" {_bucket(f'extract(epoch FROM {column} - i.opened_at)::float8')}, count(*)"
        f" {issues_from} AND {column} IS NOT NULL GROUP BY 1, 2, 3, 4, 5"
        for measure, column in (("first_response", "i.first_response_at"), ("resolution", "i.resolved_at"))
    ]
    finished = "CASE t.status WHEN 'sent' THEN t.sent_at WHEN 'done' THEN t.done_at ELSE t.updated_at END"
    consent = "(t.reason LIKE 'do not contact%%' OR t.reason LIKE 'no consent%%' OR t.reason LIKE 'no email address%%')"
    touches = (
        "INSERT INTO bench_ev (property_key, staff_key, day, touches_sent, surveys_sent, touches_skipped,"
        " touches_skipped_consent, touches_skipped_pressure_cap, touches_skipped_open_complaint, touches_failed,"
        " touches_cancelled, tasks_done)"
        " SELECT COALESCE(t.property_id, 0), CASE WHEN t.status = 'done' THEN COALESCE(t.done_by_id, 0) ELSE 0 END,"
        f" {_local_day(finished)},"
        " count(*) FILTER (WHERE t.status = 'sent'),"
        " count(*) FILTER (WHERE t.status = 'sent' AND t.kind = 'csat_survey'),"
        " count(*) FILTER (WHERE t.status = 'skipped'),"
        f" count(*) FILTER (WHERE t.status = 'skipped' AND {consent}),"
        " count(*) FILTER (WHERE t.status = 'skipped' AND t.reason LIKE 'pressure cap%%'),"
        " count(*) FILTER (WHERE t.status = 'skipped' AND t.reason LIKE 'open complaint%%'),"
        " count(*) FILTER (WHERE t.status = 'failed'), count(*) FILTER (WHERE t.status = 'cancelled'),"
        " count(*) FILTER (WHERE t.status = 'done')"
        " FROM personalization_touch t LEFT JOIN crm_property p ON p.id = t.property_id"
        " WHERE t.organization_id = %(org)s AND t.status IN ('sent', 'skipped', 'failed', 'cancelled', 'done')"
        " GROUP BY 1, 2, 3"
    )
    feedback = (
        "INSERT INTO bench_ev (property_key, staff_key, day, csat_responses, csat_score_sum, csat_1, csat_2, csat_3,"
        " csat_4, csat_5, nps_responses, nps_promoters, nps_detractors)"
        f" SELECT COALESCE(t.property_id, 0), 0, {_local_day('f.created_at')}, count(*), sum(f.score),"
        " count(*) FILTER (WHERE f.score = 1), count(*) FILTER (WHERE f.score = 2),"
        " count(*) FILTER (WHERE f.score = 3), count(*) FILTER (WHERE f.score = 4),"
        " count(*) FILTER (WHERE f.score = 5), count(f.recommend), count(*) FILTER (WHERE f.recommend >= 9),"
        " count(*) FILTER (WHERE f.recommend <= 6)"
        " FROM personalization_feedback f JOIN personalization_touch t ON t.id = f.touch_id"
        " LEFT JOIN crm_property p ON p.id = t.property_id WHERE t.organization_id = %(org)s GROUP BY 1, 2, 3"
    )
    delights_from = (
        " FROM personalization_delight d LEFT JOIN crm_property p ON p.id = d.property_id"
        " WHERE d.organization_id = %(org)s"
    )
    delights = [
        "INSERT INTO bench_ev (property_key, staff_key, day, delights_suggested)"
        f" SELECT COALESCE(d.property_id, 0), 0, {_local_day('d.created_at')}, count(*) {delights_from}"
        " GROUP BY 1, 2, 3",
        "INSERT INTO bench_ev (property_key, staff_key, day, delights_delivered, delight_cost)"
        f" SELECT COALESCE(d.property_id, 0), COALESCE(d.delivered_by_id, 0), {_local_day('d.delivered_at')},"
        f" count(*), sum(d.cost) {delights_from} AND d.status = 'delivered' GROUP BY 1, 2, 3",
        "INSERT INTO bench_ev (property_key, staff_key, day, delights_declined)"
        f" SELECT COALESCE(d.property_id, 0), COALESCE(d.declined_by_id, 0), {_local_day('d.declined_at')},"
        f" count(*) {delights_from} AND d.status = 'declined' GROUP BY 1, 2, 3",
    ]
    return [contacts, *issues, *durations, touches, feedback, *delights]


_GUEST_DAYS = [
    # Every contact of the organization with its place, zone, local day and whether it is a returning day.
    "CREATE TEMP TABLE bench_gd AS"
    " WITH c AS (SELECT ct.id, ct.customer_id, COALESCE(ct.property_id, 0) AS place, ct.occurred_at,"
    f"              {_ZONE} AS tz"
    "            FROM crm_contact ct JOIN crm_customer cu ON cu.id = ct.customer_id"
    "            LEFT JOIN crm_property p ON p.id = ct.property_id WHERE cu.organization_id = %(org)s),"
    "      f AS (SELECT customer_id, min(occurred_at) AS first_at FROM c GROUP BY 1)"
    " SELECT c.id, c.customer_id, c.place, c.occurred_at, (c.occurred_at AT TIME ZONE c.tz)::date AS day,"
    "        (f.first_at AT TIME ZONE c.tz)::date < (c.occurred_at AT TIME ZONE c.tz)::date AS is_return"
    " FROM c JOIN f USING (customer_id)",
    # A place's guest-days: one per guest, place and local day (one zone per place, so one answer to returning).
    "INSERT INTO personalization_metricday (organization_id, property_key, staff_key, day, guest_days,"
    " returning_guest_days)"
    " SELECT %(org)s, place, -1, day, count(*), count(*) FILTER (WHERE is_return)"
    " FROM (SELECT DISTINCT customer_id, place, day, is_return FROM bench_gd) g GROUP BY place, day"
    " ON CONFLICT (organization_id, property_key, staff_key, day) DO UPDATE"
    " SET guest_days = excluded.guest_days, returning_guest_days = excluded.returning_guest_days",
    # The organization's: one per guest and local day, read in the zone of the day's first contact (guest_days
    # walks the contacts in time order and keeps the first it sees of each (ALL, day)).
    "INSERT INTO personalization_metricday (organization_id, property_key, staff_key, day, guest_days,"
    " returning_guest_days)"
    " SELECT %(org)s, -1, -1, day, count(*), count(*) FILTER (WHERE is_return)"
    " FROM (SELECT DISTINCT ON (customer_id, day) customer_id, day, is_return FROM bench_gd"
    "       ORDER BY customer_id, day, occurred_at, id DESC) g GROUP BY day"
    " ON CONFLICT (organization_id, property_key, staff_key, day) DO UPDATE"
    " SET guest_days = excluded.guest_days, returning_guest_days = excluded.returning_guest_days",
]


# Each histogram's summaries from its buckets: the median is the first bucket where the running count reaches half
# the total (twice the running count ≥ the total), the 90th percentile where ten times it reaches nine times the
# total; the coarse counts sum the buckets by bucket / COARSE.
_SUMMARIES = f"""
WITH e AS (
    SELECT d.id, k.key::int AS bucket, k.value::bigint AS n
    FROM personalization_metricduration d CROSS JOIN LATERAL jsonb_each(d.counts) g
    CROSS JOIN LATERAL jsonb_each_text(g.value) k
    WHERE d.organization_id = %(org)s
), q AS (
    SELECT id, MIN(bucket) FILTER (WHERE below * 2 >= total) AS median,
           MIN(bucket) FILTER (WHERE below * 10 >= total * 9) AS p90
    FROM (SELECT id, bucket, SUM(n) OVER (PARTITION BY id ORDER BY bucket) AS below,
                 SUM(n) OVER (PARTITION BY id) AS total FROM e) w
    GROUP BY id
), c AS (
    SELECT id, jsonb_object_agg(coarse, n) AS coarse
    FROM (SELECT id, bucket / {COARSE} AS coarse, SUM(n) AS n FROM e GROUP BY id, bucket / {COARSE}) x GROUP BY id
)
UPDATE personalization_metricduration d SET median_bucket = q.median, p90_bucket = q.p90, coarse = c.coarse
FROM q JOIN c ON c.id = q.id WHERE d.id = q.id
"""


def fill(organization_id: int, *, say=print) -> float:
    """Replace the organization's day counters and histograms by those of its raw rows; seconds taken."""
    started = time.monotonic()
    names = [*COUNTERS, "delight_cost"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT timezone FROM crm_property WHERE organization_id = %s ORDER BY id LIMIT 1", [organization_id]
        )
        row = cursor.fetchone()
        params = {"org": organization_id, "default_tz": row[0] if row else "UTC", "coarse": COARSE}
        cursor.execute("SET work_mem = '256MB'")
        cursor.execute("DROP TABLE IF EXISTS bench_ev, bench_dur, bench_gd")
        columns = ", ".join(
            f"{name} {'numeric' if name == 'delight_cost' else 'bigint'} NOT NULL DEFAULT 0" for name in names
        )
        cursor.execute(f"CREATE TEMP TABLE bench_ev (property_key bigint, staff_key bigint, day date, {columns})")
        cursor.execute(
            "CREATE TEMP TABLE bench_dur (property_key bigint, staff_key bigint, measure text, day date, bucket int,"
            " n bigint)"
        )
        cursor.execute("DELETE FROM personalization_metricday WHERE organization_id = %s", [organization_id])
        cursor.execute("DELETE FROM personalization_metricduration WHERE organization_id = %s", [organization_id])
        for sql in _events_sql():
            cursor.execute(sql, params)
        say(f"# counters: events grouped ({time.monotonic() - started:.0f} s)")
        sums = ", ".join(f"SUM({name})" for name in names)
        place = "CASE WHEN GROUPING(property_key) = 1 THEN -1 ELSE property_key END"
        staff = "CASE WHEN GROUPING(staff_key) = 1 THEN -1 ELSE staff_key END"
        cursor.execute(
            f"INSERT INTO personalization_metricday (organization_id, property_key, staff_key, day, {', '.join(names)})"
            f" SELECT %(org)s, {place}, {staff}, day, {sums} FROM bench_ev"
            " GROUP BY GROUPING SETS ((property_key, staff_key, day), (property_key, day), (day))",
            params,
        )
        # Each duration in its day, its ISO week (its Monday) and its month (services.spans_of), bucket by bucket,
        # then one histogram per span and measure, its buckets grouped by coarse bucket (MetricDuration.counts).
        cursor.execute(
            "CREATE TEMP TABLE bench_hist AS"
            f" SELECT {place} AS property_key, {staff} AS staff_key, day, measure, bucket, SUM(n) AS n FROM bench_dur"
            " GROUP BY GROUPING SETS ((property_key, staff_key, measure, day, bucket),"
            " (property_key, measure, day, bucket), (measure, day, bucket))"
        )
        for span, start in (
            ("day", "day"),
            ("week", "date_trunc('week', day)::date"),
            ("month", "date_trunc('month', day)::date"),
        ):
            cursor.execute(
                "INSERT INTO personalization_metricduration (organization_id, property_key, staff_key, span, day,"
                " measure, counts, coarse)"
                f" SELECT %(org)s, property_key, staff_key, '{span}', start, measure,"
                " jsonb_object_agg(coarse, buckets), '{}'::jsonb"  # _SUMMARIES below
                " FROM (SELECT property_key, staff_key, start, measure, bucket / %(coarse)s AS coarse,"
                " jsonb_object_agg(bucket, n) AS buckets"
                f" FROM (SELECT property_key, staff_key, {start} AS start, measure, bucket, SUM(n) AS n"
                " FROM bench_hist GROUP BY 1, 2, 3, 4, 5) AS b GROUP BY 1, 2, 3, 4, 5) AS c"
                " GROUP BY property_key, staff_key, start, measure",
                params,
            )
        cursor.execute("DROP TABLE bench_hist")
        cursor.execute(_SUMMARIES, params)
        say(f"# counters: three rows per event written ({time.monotonic() - started:.0f} s)")
        for sql in _GUEST_DAYS:
            cursor.execute(sql, params)
        cursor.execute("DROP TABLE IF EXISTS bench_ev, bench_dur, bench_gd")
        cursor.execute("RESET work_mem")
        cursor.execute("ANALYZE personalization_metricday")
        cursor.execute("ANALYZE personalization_metricduration")
    return time.monotonic() - started


class _Rollback(Exception):
    pass


def _rebuild(organization_id: int, *, say) -> None:
    from personalization.metrics.services.rebuild import metrics_rebuild

    metrics_rebuild(organization_id=organization_id)


def check_against_services() -> int:
    """Log contacts (late ones, at 23:30 local, at no property, by nobody), issues (answered, resolved), finished
    touches and survey answers through the services into an empty organization, then rebuild its counters with
    fill() and compare every row of both tables. Rolled back whatever happens. Returns the rows compared;
    SystemExit on the first difference."""
    from datetime import UTC, datetime, timedelta

    import time_machine
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from crm import services as crm
    from crm.models import Customer, Organization, Property, Staff
    from personalization.metrics.services.contacts import metrics_contacts_count
    from personalization.metrics.services.days import metrics_touches_finished
    from personalization.models import Touch, TouchKind, TouchStatus
    from personalization.touches.services.manual import feedback_record

    tables = {
        "personalization_metricday": "organization_id, property_key, staff_key, day, "
        + ", ".join([*COUNTERS, "delight_cost"]),
        "personalization_metricduration": "organization_id, property_key, staff_key, span, day, measure, counts,"
        " median_bucket, p90_bucket, coarse",
    }
    compared = 0
    try:
        with transaction.atomic():
            organization = Organization.objects.create(name="Bench metrics check")
            places = [
                Property.objects.create(organization=organization, name=zone, timezone=zone)
                for zone in ("Pacific/Auckland", "America/Los_Angeles", "Asia/Shanghai")
            ]
            users = []
            for n in range(2):
                user = get_user_model().objects.create(username=f"bench-metrics-check-{n}")
                Staff.objects.create(user=user, organization=organization, property=places[n], role="frontdesk")
                users.append(user)
            guests = [
                Customer.objects.create(organization=organization, given_name=f"Check {n}", family_name="Guest")
                for n in range(4)
            ]
            base = datetime(2026, 3, 2, 10, 30, tzinfo=UTC)  # 23:30 in Auckland, 03:30 in Los Angeles
            log = [  # (guest, place, staff, hours after base): out of order on purpose (logged late)
                (0, 0, 0, 0),
                (0, 0, 0, 2),
                (0, 1, 1, 30),
                (0, 2, None, -20),
                (1, 1, 1, 5),
                (1, 1, 1, 6),
                (1, None, None, 50),
                (2, 2, 0, 13.5),
                (2, 0, 0, 14),
                (2, 1, 1, -3),
                (3, 2, 1, 100),
                (3, 0, None, 0.5),
            ]
            for n, (guest, place, staff, hours) in enumerate(log):
                crm.contact_log(
                    customer=guests[guest],
                    kind="visit",
                    actor=users[staff] if staff is not None else None,
                    property=places[place] if place is not None else None,
                    occurred_at=base + timedelta(hours=hours),
                    greeted_by_name=n % 2 == 0,
                    preference_honored=n % 3 == 0,
                    delight_delivered=n % 5 == 0,
                )
            for n, (guest, place, answer, resolve) in enumerate(
                [(0, 0, 0.2, 30), (1, 1, 3, None), (2, 2, None, None), (3, 1, 10, 11)]
            ):
                opened = base + timedelta(hours=n * 7)
                with time_machine.travel(opened, tick=False):
                    issue = crm.issue_open(
                        customer=guests[guest],
                        actor=users[n % 2],
                        property=places[place],
                        opened_at=opened,
                        summary="Cold breakfast",
                        severity=["low", "medium", "high", "low"][n],
                    )
                if answer is not None:
                    with time_machine.travel(opened + timedelta(hours=answer), tick=False):
                        issue = crm.issue_update(issue=issue, actor=users[n % 2], status="in_progress")
                if resolve is not None:
                    with time_machine.travel(opened + timedelta(hours=resolve), tick=False):
                        crm.issue_update(issue=issue, actor=users[n % 2], status="resolved", resolution="Fixed")
            finishes = [
                (TouchStatus.SENT, TouchKind.CSAT_SURVEY, ""),
                (TouchStatus.SENT, TouchKind.THANK_YOU, ""),
                (TouchStatus.SKIPPED, TouchKind.THANK_YOU, "no consent"),
                (TouchStatus.SKIPPED, TouchKind.WIN_BACK, "pressure cap: 3"),
                (TouchStatus.SKIPPED, TouchKind.WIN_BACK, "a gift meanwhile"),
                (TouchStatus.FAILED, TouchKind.BIRTHDAY, ""),
                (TouchStatus.CANCELLED, TouchKind.THANK_YOU, ""),
            ]
            for n, (status, kind, reason) in enumerate(finishes):
                at = base + timedelta(hours=5 * n + 3)
                touch = Touch.objects.create(
                    organization=organization,
                    customer=guests[n % 4],
                    property=places[n % 3],
                    kind=kind,
                    due_at=at,
                    status=status,
                    reason=reason,
                    idempotency_key=f"bench-check-{n}",
                    sent_at=at if status == TouchStatus.SENT else None,
                )
                Touch.objects.filter(pk=touch.pk).update(updated_at=at)
                metrics_touches_finished([touch], status=status, at=at, reason=reason)
                if kind == TouchKind.CSAT_SURVEY:
                    with time_machine.travel(at + timedelta(hours=20), tick=False):
                        feedback_record(touch=touch, score=4, recommend=9)
            metrics_contacts_count(organization_id=organization.pk)  # the contacts logged, counted by the fold
            with connection.cursor() as cursor:
                for n, (table, columns) in enumerate(tables.items()):
                    cursor.execute(
                        f"CREATE TEMP TABLE bench_written_{n} AS SELECT {columns} FROM {table}"
                        " WHERE organization_id = %s",
                        [organization.pk],
                    )
                # The bench's fill, then main's metrics_rebuild (the same definitions in Python): each must write
                # exactly what the services wrote.
                for who, build in (("fill", fill), ("metrics_rebuild", _rebuild)):
                    build(organization.pk, say=lambda _text: None)
                    for n, (table, columns) in enumerate(tables.items()):
                        cursor.execute(
                            f"SELECT 'services', * FROM (SELECT * FROM bench_written_{n}"
                            f" EXCEPT SELECT {columns} FROM {table} WHERE organization_id = %s) a"
                            f" UNION ALL SELECT %s, * FROM (SELECT {columns} FROM {table}"
                            f" WHERE organization_id = %s EXCEPT SELECT * FROM bench_written_{n}) b",
                            [organization.pk, who, organization.pk],
                        )
                        differences = cursor.fetchall()
                        if differences:
                            raise SystemExit(
                                f"{who} differs from the services in {table}:\n" + "\n".join(map(str, differences))
                            )
                        if who == "fill":
                            cursor.execute(f"SELECT count(*) FROM bench_written_{n}")
                            compared += cursor.fetchone()[0]
            raise _Rollback
    except _Rollback:
        pass
    return compared
