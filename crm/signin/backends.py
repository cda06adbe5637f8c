"""django-axes' check, first of the authentication backends."""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend


class LockoutBackend(AxesStandaloneBackend):
    """Refuses a locked-out username or address before the password is checked. Every sign-in over HTTP
    (the login form, the admin, the token endpoint) passes its request; a call without one (a script, the
    test client's login()) has no address to count and is let through to the password check, where axes
    would refuse it outright."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
