"""bench/run mixed: the front desk's whole load at once, offered by the clock, stepped up to saturation.

An open-loop generator (asyncio, its own HTTP/1.1 connections, kept alive when the server allows it): requests
start at Poisson arrival times of a fixed offered rate, whether or not earlier ones have finished, and each
latency counts from the moment its request was due, so a queue in front of the server shows in the figures
(no coordinated omission). The mix: 70 % lookups typed as a person types — a real guest's name, prefix after
prefix, keystroke by keystroke —, 20 % briefs, 10 % writes (a new guest, a preference, a contact; contacts
schedule thank-you touches), with token auth, against gunicorn plus a real Celery worker and beat on the broker.

The offered rate doubles from 5 req/s until a step misses p95 <= 50 ms, then halves the gap between the highest rate
that held and the lowest that missed (geometrically) until they are within 10 % of each other (next_rate). The same
generator offers its own ladder, right after each of the system's steps, to each of two floors on their own gunicorn
(the same Django + DRF stack, token auth and organization lookup), so load drift on this shared machine lands on all
three: the framework floor as issue 15 defines it and bench/run lookup measures it — the lookup's own view answering
20 guests it holds in memory (bench.reference.LookupFramework: pagination, masking, the serializer) —, and below it
a fixed JSON of a real lookup page rendered as it is (FixedMetricsJson: no serializer), the floor of the runs before
2026-12-07. Traffic goes only to 127.0.0.1; the run stops by itself (RUN_SECONDS after the dataset is ready).
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import itertools
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import psycopg

import bench.boot  # noqa: F401  (Django set up for the imports below)

# isort: split
from rest_framework.authtoken.models import Token

from bench.measure import line, percentile
from bench.server import ROOT, free_port, json_getter, start_gunicorn, stop
from bench.setup import bench_staff, drop_guests, ensure_database, ensure_dataset
from bench.watch import Watch, tree
from crm.models import Customer
from tests.workers import worker_command, worker_stop

# Sync workers, as in production (README: gunicorn behind a proxy). Three on two cores: a request spends part of
# its time waiting on PostgreSQL, so one more worker than cores keeps both busy; more would only queue in the
# kernel instead of the listen backlog, and the database, the Celery worker and this generator share the cores.
WEB_WORKERS = 3
# One Celery process: the writes' follow-ups are rows for tomorrow, and beat's dispatchers run every 10 s and 1 min.
CELERY_CONCURRENCY = 1
TARGET_P95_MS = 50.0
# Offered requests a second: from FIRST_RATE, doubled while every step holds; after a series' first miss, halfway
# (geometrically) between the highest rate that held and the lowest that missed, until they are within PRECISION of
# each other (next_rate). ×1.25 from 5 all the way took 16 steps to reach 142 req/s, and the run's time limit
# stopped both series there, neither saturated (2026-12-05). ×1.25 from the last rate that held until two misses in
# a row (2026-12-05 to 12-07) left each saturation somewhere in a step of 1.25, and their ratio within 1.25² = 1.56:
# 320 held and 400 missed for the mix beside 640 and 800 for the framework floor read 0.50, anything from 0.40 to
# 0.63 (2026-12-07). Three halvings take the bracket from 2 to 1.09.
FIRST_RATE = 5
COARSE, PRECISION = 2.0, 1.1
# A step of the mix lasts longer than one of the floor: a tenth of it are writes, and their p95 needs numbers.
MIXED_STEP_SECONDS = 15.0
FLOOR_STEP_SECONDS = 10.0
WARMUP_SECONDS = 5.0
DRAIN_SECONDS = 5.0  # after a step, unfinished requests get this long, then count as errors (timeouts)
SETTLE_TIMEOUT = 30.0  # then the server works off what is still queued before the next step
STATS_SECONDS = 1.5  # PostgreSQL backends report their buffer statistics at most once a second
REQUEST_TIMEOUT = 10.0
MAX_IN_FLIGHT = 512  # past this the generator itself would be the bottleneck: further requests count as errors
RUN_SECONDS = 660  # the three series; with the server start-ups and the clean-up the run ends within 13 minutes
GUESTS_SAMPLED = 2000
SLOWEST_SHOWN = 8  # requests of each step printed with their path, latency and server time
CREATED_DOMAIN = "mixed.bench.example"  # the guests this bench creates: dropped before and after a run
MIX = (("lookup", 0.70), ("brief", 0.20), ("create_guest", 1 / 30), ("add_preference", 1 / 30), ("log_contact", 1 / 30))
WRITES = frozenset({"create_guest", "add_preference", "log_contact"})
NUMBERS = itertools.count(1)
PREFERENCES = [
    {"category": "drink", "text": "Green tea at arrival", "polarity": "likes", "source": "customer"},
    {"category": "room", "text": "High floor, away from the lift", "polarity": "likes", "source": "staff"},
    {"category": "allergy", "text": "Peanuts", "polarity": "avoid", "source": "customer", "safety_critical": True},
    {"category": "food", "text": "Spicy food", "polarity": "dislikes", "source": "customer"},
]


@dataclass
class Request:
    kind: str
    method: str
    path: str
    body: bytes = b""
    number: int = 0  # sent as X-Bench-Request: the server's access log names it beside its own time


@dataclass
class Outcome:
    kind: str
    ms: float  # from the moment the request was due; inf when it never finished
    ok: bool
    request: Request | None = None
    server_ms: float = float("nan")  # the worker's own time (gunicorn's access log): the rest is queue


@dataclass
class Step:
    rate: float
    outcomes: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0
    watched: Watch | None = None  # what the processes and the database did during it (a copy, after the step)

    def p(self, q: float, kinds: frozenset[str] | None = None) -> float:
        values = [o.ms for o in self.outcomes if kinds is None or o.kind in kinds]
        return percentile(values, q) if values else float("nan")

    @property
    def errors(self) -> int:
        return sum(not o.ok for o in self.outcomes)

    @property
    def holds(self) -> bool:
        return self.p(95) <= TARGET_P95_MS


class Typist:
    """Lookups as the desk types them: a guest's name in one of the ways it is typed, each prefix in turn."""

    def __init__(self, guests: list[Customer], rng: random.Random) -> None:
        self.guests, self.rng, self.pending = guests, rng, []

    @staticmethod
    def ways(guest: Customer) -> list[str]:
        if guest.native_name:
            # Han through an input method: the box receives whole characters; or the pinyin typed letter by letter.
            ways = [guest.native_name.replace(" ", "")]
            if guest.family_name and guest.given_name:
                ways.append(f"{guest.family_name} {guest.given_name}".lower())
            return ways
        return [f"{guest.given_name} {guest.family_name}".strip()]

    def next(self) -> str:
        if not self.pending:
            name = self.rng.choice(self.ways(self.rng.choice(self.guests)))
            # A space alone sends the query already sent: the box trims it.
            self.pending = [name[:n] for n in range(len(name), 0, -1) if not name[:n].endswith(" ")]
        return self.pending.pop()


