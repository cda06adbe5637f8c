"""Reads on a real streaming replica (config/routers.py): a throwaway PostgreSQL primary, a hot standby made
from it with pg_basebackup, and gunicorn pointed at both. Replay on the standby is paused, so what the replica
serves is visibly older than the primary: a lookup or a brief that misses a new guest or allergy was read
there; one that has it was read on the primary."""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import sys
import time

import psycopg
import pytest
from django.db import connection

from tests.faults.conftest import ROOT, Web, manage, manage_env, missing
from tests.faults.servers import (
    ThrowawayPostgres,
    ThrowawayRedis,
    _pg_bin,
    free_port_in,
    postgres_available,
    redis_available,
)

WEB_PORTS = range(8110, 8116)
PASSWORD = "replica-test-pass-42"  # noqa: S105 - a throwaway database's staff login
STICKY_SECONDS = 2
SETUP = f"""
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
for name in ("writer", "reader"):
    call_command("create_staff", name, password="{PASSWORD}", organization="Chain", property="Inn", role="frontdesk")
"""


class Standby(ThrowawayPostgres):
    """A hot standby of a running ThrowawayPostgres: its base backup, streaming from it (pg_basebackup -R)."""

    def __init__(self, primary: ThrowawayPostgres) -> None:
        super().__init__()
        self.primary = primary

    def init(self) -> Standby:
        self._run(
            _pg_bin("pg_basebackup"),
            *("-h", "127.0.0.1", "-p", str(self.primary.port), "-U", "postgres"),
            *("-D", str(self.data), "-R", "-X", "stream", "--checkpoint", "fast", "--no-sync"),
        )
        self.start()
        return self

    def sql(self, statement: str):
        return _sql(self, statement)


def _sql(server: ThrowawayPostgres, statement: str, params: tuple = ()):
    """The first value of a statement's answer on that server."""
    with psycopg.connect(f"host=127.0.0.1 port={server.port} user=postgres dbname=rapport", autocommit=True) as db:
        return db.execute(statement, params).fetchone()[0]


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    """gunicorn with DATABASE_URL on a primary and DATABASE_REPLICA_URL on its standby; two front-desk staff
    of one hotel ("writer" and "reader"), each with an API token."""
    if (
        connection.vendor != "postgresql"
    ):  # before the servers: this module-scoped fixture runs before the marker's skip
        pytest.skip("needs PostgreSQL (set DATABASE_URL=postgres://...)")
    if not (postgres_available() and _pg_bin("pg_basebackup")):
        missing("PostgreSQL's initdb, pg_ctl and pg_basebackup are not installed")
    if not redis_available():
        missing("redis-server is not installed")
    primary, standby, redis, web = ThrowawayPostgres(), None, ThrowawayRedis(), None
    var = tmp_path_factory.mktemp("replica-var")
    try:
        primary.init()
        env = manage_env(primary.url, var)
        # One process for the schema and both logins: each Django start costs seconds on a busy machine.
        manage(env, "shell", "-c", SETUP)
        standby = Standby(primary).init()
        redis.start()
        served = manage_env(
            primary.url,
            var,
            DATABASE_REPLICA_URL=standby.url,
            CACHE_URL=redis.url,
            RAPPORT_REPLICA_STICKY_SECONDS=str(STICKY_SECONDS),
            # The screens' templates need collectstatic's manifest with DEBUG off (minutes of compression here);
            # nothing in the routing depends on DEBUG.
            DEBUG="true",
        )
        web = Web(served, free_port_in(WEB_PORTS), var / "gunicorn.log")
        tokens = {}
        for name in ("writer", "reader"):
            status, _, body = web.request(
                "/api/v1/auth/token/", method="POST", body={"username": name, "password": PASSWORD}
            )
            assert status == 200, body
            tokens[name] = {"Authorization": f"Token {json.loads(body)['token']}"}
        yield web, standby, tokens
    finally:
        if web is not None:
            web.stop()
        redis.destroy()
        if standby is not None:
            standby.destroy()
        primary.destroy()


