"""Phone numbers as typed by staff → E.164, with the libphonenumber rules."""

from __future__ import annotations

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

INVALID_MESSAGE = _("Enter a valid phone number, with its country code (for example +1 415 555 0100).")


def to_e164(raw: str, *, region: str | None = None) -> str:
    """Normalize a typed number ("(415) 555-0100", "+86 138 0013 8000") to E.164; "" stays ""."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    try:
        number = phonenumbers.parse(raw, region or settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(INVALID_MESSAGE, code="invalid") from exc
    # "Possible" (right length for its country) rather than "valid": the metadata of
    # number ranges lags new ranges, and staff must be able to save a real guest.
    if not phonenumbers.is_possible_number(number):
        raise ValidationError(INVALID_MESSAGE, code="invalid")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())
