"""bench/run metrics's dataset: two years of a 20-property hotel chain, written by set-based SQL (INSERT … SELECT
over generate_series), never the ORM per row.

Skew, on purpose: a guest's contacts follow a heavy tail (most guests a few, a thousand regulars hundreds), 80 %
at their home property; busy properties see three times the quiet ones; Fridays and Saturdays 1.6×, summer
1.35× winter; each member of staff greets by name at their own rate (35–95 %). Issues come from one contact in
ten, touches from one in five, delights from one in twenty, survey answers from a third of the surveys sent.
Local times are drawn in each property's zone (07:00–23:00) and stored as moments.
"""

from __future__ import annotations

import math
import time
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db import connection, transaction

from crm.models import Organization, Property, Staff

ZONES = [
    "Asia/Shanghai",
    "Asia/Shanghai",
    "Asia/Shanghai",
    "Asia/Shanghai",
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Hong_Kong",
    "Asia/Tokyo",
    "Asia/Tokyo",
    "Asia/Singapore",
    "Europe/London",
    "Europe/London",
    "Europe/Paris",
    "Europe/Paris",
    "America/New_York",
    "America/New_York",
    "America/Los_Angeles",
    "America/Los_Angeles",
    "Australia/Sydney",
    "Pacific/Auckland",
]
STAFF_PER_PROPERTY = 10
DAYS = 730
SLOTS = 20_000  # resolution of the weighted draws of days and properties
HEAVY_EVERY = 1000  # one guest in a thousand is a regular with hundreds of contacts
TABLES = [
    "crm_customer",
    "crm_contact",
    "crm_issue",
    "personalization_touch",
    "personalization_feedback",
    "personalization_delight",
]


def _property_weight(index: int) -> int:
    return 3 if index < 4 else 2 if index < 10 else 1


def _day_slots(first: date) -> list[int]:
    """SLOTS day offsets, each day holding slots in proportion to its weight (weekends, summer)."""
    weights = []
    for offset in range(DAYS):
        day = first + timedelta(days=offset)
        weekday = 1.6 if day.isoweekday() in (5, 6) else 1.15 if day.isoweekday() == 7 else 1.0
        season = 1 + 0.15 * math.sin(2 * math.pi * (day.timetuple().tm_yday - 100) / 365)
        weights.append(weekday * season)
    total, slots, cumulative, offset = sum(weights), [], 0.0, 0
    for slot in range(SLOTS):
        target = (slot + 0.5) / SLOTS * total
        while cumulative + weights[offset] < target:
            cumulative += weights[offset]
            offset += 1
        slots.append(offset)
    return slots


def _property_slots() -> list[int]:
    weights = [_property_weight(i) for i in range(len(ZONES))]
    slots = []
    for index, weight in enumerate(weights):
        slots += [index] * round(SLOTS * weight / sum(weights))
    return slots


def organization_with_staff(name: str) -> tuple[Organization, list[Property]]:
    """The chain, its 20 properties and 10 members of staff at each (users without a password: no one signs in)."""
    organization, _ = Organization.objects.get_or_create(name=name)
    properties = []
    for index, zone in enumerate(ZONES):
        place, _ = Property.objects.get_or_create(
            organization=organization,
            name=f"Metrics {index + 1:02d} {zone.split('/')[-1]}",
            defaults={"timezone": zone},
        )
        properties.append(place)
    user_model = get_user_model()
    for index, place in enumerate(properties):
        for k in range(STAFF_PER_PROPERTY):
            username = f"metrics-{index + 1:02d}-{k}"
            if not user_model.objects.filter(username=username).exists():
                user = user_model(username=username)
                user.set_unusable_password()
                user.save()
                Staff.objects.create(user=user, organization=organization, property=place, role="frontdesk")
    return organization, properties


