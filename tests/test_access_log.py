"""gunicorn's access log as production configures it (README, Production) keeps no guest data: no lookup
text, no signed link (issue 11)."""

from __future__ import annotations

import datetime
import logging
from types import SimpleNamespace

from gunicorn.config import Config

from config.gunicorn_logging import GuestSafeLogger

TOKEN = "eyJ0IjoxfQ:1xYXaw:zO-kYaznsv42cyIqfR0sSmvRgTLjovKuXazQtByMf18"


def _logged(path: str, query: str = "", referer: str = "-", method: str = "GET") -> str:
    config = Config()
    config.set("accesslog", "-")
    logger = GuestSafeLogger(config)
    lines = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())
    logger.access_log.handlers = [handler]
    environ = {
        "REQUEST_METHOD": method,
        "RAW_URI": f"{path}?{query}" if query else path,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.0.0.7",
        "HTTP_REFERER": referer,
    }
    response = SimpleNamespace(status="200 OK", sent=512, headers=[])
    request = SimpleNamespace(headers=[("REFERER", referer)])
    logger.access(response, request, environ, datetime.timedelta(milliseconds=12))
    return "\n".join(lines)


def test_a_lookup_leaves_no_name_in_the_access_log():
    line = _logged("/api/v1/customers/", "q=zhang%20wei")
    assert "/api/v1/customers/" in line and " 200 " in line
    assert "zhang" not in line


def test_a_signed_link_and_its_referer_leave_no_token_in_the_access_log():
    line = _logged(f"/t/feedback/{TOKEN}/", "score=4", referer=f"https://rapport.example.com/t/feedback/{TOKEN}/")
    assert "/t/feedback/[signed]/" in line
    assert TOKEN not in line and "1xYXaw" not in line