class Mix:
    """The next request of the mix, drawn from the sampled guests."""

    def __init__(self, guests: list[Customer], seed: int) -> None:
        self.rng = random.Random(seed)
        self.guests = guests
        self.typist = Typist(guests, self.rng)
        self.created = 0
        self.kinds, self.weights = zip(*MIX, strict=True)

    def next(self) -> Request:
        kind = self.rng.choices(self.kinds, self.weights)[0]
        guest = self.rng.choice(self.guests)
        if kind == "lookup":
            return Request(kind, "GET", f"/api/v1/customers/?page_size=20&q={quote(self.typist.next())}")
        if kind == "brief":
            return Request(kind, "GET", f"/api/v1/customers/{guest.pk}/brief/?contact_kind=arrival")
        if kind == "create_guest":
            self.created += 1
            fields = {
                "given_name": guest.given_name,
                "family_name": guest.family_name,
                "native_name": guest.native_name,
                "language": guest.language or "en",
                "email": f"guest{self.created}.{time.monotonic_ns()}@{CREATED_DOMAIN}",
            }
            return Request(kind, "POST", "/api/v1/customers/", json.dumps(fields).encode())
        if kind == "add_preference":
            body = json.dumps(self.rng.choice(PREFERENCES)).encode()
            return Request(kind, "POST", f"/api/v1/customers/{guest.pk}/preferences/", body)
        body = json.dumps({"kind": "departure", "note": "Left early for the airport"}).encode()
        return Request(kind, "POST", f"/api/v1/customers/{guest.pk}/contacts/", body)