def _secondary_indexes() -> list[tuple[str, str]]:
    """The non-unique indexes of TABLES (kept in bench_dropped_index first, as bench/dataset.py does, so an
    interrupted load leaves them for the next one to build)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_dropped_index (name text PRIMARY KEY, definition text NOT NULL)"
        )
        cursor.execute(
            "INSERT INTO bench_dropped_index SELECT i.indexname, i.indexdef FROM pg_indexes i"
            " JOIN pg_class c ON c.relname = i.indexname JOIN pg_index x ON x.indexrelid = c.oid"
            " WHERE i.tablename = ANY(%s) AND NOT x.indisunique ON CONFLICT DO NOTHING",
            [TABLES],
        )
        cursor.execute("SELECT name, definition FROM bench_dropped_index ORDER BY name")
        return cursor.fetchall()


def generate(
    *,
    organization: Organization,
    properties: list[Property],
    guests: int,
    contacts: int,
    issues: int,
    touches: int,
    seed: float = 0.14,
    say=print,
) -> dict:
    """Replace the organization's guests and history with a generated two years ending yesterday (UTC)."""
    started = time.monotonic()
    last = date.today() - timedelta(days=1)
    first = last - timedelta(days=DAYS - 1)
    org = organization.pk

    def step(text: str) -> None:
        say(f"# {text} ({time.monotonic() - started:.0f} s)")

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE crm_customer, crm_searchterm, crm_preference, crm_issue, crm_contact, personalization_touch, "
            "personalization_feedback, personalization_delight, personalization_metricday, "
            "personalization_metricduration RESTART IDENTITY CASCADE"
        )
    indexes = _secondary_indexes()
    with connection.cursor() as cursor:
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
    with transaction.atomic(), connection.cursor() as cursor:
        # The rows are consistent by construction: foreign keys are not checked row by row during the load (the
        # triggers that check them are off for this session), check constraints still are.
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute("SELECT setseed(%s)", [seed])
        cursor.execute("DROP TABLE IF EXISTS bench_props, bench_staff, bench_guests")
        cursor.execute("CREATE TEMP TABLE bench_props (idx int PRIMARY KEY, id bigint, tz text)")
        cursor.execute(
            "INSERT INTO bench_props SELECT * FROM unnest(%s::int[], %s::bigint[], %s::text[])",
            [list(range(len(properties))), [p.pk for p in properties], [p.timezone for p in properties]],
        )
        # Each member of staff's own habits; k = STAFF_PER_PROPERTY is "no member of staff" (an email answered).
        cursor.execute(
            "CREATE TEMP TABLE bench_staff AS SELECT p.idx, s.k, s.user_id, "
            " 0.35 + 0.60 * ((s.k * 37 + p.idx * 11) %% 100) / 100.0 AS greet,"
            " 0.25 + 0.50 * ((s.k * 53 + p.idx * 7) %% 100) / 100.0 AS honor,"
            " 0.01 + 0.07 * ((s.k * 29 + p.idx * 3) %% 100) / 100.0 AS delight"
            " FROM bench_props p CROSS JOIN LATERAL ("
            "   SELECT row_number() OVER (ORDER BY u.username) - 1 AS k, u.id AS user_id FROM crm_staff st"
            "   JOIN auth_user u ON u.id = st.user_id WHERE st.property_id = p.id AND u.username LIKE 'metrics-%%'"
            "   UNION ALL SELECT %s, NULL) s",
            [STAFF_PER_PROPERTY],
        )
        property_slots, day_slots = _property_slots(), _day_slots(first)
        # Contacts per guest: a heavy tail (Pareto, capped), regulars with 200–800, the total brought to `contacts`.
        cursor.execute(
            "CREATE TEMP TABLE bench_guests AS SELECT g AS id,"
            " (%s::int[])[1 + floor(random() * %s)::int] AS home,"
            " CASE WHEN g %% %s = 0 THEN 200 + floor(random() * 600)::int"
            "      ELSE least(200, floor(3 * power(random(), -0.75))::int) END AS n"
            " FROM generate_series(1, %s) g",
            [property_slots, len(property_slots), HEAVY_EVERY, guests],
        )
        cursor.execute("SELECT sum(n) FROM bench_guests")
        gap = contacts - cursor.fetchone()[0]
        if gap > 0:  # spread the rest one each over guests (every guest gains gap // guests, some one more)
            cursor.execute(
                "UPDATE bench_guests SET n = n + %s / %s + CASE WHEN id <= %s %% %s THEN 1 ELSE 0 END",
                [gap, guests, gap, guests],
            )
        elif gap < 0:
            cursor.execute(
                "UPDATE bench_guests SET n = n - 1 WHERE id IN (SELECT id FROM bench_guests WHERE n > 1 "
                "AND id %% %s <> 0 ORDER BY id LIMIT %s)",
                [HEAVY_EVERY, -gap],
            )
        cursor.execute("ANALYZE bench_guests")
        cursor.execute(
            "INSERT INTO crm_customer (id, created_at, updated_at, given_name, family_name, name_order, native_name,"
            " latin_name, preferred_name, salutation, pronunciation, pronunciation_ipa, pronunciation_audio,"
            " pronunciation_note, language, email, phone, visit_count, tags, consent_service, consent_marketing,"
            " consent_surprises, do_not_contact, pinyin, search_name, organization_id, home_property_id, addressed_as)"
            " SELECT g.id, %s, %s, 'Guest', 'No. ' || g.id, 'given_first', '', '', '', '', '', '', '', '', 'en', '',"
            " '', g.n, '[]', true, false, true, false, '', 'guest no ' || g.id, %s, p.id, 'Guest ' || g.id"
            " FROM bench_guests g JOIN bench_props p ON p.idx = g.home",
            [first, first, org],
        )
        step(f"{guests:,} guests")
        cursor.execute(
            "INSERT INTO crm_contact (customer_id, property_id, staff_id, kind, occurred_at, note, greeted_by_name,"
            " preference_honored, delight_delivered, brief_shown, created_at, updated_at)"
            " SELECT c.guest, p.id, s.user_id, c.kind, t.at, '', c.r1 < s.greet, c.r2 < s.honor, c.r3 < s.delight,"
            " NULL, t.at, t.at"
            " FROM (SELECT g.id AS guest,"
            "         CASE WHEN random() < 0.8 THEN g.home ELSE (%s::int[])[1 + floor(random() * %s)::int] END AS idx,"
            "         (%s::int[])[1 + floor(random() * %s)::int] AS day,"
            "         floor(random() * %s)::int AS k,"
            "         (ARRAY['arrival','visit','visit','visit','call','email','chat','departure'])"
            "             [1 + floor(random() * 8)::int] AS kind,"
            "         random() AS r1, random() AS r2, random() AS r3, random() AS r4"
            "       FROM bench_guests g, generate_series(1, g.n)) c"
            " JOIN bench_props p ON p.idx = c.idx"
            " JOIN bench_staff s ON s.idx = c.idx AND s.k = c.k"
            " CROSS JOIN LATERAL (SELECT ((%s::date + c.day) + interval '7 hours' + c.r4 * interval '16 hours')"
            "     AT TIME ZONE p.tz AS at) t",
            [property_slots, len(property_slots), day_slots, len(day_slots), STAFF_PER_PROPERTY + 1, first],
        )
        step(f"{cursor.rowcount:,} contacts")
        # Issues: from one contact in ten, at its place, owned by its member of staff (who opened, answered and
        # resolved it: the raw rows keep no other actor). Answered after minutes to hours, resolved within days.
        cursor.execute(
            "INSERT INTO crm_issue (customer_id, property_id, owner_id, summary, detail, severity, status, opened_at,"
            " first_response_at, resolved_at, closed_at, resolution, compensation, recovery_steps, guest_summary,"
            " follow_up, created_at, updated_at)"
            " SELECT customer_id, property_id, staff_id, summary, '', severity,"
            "   CASE WHEN resolved_at IS NOT NULL THEN 'resolved' WHEN answered_at IS NOT NULL THEN 'in_progress'"
            "        ELSE 'open' END,"
            "   opened_at, answered_at, resolved_at, NULL, CASE WHEN resolved_at IS NOT NULL THEN 'Fixed' ELSE '' END,"
            "   '', '[]', '', '', opened_at, coalesce(resolved_at, answered_at, opened_at)"
            " FROM (SELECT *, CASE WHEN answered_at IS NOT NULL AND r2 < 0.85 AND"
            "                 answered_at + resolve_in < now() THEN answered_at + resolve_in END AS resolved_at"
            "   FROM (SELECT customer_id, property_id, staff_id, opened_at, severity, r2,"
            "           (ARRAY['Noisy air conditioning','Cold breakfast','Charged twice','Slow check-in',"
            "                  'Room not ready'])[1 + floor(random() * 5)::int] AS summary,"
            "           CASE WHEN r1 < 0.92 THEN opened_at + interval '1 minute' + -ln(1 - random())"
            "                * CASE severity WHEN 'high' THEN interval '20 minutes' ELSE interval '2 hours' END END"
            "             AS answered_at,"
            "           -ln(1 - random()) * interval '30 hours' AS resolve_in"
            "         FROM (SELECT customer_id, property_id, staff_id, occurred_at + random() * interval '2 hours'"
            "                 AS opened_at, random() AS r1, random() AS r2,"
            "                 CASE WHEN random() < 0.5 THEN 'low' WHEN random() < 0.7 THEN 'medium' ELSE 'high' END"
            "                 AS severity"
            "               FROM crm_contact WHERE id %% 10 = 7 ORDER BY id LIMIT %s) o) a) b",
            [issues],
        )
        step(f"{cursor.rowcount:,} issues")
        # Touches: from one contact in five, due a day later, finished (sent, skipped and why, failed, cancelled;
        # the desk's call-backs done or cancelled) within half an hour of falling due.
        cursor.execute(
            "INSERT INTO personalization_touch (organization_id, customer_id, property_id, kind, channel, due_at,"
            " status, reason, attempts, idempotency_key, subject, body_text, body_html, message_id,"
            " provider_message_id, sent_at, done_at, done_by_id, outcome, note, created_at, updated_at)"
            " SELECT %s, customer_id, property_id, kind, CASE WHEN kind = 'staff_task' THEN 'staff_task' ELSE 'email'"
            "   END, due_at, status, CASE WHEN status = 'skipped' THEN (ARRAY['no consent to service mail',"
            "   'pressure cap: 3 touches this week','open complaint','do not contact','a gift was delivered"
            "   meanwhile'])[1 + floor(r2 * 5)::int] ELSE '' END, CASE WHEN status IN ('sent','failed') THEN 1"
            "   ELSE 0 END, 'bench:' || id, '', '', '', '', '', CASE WHEN status = 'sent' THEN finished_at END,"
            "   CASE WHEN status = 'done' THEN finished_at END, CASE WHEN status = 'done' THEN staff_id END,"
            "   CASE WHEN status = 'done' THEN 'reached' ELSE '' END, '', occurred_at, finished_at"
            " FROM (SELECT *, CASE WHEN kind = 'staff_task' THEN CASE WHEN r1 < 0.75 THEN 'done' ELSE 'cancelled' END"
            "                 WHEN r1 < 0.76 THEN 'sent' WHEN r1 < 0.90 THEN 'skipped' WHEN r1 < 0.93 THEN 'failed'"
            "                 ELSE 'cancelled' END AS status"
            "   FROM (SELECT id, customer_id, property_id, staff_id, occurred_at,"
            "           occurred_at + interval '1 day' AS due_at,"
            "           occurred_at + interval '1 day' + random() * interval '30 minutes' AS finished_at,"
            "           (ARRAY['csat_survey','csat_survey','thank_you','thank_you','thank_you','win_back','birthday',"
            "                  'issue_follow_up','pre_arrival','staff_task'])[1 + floor(random() * 10)::int] AS kind,"
            "           random() AS r1, random() AS r2"
            "         FROM crm_contact WHERE id %% 5 = 2 ORDER BY id LIMIT %s) a) b",
            [org, touches],
        )
        step(f"{cursor.rowcount:,} touches")
        # Survey answers: a third of the surveys sent, within a day or two; most 4–5, some properties worse;
        # three answers in four also say how likely they are to recommend us (0–10).
        cursor.execute(
            "INSERT INTO personalization_feedback (customer_id, touch_id, issue_id, score, recommend, comment,"
            " created_at, updated_at)"
            " SELECT customer_id, id, NULL, score, CASE WHEN random() < 0.75 THEN"
            "   least(10, greatest(0, score * 2 + floor(random() * 3)::int - 1)) END, '', at, at"
            " FROM (SELECT t.id, t.customer_id, t.sent_at - ln(1 - random()) * interval '18 hours' AS at,"
            "         CASE WHEN r < b + 0.04 THEN 1 WHEN r < b + 0.08 THEN 2 WHEN r < b + 0.18 THEN 3"
            "              WHEN r < b + 0.45 THEN 4 ELSE 5 END AS score"
            "       FROM (SELECT *, random() AS r FROM personalization_touch"
            "             WHERE kind = 'csat_survey' AND status = 'sent') t"
            "       JOIN bench_props p ON p.id = t.property_id"
            "       CROSS JOIN LATERAL (SELECT (p.idx %% 7 = 0)::int * 0.06 AS b) worse"  # one property in 7 does worse
            "       WHERE random() < 0.34) f",
            [],
        )
        step(f"{cursor.rowcount:,} survey answers")
        cursor.execute("SELECT id, cost FROM personalization_giftrule WHERE organization_id = %s ORDER BY id", [org])
        rules = cursor.fetchall()
        # Delights: one contact in twenty had one suggested the day before; 45 % delivered by that contact's member
        # of staff (charged at the rule's cost), 10 % declined, the rest expired or still suggested.
        cursor.execute(
            "INSERT INTO personalization_delight (organization_id, customer_id, rule_id, property_id, occasion_key,"
            " gift, reason, cost, status, occasion_on, expires_at, planned_at, delivered_at, delivered_by_id,"
            " charged_month, declined_at, declined_by_id, created_at, updated_at)"
            " SELECT %s, customer_id, rule_id, property_id, 'bench:' || id, 'A welcome drink', '', cost, status,"
            "   occurred_at::date, occurred_at + interval '2 days', NULL,"
            "   CASE WHEN status = 'delivered' THEN occurred_at END, CASE WHEN status = 'delivered' THEN staff_id END,"
            "   CASE WHEN status = 'delivered' THEN date_trunc('month', occurred_at)::date END,"
            "   CASE WHEN status = 'declined' THEN occurred_at END, CASE WHEN status = 'declined' THEN staff_id END,"
            "   occurred_at - interval '1 day', occurred_at"
            " FROM (SELECT c.*, r.rule_id, r.cost, CASE WHEN c.r < 0.45 THEN 'delivered' WHEN c.r < 0.55 THEN"
            "         'declined' WHEN c.r < 0.85 THEN 'expired' ELSE 'suggested' END AS status"
            "       FROM (SELECT *, random() AS r FROM crm_contact WHERE id %% 20 = 11) c"
            "       JOIN unnest(%s::bigint[], %s::numeric[]) WITH ORDINALITY r(rule_id, cost, n)"
            "         ON r.n = 1 + c.id / 20 %% %s) d",
            [org, [r[0] for r in rules], [r[1] for r in rules], len(rules)],
        )
        step(f"{cursor.rowcount:,} delights")
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '1GB'")
        for _name, definition in indexes:
            cursor.execute(definition.replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1))
        cursor.execute("DELETE FROM bench_dropped_index")
        step(f"{len(indexes)} indexes rebuilt")
        for table in TABLES:
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            cursor.execute(f"VACUUM ANALYZE {table}")
    step("analyzed")
    return {"first": first, "last": last, "seconds": time.monotonic() - started}
