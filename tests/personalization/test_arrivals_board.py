"""The arrivals board on screen (issue 13): the desk's morning view in the staff's language, checking a guest
in from it logs the arrival once, and the board filters to the guests who need something."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from crm.models import Contact, Stay
from tests.personalization.conftest import TODAY

pytestmark = pytest.mark.django_db


@time_machine.travel("2026-12-01T17:30:00Z")  # 2 December in Shanghai
def test_the_desk_sees_todays_arrivals_and_checks_one_in(desk, board):
    plain, careful = board
    page = desk.get("/arrivals/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "2 arrivals" in html and "2 still to check in" in html and "1 with something to prepare" in html
    assert "Peanuts" in html and "Noisy room last time" in html and "Birthday cake" in html
    assert "Tomorrow" not in html and "Cancelled" not in html.split("<main>")[1].split("Show")[0]
    only = desk.get("/arrivals/", {"needs": "1"}).content.decode()
    assert "Careful" in only and ">Plain<" not in only

    stay = Stay.objects.get(customer=careful)
    done = desk.post(f"/stays/{stay.pk}/check-in/", follow=True)
    assert "Careful is checked in." in done.content.decode()
    assert desk.post(f"/stays/{stay.pk}/check-in/").status_code == 302  # twice: nothing more
    assert Contact.objects.filter(customer=careful, kind="arrival").count() == 1
    assert "In house since" in desk.get("/arrivals/").content.decode()


@time_machine.travel("2026-12-01T17:30:00Z")
def test_the_board_speaks_the_staffs_language_and_walks_the_days(desk, frontdesk, board):
    frontdesk.language = "zh-hant"
    frontdesk.save()
    html = desk.get("/arrivals/").content.decode()
    assert "抵達" in html and "2 位抵達" in html and "今天" in html
    later = desk.get("/arrivals/", {"date": str(TODAY + timedelta(days=1))}).content.decode()
    assert "Tomorrow" in later and "今天" not in later.split("<main>")[1]
    assert desk.get("/arrivals/", {"date": "nonsense"}).status_code == 200


def test_another_organizations_stay_cannot_be_checked_in(client, outsider, board):
    client.force_login(outsider.user)
    stay = Stay.objects.first()
    assert client.post(f"/stays/{stay.pk}/check-in/").status_code == 404
    assert Stay.objects.get(pk=stay.pk).checked_in_at is None
