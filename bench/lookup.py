"""bench/run lookup: the lookup per kind of query, on guests with real name frequencies, beside three floors.

    bench/run lookup [--customers N] [--regenerate] [--rounds R] [--per-kind K] [--no-rebuild] [--no-cold]
                     [--growth-baseline FILE] [--mix realistic|old] [--writes-only] [--writes W]
    bench/run lookup --misses [--customers N] [--per-kind K] [--kinds exact,pinyin,…]   every miss, untimed

The dataset is bench/lookup_dataset.py's (its own database: BENCH_LOOKUP_DATABASE_URL, by default
rapport_bench_lookup, rapport_bench_lookup_1m for 1,000,000 guests, _10m for 10,000,000; made when missing and
generated when it holds another size or version). The queries are bench/lookup_queries.py's: a stratified set,
each with its intended guest and its expected answer, scored strictly (see that module's docstring).

Each query, in every round (R rounds, the queries shuffled each round), is measured four ways one right after the
other, in an order that turns from one query to the next, so load drift lands on the four alike; then the round's
queries again, the peer's way (its scans, tens of milliseconds to seconds a query, left the measure after them on
cold CPU caches: it is compared with the lookup's SQL only, and its times are 10 to 1,000 times the SQL's):

- api: GET /api/v1/customers/?q= over HTTP to gunicorn (1 sync worker, keep-alive, token auth), bench.settings;
- framework: the same stack answering 20 customers held in memory (bench.reference.LookupFramework);
- sql: the statements the lookup ran for this query (captured once in-process with their values), replayed bare,
  each on the kind of cursor it ran on (the search's bind their values on the server and are prepared once
  they repeat, crm.prepared);
- probe: one bare btree prefix probe of the term index (term is COLLATE "C") returning 20 ids, prepared alike;
- peer: what a peer with a trigram index runs: the names ILIKE '%q%' with a pg_trgm GIN index (made in the bench
  database only), ordered by last visit, LIMIT 20.

Then writes through the API (create guest, add preference, log contact: W of each, 120 by default, each beside an
exact lookup), a pass on a cold OS page cache when the machine lets us drop it, bytes per guest, and
`rebuild_search_terms`. --writes-only measures the writes and their yardstick alone: the rounds run only the exact
kind's queries (whose API p95 the writes' *_vs_lookup ratios divide by), and no cold pass or rebuild.
Prints "name value unit" lines (bench/measure.py); the per-kind lines are lookup_{kind}_p50|p95|p99,
lookup_{kind}_acc1|acc5, lookup_{kind}_vs_framework, lookup_{kind}_sql_vs_probe, lookup_{kind}_speedup_vs_peer;
`# miss` comments show a few wrong answers of each kind. The ratios: vs_framework = API p95 ÷ the framework's
p95 over the same queries; sql_vs_probe = the lookup's SQL p95 ÷ the probe's; speedup_vs_peer = the peer's p95
÷ the lookup's SQL p95 (SQL against SQL), with lookup_{kind}_peer_acc5 saying whether the peer answers that kind
at all (its answers scored like the lookup's).

--mix old runs the benchmark as it was before (bench/lookup_old.py, on bench/dataset.py's dataset in
BENCH_DATABASE_URL), for `bench/compare` (which sets BENCH_LOOKUP_MIX=old).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import quote

MEASURES = ("api", "framework", "sql", "probe", "peer")
PAGE = 20
# Of each kind, each beside an exact lookup. With 40 the p95 was the second slowest write and the ratios moved
# 1.5-1.9x against 1.2-1.5x with 120 in the same hour (2026-12-06); 120 add ~10 s to a run.
WRITES = 120
COLD_PER_KIND = 4
PEER_INDEX = "bench_peer_names_trgm"
WRITER = ("Bench", "Writer")  # the guests the writes create: given name, and the family name's start
PEER_NAMES = "(given_name || ' ' || family_name || ' ' || native_name || ' ' || preferred_name || ' ' || email)"


def database_url(customers: int) -> str:
    default = "rapport_bench_lookup" + ("" if customers < 1_000_000 else f"_{customers // 1_000_000}m")
    return os.environ.get("BENCH_LOOKUP_DATABASE_URL") or f"postgres://postgres@127.0.0.1:5432/{default}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mix", choices=["realistic", "old"], default=os.environ.get("BENCH_LOOKUP_MIX", "realistic"))
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--regenerate", action="store_true", help="generate the dataset even if it is there")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--per-kind", type=int, default=40, help="queries of each kind (prefix: see --prefix-names)")
    parser.add_argument("--prefix-names", type=int, default=12, help="names typed key by key for the prefix kind")
    parser.add_argument("--no-rebuild", action="store_true", help="skip timing rebuild_search_terms")
    parser.add_argument("--no-cold", action="store_true", help="skip the pass on a cold page cache")
    parser.add_argument("--growth-baseline", type=Path, help="output of a run at 1/10 the size: print the growth")
    parser.add_argument("--misses", action="store_true", help="list every miss in process, untimed (lookup_misses)")
    parser.add_argument("--kinds", default="exact,pinyin,given,typo1,typo2", help="the kinds --misses reads")
    parser.add_argument(
        "--writes-only", action="store_true", help="only the writes and the exact lookups they are compared with"
    )
    parser.add_argument("--writes", type=int, default=WRITES, help="writes of each kind (120)")
    parser.add_argument(
        "--no-peer",
        action="store_true",
        help="skip the peer baseline (at 10,000,000 guests one of its ILIKE queries takes 2-18 s)",
    )
    parser.add_argument(
        "--dataset-only", action="store_true", help="generate the dataset if needed and stop (measure later, quiet)"
    )
    args, rest = parser.parse_known_args()
    if args.mix == "old":
        from bench import lookup_old

        lookup_old.main(["--customers", str(args.customers), *(["--regenerate"] if args.regenerate else []), *rest])
        return
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    os.environ["DATABASE_URL"] = database_url(args.customers)
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django

    django.setup()
    if args.misses:
        from bench import lookup_dataset
        from bench.lookup_misses import misses
        from bench.setup import bench_organization, ensure_database

        ensure_database()
        if lookup_dataset.stored() != (args.customers, lookup_dataset.VERSION):
            parser.error("--misses reads a generated dataset: run bench/run lookup at this size first")
        kinds = args.kinds.split(",")
        organization = bench_organization()[0]
        misses(organization, customers=args.customers, per_kind=args.per_kind, prefix_names=0, kinds=kinds)
        return
    Run(args).run()


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


class Run:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args

    def run(self) -> None:
        from bench import lookup_dataset
        from bench.measure import line
        from bench.setup import bench_organization, ensure_database

        ensure_database()
        self.organization, self.token = bench_organization()
        customers = self.args.customers
        if self.args.regenerate or lookup_dataset.stored() != (customers, lookup_dataset.VERSION):
            seconds = lookup_dataset.generate(customers=customers, organization_id=self.organization.pk, say=say)
            line("dataset_load_s", seconds, "s")
        self.peer_index()
        self.forget_writes()
        if self.args.dataset_only:
            self.dataset_lines()
            return
        self.dataset_lines()
        self.queries = self.draw()
        if self.args.writes_only:
            self.queries = [q for q in self.queries if q.kind == "exact"]
        self.capture()
        from bench.server import free_port, start_gunicorn, stop

        port = free_port()
        server = start_gunicorn(port, settings="bench.settings")
        try:
            self.client = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            times = self.rounds()
            exact_p95 = self.report(times)
            self.writes(exact_p95)
            if not (self.args.no_cold or self.args.writes_only):
                self.cold()
        finally:
            stop(server)
        self.forget_writes()
        if not (self.args.no_rebuild or self.args.writes_only):
            self.rebuild()
        if self.args.growth_baseline:
            self.growth(times)

    # The dataset and its size.

    def sql(self, sql: str, params=()) -> list:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    def peer_index(self) -> None:
        """The peer's trigram index, in the bench database only; not with --no-peer (at 10,000,000 guests it takes
        longer to build than the run takes)."""
        if self.args.no_peer:
            return
        if not self.sql("SELECT 1 FROM pg_indexes WHERE indexname = %s", [PEER_INDEX]):
            say("# building the peer baseline's trigram index")
            self.sql(f"CREATE INDEX {PEER_INDEX} ON crm_customer USING gin ({PEER_NAMES} gin_trgm_ops)")
            self.sql("ANALYZE crm_customer")

    def dataset_lines(self) -> None:
        from bench.measure import line

        guests = self.sql("SELECT count(*) FROM crm_customer WHERE id <= %s", [self.args.customers])[0][0]
        line("dataset_customers", guests, "rows")
        line("dataset_search_terms", self.sql("SELECT count(*) FROM crm_searchterm")[0][0], "rows")
        line("dataset_contacts", self.sql("SELECT count(*) FROM crm_contact")[0][0], "rows")
        few, most = self.sql("SELECT avg((visit_count <= 3)::int) * 100, max(visit_count) FROM crm_customer")[0]
        line("dataset_guests_1_to_3_contacts", float(few), "%")
        line("dataset_most_contacts", most, "contacts")
        for (share,) in self.sql(
            "SELECT count(*) * 100.0 / (SELECT count(*) FROM crm_customer WHERE native_name <> '')"
            " FROM crm_customer WHERE native_name LIKE '王%%' AND language LIKE 'zh%%'"
        ):
            line("dataset_wang_of_han_names", float(share), "%")
        customer, terms, vocabulary = (
            self.sql("SELECT pg_total_relation_size(%s::regclass)", [table])[0][0]
            for table in ("crm_customer", "crm_searchterm", "crm_nameword")
        )
        peer = self.sql("SELECT coalesce(pg_relation_size(to_regclass(%s)), 0)", [PEER_INDEX])[0][0]  # --no-peer: none
        # The product's bytes: the customer table and its indexes (less the peer's index, which only the
        # benchmark has), the search terms and theirs, the vocabulary of name words and its deletion index.
        line("bytes_per_guest", (customer - peer + terms + vocabulary) / guests, "B")
        line("customer_bytes_per_guest", (customer - peer) / guests, "B")
        line("searchterm_bytes_per_guest", terms / guests, "B")
        line("nameword_bytes_per_guest", vocabulary / guests, "B")
        line("dataset_name_words", self.sql("SELECT count(*) FROM crm_nameword WHERE key = word")[0][0], "words")
        line("database_size", self.sql("SELECT pg_database_size(current_database())")[0][0] / 2**20, "MB")

    def draw(self) -> list:
        from bench.lookup_queries import draw, expected
        from bench.measure import line

        started = time.monotonic()
        queries = draw(
            random.Random(15), self.args.customers, per_kind=self.args.per_kind, prefix_names=self.args.prefix_names
        )
        expected(queries, self.organization.pk)
        say(f"# {len(queries)} queries and their expected answers in {time.monotonic() - started:.0f} s")
        line("lookup_queries", len(queries), "queries")
        return queries

    def capture(self) -> None:
        """Each query's SQL as the lookup runs it, with its values and on the same kind of cursor (the search's
        statements are prepared after a few runs, crm.prepared), for the bare replay; the index probe's key."""
        from django.db import connection

        from crm import selectors
        from crm.lookup.search.query import analyze
        from crm.lookup.search.statements import UPPER

        for q in self.queries:
            q.statements = []

            def record(execute, sql, params, many, context, statements=q.statements):
                statements.append((sql, params, type(context["cursor"].cursor).__name__ == "ServerBindingCursor"))
                return execute(sql, params, many, context)

            with connection.execute_wrapper(record):
                selectors.customer_lookup(organization=self.organization, q=q.text)
            variants = analyze(q.text).variants
            q.probe = variants[0].term if variants else q.text
            q.probe_range = (q.probe, q.probe + UPPER)
            q.peer = "%" + q.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"

    # The measurements.

    def get(self, path: str) -> dict:
        self.client.request("GET", path, headers={"Authorization": f"Token {self.token}", "Host": "localhost"})
        response = self.client.getresponse()
        body = response.read()
        if response.status != 200:
            raise SystemExit(f"{path} answered {response.status}: {body[:200]!r}")
        return json.loads(body)

    def post(self, path: str, data: dict) -> dict:
        headers = {"Authorization": f"Token {self.token}", "Host": "localhost", "Content-Type": "application/json"}
        self.client.request("POST", path, body=json.dumps(data), headers=headers)
        response = self.client.getresponse()
        body = response.read()
        if response.status != 201:
            raise SystemExit(f"POST {path} answered {response.status}: {body[:300]!r}")
        return json.loads(body)

    def measure(self, how: str, q) -> float:
        from django.db import connection

        from crm import prepared

        started = time.perf_counter()
        if how == "api":
            q.answer = [c["id"] for c in self.get(f"/api/v1/customers/?page_size={PAGE}&q={quote(q.text)}")["results"]]
        elif how == "framework":
            self.get(f"/bench/framework/customers/?page_size={PAGE}&q={quote(q.text)}")
        else:
            # The search's statements and the probe bound and prepared alike (crm.prepared), the others as they ran.
            with prepared.cursor(connection) as bound, connection.cursor() as cursor:
                if how == "sql":
                    for sql, params, server_bound in q.statements:
                        (bound if server_bound else cursor).execute(sql, params)
                        (bound if server_bound else cursor).fetchall()
                elif how == "probe":
                    bound.execute(
                        "SELECT customer_id FROM crm_searchterm WHERE organization_id = %s AND term >= %s"
                        " AND term < %s ORDER BY term LIMIT 20",
                        [self.organization.pk, *q.probe_range],
                    )
                    bound.fetchall()
                else:
                    cursor.execute(
                        f"SELECT id FROM crm_customer WHERE organization_id = %s AND merged_into_id IS NULL"  # noqa: S608
                        f" AND {PEER_NAMES} ILIKE %s ORDER BY last_seen DESC NULLS LAST, id DESC LIMIT 20",
                        [self.organization.pk, q.peer],
                    )
                    q.peer_answer = [pk for (pk,) in cursor.fetchall()]
        return (time.perf_counter() - started) * 1000

    def rounds(self) -> dict:
        """times[kind][measure][round] = milliseconds of each query of that kind."""
        times: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
        measures = tuple(how for how in MEASURES if how != "peer")
        peer = () if self.args.no_peer else ("peer",)
        for q in self.queries[:20]:  # warm-up: the worker's first requests, the connections
            for how in measures + peer:
                self.measure(how, q)
        for number in range(self.args.rounds):
            started = time.monotonic()
            order = list(self.queries)
            random.Random(number).shuffle(order)
            for position, q in enumerate(order):
                turn = position % len(measures)
                for how in measures[turn:] + measures[:turn]:
                    times[q.kind][how][number].append(self.measure(how, q))
            # The peer's pass follows, over the same queries: its scans (40 ms a query at 100,000 guests, seconds at
            # ten million) left whatever came next measured on cold CPU caches — interleaved with the four, it
            # raised the API's p95 for exact names from 1.37 to 1.85 times the framework floor's (2026-12-07).
            if peer:
                for q in order:
                    times[q.kind]["peer"][number].append(self.measure("peer", q))
            if number == 0:
                for q in order:
                    q.first_answer, q.first_peer_answer = q.answer, getattr(q, "peer_answer", None)
            seconds = time.monotonic() - started
            count = len(measures) + len(peer)
            say(f"# round {number + 1}: {len(order)} queries × {count} in {seconds:.0f} s, load {load()}")
        return times

    def report(self, times: dict) -> float:
        from bench.lookup_queries import KINDS, score
        from bench.measure import line, percentile

        worst_framework = worst_probe = 0.0
        for kind in KINDS:
            pooled = {how: [t for r in times[kind][how].values() for t in r] for how in MEASURES}
            if not pooled["api"]:
                continue
            api = {p: percentile(pooled["api"], p) for p in (50, 95, 99)}
            for p, value in api.items():
                line(f"lookup_{kind}_p{p}", value, "ms")
            per_round = [percentile(r, 95) for r in times[kind]["api"].values()]
            line(
                f"lookup_{kind}_p95_spread", 100 * (max(per_round) - min(per_round)) / statistics.median(per_round), "%"
            )
            queries = [q for q in self.queries if q.kind == kind]
            scores = [score(q, q.first_answer) for q in queries]
            line(f"lookup_{kind}_acc1", 100 * sum(s[0] for s in scores) / len(scores), "%")
            line(f"lookup_{kind}_acc5", 100 * sum(s[1] for s in scores) / len(scores), "%")
            if not self.args.no_peer:
                peer = [score(q, q.first_peer_answer) for q in queries]
                line(f"lookup_{kind}_peer_acc5", 100 * sum(s[1] for s in peer) / len(peer), "%")
            line(f"lookup_{kind}_identifying", 100 * sum(q.identifying for q in queries) / len(queries), "%")
            line(f"lookup_{kind}_queries", len(queries), "queries")
            floors = {how: percentile(pooled[how], 95) for how in ("framework", "sql", "probe", "peer") if pooled[how]}
            for how, value in floors.items():
                line(f"lookup_{kind}_{how}_p95", value, "ms")
            vs_framework = api[95] / floors["framework"]
            sql_vs_probe = floors["sql"] / floors["probe"]
            line(f"lookup_{kind}_vs_framework", vs_framework, "x")
            line(f"lookup_{kind}_sql_vs_probe", sql_vs_probe, "x")
            if "peer" in floors:
                line(f"lookup_{kind}_speedup_vs_peer", floors["peer"] / floors["sql"], "x")
            worst_framework, worst_probe = max(worst_framework, vs_framework), max(worst_probe, sql_vs_probe)
            for q in [q for q, s in zip(queries, scores, strict=True) if not s[0]][:3]:
                print(
                    f"# miss {kind} {q.text!r}: expected {q.expected[:3]} (of {len(q.expected)}), got "
                    f"{q.first_answer[:3]}, intended {q.intended}",
                    flush=True,
                )
        everything = [t for kind in times.values() for r in kind["framework"].values() for t in r]
        line("lookup_framework_p95", percentile(everything, 95), "ms")
        line("lookup_worst_vs_framework", worst_framework, "x")
        line("lookup_worst_sql_vs_probe", worst_probe, "x")
        return percentile([t for r in times["exact"]["api"].values() for t in r], 95)

    def writes(self, exact_p95: float) -> None:
        """Create a guest, add a preference, log a contact, each beside an exact lookup, through the API."""
        from bench.measure import line, percentile

        rng = random.Random(3)
        exact = [q for q in self.queries if q.kind == "exact"]
        times = defaultdict(list)
        for n in range(self.args.writes):
            guest = rng.randint(1, self.args.customers)
            new_guest = {"given_name": WRITER[0], "family_name": f"{WRITER[1]}{n}", "phone": f"+1202555{n:04d}"}
            preference = {"category": "drink", "text": "Oolong tea", "polarity": "likes"}
            steps = [
                ("create_guest", "/api/v1/customers/", new_guest),
                ("add_preference", f"/api/v1/customers/{guest}/preferences/", preference),
                ("log_contact", f"/api/v1/customers/{guest}/contacts/", {"kind": "visit"}),
                ("lookup_beside_writes", None, exact[n % len(exact)]),
            ]
            for name, path, data in steps[n % 4 :] + steps[: n % 4]:
                started = time.perf_counter()
                if path is None:
                    self.measure("api", data)
                else:
                    self.post(path, data)
                times[name].append((time.perf_counter() - started) * 1000)
        for name in ("create_guest", "add_preference", "log_contact", "lookup_beside_writes"):
            line(f"{name}_p50", percentile(times[name], 50), "ms")
            line(f"{name}_p95", percentile(times[name], 95), "ms")
        for name in ("create_guest", "add_preference", "log_contact"):
            line(f"{name}_vs_lookup", percentile(times[name], 95) / exact_p95, "x")

    def cold(self) -> None:
        """One pass of a few queries of each kind after dropping the OS page cache (PostgreSQL's own 128 MB of
        shared buffers stay warm: restarting the shared server would cut off other people's work)."""
        from bench.measure import line, percentile

        try:
            subprocess.run(["sync"], check=True)
            Path("/proc/sys/vm/drop_caches").write_text("3\n")
        except OSError as error:
            say(f"# cold cache: cannot drop the page cache here ({error}); no cold figures")
            return
        sample = []
        for kind in {q.kind for q in self.queries}:
            sample += [q for q in self.queries if q.kind == kind][:COLD_PER_KIND]
        random.Random(5).shuffle(sample)
        times = [self.measure("api", q) for q in sample]
        line("lookup_cold_p50", percentile(times, 50), "ms")
        line("lookup_cold_p95", percentile(times, 95), "ms")
        line("lookup_cold_max", max(times), "ms")
        line("lookup_cold_queries", len(times), "queries")

    def forget_writes(self) -> None:
        """The dataset as generated, whatever a run before this one left (one stopped halfway too, or contacts
        logged by hand): the guests the writes created go again, and the vocabulary without their words; the visits
        logged are copied into the search terms (as beat does within seconds; no beat runs here). A visit not yet
        copied orders a guest's terms by the visit before: a run at 1,000,000 guests after 1,500 contacts logged on
        500 guests read acc1 20 % for surnames, whose answers are the most recent holders (2026-12-07)."""
        from bench.setup import drop_guests
        from crm.lookup.terms import visits_copy
        from crm.models import Customer

        given, family = WRITER
        drop_guests(
            Customer.objects.filter(organization=self.organization, given_name=given, family_name__startswith=family)
        )
        visits_copy()

    def rebuild(self) -> None:
        from django.core.management import call_command

        from bench.measure import line

        started = time.monotonic()
        call_command("rebuild_search_terms", stdout=open(os.devnull, "w"))  # noqa: SIM115
        seconds = time.monotonic() - started
        line("rebuild_search_terms_s", seconds, "s")
        line("rebuild_search_terms_rate", self.args.customers / seconds, "guests/s")
        # The rebuild rewrote every guest's terms, vocabulary and derived names: left as it is, the next run on this
        # dataset reads their dead row versions and index entries too (bytes_per_guest 10,059 B against 4,789 at
        # 100,000 guests, every kind slower, 2026-12-05). Compacted, the dataset is again as generated.
        say("# compacting the tables the rebuild rewrote (VACUUM FULL)")
        self.sql("VACUUM (FULL, ANALYZE) crm_searchterm, crm_nameword, crm_customer")

    def growth(self, times: dict) -> None:
        from bench.lookup_queries import KINDS
        from bench.measure import line, percentile

        before = {}
        for text in self.args.growth_baseline.read_text().splitlines():
            parts = text.split()
            if len(parts) == 3 and parts[0].endswith("_p95") and parts[0].startswith("lookup_"):
                before[parts[0]] = float(parts[1])
        worst = 0.0
        for kind in KINDS:
            pooled = [t for r in times[kind]["api"].values() for t in r]
            if pooled and f"lookup_{kind}_p95" in before:
                ratio = percentile(pooled, 95) / before[f"lookup_{kind}_p95"]
                line(f"lookup_{kind}_growth", ratio, "x")
                worst = max(worst, ratio)
        line("lookup_growth_10m_vs_1m", worst, "x")


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


if __name__ == "__main__":
    main()