class Client:
    """HTTP/1.1 to one loopback port: a pool of idle connections, reused when the server keeps them alive
    (gunicorn's sync workers close each one: then every request opens its own, as behind a proxy)."""

    def __init__(self, port: int, token: str) -> None:
        self.port, self.idle = port, []
        self.headers = f"Host: localhost\r\nAuthorization: Token {token}\r\nAccept: application/json\r\n"

    async def send(self, request: Request) -> int:
        reader, writer = self.idle.pop() if self.idle else await asyncio.open_connection("127.0.0.1", self.port)
        try:
            head = f"{request.method} {request.path} HTTP/1.1\r\n{self.headers}X-Bench-Request: {request.number}\r\n"
            if request.method == "POST":
                head += f"Content-Type: application/json\r\nContent-Length: {len(request.body)}\r\n"
            writer.write(head.encode() + b"\r\n" + request.body)
            status_line = await reader.readline()
            status = int(status_line.split()[1])
            headers = {}
            while (header := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = header.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip().lower()
            if "content-length" in headers:
                await reader.readexactly(int(headers["content-length"]))
            elif headers.get("transfer-encoding") == "chunked":
                while size := int((await reader.readline()).split(b";")[0], 16):
                    await reader.readexactly(size + 2)
                await reader.readline()
            else:
                await reader.read()
        except BaseException:
            writer.close()
            raise
        if headers.get("connection") == "close" or reader.at_eof():
            writer.close()
        else:
            self.idle.append((reader, writer))
        return status


async def offer(client: Client, next_request, rate: float, seconds: float, rng: random.Random) -> Step:
    """`rate` requests a second for `seconds`, started at Poisson arrival times whatever the answers do."""
    loop = asyncio.get_running_loop()
    step, tasks = Step(rate), set()

    async def one(request: Request, due: float) -> None:
        try:
            status = await asyncio.wait_for(client.send(request), REQUEST_TIMEOUT)
            step.outcomes.append(Outcome(request.kind, (loop.time() - due) * 1000, 200 <= status < 300, request))
        except (OSError, ValueError, IndexError, asyncio.IncompleteReadError, TimeoutError):
            step.outcomes.append(Outcome(request.kind, float("inf"), False, request))

    started = due = loop.time()
    while (due := due + rng.expovariate(rate)) < started + seconds:
        await asyncio.sleep(max(0.0, due - loop.time()))
        request = next_request()
        request.number = next(NUMBERS)
        if len(tasks) >= MAX_IN_FLIGHT:
            step.outcomes.append(Outcome(request.kind, float("inf"), False, request))
            continue
        task = asyncio.create_task(one(request, due))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    step.seconds = loop.time() - started
    if tasks:
        await asyncio.wait(set(tasks), timeout=DRAIN_SECONDS)
    for task in list(tasks):
        task.cancel()
        step.outcomes.append(Outcome("unfinished", float("inf"), False))
    await asyncio.gather(*tasks, return_exceptions=True)
    return step


@dataclass
class Series:
    """One server under the generator: the requests it gets, its steps so far, what to note around each step."""

    name: str
    client: Client
    next_request: Callable[[], Request]
    seconds: float
    before: Callable[[], None] = lambda: None
    after: Callable[[], None] = lambda: None
    watch: Watch | None = None
    steps: list[Step] = field(default_factory=list)

    @property
    def saturated(self) -> bool:
        return next_rate(self.steps) is None


async def settle(client: Client) -> None:
    """Wait until the server has worked off what was left queued: a probe answered is behind all of it."""
    try:
        await asyncio.wait_for(client.send(Request("probe", "GET", "/health/")), SETTLE_TIMEOUT)
    except (OSError, ValueError, IndexError, asyncio.IncompleteReadError, TimeoutError):
        print("the server did not settle", file=sys.stderr)


def step_up(series: list[Series], deadline: float) -> None:
    """The series take turns, a step each (the system, then each floor, each at its own next_rate: load drift lands
    on all), a series leaving once its saturation is bracketed within PRECISION; stops at the deadline."""

    async def run() -> None:
        rng = random.Random(5)
        for one in series:
            await offer(one.client, one.next_request, FIRST_RATE, WARMUP_SECONDS, rng)
        while active := [s for s in series if not s.saturated]:
            for one in active:
                rate = next_rate(one.steps)
                if time.monotonic() + one.seconds + DRAIN_SECONDS > deadline:
                    print(f"{one.name}: stopped at the run's time limit before {rate} req/s", file=sys.stderr)
                    return
                one.before()
                if one.watch:
                    one.watch.start()
                step = await offer(one.client, one.next_request, rate, one.seconds, rng)
                await settle(one.client)
                if one.watch:
                    one.watch.stop()
                    step.watched = copy.copy(one.watch)
                await asyncio.sleep(STATS_SECONDS)
                one.after()
                one.steps.append(step)
                per_rate(one.name, step)

    asyncio.run(run())
    for one in series:
        for _, writer in one.client.idle:
            writer.close()


def per_rate(name: str, step: Step) -> None:
    prefix = f"{name}_{step.rate:.0f}rps"
    done = sum(o.ms != float("inf") for o in step.outcomes)
    line(f"{prefix}_achieved", done / step.seconds, "req/s")
    for q in (50, 95, 99):
        line(f"{prefix}_p{q}", step.p(q), "ms")
    if name == "mixed":
        line(f"{prefix}_lookup_p95", step.p(95, frozenset({"lookup"})), "ms")
        line(f"{prefix}_brief_p95", step.p(95, frozenset({"brief"})), "ms")
        line(f"{prefix}_write_p95", step.p(95, WRITES), "ms")
    line(f"{prefix}_errors", step.errors, "requests")
    if watched := step.watched:
        # CPU a request cost each process tree (ms): the server's own, the worker's, beat's, PostgreSQL's.
        for tree, seconds in watched.cpu.items():
            line(f"{prefix}_cpu_{tree}_per_request", 1000 * seconds / max(1, len(step.outcomes)), "ms")
        line(f"{prefix}_new_db_sessions", watched.sessions, "sessions")
        busy = ", ".join(
            f"{event} {count / max(1, watched.samples):.2f}" for event, count in watched.waits.most_common(6)
        )
        print(f"# {prefix}: busy backends on average by wait: {busy or 'none'}", flush=True)
        for query, count in watched.lock_queries.most_common(3):
            print(f"# {prefix}: waiting on a lock ({count} samples): {query}", flush=True)


def server_times(log: Path, steps: list[Step]) -> None:
    """Each answered request's time inside a web worker, read from the server's access log."""
    server_ms = {}
    for entry in log.read_text().splitlines():
        number, _, micros = entry.partition(" ")
        if number.isdigit():
            server_ms[int(number)] = int(micros) / 1000
    for step in steps:
        for outcome in step.outcomes:
            if outcome.request and outcome.request.number in server_ms:
                outcome.server_ms = server_ms[outcome.request.number]


def breakdown(name: str, step: Step) -> None:
    """Where a step's time went, by kind: the client's latency (from the moment a request was due) against the
    web worker's own time (the rest is the wait for a free worker); then its slowest requests."""
    prefix = f"{name}_{step.rate:.0f}rps"
    answered = [o for o in step.outcomes if o.ms != float("inf") and o.server_ms == o.server_ms]
    for kind in sorted({o.kind for o in answered}):
        mine = [o for o in answered if o.kind == kind]
        client, server = [o.ms for o in mine], [o.server_ms for o in mine]
        line(f"{prefix}_{kind}_count", len(mine), "requests")
        for q in (50, 95):
            line(f"{prefix}_{kind}_p{q}", percentile(client, q), "ms")
            line(f"{prefix}_{kind}_server_p{q}", percentile(server, q), "ms")
    if answered:
        line(f"{prefix}_server_p95", percentile([o.server_ms for o in answered], 95), "ms")
        line(f"{prefix}_queue_mean", statistics.fmean(o.ms - o.server_ms for o in answered), "ms")
    for o in sorted(answered, key=lambda o: -o.ms)[:SLOWEST_SHOWN]:
        print(f"# {prefix} slow: {o.ms:.1f} ms (server {o.server_ms:.1f}) {o.kind} {o.request.path}", flush=True)


def cpu_per_request(steps: list[Step]) -> float:
    """CPU milliseconds a request cost, summed over every watched process tree and step."""
    seconds = sum(sum(step.watched.cpu.values()) for step in steps if step.watched)
    return 1000 * seconds / max(1, sum(len(step.outcomes) for step in steps if step.watched))


def bracket(steps: list[Step]) -> tuple[int | None, int | None]:
    """The highest rate that held below the lowest that missed, and that lowest miss (None for either when there is
    none: nothing held below it, or nothing missed yet)."""
    missed = min((step.rate for step in steps if not step.holds), default=None)
    held = max((step.rate for step in steps if step.holds and (missed is None or step.rate < missed)), default=None)
    return held, missed


def next_rate(steps: list[Step]) -> int | None:
    """The rate a series offers next, None when it is done: doubled while every step held (a coarse climb to where
    it starts to fail); then the geometric middle of the highest rate that held and the lowest that missed, until
    they are within PRECISION of each other (or no whole rate lies between them). 5, 10, 20, 40, 80, 160 (missed),
    113 (held), 134 (missed), 123, done: the saturation is 113 or 123, within 10 % of the lowest rate that missed
    above it. A series whose first step missed is done."""
    if not steps:
        return FIRST_RATE
    held, missed = bracket(steps)
    if missed is None:
        return round(steps[-1].rate * COARSE)
    if held is None or missed / held <= PRECISION:
        return None
    middle = round((held * missed) ** 0.5)
    return middle if held < middle < missed else None


def saturation(steps: list[Step]) -> Step | None:
    """The highest offered rate that held the target below the lowest that missed."""
    held, _ = bracket(steps)
    return next((step for step in steps if step.rate == held and step.holds), None)


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants (shared pages counted in each, as `ps` does)."""
    total = 0
    for current in tree(pid):
        try:
            status = Path(f"/proc/{current}/status").read_text()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += int(next(s for s in status.splitlines() if s.startswith("VmRSS:")).split()[1])
    return total / 1024


def blocks(stats: psycopg.Connection) -> tuple[int, int]:
    """The database's buffer hits and reads so far (its own connection: Django's may not run in the event loop)."""
    return stats.execute(
        "SELECT blks_hit, blks_read FROM pg_stat_database WHERE datname = current_database()"
    ).fetchone()


def start_celery() -> tuple[subprocess.Popen, subprocess.Popen]:
    """A worker and beat on the broker of CELERY_BROKER_URL, as deployed (README: exactly one beat)."""
    quiet = {"cwd": ROOT, "stdout": subprocess.DEVNULL}
    hostname = f"bench-mixed-{os.getpid()}@localhost"
    worker = subprocess.Popen(
        worker_command(hostname, "--concurrency", str(CELERY_CONCURRENCY), loglevel="WARNING"), **quiet
    )
    beat = subprocess.Popen([sys.executable, "-m", "celery", "-A", "config", "beat", "--loglevel", "WARNING"], **quiet)
    return worker, beat


def forget_created_guests() -> int:
    """Drop the guests earlier runs created, so the dataset keeps its size (ensure_dataset counts it), and the
    vocabulary the words they added (copies of real guests' names: left counted, each run made wang, li, … more
    common to the typo stage than the dataset's guests)."""
    return drop_guests(Customer.objects.filter(email__endswith=f"@{CREATED_DOMAIN}"))


def floor_series(name: str, client: Client, path: str, watch: Watch) -> Series:
    """A floor's series: the same GET at every request, a step of FLOOR_STEP_SECONDS."""
    return Series(name, client, lambda: Request("floor", "GET", path), FLOOR_STEP_SECONDS, watch=watch)


def floor_token(organization) -> str:
    """A manager of the bench organization: the fixed-JSON floor's view is for managers."""
    staff = bench_staff("bench-manager", organization.name, role="manager")
    token, _ = Token.objects.get_or_create(user=staff.user)
    return token.key


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=100_000)
    args = parser.parse_args()

    ensure_database()
    forget_created_guests()
    organization, token = ensure_dataset(customers=args.customers)
    guests = list(Customer.objects.filter(organization=organization).order_by("?")[:GUESTS_SAMPLED])
    manager_token = floor_token(organization)
    line("mixed_customers", args.customers, "customers")
    line("load_average_1m", os.getloadavg()[0], "")
    deadline = time.monotonic() + RUN_SECONDS

    worker, beat = start_celery()
    port, floor_port = free_port(), free_port()
    logs = Path(tempfile.mkdtemp(prefix="bench-mixed-"))  # each server's access log: its own time per request
    server = start_gunicorn(port, workers=WEB_WORKERS, access_log=logs / "system.log")
    floor, fixed, watches = None, None, []
    # Memory at its highest after any step; PostgreSQL's buffer hits and reads over the system's steps only.
    rss, buffers = {"web": 0.0, "worker": 0.0}, {"hit": 0, "read": 0}
    mark = {}

    stats = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)

    def before() -> None:
        mark["hit"], mark["read"] = blocks(stats)

    def after() -> None:
        hit, read = blocks(stats)
        buffers["hit"] += hit - mark["hit"]
        buffers["read"] += read - mark["read"]
        rss["web"] = max(rss["web"], tree_rss_mb(server.pid))
        rss["worker"] = max(rss["worker"], tree_rss_mb(worker.pid))

    try:
        # A real lookup page is the floor's fixed answer; asking for it also waits for the workers to be up.
        first_key = quote(Typist.ways(guests[0])[0][:1])  # a guest's name's first keystroke
        get, close = json_getter(port, token)
        answer = get(f"/api/v1/customers/?page_size=20&q={first_key}")
        close()
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fixed:
            json.dump({"lookup": answer}, fixed)
        os.environ["BENCH_METRICS_FIXED_JSON"] = fixed.name
        floor = start_gunicorn(
            floor_port, workers=WEB_WORKERS, settings="bench.settings", access_log=logs / "floor.log"
        )
        fixed_path = "/bench/fixed-json/metrics/lookup/"
        framework_path = f"/bench/framework/customers/?page_size=20&q={first_key}"
        for key, path in ((manager_token, fixed_path), (token, framework_path)):
            get, close = json_getter(floor_port, key)
            get(path)
            close()

        mix = Mix(guests, seed=3)
        celery = {"worker": worker.pid, "beat": beat.pid}
        # The floors take turns on one server: each watch counts the CPU of its own series' steps.
        watches = [
            Watch(os.environ["DATABASE_URL"], {"web": pid, **celery}) for pid in (server.pid, floor.pid, floor.pid)
        ]
        system = Series("mixed", Client(port, token), mix.next, MIXED_STEP_SECONDS, before, after, watches[0])
        framework = floor_series("framework", Client(floor_port, token), framework_path, watches[1])
        fixed_json = floor_series("fixed_json", Client(floor_port, manager_token), fixed_path, watches[2])
        step_up([system, framework, fixed_json], deadline)
    finally:
        for process in (server, floor):
            if process:
                stop(process)
        worker_stop(beat)  # first: a task it sends after the worker left would wait in the broker
        worker_stop(worker)
        stats.close()
        for watch in watches:
            watch.close()
        if fixed:
            os.unlink(fixed.name)
    line("mixed_guests_created", forget_created_guests(), "rows")
    for series, log in ((system, "system.log"), (framework, "floor.log"), (fixed_json, "floor.log")):
        server_times(logs / log, series.steps)
        for step in series.steps:
            breakdown(series.name, step)
    shutil.rmtree(logs)

    best = saturation(system.steps)
    rate = best.rate if best else 0  # 0: not even the first step held the target
    line("mixed_saturation_rps", rate, "req/s")
    if best:
        # Writes are a tenth of the mix: their p95 pools every step up to the saturation rate.
        held = Step(best.rate, [o for s in system.steps if s.holds and s.rate <= best.rate for o in s.outcomes])
        line("mixed_p95", best.p(95), "ms")
        line("mixed_write_p95", held.p(95, WRITES), "ms")
        line("mixed_writes_measured", sum(o.kind in WRITES for o in held.outcomes), "requests")
        line("mixed_errors", best.errors, "requests")
    line("mixed_errors_all_rates", sum(s.errors for s in system.steps), "requests")
    line("web_rss_mb", rss["web"], "MB")
    line("worker_rss_mb", rss["worker"], "MB")
    line("mixed_pg_cache_hit", 100 * buffers["hit"] / max(1, buffers["hit"] + buffers["read"]), "%")
    floors = (framework, fixed_json)
    for one_floor in floors:
        best_floor = saturation(one_floor.steps)
        line(f"{one_floor.name}_saturation_rps", best_floor.rate if best_floor else 0, "req/s")
        line(f"{one_floor.name}_saturated", int(one_floor.saturated), "bool")
        if best_floor:
            line(f"mixed_saturation_vs_{one_floor.name}", rate / best_floor.rate, "x")
    # Why: a step holds p95 <= 50 ms only if the requests' own time (in the web worker, without the queue) does,
    # at the first step already; and the CPU a request costs (every process tree) bounds the rate two cores serve.
    for series in (system, *floors):
        if series.steps:
            first = [o.server_ms for o in series.steps[0].outcomes if o.server_ms == o.server_ms]
            if first:
                line(f"{series.name}_first_step_server_p95", percentile(first, 95), "ms")
            line(f"{series.name}_cpu_per_request", cpu_per_request(series.steps), "ms")
    for one_floor in floors:
        if system.steps and one_floor.steps:
            ratio = cpu_per_request(system.steps) / cpu_per_request(one_floor.steps)
            line(f"mixed_cpu_vs_{one_floor.name}", ratio, "x")


if __name__ == "__main__":
    main()