def _get(web, path: str, headers: dict) -> dict:
    status, _, body = web.get(path, headers=headers)
    assert status == 200, body
    return json.loads(body)


def _created(web, path: str, body: dict, headers: dict) -> dict:
    """POST an API write; it must answer 201. The new row."""
    status, _, answer = web.request(path, method="POST", body=body, headers=headers)
    assert status == 201, answer
    return json.loads(answer)


def _found(web, headers: dict, q: str) -> list[str]:
    return [c["display_name"] for c in _get(web, f"/api/v1/customers/?q={q}", headers)["results"]]


def _eventually(check, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "the replica did not catch up"
        time.sleep(0.1)


@pytest.mark.postgres
@pytest.mark.faults
def test_lookups_and_briefs_are_served_by_the_replica_and_a_writer_reads_back_at_once(chain):
    web, standby, tokens = chain
    writer, reader = tokens["writer"], tokens["reader"]
    # Given a guest the replica already has
    ada = _created(web, "/api/v1/customers/", {"given_name": "Ada", "family_name": "Lovelace"}, writer)["id"]
    _eventually(lambda: _found(web, reader, "Lovelace") == ["Ada Lovelace"])
    assert standby.sql("SELECT pg_is_in_recovery()") is True

    # when the standby stops replaying (it lags behind, as a busy one may)
    standby.sql("SELECT pg_wal_replay_pause()")
    try:
        # and the writer records a new guest and an allergy of Ada's
        grace = _created(web, "/api/v1/customers/", {"given_name": "Grace", "family_name": "Hopper"}, writer)["id"]
        _created(web, f"/api/v1/customers/{ada}/preferences/", {"category": "allergy", "text": "Peanuts"}, writer)

        # then the writer reads both back at once: its reads stay on the primary
        assert _found(web, writer, "Hopper") == ["Grace Hopper"]
        assert [p["text"] for p in _get(web, f"/api/v1/customers/{ada}/brief/", writer)["safety"]] == ["Peanuts"]
        # while another desk's lookup and brief are read on the replica, which has neither yet
        assert _found(web, reader, "Hopper") == []
        seen = "SELECT count(*) FROM crm_accessrecord WHERE customer_id = %s AND action = 'brief'"
        before = _sql(standby.primary, seen, (ada,))
        assert _get(web, f"/api/v1/customers/{ada}/brief/", reader)["safety"] == []
        # (a brief read on the replica is still in the access audit, written on the primary)
        assert _sql(standby.primary, seen, (ada,)) == before + 1
        # and a view that is not a lookup or a brief reads the primary for everyone
        assert _get(web, f"/api/v1/customers/{grace}/", reader)["display_name"] == "Grace Hopper"

        # when the writer has not written for RAPPORT_REPLICA_STICKY_SECONDS, its lookups go to the replica again
        time.sleep(STICKY_SECONDS + 0.5)
        assert _found(web, writer, "Hopper") == []
    finally:
        standby.sql("SELECT pg_wal_replay_resume()")

    # and once the standby replays again, every desk finds what was written
    _eventually(lambda: _found(web, reader, "Hopper") == ["Grace Hopper"])
    assert [p["text"] for p in _get(web, f"/api/v1/customers/{ada}/brief/", reader)["safety"]] == ["Peanuts"]


class Browser:
    """A desk's browser on the screens: its cookies kept by hand (Rapport's are Secure, and this is plain HTTP on
    loopback), no redirects followed."""

    def __init__(self, web) -> None:
        self.port = int(web.base.rsplit(":", 1)[1])
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = "&".join(f"{k}={v}" for k, v in form.items())
            headers |= {"Content-Type": "application/x-www-form-urlencoded", "X-CSRFToken": self.cookies["csrftoken"]}
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            for header in response.headers.get_all("Set-Cookie") or []:
                name, value = header.split(";", 1)[0].split("=", 1)
                self.cookies[name] = value
            return response.status, response.read().decode()
        finally:
            connection.close()

    def sign_in(self, username: str) -> None:
        status, html = self.request("GET", "/accounts/login/")
        assert status == 200, html
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)[1]
        status, _ = self.request(
            "POST", "/accounts/login/", {"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD}
        )
        assert status == 302 and "sessionid" in self.cookies, status


@pytest.mark.postgres
@pytest.mark.faults
def test_the_lookup_screen_reads_the_replica_and_a_session_that_wrote_reads_the_primary(chain):
    web, standby, tokens = chain
    desk = Browser(web)
    desk.sign_in("reader")
    standby.sql("SELECT pg_wal_replay_pause()")
    try:
        # Given a guest written by another desk while the standby does not replay
        _created(web, "/api/v1/customers/", {"given_name": "Hedy", "family_name": "Lamarr"}, tokens["writer"])
        # when this desk searches on the lookup screen, as typed (a POST) or by link (?q=)
        # then the replica answers, without the new guest — and searching is not a write that keeps it on the primary
        for _ in range(2):
            status, html = desk.request("POST", "/", {"q": "Lamarr"})
            assert status == 200 and "Hedy Lamarr" not in html
        status, html = desk.request("GET", "/?q=Lamarr")
        assert status == 200 and "Hedy Lamarr" not in html
        # when this desk's session writes (here: it changes its screen language)
        status, _ = desk.request("POST", "/i18n/setlang/", {"language": "en", "next": "/"})
        assert status == 302
        # then its session reads the primary, and finds her
        status, html = desk.request("GET", "/?q=Lamarr")
        assert status == 200 and "Hedy Lamarr" in html
    finally:
        standby.sql("SELECT pg_wal_replay_resume()")


@pytest.mark.postgres
@pytest.mark.faults
def test_a_replica_down_is_a_503_on_what_it_serves_while_writes_and_other_reads_go_on(chain):
    web, standby, tokens = chain
    reader = tokens["reader"]
    alan = _created(web, "/api/v1/customers/", {"given_name": "Alan", "family_name": "Turing"}, reader)["id"]
    time.sleep(STICKY_SECONDS + 0.5)  # the reader's own write no longer keeps it on the primary
    # Given the standby stops
    standby.stop()
    try:
        # then a lookup answers the outage's 503 (the desk sees "try again", not an error page)
        status, headers, body = web.get("/api/v1/customers/?q=Turing", headers=reader)
        assert status == 503 and int(headers["Retry-After"]) > 0, body
        # while writes, the views read on the primary, and readiness (the primary's) carry on
        _created(web, f"/api/v1/customers/{alan}/preferences/", {"category": "drink", "text": "Earl Grey"}, reader)
        assert _get(web, f"/api/v1/customers/{alan}/", reader)["display_name"] == "Alan Turing"
        assert web.get("/ready/")[0] == 200
    finally:
        standby.start()
    # and once the standby is back, lookups are served again
    _eventually(lambda: _found(web, reader, "Turing") == ["Alan Turing"], seconds=20)


@pytest.mark.parametrize(
    ("database_url", "cache_url", "message"),
    [
        ("sqlite:///var/test/replica.sqlite3", "redis://127.0.0.1:6379/1", "must name a PostgreSQL replica"),
        ("postgres://postgres@127.0.0.1:5432/rapport", "locmemcache://", "CACHE_URL"),
    ],
)
def test_a_replica_without_postgresql_or_a_shared_cache_refuses_to_start(database_url, cache_url, message):
    # Given a production environment naming a replica, with SQLite as the primary or a per-process cache
    env = {
        **os.environ,
        "DEBUG": "false",
        "DATABASE_URL": database_url,
        "DATABASE_REPLICA_URL": "postgres://postgres@127.0.0.1:5433/rapport",
        "CACHE_URL": cache_url,
    }
    # when a process starts
    started = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    # then it stops at once, saying which setting is wrong
    assert started.returncode != 0
    assert message in started.stderr and "DATABASE_REPLICA_URL" in started.stderr
