"""Today's arrivals (issue 13): each arriving guest with what to prepare, for the property's date; filterable to
the guests who need something; every guest shown is in their access log; another organization's property is
not found."""

from __future__ import annotations

import gc
import json
import weakref

import pytest
import time_machine
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import RequestFactory
from rest_framework.authtoken.models import Token

from crm.models import AccessRecord

pytestmark = pytest.mark.django_db


@time_machine.travel("2026-12-01T17:30:00Z")  # 01:30 on 2 December in Shanghai
def test_the_board_shows_todays_arrivals_at_the_property_with_what_to_prepare(api, board):
    plain, careful = board
    rows = api.get("/api/v1/arrivals/").json()
    assert [row["customer"]["display_name"] for row in rows] == ["Plain", "Careful"]  # today there, in order
    first, second = rows
    assert first["needs_something"] is False and first["first_visit"] is True and first["safety"] == []
    assert second["needs_something"] is True and second["vip"] is True
    assert [s["text"] for s in second["safety"]] == ["Peanuts"] and second["safety"][0]["polarity"] == "avoid"
    assert [i["summary"] for i in second["issues"]] == ["Noisy room last time"]
    assert second["occasions"] == [{"occasion": "birthday", "on": "2026-12-03"}]
    assert [d["gift"] for d in second["delights"]] == ["Birthday cake"]
    assert second["stay"]["nights"] == 2 and second["stay"]["status"] == "expected"
    needing = api.get("/api/v1/arrivals/", {"needs": "true"}).json()
    assert [row["customer"]["id"] for row in needing] == [careful.pk]
    # Who looked at the arriving guests' allergies is in their access log.
    assert AccessRecord.objects.filter(customer_id=careful.pk, action="arrivals").count() == 2


@time_machine.travel("2026-12-01T17:30:00Z")
def test_a_checked_in_guest_goes_last_and_no_longer_counts_this_stay_as_a_visit_before(api, board):
    plain, _careful = board
    stay = api.get("/api/v1/arrivals/").json()[0]["stay"]
    assert api.post(f"/api/v1/stays/{stay['id']}/check-in/").status_code == 200
    rows = api.get("/api/v1/arrivals/").json()
    assert rows[-1]["customer"]["id"] == plain.pk
    assert rows[-1]["stay"]["status"] == "in_house" and rows[-1]["first_visit"] is True


def test_another_day_and_bad_queries(api, board, other_property):
    assert api.get("/api/v1/arrivals/", {"date": "2026-12-03"}).json()[0]["customer"]["display_name"] == "Tomorrow"
    assert api.get("/api/v1/arrivals/", {"date": "2026-13-01"}).status_code == 400
    assert api.get("/api/v1/arrivals/", {"property": other_property.pk}).status_code == 400
    assert api.get("/api/v1/arrivals/", {"property": 10**20}).status_code == 400


@time_machine.travel("2026-12-01T17:30:00Z")
@pytest.mark.parametrize(
    ("language", "said"), [("en", "2 nights with us."), ("zh-hans", "本次入住2晚。"), ("zh-hant", "本次入住2晚。")]
)
def test_the_greeting_mentions_the_stay_a_pms_told_of(api, board, language, said):
    _plain, careful = board
    careful.language = language
    careful.save()
    greet = api.get(f"/api/v1/customers/{careful.pk}/brief/").json()["greet"]
    assert greet["text"].endswith(said)
    assert greet["stay"] == {"arrival": "2026-12-02", "departure": "2026-12-04", "nights": 2, "room": ""}


def test_no_stay_no_word_of_it(api, customer):
    greet = api.get(f"/api/v1/customers/{customer.pk}/brief/").json()["greet"]
    assert greet["stay"] is None and "with us" not in greet["text"]


@time_machine.travel("2026-12-01T17:30:00Z")
def test_a_served_board_is_freed_at_once_not_left_to_a_later_request(frontdesk, board):
    """Given the board served by the WSGI application as a server serves it, when the server lets go of the
    answer, then the answer and its rows are freed there and then: not kept alive in reference cycles until the
    garbage collector's next pass, which freed several boards at once inside some later request (15–20 ms of
    it every eighth board of 500 guests, bench/run arrivals)."""
    token, _ = Token.objects.get_or_create(user=frontdesk.user)
    environ = RequestFactory().get("/api/v1/arrivals/", HTTP_AUTHORIZATION=f"Token {token.key}").environ
    statuses = []
    # As Django's test client does: the signals would close the test's connection, inside its transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    gc.disable()
    try:
        response = WSGIHandler()(environ, lambda status, headers, exc_info=None: statuses.append(status))
        rows = json.loads(b"".join(response))
        response.close()
        answer = weakref.ref(response)
        del response
        assert answer() is None
    finally:
        gc.enable()
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    assert statuses == ["200 OK"] and [row["customer"]["display_name"] for row in rows] == ["Plain", "Careful"]
