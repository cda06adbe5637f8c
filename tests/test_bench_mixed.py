"""bench/run mixed's own logic: each request's own time in a web worker read from gunicorn's access log (the line
format it starts gunicorn with), so its output can tell the wait for a free worker from the request's own time; the
ladder of offered rates; and the dataset left as it was found."""

from __future__ import annotations

import datetime
import logging
from types import SimpleNamespace

from django.db.models import F
from gunicorn.config import Config
from gunicorn.glogging import Logger

from bench.mixed import (
    CREATED_DOMAIN,
    Outcome,
    Request,
    Step,
    bracket,
    breakdown,
    forget_created_guests,
    next_rate,
    saturation,
    server_times,
)
from bench.server import ACCESS_LOG_FORMAT
from crm.models import NameWord
from crm.services.customers import customer_create
from tests.factories import CustomerFactory


def _access_line(number: int, took: datetime.timedelta) -> str:
    """The line gunicorn writes for a request that carried X-Bench-Request: number."""
    config = Config()
    config.set("accesslog", "-")
    config.set("access_log_format", ACCESS_LOG_FORMAT)
    logger = Logger(config)
    lines = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())
    logger.access_log.handlers = [handler]
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": "/health/", "PATH_INFO": "/health/", "SERVER_PROTOCOL": "HTTP/1.1"}
    response = SimpleNamespace(status="200 OK", sent=15, headers=[])
    request = SimpleNamespace(headers=[("X-BENCH-REQUEST", str(number))])
    logger.access(response, request, environ, took)
    return lines[0]


def test_a_request_gets_its_server_time_and_the_rest_is_queue(tmp_path, capsys):
    log = tmp_path / "system.log"
    # A probe without the header (the settle step's /health/) logs "-": skipped.
    log.write_text(f"{_access_line(7, datetime.timedelta(milliseconds=12))}\n- 900\n")
    lookup = Request("lookup", "GET", "/api/v1/customers/?q=wang", number=7)
    step = Step(
        5,
        [
            Outcome("lookup", 40.0, True, lookup),
            Outcome("brief", float("inf"), False, Request("brief", "GET", "/b", number=8)),
        ],
    )

    server_times(log, [step])
    breakdown("mixed", step)

    assert step.outcomes[0].server_ms == 12.0
    assert step.outcomes[1].server_ms != step.outcomes[1].server_ms  # never answered: no server time (nan)
    printed = capsys.readouterr().out
    assert "mixed_5rps_lookup_server_p95 12.00 ms" in printed
    assert "mixed_5rps_queue_mean 28.00 ms" in printed  # 40 ms from due to answer, 12 of them in the worker
    assert "# mixed_5rps slow: 40.0 ms (server 12.0) lookup /api/v1/customers/?q=wang" in printed


def test_the_offered_rate_doubles_until_a_miss_then_halves_the_gap_until_within_a_tenth():
    def steps(*pairs):
        return [Step(rate, [Outcome("lookup", ms, True)]) for rate, ms in pairs]

    assert next_rate([]) == 5
    assert next_rate(steps((5, 10), (10, 12), (20, 14))) == 40
    climbed = [(5, 10), (10, 10), (20, 10), (40, 10), (80, 20), (160, 900)]
    # 160 missed: the geometric middle of 80, the highest that held, and 160
    assert next_rate(steps(*climbed)) == 113
    assert next_rate(steps(*climbed, (113, 30))) == 134  # held: between 113 and 160
    assert next_rate(steps(*climbed, (113, 30), (134, 70))) == 123  # missed: between 113 and 134
    # 113 held and 123 missed, or 123 held and 134 missed: within 10 %, done, and the saturation is the one that held
    for last, ms in ((123, 70), (123, 30)):
        done = steps(*climbed, (113, 30), (134, 70), (last, ms))
        assert next_rate(done) is None
        assert saturation(done).rate == (113 if ms > 50 else 123)
    assert bracket(steps(*climbed, (113, 30), (134, 70))) == (113, 134)
    assert bracket(steps((5, 10), (10, 12))) == (10, None)  # nothing missed yet
    assert next_rate(steps((5, 60))) is None  # not even the first step held: nothing to bracket


def test_the_guests_a_run_created_leave_the_vocabulary_as_they_found_it(organization):
    """The mixed load creates copies of real guests' names; dropping them forgets their words, so that a run does not
    leave the typo stage counting a name once more than the dataset's guests hold it."""
    CustomerFactory(organization=organization, given_name="Hua", family_name="Wang")
    before = _counts(organization)
    customer_create(organization=organization, given_name="Hua", family_name="Wang", email=f"a1@{CREATED_DOMAIN}")
    customer_create(organization=organization, given_name="Qiaoxu", family_name="Wang", email=f"a2@{CREATED_DOMAIN}")
    assert _counts(organization)["wang"] == before["wang"] + 2

    assert forget_created_guests() == 2
    assert _counts(organization) == before  # qiaoxu, held by no guest any more, gone too


def _counts(organization) -> dict[str, int]:
    own = NameWord.objects.filter(organization=organization, key=F("word"))
    return dict(own.values_list("word", "guests"))
