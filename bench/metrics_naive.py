"""The naive aggregate: the plain SQL a peer would run over the raw tables for the dashboard's figures, per ISO week
of a range, for one property or the whole organization, each event on its local day in its property's zone
(the same definitions as personalization/metrics/figures.py, computed from scratch at every request):
contacts and the three recognition rates, issues opened, median first response and resolution
(percentile_cont, on the day of the response or the resolution), CSAT average and answers, NPS, the
returning-guest rate (guest-days whose guest's first contact ever was on an earlier day), touches sent,
skipped and failed, delights delivered and their cost. No totals, no previous range, no p90: less than the
API answers.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import connection

NAIVE_SQL = """
WITH pl AS (
    SELECT id, timezone AS tz FROM crm_property
    WHERE organization_id = %(org)s AND (%(prop)s::bigint IS NULL OR id = %(prop)s::bigint)
), c AS (
    SELECT c.id, c.customer_id, c.occurred_at, pl.tz, (c.occurred_at AT TIME ZONE pl.tz)::date AS day,
           c.greeted_by_name, c.preference_honored, c.delight_delivered
    FROM crm_contact c JOIN pl ON pl.id = c.property_id
    WHERE c.occurred_at >= %(lo)s AND c.occurred_at < %(hi)s
), cr AS (
    SELECT * FROM c WHERE day BETWEEN %(start)s AND %(end)s
), contacts AS (
    SELECT date_trunc('week', day)::date AS wk, count(*) AS contacts,
           round(avg(greeted_by_name::int), 4) AS greeted_by_name_rate,
           round(avg(preference_honored::int), 4) AS preference_honored_rate,
           round(avg(delight_delivered::int), 4) AS delight_delivered_rate
    FROM cr GROUP BY 1
), first_seen AS (
    SELECT customer_id, min(occurred_at) AS first_at FROM crm_contact
    WHERE customer_id IN (SELECT customer_id FROM cr) GROUP BY 1
), guest_days AS (
    SELECT DISTINCT ON (cr.customer_id, cr.day) cr.day,
           (f.first_at AT TIME ZONE cr.tz)::date < cr.day AS is_return
    FROM cr JOIN first_seen f USING (customer_id)
    ORDER BY cr.customer_id, cr.day, cr.occurred_at, cr.id DESC
), returns AS (
    SELECT date_trunc('week', day)::date AS wk, round(avg(is_return::int), 4) AS returning_guest_rate
    FROM guest_days GROUP BY 1
), i AS (
    SELECT i.opened_at, i.first_response_at, i.resolved_at, pl.tz FROM crm_issue i JOIN pl ON pl.id = i.property_id
    WHERE i.opened_at < %(hi)s AND (i.resolved_at IS NULL OR i.resolved_at >= %(lo)s)
), opened AS (
    SELECT date_trunc('week', (opened_at AT TIME ZONE tz)::date)::date AS wk, count(*) AS issues_opened
    FROM i WHERE (opened_at AT TIME ZONE tz)::date BETWEEN %(start)s AND %(end)s GROUP BY 1
), answered AS (
    SELECT date_trunc('week', (first_response_at AT TIME ZONE tz)::date)::date AS wk,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM first_response_at - opened_at))
               AS first_response_median_seconds
    FROM i WHERE (first_response_at AT TIME ZONE tz)::date BETWEEN %(start)s AND %(end)s GROUP BY 1
), resolved AS (
    SELECT date_trunc('week', (resolved_at AT TIME ZONE tz)::date)::date AS wk,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM resolved_at - opened_at))
               AS resolution_median_seconds
    FROM i WHERE (resolved_at AT TIME ZONE tz)::date BETWEEN %(start)s AND %(end)s GROUP BY 1
), t AS (
    SELECT t.status, pl.tz, CASE WHEN t.status = 'sent' THEN t.sent_at ELSE t.updated_at END AS at
    FROM personalization_touch t JOIN pl ON pl.id = t.property_id
    WHERE t.organization_id = %(org)s AND t.status IN ('sent', 'skipped', 'failed')
      AND t.updated_at >= %(lo)s AND t.due_at < %(hi)s
), touches AS (
    SELECT date_trunc('week', (at AT TIME ZONE tz)::date)::date AS wk,
           count(*) FILTER (WHERE status = 'sent') AS touches_sent,
           count(*) FILTER (WHERE status = 'skipped') AS touches_skipped,
           count(*) FILTER (WHERE status = 'failed') AS touches_failed
    FROM t WHERE (at AT TIME ZONE tz)::date BETWEEN %(start)s AND %(end)s GROUP BY 1
), feedback AS (
    SELECT date_trunc('week', (f.created_at AT TIME ZONE pl.tz)::date)::date AS wk,
           round(avg(f.score), 2) AS csat_average, count(*) AS csat_responses,
           round(100.0 * (count(*) FILTER (WHERE f.recommend >= 9) - count(*) FILTER (WHERE f.recommend <= 6))
                 / nullif(count(f.recommend), 0)) AS nps
    FROM personalization_feedback f JOIN personalization_touch t ON t.id = f.touch_id JOIN pl ON pl.id = t.property_id
    WHERE t.organization_id = %(org)s AND f.created_at >= %(lo)s AND f.created_at < %(hi)s
      AND (f.created_at AT TIME ZONE pl.tz)::date BETWEEN %(start)s AND %(end)s
    GROUP BY 1
), delights AS (
    SELECT date_trunc('week', (d.delivered_at AT TIME ZONE pl.tz)::date)::date AS wk,
           count(*) AS delights_delivered, sum(d.cost) AS delight_cost
    FROM personalization_delight d JOIN pl ON pl.id = d.property_id
    WHERE d.organization_id = %(org)s AND d.status = 'delivered' AND d.delivered_at >= %(lo)s
      AND d.delivered_at < %(hi)s AND (d.delivered_at AT TIME ZONE pl.tz)::date BETWEEN %(start)s AND %(end)s
    GROUP BY 1
)
SELECT w.wk AS start, contacts.contacts, greeted_by_name_rate, preference_honored_rate, delight_delivered_rate,
       issues_opened, first_response_median_seconds, resolution_median_seconds, csat_average, csat_responses, nps,
       returning_guest_rate, touches_sent, touches_skipped, touches_failed, delights_delivered, delight_cost
FROM (SELECT generate_series(%(start)s::date, %(end)s::date, interval '1 week')::date AS wk) w
LEFT JOIN contacts USING (wk) LEFT JOIN returns USING (wk) LEFT JOIN opened USING (wk)
LEFT JOIN answered USING (wk) LEFT JOIN resolved USING (wk) LEFT JOIN touches USING (wk)
LEFT JOIN feedback USING (wk) LEFT JOIN delights USING (wk)
ORDER BY w.wk
"""


def naive_weeks(*, organization_id: int, property_id: int | None, start: date, end: date) -> list[dict]:
    """The figures of each ISO week from start (a Monday) to end (a Sunday), from the raw rows."""
    params = {
        "org": organization_id,
        "prop": property_id,
        "start": start,
        "end": end,
        # Moments that may fall on those local days anywhere (zones from UTC−12 to UTC+14).
        "lo": start - timedelta(days=1),
        "hi": end + timedelta(days=2),
    }
    with connection.cursor() as cursor:
        cursor.execute("SET jit = off")  # the estimate of a scan of millions of rows passes jit_above_cost
        cursor.execute(NAIVE_SQL, params)
        columns = [column.name for column in cursor.description]  # the SELECT's names: the API's figures
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
        cursor.execute("RESET jit")
    return rows
