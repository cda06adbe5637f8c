"""Shared fixtures: two organizations, a staff member per role, API clients with tokens.

Tests marked ``postgres`` run only on PostgreSQL (skipped with a reason on
SQLite). Tests marked ``redis`` need the Redis broker; outside CI they are
skipped when it is down, in CI (CI=true) a missing Redis is a failure.

The suite runs in pytest-xdist's workers (pyproject.toml: `-n auto`, at most 4; `-n 0` runs it in one process):
each has its own test database (pytest-django names it), its own Redis database (REDIS_URL below) and its own
temporary folders. A module's tests run in one worker (`--dist loadscope`: its module fixtures start once), and
the modules that start throwaway PostgreSQL and Redis servers all in one, sent first (pytest_xdist_make_scheduler).
"""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime, time
from urllib.parse import urlparse

import pytest
import time_machine
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import translation
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from crm import services
from tests.factories import CustomerFactory, PropertyFactory, StaffFactory


def _redis_of_this_worker(url: str) -> str:
    """The broker's database for this xdist worker: the given one for the first worker, one less for each next
    (gw1 of redis://…/15 uses 14): a Celery worker a test starts must never take a task another worker's test
    sent, to run it against the wrong test database. `.ci/run` gives the two suites bases four apart."""
    number = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    parsed = urlparse(url)
    database = int(parsed.path.strip("/") or 0) - number
    if database < 0:
        raise pytest.UsageError(f"{url}: too few Redis databases below it for xdist worker gw{number}")
    return parsed._replace(path=f"/{database}").geturl()


REDIS_URL = _redis_of_this_worker(os.environ.get("CELERY_TEST_BROKER_URL", "redis://127.0.0.1:6379/15"))


def _reachable(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port or 6379), timeout=1):
            return True
    except OSError:
        return False


# The modules that start throwaway PostgreSQL and Redis servers (tests/faults/servers.py).
THROWAWAY_SERVER_MODULES = ("tests/faults/", "tests/test_replica.py")
SERVERS_UNIT = "throwaway-servers"


def pytest_xdist_make_scheduler(config, log):
    """xdist's loadscope, with the modules that start throwaway servers as one unit of work: one worker runs them
    all, so the fault tests' session PostgreSQL starts once and two workers never race for the servers' ports
    (chosen free, then bound seconds later). Not xdist_group marks with `--dist loadgroup`: xdist 3.8 renames a
    grouped test's `_nodeid`, which pytest 9.2 no longer reads, and the group's tests went to both workers."""
    from collections import OrderedDict

    from xdist.scheduler import LoadScopeScheduling

    class ServersFirst(OrderedDict):
        """xdist's queue of units (the most tests first), with the servers' unit at its head: its ~2 minutes in
        one worker begin while the other takes the rest (as the 49th of 123 units it ran alone at the end)."""

        def __setitem__(self, scope, tests):
            super().__setitem__(scope, tests)
            if scope == SERVERS_UNIT:
                self.move_to_end(scope, last=False)

    class Scheduling(LoadScopeScheduling):
        def __init__(self, config, log):
            super().__init__(config, log)
            self.workqueue = ServersFirst()

        def _split_scope(self, nodeid: str) -> str:
            return SERVERS_UNIT if nodeid.startswith(THROWAWAY_SERVER_MODULES) else super()._split_scope(nodeid)

    return Scheduling(config, log)


def pytest_collection_modifyitems(config, items):
    in_ci = os.environ.get("CI", "").lower() in ("1", "true", "yes")
    redis_up = _reachable(REDIS_URL)
    # A skip mark, not a fixture that skips: marks are read before any fixture is set up, so on SQLite a
    # PostgreSQL-only test never starts the session's throwaway PostgreSQL (tests/faults) only to skip.
    on_postgres = connection.vendor == "postgresql"
    for item in items:
        if item.get_closest_marker("postgres") and not on_postgres:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL=postgres://...)"))
        if "redis" in item.keywords and not redis_up and not in_ci:
            item.add_marker(pytest.mark.skip(reason=f"Redis not reachable at {REDIS_URL}"))


