"""Issue 11, finding 4: repeated wrong passwords lock the username (and the address) on every surface."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.utils import translation

pytestmark = pytest.mark.django_db

RIGHT = "s3cret-pass!"  # tests.factories.UserFactory
WRONG = "not-the-password"
LOCKED = "Too many failed sign-ins"


def token(client, username, password, **extra):
    return client.post(
        "/api/v1/auth/token/", {"username": username, "password": password}, content_type="application/json", **extra
    )


def form_login(client, username, password, **extra):
    return client.post("/accounts/login/", {"username": username, "password": password}, **extra)


def admin_login(client, username, password, **extra):
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": password}, **extra)


@pytest.fixture
def admin_manager(manager):
    manager.user.is_staff = True
    manager.user.save()
    return manager


def test_ten_wrong_passwords_lock_the_token_endpoint_with_429_and_retry_after(client, frontdesk, manager):
    # Given nine wrong passwords: still answered 400, and the right one would still work
    answers = [token(client, frontdesk.user.username, WRONG).status_code for _ in range(9)]
    assert answers == [400] * 9
    # When the tenth is wrong too
    tenth = token(client, frontdesk.user.username, WRONG)
    # Then the account is locked: even the right password is refused, with the wait in DRF's shape
    assert tenth.status_code == 429
    right = token(client, frontdesk.user.username, RIGHT)
    assert right.status_code == 429
    assert "token" not in right.json()
    assert right.json()["detail"].startswith(LOCKED)
    assert "15 minutes" in right.json()["detail"]
    assert right["Retry-After"] == "900"
    # And another user, from another address, signs in as usual
    assert token(client, manager.user.username, RIGHT, REMOTE_ADDR="10.1.1.2").status_code == 200


def test_nine_wrong_passwords_do_not_lock(client, frontdesk):
    for _ in range(9):
        token(client, frontdesk.user.username, WRONG)
    assert token(client, frontdesk.user.username, RIGHT).status_code == 200


def assert_locked_after_ten_wrong(login, client, username: str) -> None:
    """Ten wrong passwords through this login, then the right one is refused: 429 with the lockout's answer."""
    for _ in range(10):
        login(client, username, WRONG)
    response = login(client, username, RIGHT)
    assert response.status_code == 429
    assert LOCKED in response.content.decode()


def test_ten_wrong_passwords_lock_the_login_form(client, frontdesk, manager):
    assert_locked_after_ten_wrong(form_login, client, frontdesk.user.username)
    assert "_auth_user_id" not in client.session
    assert client.get("/").status_code == 302  # still asked to log in
    # Another user at another desk is not affected
    other = form_login(client, manager.user.username, RIGHT, REMOTE_ADDR="10.1.1.2")
    assert other.status_code == 302
    assert client.session["_auth_user_id"] == str(manager.user.pk)


def test_ten_wrong_passwords_lock_the_admin_login(client, admin_manager, django_user_model):
    assert_locked_after_ten_wrong(admin_login, client, admin_manager.user.username)
    assert client.get("/admin/").status_code == 302
    operator = django_user_model.objects.create_superuser("operator", password=RIGHT)
    other = admin_login(client, operator.username, RIGHT, REMOTE_ADDR="10.1.1.2")
    assert other.status_code == 302
    assert client.get("/admin/", REMOTE_ADDR="10.1.1.2").status_code == 200


def test_a_lockout_counts_across_surfaces(client, frontdesk):
    for _ in range(5):
        form_login(client, frontdesk.user.username, WRONG)
    for _ in range(5):
        token(client, frontdesk.user.username, WRONG)
    assert token(client, frontdesk.user.username, RIGHT).status_code == 429


def test_the_username_is_locked_whatever_the_address(client, frontdesk):
    for attempt in range(10):
        token(client, frontdesk.user.username, WRONG, REMOTE_ADDR=f"10.2.0.{attempt}")
    assert token(client, frontdesk.user.username, RIGHT, REMOTE_ADDR="10.9.9.9").status_code == 429


def test_an_address_guessing_many_usernames_is_locked(client, frontdesk):
    # Spraying one password over many usernames, with a forged X-Forwarded-For each time
    for attempt in range(10):
        token(client, f"guess{attempt}", WRONG, HTTP_X_FORWARDED_FOR=f"203.0.113.{attempt}")
    # The address itself is locked, even for a real user's right password
    assert token(client, frontdesk.user.username, RIGHT).status_code == 429
    assert token(client, frontdesk.user.username, RIGHT, REMOTE_ADDR="10.3.3.3").status_code == 200


@override_settings(RAPPORT_TRUSTED_PROXY_COUNT=1)
def test_behind_a_trusted_proxy_the_forwarded_client_is_counted(client, frontdesk):
    for attempt in range(10):
        token(client, f"guess{attempt}", WRONG, HTTP_X_FORWARDED_FOR="198.51.100.7", REMOTE_ADDR="10.0.0.1")
    assert (
        token(client, frontdesk.user.username, RIGHT, HTTP_X_FORWARDED_FOR="198.51.100.7", REMOTE_ADDR="10.0.0.1")
    ).status_code == 429
    # Another guest of the same proxy is someone else
    assert (
        token(client, frontdesk.user.username, RIGHT, HTTP_X_FORWARDED_FOR="198.51.100.8", REMOTE_ADDR="10.0.0.1")
    ).status_code == 200


@override_settings(AXES_FAILURE_LIMIT=3, AXES_COOLOFF_TIME=__import__("datetime").timedelta(minutes=2))
def test_the_limit_and_the_wait_are_configurable(client, frontdesk):
    for _ in range(3):
        token(client, frontdesk.user.username, WRONG)
    response = token(client, frontdesk.user.username, RIGHT)
    assert response.status_code == 429
    assert response["Retry-After"] == "120"


def test_the_lockout_is_over_after_the_cool_off(client, frontdesk, time_machine):
    time_machine.move_to("2026-12-01 10:00:00+00:00", tick=False)
    for _ in range(10):
        token(client, frontdesk.user.username, WRONG)
    time_machine.move_to("2026-12-01 10:14:00+00:00", tick=False)
    assert token(client, frontdesk.user.username, RIGHT).status_code == 429
    time_machine.move_to("2026-12-01 10:30:00+00:00", tick=False)
    assert token(client, frontdesk.user.username, RIGHT).status_code == 200


@pytest.mark.parametrize(("language", "expected"), [("zh-hans", "登录失败次数过多"), ("zh-hant", "登入失敗次數過多")])
def test_the_lockout_message_is_in_the_users_language(client, frontdesk, language, expected):
    for _ in range(10):
        form_login(client, frontdesk.user.username, WRONG)
    with translation.override(language):
        response = form_login(client, frontdesk.user.username, RIGHT, HTTP_ACCEPT_LANGUAGE=language)
    assert expected in response.content.decode()


def test_the_login_pages_still_show_their_forms(client):
    assert 'name="password"' in client.get("/accounts/login/").content.decode()
    admin_page = client.get("/admin/login/?next=/admin/")
    assert admin_page.status_code == 200
    assert 'name="password"' in admin_page.content.decode()
    assert 'value="/admin/"' in admin_page.content.decode()


def test_a_wrong_password_on_the_admin_login_says_so(client, admin_manager):
    response = admin_login(client, admin_manager.user.username, WRONG)
    assert response.status_code == 200
    assert "Please enter the correct username and password" in response.content.decode()
