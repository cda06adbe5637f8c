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
