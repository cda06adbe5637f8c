"""bench/run metrics: the managers' figures (issue 14) at 1,000,000 guests, 10,000,000 contacts, 1,000,000 issues
and 2,000,000 touches over two years across 20 properties, in the bench's own database.

Through the API (gunicorn, bench.settings, one sync worker, one keep-alive connection), interleaved request by
request: a property's year by week, the same size of fixed JSON from the same Django + DRF stack (the framework
floor), the organization's year by week, its fixed JSON. In the same run, the plain SQL a peer would run over
the raw tables for the same figures (bench/metrics_naive.py), fewer rounds. Then what keeping the counters
current costs a contact: POST /api/v1/customers/{id}/contacts/ to two servers, one with the metrics receivers
disconnected (BENCH_METRICS_RECEIVERS=off, bench/apps.py), interleaved with the order alternating, while a real
Celery worker and beat (on CELERY_BROKER_URL) fold the pending contacts into the counters every 10 s, as deployed:
the fold's CPU is on the machine while the contacts are timed; then how long the fold takes to catch up.

Targets: metrics p95 ≤ 3× the framework floor; ≥ 20× faster than the naive SQL; contact overhead ≤ 10 %.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import bench.boot  # noqa: F401  (Django set up for the imports below)

# isort: split
from django.db import connection
from rest_framework.authtoken.models import Token

from bench import metrics_dataset, metrics_fill, metrics_naive
from bench.measure import line, percentile, report
from bench.mixed import start_celery
from bench.server import free_port, start_gunicorn, stop
from bench.setup import bench_staff, ensure_database
from crm.models import Property
from personalization.gifts.services import gift_rule_create
from personalization.models import GiftRule, MetricsPendingContact
from tests.workers import worker_stop

ORGANIZATION = "Bench Metrics Hotels"
ROUNDS = 300  # each of the four GETs, after WARMUP
WARMUP = 30
NAIVE_ROUNDS = 3  # each naive query (seconds each)
CONTACT_PAIRS = 1500  # guests posted to both servers (~40 s); 300 moved the p95 ratio by 0.4 between runs
CONTACT_BLOCKS = 5  # the ratio taken again over each fifth of the pairs: its spread
CATCH_UP_SECONDS = 300  # the fold catches up within beat's 10 s and a batch; a run that has not by then stops
HEAVY = metrics_dataset.HEAVY_EVERY  # the regulars: guests 1000, 2000, … have 200–800 contacts
RULES = [
    ("Welcome drink", "4.00"),
    ("Fruit basket", "8.00"),
    ("Breakfast", "12.00"),
    ("Flowers", "15.00"),
    ("Card", "1.00"),
]


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _meta(cursor) -> dict:
    cursor.execute("CREATE TABLE IF NOT EXISTS bench_metrics_meta (key text PRIMARY KEY, value text NOT NULL)")
    cursor.execute("SELECT key, value FROM bench_metrics_meta")
    return dict(cursor.fetchall())


def ensure_dataset(args) -> tuple[dict, str, list[Property]]:
    """The generated organization (made again when asked or when its sizes differ), its counters and a manager's
    token. Returns (the dataset's record, the token, the properties)."""
    ensure_database()
    staff = bench_staff(
        "bench-metrics-manager",
        ORGANIZATION,
        role="manager",
        property_name="Metrics 01 Shanghai",
        time_zone="Asia/Shanghai",
    )
    organization, properties = metrics_dataset.organization_with_staff(ORGANIZATION)
    for name, cost in RULES:
        if not GiftRule.objects.filter(organization=organization, name=name).exists():
            gift_rule_create(organization=organization, name=name, trigger="manual", gift=name, cost=cost)
    Token.objects.filter(user=staff.user).delete()  # a fresh one: tokens expire (RAPPORT_API_TOKEN_DAYS)
    token = Token.objects.create(user=staff.user)
    wanted = {"guests": args.guests, "contacts": args.contacts, "issues": args.issues, "touches": args.touches}
    with connection.cursor() as cursor:
        meta = _meta(cursor)
    if args.regenerate or any(meta.get(key) != str(value) for key, value in wanted.items()) or "filled" not in meta:
        meta = {}
        say(
            f"# generating {args.guests:,} guests, {args.contacts:,} contacts, {args.issues:,} issues, "
            f"{args.touches:,} touches"
        )
        made = metrics_dataset.generate(organization=organization, properties=properties, say=say, **wanted)
        meta.update({key: str(value) for key, value in wanted.items()})
        meta.update(
            first=made["first"].isoformat(), last=made["last"].isoformat(), generated_seconds=f"{made['seconds']:.0f}"
        )
        say("# filling the day counters from the raw rows (bench/metrics_fill.py)")
        meta["filled_seconds"] = f"{metrics_fill.fill(organization.pk, say=say):.0f}"
        with connection.cursor() as cursor:  # old days' rows are all-visible in production too (autovacuum)
            cursor.execute("VACUUM ANALYZE personalization_metricday")
            cursor.execute("VACUUM ANALYZE personalization_metricduration")
        meta["filled"] = "1"
        with connection.cursor() as cursor:
            _meta(cursor)
            cursor.execute("DELETE FROM bench_metrics_meta")
            for key, value in meta.items():
                cursor.execute("INSERT INTO bench_metrics_meta VALUES (%s, %s)", [key, value])
    meta["organization"] = organization.pk
    return meta, token.key, properties


def year_by_week(meta: dict) -> tuple[date, date]:
    """52 ISO weeks (Monday to Sunday) ending on the last Sunday of the dataset: its previous year is in it too."""
    last = date.fromisoformat(meta["last"])
    end = last - timedelta(days=(last.isoweekday() % 7))
    return end - timedelta(days=52 * 7 - 1), end


class Client:
    """One keep-alive connection to a server with the bench manager's token; timed GETs and POSTs."""

    def __init__(self, port: int, token: str) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.headers = {"Authorization": f"Token {token}", "Host": "localhost", "Content-Type": "application/json"}

    def timed(self, method: str, path: str, body: dict | None = None) -> tuple[float, bytes]:
        started = time.perf_counter()
        self.connection.request(method, path, body=json.dumps(body) if body else None, headers=self.headers)
        response = self.connection.getresponse()
        content = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        if response.status not in (200, 201):
            raise SystemExit(f"{method} {path} answered {response.status}: {content[:300]!r}")
        return elapsed, content


COUNTS = (
    "contacts",
    "issues_opened",
    "csat_responses",
    "touches_sent",
    "touches_skipped",
    "touches_failed",
    "delights_delivered",
)
RATES = (
    "greeted_by_name_rate",
    "preference_honored_rate",
    "delight_delivered_rate",
    "csat_average",
    "nps",
    "returning_guest_rate",
    "delight_cost",
)


def _agreement(name: str, api: dict, naive: list[dict]) -> None:
    """The API's weeks against the naive SQL's: counts and rates equal, medians within 3 % (the API reads them from
    4 % buckets, percentile_cont interpolates). SystemExit when they disagree."""
    exact = [*COUNTS, *RATES]
    worst = 0.0
    problems = []
    for period, row in zip(api["periods"], naive, strict=True):
        if period["start"] != row["start"].isoformat():
            raise SystemExit(f"{name}: week {period['start']} against {row['start']}")
        for key in exact:
            mine, theirs = period[key], row[key]
            if theirs is None and key in COUNTS:  # no row that week: none counted
                theirs = 0
            if key == "delight_cost":
                mine, theirs = float(mine), float(theirs or 0)
            elif theirs is not None and not isinstance(theirs, int):
                theirs = float(theirs)
            # Rounding: Python rounds the float quotient, PostgreSQL the exact numeric one (a tie may differ).
            tolerance = {"csat_average": 0.01, "nps": 1}.get(key, 0.0001 if key.endswith("_rate") else 0)
            if (mine is None) != (theirs is None) or (mine is not None and abs(mine - theirs) > tolerance + 1e-9):
                problems.append(f"{period['start']} {key}: API {mine} naive {theirs}")
        for key in ("first_response_median_seconds", "resolution_median_seconds"):
            if period[key] is not None and row[key]:
                worst = max(worst, abs(period[key] - row[key]) / row[key])
    if problems:
        raise SystemExit(f"{name}: the API and the naive SQL disagree:\n" + "\n".join(problems[:20]))
    line(f"{name}_weeks_equal_to_naive", len(naive), "weeks")
    line(f"{name}_median_vs_naive_max_difference", 100 * worst, "%")


def measure(args, meta: dict, token: str, properties: list[Property]) -> None:
    organization_id = int(meta["organization"])
    start, end = year_by_week(meta)
    place = properties[0]  # the busiest property (a tenth of all contacts)
    query = f"from={start.isoformat()}&to={end.isoformat()}&granularity=week"
    paths = {
        "metrics_property_year": f"/api/v1/metrics/?property={place.pk}&{query}",
        "framework_property_year": "/bench/fixed-json/metrics/property/",
        "metrics_organization": f"/api/v1/metrics/?{query}",
        "framework_organization": "/bench/fixed-json/metrics/organization/",
    }
    fixed = Path(os.environ.get("RAPPORT_VAR_DIR", "var/bench")) / "metrics_fixed.json"
    fixed.parent.mkdir(parents=True, exist_ok=True)
    os.environ["BENCH_METRICS_FIXED_JSON"] = str(fixed.resolve())
    line("metrics_load_average_start", os.getloadavg()[0], "load")
    port = free_port()
    server = start_gunicorn(port, workers=1, settings="bench.settings")
    try:
        client = Client(port, token)
        answers = {
            name: json.loads(client.timed("GET", paths[name])[1])
            for name in ("metrics_property_year", "metrics_organization")
        }
        fixed.write_text(
            json.dumps({"property": answers["metrics_property_year"], "organization": answers["metrics_organization"]})
        )
        line("metrics_weeks", len(answers["metrics_property_year"]["periods"]), "weeks")
        for name in ("property_year", "organization"):
            size = len(client.timed("GET", paths[f"metrics_{name}"])[1])
            floor = len(client.timed("GET", paths[f"framework_{name}"])[1])
            if abs(size - floor) > size * 0.02:
                raise SystemExit(f"the floor answers {floor} bytes, the API {size}")
            line(f"metrics_{name}_bytes", size, "bytes")
        naive_times: dict[str, list[float]] = {"property_year": [], "organization": []}

        def naive(check: bool) -> None:
            for name, property_id in (("property_year", place.pk), ("organization", None)):
                started = time.perf_counter()
                rows = metrics_naive.naive_weeks(
                    organization_id=organization_id, property_id=property_id, start=start, end=end
                )
                naive_times[name].append((time.perf_counter() - started) * 1000)
                say(f"# naive {name}: {naive_times[name][-1]:.0f} ms")
                if check:
                    _agreement(f"metrics_{name}", answers[f"metrics_{name}"], rows)

        naive(check=True)  # also the first, cold run: not counted
        for name in naive_times:
            naive_times[name].clear()
        names = list(paths)
        for _ in range(WARMUP):
            for name in names:
                client.timed("GET", paths[name])
        timings: dict[str, list[float]] = {name: [] for name in names}
        blocks = max(1, args.naive_rounds)
        for n in range(args.rounds):
            order = names[n % 4 :] + names[: n % 4]  # each position in turn: drift lands on all four
            for name in order:
                timings[name].append(client.timed("GET", paths[name])[0])
            if (n + 1) % (args.rounds // blocks) == 0 and len(naive_times["organization"]) < args.naive_rounds:
                naive(check=False)
        client.connection.close()
    finally:
        stop(server)
    figures = {}
    for name in names:
        figures |= report(name, timings[name])
    for name, values in naive_times.items():
        figures |= report(f"naive_{name}", values)
    vs_framework = {
        name: figures[f"metrics_{name}_p95"] / figures[f"framework_{name}_p95"]
        for name in ("property_year", "organization")
    }
    speedup = {
        name: statistics.median(naive_times[name]) / figures[f"metrics_{name}_p95"]
        for name in ("property_year", "organization")
    }
    for name in vs_framework:
        line(f"metrics_{name}_vs_framework", vs_framework[name], "x")
        line(f"metrics_{name}_speedup_vs_naive", speedup[name], "x")
    line("metrics_property_year_p95", figures["metrics_property_year_p95"], "ms")
    line("metrics_organization_p95", figures["metrics_organization_p95"], "ms")
    line("metrics_vs_framework", max(vs_framework.values()), "x")
    line("metrics_speedup_vs_naive", min(speedup.values()), "x")
    if args.only != "dashboard":
        contact_overhead(args, meta, token)
    line("metrics_load_average_end", os.getloadavg()[0], "load")


def contact_overhead(args, meta: dict, token: str) -> None:
    """POST a contact to two servers, the metrics receivers connected on one and not on the other: the same guest
    to both, one right after the other, the order alternating pair by pair — random guests (most with a few
    contacts), then the regulars. The p95 of CONTACT_PAIRS a side is the figure; its spread over CONTACT_BLOCKS
    blocks of consecutive pairs, and the median of each pair's difference, say how far to trust it (300 a side
    moved it from 0.03 to 0.40 between runs of the same code). A Celery worker and beat run throughout (the fold
    of the pending contacts, every 10 s); after the last POST, the rows still pending and the time until none is."""
    guests = int(meta["guests"])
    organization_id = int(meta["organization"])
    rng = random.Random(14)
    servers, clients = {}, {}
    worker, beat = start_celery()
    try:
        for name, receivers in (("with", "on"), ("without", "off")):
            os.environ["BENCH_METRICS_RECEIVERS"] = receivers
            port = free_port()
            servers[name] = start_gunicorn(port, workers=1, settings="bench.settings")
            clients[name] = Client(port, token)
        os.environ.pop("BENCH_METRICS_RECEIVERS")
        body = {"kind": "visit", "greeted_by_name": True, "preference_honored": True}

        def pairs(ids: list[int]) -> dict[str, list[float]]:
            times: dict[str, list[float]] = {"with": [], "without": []}
            for n, pk in enumerate(ids):
                for name in ("with", "without") if n % 2 == 0 else ("without", "with"):
                    times[name].append(clients[name].timed("POST", f"/api/v1/customers/{pk}/contacts/", body)[0])
            return times

        pairs([rng.randint(1, guests) for _ in range(WARMUP)])
        typical = pairs([rng.randint(1, guests) for _ in range(args.contact_pairs)])
        regulars = pairs([rng.randrange(HEAVY, guests + 1, HEAVY) for _ in range(args.contact_pairs // 4)])
        last_post = time.perf_counter()
        still_pending = MetricsPendingContact.objects.filter(organization_id=organization_id)
        pending_after = still_pending.count()
        while still_pending.exists():
            if time.perf_counter() - last_post > CATCH_UP_SECONDS:
                raise SystemExit(f"{still_pending.count()} contacts still pending {CATCH_UP_SECONDS} s after the last")
            time.sleep(0.1)
        catch_up = time.perf_counter() - last_post
        for client in clients.values():
            client.connection.close()
    finally:
        os.environ.pop("BENCH_METRICS_RECEIVERS", None)
        for server in servers.values():
            stop(server)
        worker_stop(beat)  # first: a task it sends after the worker left would wait in the broker
        worker_stop(worker)
    line("metrics_contacts_pending_after", pending_after, "rows")
    line("metrics_fold_catch_up_s", catch_up, "s")
    p95 = {}
    for name, values in typical.items():
        p95[name] = report(f"contact_{name}_metrics", values)[f"contact_{name}_metrics_p95"]
    line("contact_pairs", len(typical["with"]), "pairs")
    size = max(1, len(typical["with"]) // CONTACT_BLOCKS)
    blocks = sorted(
        percentile(typical["with"][start : start + size], 95) / percentile(typical["without"][start : start + size], 95)
        - 1
        for start in range(0, size * CONTACT_BLOCKS, size)
    )
    line("metrics_contact_overhead_ratio_blocks_min", blocks[0], "ratio")
    line("metrics_contact_overhead_ratio_blocks_median", statistics.median(blocks), "ratio")
    line("metrics_contact_overhead_ratio_blocks_max", blocks[-1], "ratio")
    differences = [mine - theirs for mine, theirs in zip(typical["with"], typical["without"], strict=True)]
    line("contact_metrics_pair_difference_median", statistics.median(differences), "ms")
    line("metrics_contact_overhead_ratio", p95["with"] / p95["without"] - 1, "ratio")
    heavy = {name: percentile(values, 95) for name, values in regulars.items()}
    line("contact_regulars_with_metrics_p95", heavy["with"], "ms")
    line("contact_regulars_without_metrics_p95", heavy["without"], "ms")
    line("metrics_contact_regulars_overhead_ratio", heavy["with"] / heavy["without"] - 1, "ratio")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--guests", type=int, default=1_000_000)
    parser.add_argument("--contacts", type=int, default=10_000_000)
    parser.add_argument("--issues", type=int, default=1_000_000)
    parser.add_argument("--touches", type=int, default=2_000_000)
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--naive-rounds", type=int, default=NAIVE_ROUNDS)
    parser.add_argument("--contact-pairs", type=int, default=CONTACT_PAIRS)
    parser.add_argument("--generate-only", action="store_true")
    parser.add_argument(
        "--only", choices=("dashboard", "contact"), help="the dashboard's GETs alone, or the contact's POSTs alone"
    )
    args = parser.parse_args()
    meta, token, properties = ensure_dataset(args)
    for key in ("guests", "contacts", "issues", "touches", "generated_seconds", "filled_seconds"):
        line(f"metrics_dataset_{key}", float(meta[key]), "s" if key.endswith("seconds") else key)
    if args.generate_only:
        return
    if args.only == "contact":
        line("metrics_load_average_start", os.getloadavg()[0], "load")
        contact_overhead(args, meta, token)
        line("metrics_load_average_end", os.getloadavg()[0], "load")
        return
    compared = metrics_fill.check_against_services()
    line("metrics_fill_check_rows_equal", compared, "rows")
    measure(args, meta, token, properties)


if __name__ == "__main__":
    main()
