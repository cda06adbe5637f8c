"""Issue 11, Access: two-factor sign-in (TOTP with recovery codes) on the login form, the admin and the API,
and an organization that requires it of managers and admins. Codes are computed as an authenticator app
computes them (RFC 6238, django_otp.oath)."""

from __future__ import annotations

import re
import time

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.django_db

RIGHT = "s3cret-pass!"


def app_code(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """What the phone shows now (or steps_ahead periods later: a code is accepted once)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():06d}"


def enrol(client, staff) -> tuple[TOTPDevice, list[str]]:
    """Set up two-factor sign-in on the screen, as the user would; returns the device and the recovery codes."""
    client.force_login(staff.user)
    page = client.get("/accounts/two-factor/")
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=staff.user)
    secret = re.search(r"<code>([A-Z2-7]+)</code>", page.content.decode()).group(1)
    assert secret == __import__("base64").b32encode(device.bin_key).decode()
    done = client.post("/accounts/two-factor/", {"action": "confirm", "code": app_code(device)})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-7]+)</code></li>", done.content.decode())
    client.logout()
    return device, codes


def sign_in(client, username, password=RIGHT, url="/accounts/login/"):
    return client.post(url, {"username": username, "password": password})


def test_enrolling_shows_the_secret_and_a_qr_code_and_confirms_with_a_code(client, frontdesk):
    client.force_login(frontdesk.user)
    page = client.get("/accounts/two-factor/")
    assert "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=frontdesk.user)
    wrong = client.post("/accounts/two-factor/", {"action": "confirm", "code": "000000"})
    assert "That code is not right" in wrong.content.decode()
    assert not TOTPDevice.objects.get(pk=device.pk).confirmed
    done = client.post("/accounts/two-factor/", {"action": "confirm", "code": app_code(device)})
    codes = re.findall(r"<li><code>([a-z2-7]+)</code></li>", done.content.decode())
    assert len(codes) == 10
    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    # Shown once: the page now says it is on, without the codes
    again = client.get("/accounts/two-factor/").content.decode()
    assert "Two-factor sign-in is on" in again
    assert not any(code in again for code in codes)


def test_the_login_form_asks_for_the_code_after_the_password(client, frontdesk, time_machine):
    device, _codes = enrol(client, frontdesk)
    response = sign_in(client, frontdesk.user.username)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/code/"
    assert "_auth_user_id" not in client.session  # not logged in by the password alone
    assert client.get("/").status_code == 302
    wrong = client.post("/accounts/login/code/", {"code": "123456"})
    assert "That code is not right" in wrong.content.decode()
    assert "_auth_user_id" not in client.session
    time_machine.move_to(
        time.time() + 5
    )  # django-otp makes the next try wait a second after a wrong code (doubling each time)
    right = client.post("/accounts/login/code/", {"code": app_code(device, steps_ahead=1)})
    assert right.status_code == 302
    assert client.session["_auth_user_id"] == str(frontdesk.user.pk)
    assert client.get("/").status_code == 200


def test_the_code_step_keeps_where_the_user_was_going(client, frontdesk):
    device, _codes = enrol(client, frontdesk)
    client.post("/accounts/login/", {"username": frontdesk.user.username, "password": RIGHT, "next": "/duplicates/"})
    response = client.post("/accounts/login/code/", {"code": app_code(device, steps_ahead=1)})
    assert response["Location"] == "/duplicates/"


def test_a_recovery_code_works_once(client, frontdesk):
    _device, codes = enrol(client, frontdesk)
    sign_in(client, frontdesk.user.username)
    assert client.post("/accounts/login/code/", {"code": codes[0].upper()}).status_code == 302
    client.logout()
    sign_in(client, frontdesk.user.username)
    reused = client.post("/accounts/login/code/", {"code": codes[0]})
    assert "That code is not right" in reused.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_code_step_without_a_password_goes_back_to_the_login(client, frontdesk):
    enrol(client, frontdesk)
    assert client.get("/accounts/login/code/")["Location"] == "/accounts/login/"


def test_ten_wrong_codes_lock_the_account(client, frontdesk):
    device, _codes = enrol(client, frontdesk)
    sign_in(client, frontdesk.user.username)
    for _ in range(10):
        response = client.post("/accounts/login/code/", {"code": "000000"})
    assert response.status_code == 429
    sign_in(client, frontdesk.user.username)
    assert "_auth_user_id" not in client.session
    assert client.get("/accounts/login/code/").status_code == 302  # the pending sign-in was dropped


def test_the_admin_login_asks_for_the_code(client, manager):
    manager.user.is_staff = True
    manager.user.save()
    device, _codes = enrol(client, manager)
    response = client.post("/admin/login/?next=/admin/", {"username": manager.user.username, "password": RIGHT})
    assert response["Location"] == "/accounts/login/code/"
    assert client.get("/admin/").status_code == 302
    done = client.post("/accounts/login/code/", {"code": app_code(device, steps_ahead=1)})
    assert done["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def token(client, username, **extra):
    return client.post(
        "/api/v1/auth/token/", {"username": username, "password": RIGHT, **extra}, content_type="application/json"
    )


def test_a_token_request_needs_the_code(client, frontdesk, time_machine):
    device, codes = enrol(client, frontdesk)
    missing = token(client, frontdesk.user.username)
    assert missing.status_code == 400
    assert "otp" in missing.json()
    wrong = token(client, frontdesk.user.username, otp="000000")
    assert wrong.status_code == 400
    assert wrong.json()["otp"] == ["That code is not right, or it was already used."]
    time_machine.move_to(time.time() + 5)  # django-otp's wait after a wrong code
    right = token(client, frontdesk.user.username, otp=app_code(device, steps_ahead=1))
    assert right.status_code == 200
    assert "token" in right.json()
    assert token(client, frontdesk.user.username, otp=codes[1]).status_code == 200


def test_wrong_codes_on_the_token_endpoint_lock_the_account(client, frontdesk):
    device, _codes = enrol(client, frontdesk)
    for _ in range(10):
        response = token(client, frontdesk.user.username, otp="000000")
    assert response.status_code == 429
    assert token(client, frontdesk.user.username, otp=app_code(device, steps_ahead=1)).status_code == 429


@pytest.fixture
def strict_organization(organization):
    organization.require_two_factor = True
    organization.save()
    return organization


def test_a_manager_of_a_strict_organization_is_sent_to_enrol_first(client, manager, strict_organization):
    response = sign_in(client, manager.user.username)
    assert response["Location"] == "/accounts/two-factor/"
    # Nothing else until it is set up
    assert client.get("/")["Location"] == "/accounts/two-factor/"
    assert client.get("/duplicates/")["Location"] == "/accounts/two-factor/"
    page = client.get("/accounts/two-factor/")
    assert "Your organization requires two-factor sign-in" in page.content.decode()
    device = TOTPDevice.objects.get(user=manager.user)
    client.post("/accounts/two-factor/", {"action": "confirm", "code": app_code(device)})
    assert client.get("/").status_code == 200
    # And it cannot be turned off
    client.post("/accounts/two-factor/", {"action": "disable"})
    assert TOTPDevice.objects.filter(user=manager.user, confirmed=True).exists()


def test_front_desk_of_a_strict_organization_is_not_asked(client, frontdesk, strict_organization):
    assert sign_in(client, frontdesk.user.username)["Location"] == "/"
    assert client.get("/").status_code == 200


def test_a_manager_of_a_strict_organization_without_a_device_gets_no_token(client, manager, strict_organization):
    response = token(client, manager.user.username)
    assert response.status_code == 400
    assert "requires two-factor sign-in" in response.json()["otp"][0]


def test_two_factor_can_be_turned_off_where_not_required(client, frontdesk):
    enrol(client, frontdesk)
    client.force_login(frontdesk.user)
    client.post("/accounts/two-factor/", {"action": "disable"})
    client.logout()
    assert sign_in(client, frontdesk.user.username)["Location"] == "/"


@pytest.mark.parametrize(("language", "expected"), [("zh-hans", "双重验证登录"), ("zh-hant", "雙重驗證登入")])
def test_the_two_factor_screen_speaks_the_staff_language(client, frontdesk, language, expected):
    frontdesk.language = language
    frontdesk.save()
    client.force_login(frontdesk.user)
    assert expected in client.get("/accounts/two-factor/").content.decode()


def test_a_manager_requires_two_factor_for_the_organization_in_the_admin(client, manager, organization):
    from crm import services

    manager.user.is_staff = True
    manager.user.save()
    manager.user.groups.add(services.manager_group())
    client.force_login(manager.user)
    response = client.post(
        f"/admin/crm/organization/{organization.pk}/change/", {"name": organization.name, "require_two_factor": "on"}
    )
    assert response.status_code == 302, response.content
    organization.refresh_from_db()
    assert organization.require_two_factor
    # From the next login on, they are asked to set it up
    client.logout()
    assert sign_in(client, manager.user.username)["Location"] == "/accounts/two-factor/"


def test_a_sign_in_whose_user_was_deactivated_meanwhile_starts_again(client, frontdesk):
    enrol(client, frontdesk)
    sign_in(client, frontdesk.user.username)
    frontdesk.user.is_active = False
    frontdesk.user.save()
    response = client.post("/accounts/login/code/", {"code": "123456"})
    assert response["Location"] == "/accounts/login/"
