"""API token authentication that loads the user's staff profile and organization in the same query."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token


class StaffTokenAuthentication(TokenAuthentication):
    """DRF's token scheme ("Authorization: Token <key>"); one query instead of three per request."""

    def authenticate_credentials(self, key):
        try:
            token = Token.objects.select_related("user__staff__organization").get(key=key)
        except Token.DoesNotExist as exc:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from exc
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return token.user, token
