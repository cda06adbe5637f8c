"""bench/run planner | touches: the nightly planner at scale, and dispatch + send throughput.

planner: N customers (default 1,000,000) across 4 properties in 4 time zones, inserted with one
INSERT ... SELECT generate_series (birthdays for 80 %, anniversaries for 30 %, last visits spread over
400 days, marketing consent for 40 %; spread by arithmetic on the row number, so runs compare);
then every property's nightly run, timed, and once more
(idempotent: nothing new).

touches: M due touches (default 10,000), one per customer; a real Celery worker (prefork, 2
processes) on Redis; a real SMTP sink (aiosmtpd) in this process. Measures dispatch → send → sent
end to end, counts duplicates at the sink, and the floor: the same messages sent by smtplib in a
bare loop over one connection.

Prints "name value unit" lines. Needs PostgreSQL (BENCH_DATABASE_URL) and Redis (BENCH_BROKER_URL).
"""

from __future__ import annotations

import argparse
import email.policy
import os
import smtplib
import subprocess
import time
from collections import Counter
from pathlib import Path

import bench.boot  # noqa: F401  (Django set up for the imports below)

# isort: split
from aiosmtpd.controller import Controller
from django.db import connection
from django.utils import timezone

from bench.measure import line
from bench.setup import ensure_database
from crm.models import Customer, Organization, Property
from personalization.models import PlanningRun, Touch, TouchKind, TouchStatus
from personalization.touches import messages
from personalization.touches.services import dispatch, planning

ROOT = Path(__file__).resolve().parent.parent
ORGANIZATION = "Touches bench hotels"
ZONES = [
    ("Bench Shanghai", "Asia/Shanghai"),
    ("Bench New York", "America/New_York"),
    ("Bench London", "Europe/London"),
    ("Bench Sydney", "Australia/Sydney"),
]


def bench_properties() -> list[Property]:
    organization, _ = Organization.objects.get_or_create(name=ORGANIZATION)
    return [
        Property.objects.update_or_create(organization=organization, name=name, defaults={"timezone": zone})[0]
        for name, zone in ZONES
    ]


def load_customers(count: int, properties: list[Property]) -> None:
    organization_id = properties[0].organization_id
    have = Customer.objects.filter(organization_id=organization_id).count()
    if have >= count:
        return
    ids = "ARRAY[" + ",".join(str(p.pk) for p in properties) + "]"
    started = time.perf_counter()
    with connection.cursor() as cursor:
        # addressed_as: Customer.address_name() of these English guests without salutation: their given name.
        cursor.execute(
            f"""
            INSERT INTO crm_customer (organization_id, home_property_id, given_name, family_name, name_order,
                native_name, latin_name, preferred_name, salutation, pronunciation, pronunciation_ipa,
                pronunciation_audio, pronunciation_note, language, email, phone,
                birthday_year, birthday_month, birthday_day, anniversary_year, anniversary_month, anniversary_day,
                first_seen, last_seen, visit_count, tags, consent_service, consent_marketing, consent_surprises,
                do_not_contact, pinyin, search_name, merged_into_id, addressed_as, created_at, updated_at)
            SELECT %s, CASE WHEN n %% 10 = 0 THEN NULL ELSE ({ids})[1 + n %% 4] END, 'Guest', 'No. ' || n,
                'given_first', '', '', '', '', '', '', '', '', 'en', 'guest' || n || '@bench.example', '',
                NULL, CASE WHEN n %% 5 > 0 THEN 1 + (n * 7 %% 12) END, CASE WHEN n %% 5 > 0 THEN 1 + (n * 13 %% 28) END,
                NULL, CASE WHEN n %% 10 < 3 THEN 1 + (n * 5 %% 12) END,
                CASE WHEN n %% 10 < 3 THEN 1 + (n * 11 %% 28) END,
                now() - (400 + n * 37 %% 400) * interval '1 day', now() - (n * 37 %% 400) * interval '1 day',
                1, '[]'::jsonb, true, n %% 5 < 2, true, false, '', '', NULL, 'Guest', now(), now()
            FROM generate_series(%s, %s) AS n
            """,
            [organization_id, have + 1, count],
        )
        cursor.execute("ANALYZE crm_customer")
    line("dataset_load_seconds", time.perf_counter() - started, "s")


