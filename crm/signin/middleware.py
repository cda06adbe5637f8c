"""Screens' sessions: logged out when idle (shared desk computers), and sent to set up two-factor sign-in
first when the organization requires it."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse

LAST_SEEN = "rapport_last_seen"
SINCE = "rapport_session_since"
MUST_ENROL = "rapport_must_enrol"
# The last-seen time is written at most this often: not a session write on every request.
LAST_SEEN_RESOLUTION_SECONDS = 60


class IdleSessionTimeout:
    """Logs out a session that made no request for RAPPORT_SESSION_IDLE_MINUTES, or that has lasted
    SESSION_COOKIE_AGE (a shift, RAPPORT_SESSION_MAX_HOURS) however busy; the next page asks for the
    password again (login_required sends it to the login form, the API answers 401/403). API requests with
    a token have no session and are not concerned.

    The session's own expiry cannot do this alone: Django renews it at every save, and saving at every
    request (SESSION_SAVE_EVERY_REQUEST) would write the session row on every page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = int(time.time())
            session = request.session
            last_seen, since = session.get(LAST_SEEN), session.get(SINCE, now)
            if last_seen is not None and (
                now - last_seen > settings.RAPPORT_SESSION_IDLE_MINUTES * 60
                or now - since >= settings.SESSION_COOKIE_AGE
            ):
                logout(request)
            elif last_seen is None or now - last_seen >= LAST_SEEN_RESOLUTION_SECONDS:
                session[LAST_SEEN] = now
                session.setdefault(SINCE, now)
        return self.get_response(request)


class TwoFactorEnrolmentRequired:
    """A manager or admin whose organization requires two-factor sign-in and who logged in without it is
    sent to set it up before any other page (the flag is set at login: crm.signin.views)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and session.get(MUST_ENROL) and request.user.is_authenticated:
            allowed = (reverse("two-factor"), reverse("logout"), reverse("set_language"))
            if request.path not in allowed:
                return redirect("two-factor")
        return self.get_response(request)
