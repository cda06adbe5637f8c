"""Secrets kept in the database, encrypted at rest (README "Secrets at rest"): Fernet tokens (AES-128-CBC with
an HMAC-SHA256 over it: a changed byte is detected, never decrypted to something else) under the keys of
RAPPORT_FIELD_KEYS — the first encrypts, every one decrypts, so a new key goes first and the old ones stay
until ``manage.py reencrypt_secrets`` has rewritten every value under the new one."""

from __future__ import annotations

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

UNDECRYPTABLE = "cannot be decrypted with RAPPORT_FIELD_KEYS (the stored value was altered, or its key was removed)"


class Undecryptable(Exception):
    """A stored value that none of RAPPORT_FIELD_KEYS opens: altered in the database, or its key was removed."""


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        # Only a tooling command (manage.py migrate without DEBUG) runs without keys: config/settings.py.
        raise ImproperlyConfigured(
            "RAPPORT_FIELD_KEYS is not set: it is needed to encrypt and decrypt the secrets kept in the database."
        )
    return MultiFernet([Fernet(key) for key in keys])


def _keys() -> MultiFernet:
    return _fernet(tuple(settings.RAPPORT_FIELD_KEYS))


def encrypt(plaintext: str) -> str:
    """A token (url-safe base64 text) for plaintext under the first key; a new one at every call."""
    return _keys().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    """The plaintext of a token made by encrypt() under any of the keys; Undecryptable otherwise."""
    try:
        return _keys().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise Undecryptable(UNDECRYPTABLE) from exc


def reencrypt(token: str) -> str:
    """The same plaintext under the first key (key rotation); Undecryptable as decrypt()."""
    try:
        return _keys().rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise Undecryptable(UNDECRYPTABLE) from exc
