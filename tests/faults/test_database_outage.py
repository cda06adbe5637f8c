"""A database outage, as users and operators meet it: PostgreSQL (a throwaway one, started by the test)
stops under a running gunicorn and starts again (issue 11, findings 9 and 10)."""

from __future__ import annotations

import json
import time

import pytest

from tests.faults.conftest import PASSWORD, Web, manage_env
from tests.faults.servers import free_port_in

pytestmark = [pytest.mark.postgres, pytest.mark.faults]
WEB_PORTS = range(8104, 8110)


@pytest.fixture
def web(throwaway_pg, tmp_path):
    server = Web(manage_env(throwaway_pg.url, tmp_path), free_port_in(WEB_PORTS), tmp_path / "gunicorn.log")
    yield server
    server.stop()
    if not _up(throwaway_pg):  # a failed test leaves it stopped: the next one needs it
        throwaway_pg.start()


def _up(pg) -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", pg.port), timeout=0.5).close()
        return True
    except OSError:
        return False


def test_a_database_outage_is_a_503_that_clients_understand_and_the_log_says_once(throwaway_pg, web):
    # Given a manager's token and a working service
    status, _, body = web.request("/api/v1/auth/token/", method="POST", body={"username": "boss", "password": PASSWORD})
    assert status == 200, body
    auth = {"Authorization": f"Token {json.loads(body)['token']}"}
    assert web.get("/api/v1/customers/", headers=auth)[0] == 200
    assert web.get("/ready/")[0] == 200

    # when PostgreSQL stops
    throwaway_pg.stop()
    before = web.log_text()
    started = time.monotonic()
    api_status, api_headers, api_body = web.get("/api/v1/customers/", headers=auth)
    post_status, _, post_body = web.request(
        "/api/v1/customers/", method="POST", body={"given_name": "Ann"}, headers=auth
    )
    # (a desk's browser: a session cookie, Chinese screens)
    screen_status, screen_headers, screen_html = web.get(
        "/", headers={"Cookie": "sessionid=abc123def456", "Accept-Language": "zh-hans"}
    )
    ready_status, _, ready_body = web.get("/ready/")
    elapsed = time.monotonic() - started

    # then the API answers 503 in DRF's error shape with Retry-After, fast
    assert api_status == 503 and post_status == 503
    assert set(json.loads(api_body)) == {"detail"} and "database" in api_body
    assert set(json.loads(post_body)) == {"detail"}
    assert int(api_headers["Retry-After"]) > 0
    # screens get a friendly page in the staff's language, not a traceback
    assert screen_status == 503 and int(screen_headers["Retry-After"]) > 0
    assert "请稍候" in screen_html and "Traceback" not in screen_html
    # readiness says so (a load balancer stops sending traffic here)
    assert ready_status == 503 and '"database": false' in ready_body
    assert elapsed < 5, elapsed
    # and the log has one line per failed request, no traceback
    during = web.log_text()[len(before) :]
    assert during.count("database unavailable") == 3, during
    assert "Traceback" not in during and len(during) < 3 * 400, during

    # when PostgreSQL is back, the service recovers by itself (no restart of gunicorn)
    throwaway_pg.start()
    assert web.get("/api/v1/customers/", headers=auth)[0] == 200
    assert web.get("/ready/")[0] == 200


def test_postgres_restarted_under_load_fails_fast_recovers_alone_and_writes_all_or_nothing(throwaway_pg, web):
    import threading

    import psycopg

    from tests.faults.load import LOAD_SECONDS, Load, p95

    # Given a manager's token, a guest whose brief is read, and a load of writes and reads
    status, _, body = web.request("/api/v1/auth/token/", method="POST", body={"username": "boss", "password": PASSWORD})
    token = json.loads(body)["token"]
    auth = {"Authorization": f"Token {token}"}
    status, _, body = web.request("/api/v1/customers/", method="POST", body={"given_name": "Brief"}, headers=auth)
    load = Load(base=web.base, token=token, brief_of=json.loads(body)["id"])
    runner = threading.Thread(target=load.run)
    started = time.monotonic()
    runner.start()
    # when PostgreSQL goes down a quarter into the load, for 2 seconds, and comes back
    time.sleep(LOAD_SECONDS / 4)
    throwaway_pg.stop()
    down_at = time.monotonic() - started  # from here it is down...
    time.sleep(2)
    back_at = time.monotonic() - started  # ...until here
    throwaway_pg.start()
    up_at = time.monotonic() - started
    runner.join()

    answers = load.answers
    during = [a for a in answers if down_at < a.at and a.at + a.took < back_at]
    after = [a for a in answers if a.at > up_at]
    first_ok_after = min((a.at + a.took for a in after if a.status in (200, 201)), default=float("inf"))
    figures = {
        "requests": len(answers),
        "statuses": {s: sum(1 for a in answers if a.status == s) for s in sorted({a.status for a in answers})},
        "p95 while down (ms)": round(1000 * p95([a.took for a in during]), 1),
        "recovered after (s)": round(first_ok_after - up_at, 2),
    }
    print(f"FIGURES postgres restarted under load: {figures}")
    # then nothing but successes and 503s: no 500, no hang
    assert {a.status for a in answers} <= {200, 201, 503}, figures
    assert during and all(a.status == 503 for a in during), figures
    assert p95([a.took for a in during]) < 1.0, figures
    # it recovered by itself, and everything after the first success succeeded
    assert first_ok_after - up_at < 5, figures
    assert all(a.status in (200, 201) for a in after if a.at > first_ok_after), figures
    # and every write is all or nothing: each 201 is a guest with search terms; no guest lacks them
    created = [a.created for a in answers if a.status == 201]
    with psycopg.connect(throwaway_pg.url.replace("postgres://", "postgresql://")) as db:
        exists = db.execute("SELECT count(*) FROM crm_customer WHERE id = ANY(%s)", (created,)).fetchone()[0]
        without_terms = db.execute(
            "SELECT count(*) FROM crm_customer c WHERE NOT EXISTS "
            "(SELECT 1 FROM crm_searchterm t WHERE t.customer_id = c.id)"
        ).fetchone()[0]
    assert exists == len(created) and without_terms == 0, figures