def bench_planner(customers: int) -> None:
    properties = bench_properties()
    load_customers(customers, properties)
    line("dataset_customers", Customer.objects.filter(organization_id=properties[0].organization_id).count(), "rows")
    Touch.objects.filter(organization_id=properties[0].organization_id).delete()
    PlanningRun.objects.filter(property__in=properties).delete()
    now = timezone.now()
    started = time.perf_counter()
    offered = sum(planning.property_plan(property_=p, now=now, force=True) for p in properties)
    line("planner_seconds", time.perf_counter() - started, "s")
    line("planner_touches", Touch.objects.filter(organization_id=properties[0].organization_id).count(), "rows")
    line("planner_offered", offered, "rows")
    PlanningRun.objects.filter(property__in=properties).delete()  # force the same window again
    started = time.perf_counter()
    sum(planning.property_plan(property_=p, now=now, force=True) for p in properties)
    line("planner_rerun_seconds", time.perf_counter() - started, "s")
    line("planner_rerun_touches", Touch.objects.filter(organization_id=properties[0].organization_id).count(), "rows")


class Sink:
    def __init__(self) -> None:
        self.touches: Counter[str] = Counter()
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        for raw in envelope.content.split(b"\r\n"):
            if raw.startswith(b"X-Rapport-Touch:"):
                self.touches[raw.split(b":", 1)[1].strip().decode()] += 1
                break
        return "250 OK"


def bench_touches(count: int, broker: str, concurrency: int = 2) -> None:
    from celery import Celery

    properties = bench_properties()
    load_customers(max(count, 10_000), properties)
    organization_id = properties[0].organization_id
    Touch.objects.filter(organization_id=organization_id).delete()
    customers = list(
        Customer.objects.filter(organization_id=organization_id).order_by("pk").values_list("pk", flat=True)[:count]
    )
    now = timezone.now()
    Touch.objects.bulk_create(
        [
            Touch(
                organization_id=organization_id,
                customer_id=pk,
                property=properties[0],
                kind=TouchKind.THANK_YOU,
                due_at=now,
                idempotency_key=f"bench:{pk}",
            )
            for pk in customers
        ],
        batch_size=2000,
    )
    sink = Sink()
    from tests.personalization.touches.conftest import free_port
    from tests.workers import worker_command

    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    client = Celery("bench", broker=broker)
    with client.connection_for_write() as conn:
        conn.default_channel.queue_purge("celery")
    env = {
        **os.environ,
        "CELERY_BROKER_URL": broker,
        "EMAIL_URL": f"smtp://127.0.0.1:{port}",
        "RAPPORT_QUIET_HOURS": "00:00-00:00",
        "LOG_LEVEL": "WARNING",
    }
    worker = subprocess.Popen(
        worker_command(f"bench-{os.getpid()}@localhost", "--concurrency", str(concurrency), loglevel="WARNING"),
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    try:
        time.sleep(5)  # the worker is up and consuming
        started = time.perf_counter()
        enqueue = lambda ids: client.send_task("personalization.send_touches", args=[ids])  # noqa: E731
        while Touch.objects.filter(organization_id=organization_id, status=TouchStatus.SENT).count() < count:
            dispatch.touches_dispatch(enqueue=enqueue)
            time.sleep(0.5)
            if time.perf_counter() - started > 600:
                raise SystemExit("timed out")
        elapsed = time.perf_counter() - started
    finally:
        worker.terminate()
        worker.wait(30)
    line("touches_sent", count, "messages")
    line("touches_seconds", elapsed, "s")
    line("touches_rate", count / elapsed, "messages/s")
    line("touches_duplicates", sink.count - len(sink.touches), "messages")

    # The floor: the same stored messages, smtplib in a bare loop over one connection.
    sent = list(Touch.objects.filter(organization_id=organization_id).select_related("customer", "property"))
    smtp_policy = email.policy.SMTP
    payloads = [
        (messages.sender_of(t), t.customer.email, messages.build(t).message(policy=smtp_policy).as_bytes())
        for t in sent
    ]
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for sender, to, payload in payloads:
            smtp.sendmail(sender, [to], payload)
    floor = time.perf_counter() - started
    controller.stop()
    line("smtplib_floor_rate", len(payloads) / floor, "messages/s")
    line("touches_vs_floor", (count / elapsed) / (len(payloads) / floor), "ratio")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["planner", "touches"])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--touches", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes")
    args = parser.parse_args()
    ensure_database()
    if args.what == "planner":
        bench_planner(args.customers)
    else:
        bench_touches(args.touches, os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/0"), args.concurrency)


if __name__ == "__main__":
    main()
