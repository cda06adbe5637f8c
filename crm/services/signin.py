"""Signing in: API tokens (issued, rotated, revoked) and second factors (enrolled, checked, recovery codes).

A user has one API token (rest_framework.authtoken): logging in again replaces it, so a token copied to
a second device stops working when the first device logs in again (README "Signing in")."""

from __future__ import annotations

from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp import match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from crm import selectors

# The code of the refusal of a user whose organization requires a second factor they have not set up (not a
# failed sign-in: nothing was guessed).
NOT_SET_UP = "two_factor_not_set_up"
# Recovery codes given at enrolment: each works once, in place of a code from the app.
RECOVERY_CODE_COUNT = 10
DEVICE_NAME = "default"


@transaction.atomic
def token_issue(*, user) -> Token:
    """A fresh API token for a user who just proved who they are; their previous one stops working."""
    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user)


def token_revoke(*, user) -> int:
    """Revoke the user's API token (logout, a password change); how many were revoked."""
    deleted, _per_model = Token.objects.filter(user=user).delete()
    return deleted


def sign_in_failed(*, request, username: str) -> None:
    """Count a failed sign-in that got past the password (a wrong or missing second factor) as django-axes
    counts a wrong password: the same lockout covers both."""
    user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)


def second_factor_check(*, user, code: str | None, field: str) -> object | None:
    """The device that accepts this code (an authenticator code or an unused recovery code, which is used
    up), None when the user needs no second factor; ValidationError({field: ...}) when the code is missing
    or wrong, or when the organization requires one the user has not set up."""
    if not selectors.has_second_factor(user):
        staff = selectors.staff_of(user)
        if staff is not None and staff.must_use_two_factor:
            raise ValidationError(
                {
                    field: ValidationError(
                        _("Your organization requires two-factor sign-in: set it up first."), NOT_SET_UP
                    )
                }
            )
        return None
    code = "".join((code or "").split()).lower()
    if not code:
        raise ValidationError({field: ValidationError(_("Enter the code from your authenticator app."), "required")})
    device = match_token(user, code)
    if device is None:
        raise ValidationError({field: ValidationError(_("That code is not right, or it was already used."), "invalid")})
    return device


@transaction.atomic
def two_factor_start(*, user) -> TOTPDevice:
    """The authenticator secret a user is about to set up (kept until confirmed, so reloading the page shows
    the same one); nothing changes for a user who has already set one up."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


@transaction.atomic
def two_factor_confirm(*, user, code: str) -> list[str]:
    """Turn on two-factor sign-in once the app shows the right code: the secret is confirmed, any earlier
    device is removed, and fresh recovery codes are returned (shown once, never again)."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("pk").first()
    code = "".join((code or "").split())
    if device is None or not code or not device.verify_token(code):
        raise ValidationError({"code": [_("That code is not right. Enter the code your app shows now.")]})
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return recovery_codes_renew(user=user)


@transaction.atomic
def recovery_codes_renew(*, user) -> list[str]:
    """New recovery codes for the user (the old ones stop working)."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="recovery", confirmed=True)
    codes = [StaticToken.random_token() for _index in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


@transaction.atomic
def two_factor_disable(*, user) -> None:
    """Turn two-factor sign-in off (refused when the organization requires it of this user)."""
    staff = selectors.staff_of(user)
    if staff is not None and staff.must_use_two_factor:
        raise ValidationError(_("Your organization requires two-factor sign-in of managers and admins."))
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