@pytest.fixture
def migrate():
    """For tests of a data migration (with ``django_db(transaction=True)``): a function that migrates the test
    database to the given targets ([(app, migration name)]) and returns the apps of that state."""

    def to(targets):
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(targets)
        return executor.loader.project_state(targets).apps

    return to


@pytest.fixture
def property_(db):
    return PropertyFactory(name="Harbour Hotel")


@pytest.fixture
def organization(property_):
    return property_.organization


@pytest.fixture
def other_property(db):
    return PropertyFactory(name="Elsewhere Inn")


@pytest.fixture
def frontdesk(property_):
    return StaffFactory(property=property_)  # the factory's role: front desk


@pytest.fixture
def manager(property_):
    return StaffFactory(property=property_, role="manager")


@pytest.fixture
def outsider(other_property):
    """Front desk of another organization."""
    return StaffFactory(property=other_property)


def _client_for(staff) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=staff.user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def api(frontdesk) -> APIClient:
    """An API client authenticated as front desk of `organization`."""
    return _client_for(frontdesk)


@pytest.fixture
def manager_api(manager) -> APIClient:
    return _client_for(manager)


@pytest.fixture
def outsider_api(outsider) -> APIClient:
    return _client_for(outsider)


@pytest.fixture
def desk(client, frontdesk):
    """The browser of a front-desk member, signed in to the screens."""
    client.force_login(frontdesk.user)
    return client


@pytest.fixture
def boss(client, manager):
    """The browser of a manager, signed in to the screens."""
    client.force_login(manager.user)
    return client


@pytest.fixture
def admin_manager(client, organization, property_):
    """A manager signed in to the admin (staff_upsert gives managers their admin permissions)."""
    staff = services.staff_upsert(
        username="boss",
        password="s3cret-pass!",
        organization_name=organization.name,
        property_name=property_.name,
        role="manager",
    )
    client.force_login(staff.user)
    return staff


@pytest.fixture
def customer(organization):
    return CustomerFactory(organization=organization, siobhan=True)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2's deliberate slowness is a production property; tests make many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    # The manifest storage of production needs collectstatic; tests render templates without it.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def pytest_configure(config):
    # WhiteNoise serves STATIC_ROOT, which collectstatic makes in production (and warns when it is missing);
    # the tests collect nothing into it. Before collection: a test module that imports the WSGI application
    # (tests/test_api_fuzz.py) loads WhiteNoise while it is collected.
    from django.conf import settings

    os.makedirs(settings.STATIC_ROOT, exist_ok=True)


@pytest.fixture(autouse=True)
def _tokens_outlive_time_travel(settings):
    # The fixtures' API clients hold tokens issued now; tests that travel weeks ahead (merges undone after 30
    # days, nightly planners) keep them. tests/crm/signin/test_tokens.py sets the lifetime back to test expiry.
    settings.RAPPORT_API_TOKEN_DAYS = 3650


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    # The API's rate limits count in the default cache (local memory in tests, which outlives a test): each
    # test starts from zero. Lockouts need nothing: django-axes counts in the database, rolled back.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _default_language():
    # A request by a staff member with a screen language activates it for the thread (StaffLanguageMiddleware),
    # and nothing resets it: a later test calling services directly would speak that language.
    with translation.override("en"):
        yield


@pytest.fixture
def hotel_noon():
    """Noon today at PropertyFactory's hotel (Shanghai, UTC+8), when UTC's date and the hotel's agree. The gift
    rules' tests count days from UTC's date; from 16:00 to 24:00 UTC the hotel is already on the next day, where
    the planner plans and the brief reads the rules again (one more query): those tests run at the hotel's noon."""
    today = datetime.now(UTC).date()
    with time_machine.travel(datetime.combine(today, time(4, 0), tzinfo=UTC), tick=True):
        yield
