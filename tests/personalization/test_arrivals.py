"""Today's arrivals (issue 13): each arriving guest with what to prepare, for the property's date; filterable to
the guests who need something; every guest shown is in their access log; another organization's property is
not found."""

from __future__ import annotations

import pytest
import time_machine

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
