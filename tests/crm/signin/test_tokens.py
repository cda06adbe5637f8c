"""Issue 11, finding 5: API tokens expire, are rotated by logging in, revoked by logout and by a password change."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core.management import call_command
from django.test import override_settings

pytestmark = pytest.mark.django_db

RIGHT = "s3cret-pass!"


@pytest.fixture(autouse=True)
def _production_lifetime(settings):
    # config/settings.py's default (RAPPORT_API_TOKEN_DAYS=5); tests/conftest.py lengthens it for other tests.
    settings.RAPPORT_API_TOKEN_DAYS = 5


def issue(client, staff):
    response = client.post(
        "/api/v1/auth/token/",
        {"username": staff.user.username, "password": RIGHT},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()


def customers(client, key):
    return client.get("/api/v1/customers/", HTTP_AUTHORIZATION=f"Token {key}")


def test_a_token_works_for_five_days_then_answers_401(client, frontdesk, time_machine):
    time_machine.move_to("2026-12-07 09:00:00+00:00", tick=False)
    answer = issue(client, frontdesk)
    assert datetime.fromisoformat(answer["expires_at"]) == datetime.fromisoformat("2026-12-12 09:00:00+00:00")
    time_machine.move_to("2026-12-12 08:59:00+00:00", tick=False)
    assert customers(client, answer["token"]).status_code == 200
    time_machine.move_to("2026-12-12 09:00:01+00:00", tick=False)
    expired = customers(client, answer["token"])
    assert expired.status_code == 401
    assert "expired" in expired.json()["detail"]


@override_settings(RAPPORT_API_TOKEN_DAYS=1)
def test_the_lifetime_is_configurable(client, frontdesk, time_machine):
    time_machine.move_to("2026-12-07 09:00:00+00:00", tick=False)
    key = issue(client, frontdesk)["token"]
    time_machine.shift(timedelta(days=1, seconds=1))
    assert customers(client, key).status_code == 401


def test_logging_in_again_rotates_the_token(client, frontdesk):
    first = issue(client, frontdesk)["token"]
    second = issue(client, frontdesk)["token"]
    assert first != second
    assert customers(client, second).status_code == 200
    assert customers(client, first).status_code == 401


def test_logout_revokes_the_token(client, frontdesk):
    key = issue(client, frontdesk)["token"]
    response = client.post("/api/v1/auth/logout/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 204
    assert customers(client, key).status_code == 401
    assert client.post("/api/v1/auth/logout/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401


def test_logout_without_a_token_is_401(client):
    assert client.post("/api/v1/auth/logout/").status_code == 401


def test_a_password_change_in_code_revokes_the_token(client, frontdesk):
    key = issue(client, frontdesk)["token"]
    frontdesk.user.set_password("a-new-pass-phrase")
    frontdesk.user.save()
    assert customers(client, key).status_code == 401


def test_saving_a_user_without_changing_the_password_keeps_the_token(client, frontdesk):
    key = issue(client, frontdesk)["token"]
    frontdesk.user.first_name = "Mei"
    frontdesk.user.save()
    assert customers(client, key).status_code == 200


def test_create_staff_changing_the_password_revokes_the_token(client, frontdesk):
    key = issue(client, frontdesk)["token"]
    call_command(
        "create_staff",
        frontdesk.user.username,
        "--password",
        "another-pass-43",
        "--organization",
        frontdesk.organization.name,
        "--role",
        "frontdesk",
    )
    assert customers(client, key).status_code == 401


def test_a_password_changed_in_the_admin_revokes_the_token(client, frontdesk, django_user_model):
    key = issue(client, frontdesk)["token"]
    operator = django_user_model.objects.create_superuser("operator", password=RIGHT)
    admin = type(client)()
    admin.force_login(operator)
    response = admin.post(
        f"/admin/auth/user/{frontdesk.user.pk}/password/",
        {"password1": "changed-by-admin-7", "password2": "changed-by-admin-7", "usable_password": "true"},
    )
    assert response.status_code == 302, response.content
    assert customers(client, key).status_code == 401


def test_a_password_changed_on_the_password_change_form_revokes_the_token(client, manager):
    manager.user.is_staff = True
    manager.user.save()
    key = issue(client, manager)["token"]
    browser = type(client)()
    browser.force_login(manager.user)
    response = browser.post(
        "/admin/password_change/",
        {"old_password": RIGHT, "new_password1": "a-fresh-pass-phrase", "new_password2": "a-fresh-pass-phrase"},
    )
    assert response.status_code == 302, response.content
    assert customers(client, key).status_code == 401
