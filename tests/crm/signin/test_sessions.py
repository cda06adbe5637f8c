"""Issue 11, hardening: a screen session left idle on a shared desk computer is logged out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


def test_an_idle_session_is_logged_out(client, frontdesk, time_machine):
    time_machine.move_to("2026-12-01 10:00:00+00:00", tick=False)
    client.force_login(frontdesk.user)
    assert client.get("/").status_code == 200
    time_machine.shift(timedelta(minutes=31))
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session


def test_a_session_in_use_stays_logged_in(client, frontdesk, time_machine):
    time_machine.move_to("2026-12-01 10:00:00+00:00", tick=False)
    client.force_login(frontdesk.user)
    for _ in range(4):  # two hours of work, a page every 25 minutes
        assert client.get("/").status_code == 200
        time_machine.shift(timedelta(minutes=25))
    assert client.get("/").status_code == 200


@override_settings(RAPPORT_SESSION_IDLE_MINUTES=5)
def test_the_idle_time_is_configurable(client, frontdesk, time_machine):
    time_machine.move_to("2026-12-01 10:00:00+00:00", tick=False)
    client.force_login(frontdesk.user)
    assert client.get("/").status_code == 200
    time_machine.shift(timedelta(minutes=6))
    assert client.get("/").status_code == 302


def test_a_busy_session_ends_after_a_shift(client, frontdesk, time_machine):
    time_machine.move_to("2026-12-01 08:00:00+00:00", tick=False)
    client.force_login(frontdesk.user)
    for _ in range(12 * 4):  # twelve hours, a page every quarter of an hour
        assert client.get("/").status_code == 200
        time_machine.shift(timedelta(minutes=15))
    assert client.get("/").status_code == 302
