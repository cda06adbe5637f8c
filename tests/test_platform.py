"""Auth, health, schema, commands and screens: the service as a whole."""

from __future__ import annotations

import email
import gc
import logging
import os
import subprocess
import sys
import weakref

import kombu
import pytest
from celery import Celery
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import override_settings
from rest_framework.authtoken.models import Token

from crm.models import Customer, Organization, Staff
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


# --- token auth ----------------------------------------------------------------


def test_token_for_good_credentials_works_on_the_api(client, frontdesk):
    response = client.post(
        "/api/v1/auth/token/",
        {"username": frontdesk.user.username, "password": "s3cret-pass!"},
        content_type="application/json",
    )
    assert response.status_code == 200
    token = response.json()["token"]
    listed = client.get("/api/v1/customers/", HTTP_AUTHORIZATION=f"Token {token}")
    assert listed.status_code == 200


@pytest.mark.parametrize("payload", [{"username": "nobody", "password": "x"}, {"username": "only"}, {}])
def test_token_for_bad_credentials_is_400(client, frontdesk, payload):
    response = client.post("/api/v1/auth/token/", payload, content_type="application/json")
    assert response.status_code == 400
    assert "token" not in response.json()


def test_invalid_token_is_401(client, customer):
    response = client.get("/api/v1/customers/", HTTP_AUTHORIZATION="Token not-a-real-token")
    assert response.status_code == 401


def test_a_deactivated_users_token_is_refused(api, frontdesk, customer):
    assert api.get("/api/v1/customers/").status_code == 200
    frontdesk.user.is_active = False
    frontdesk.user.save()
    assert api.get("/api/v1/customers/").status_code == 401


def test_a_user_outside_every_organization_is_403(client, django_user_model):
    user = django_user_model.objects.create_user("bare", password="s3cret-pass!", is_superuser=True)
    token = Token.objects.create(user=user)
    assert client.get("/api/v1/customers/", HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 403


def test_a_token_sees_its_own_organization_only(api, outsider_api, customer):
    assert [c["id"] for c in api.get("/api/v1/customers/").json()["results"]] == [customer.pk]
    assert outsider_api.get("/api/v1/customers/").json()["results"] == []


# --- health --------------------------------------------------------------------


def test_health_is_200(client):
    assert client.get("/health/").json() == {"status": "ok"}


def test_garbage_in_cycles_is_collected_once_a_response_is_sent_not_before(client):
    """config/wsgi.py: the web process collects between requests (a collection in the middle of one added 16-39 ms
    to one lookup in ~75 at a million guests)."""
    from config import wsgi

    class Node:
        pass

    gc.collect()
    rings = []
    for _ in range(wsgi.COLLECT_AFTER):
        first, second = Node(), Node()
        first.other, second.other = second, first
        rings.append(weakref.ref(first))
    del first, second
    assert gc.get_count()[0] >= wsgi.COLLECT_AFTER
    assert all(ring() is not None for ring in rings)  # garbage, but nothing collected it yet
    assert client.get("/health/").status_code == 200
    assert all(ring() is None for ring in rings)


def test_the_embedded_broker_takes_a_task_without_a_warning(tmp_path, caplog):
    # Given a Celery app on the embedded default broker (the demo's: web, worker and beat on one machine)
    options = {
        "data_folder_in": str(tmp_path),
        "data_folder_out": str(tmp_path),
        "control_folder": str(tmp_path / "control"),  # kombu's exchange table: else control/ in the working directory
    }
    app = Celery(broker=settings.EMBEDDED_BROKER_URL, set_as_current=False)
    app.conf.broker_transport_options = options
    # When a task is sent, as the web process sends one at each contact, touch and import
    with caplog.at_level(logging.WARNING):
        app.send_task("crm.copy_visits")
    # Then the worker's queue holds it, and nothing was logged (kombu warned "No hostname was supplied" at every
    # publish to a bare filesystem://)
    with kombu.Connection(settings.EMBEDDED_BROKER_URL, transport_options=options) as broker:
        queue = broker.SimpleQueue("celery")
        message = queue.get(timeout=1)
        message.ack()
        queue.close()
    assert message.headers["task"] == "crm.copy_visits"
    assert [record.getMessage() for record in caplog.records] == []


def test_ready_when_database_and_broker_answer(client, tmp_path):
    folder = str(tmp_path)
    with override_settings(
        CELERY_BROKER_URL=settings.EMBEDDED_BROKER_URL,
        CELERY_BROKER_TRANSPORT_OPTIONS={"data_folder_in": folder, "data_folder_out": folder},
    ):
        response = client.get("/ready/")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": True, "broker": True}


def test_ready_with_the_broker_down_reports_it_and_stays_ready(client):
    # Issue 11, finding 9: the web serves everything without the broker, so a load balancer must keep it.
    with override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0"):
        response = client.get("/ready/")
        broker = client.get("/ready/broker/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": True, "broker": False}}
    assert broker.status_code == 503 and broker.json()["checks"] == {"broker": False}


def test_ready_answers_within_a_second_when_the_broker_hangs(client):
    import socket
    import time

    # Given a "broker" that accepts the connection and never answers (a hung Redis)
    with socket.socket() as hung:
        hung.bind(("127.0.0.1", 0))
        hung.listen(8)
        with override_settings(CELERY_BROKER_URL=f"redis://127.0.0.1:{hung.getsockname()[1]}/0"):
            started = time.monotonic()
            response = client.get("/ready/")
            elapsed = time.monotonic() - started
            started = time.monotonic()
            broker = client.get("/ready/broker/")
            broker_elapsed = time.monotonic() - started
    # then both probes answer, well under a second, and only the broker's own probe fails
    assert response.status_code == 200 and response.json()["checks"]["broker"] is False
    assert broker.status_code == 503
    assert elapsed < 1.0 and broker_elapsed < 1.0, (elapsed, broker_elapsed)


# --- OpenAPI -------------------------------------------------------------------


def test_schema_describes_every_endpoint_of_the_contract(api):
    response = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    expected = {
        "/api/v1/auth/token/": {"post"},
        "/api/v1/auth/logout/": {"post"},
        "/api/v1/customers/": {"get", "post"},
        "/api/v1/customers/{id}/": {"get", "patch", "delete"},
        "/api/v1/customers/{customer_id}/preferences/": {"get", "post"},
        "/api/v1/customers/{customer_id}/issues/": {"get", "post"},
        "/api/v1/customers/{customer_id}/contacts/": {"get", "post"},
        "/api/v1/preferences/{id}/": {"get", "patch", "delete"},
        "/api/v1/preferences/{id}/confirm/": {"post"},
        "/api/v1/issues/{id}/": {"get", "patch"},
    }
    for path, methods in expected.items():
        assert path in paths, path
        assert set(paths[path]) - {"parameters"} == methods, path
    customer_fields = response.json()["components"]["schemas"]["Customer"]["properties"]
    assert {"birthday", "tags", "visit_count", "consent_service"} <= set(customer_fields)
    assert any(p["name"] == "q" for p in paths["/api/v1/customers/"]["get"]["parameters"])


def test_api_docs_page_is_served_to_staff(client, frontdesk):
    client.force_login(frontdesk.user)
    assert client.get("/api/docs/").status_code == 200


# --- commands ------------------------------------------------------------------


def test_create_staff_creates_organization_property_and_login(client, capsys):
    call_command(
        "create_staff",
        "maria",
        "--password",
        "front-desk-42",
        "--organization",
        "Harbour",
        "--property",
        "Shanghai",
        "--role",
        "frontdesk",
    )
    staff = Staff.objects.select_related("organization", "property").get(user__username="maria")
    assert (staff.organization.name, staff.property.name, staff.role) == ("Harbour", "Shanghai", "frontdesk")
    assert client.login(username="maria", password="front-desk-42")
    call_command(
        "create_staff",
        "maria",
        "--password",
        "another-pass-43",
        "--organization",
        "Harbour",
        "--property",
        "Shanghai",
        "--role",
        "manager",
    )
    assert Organization.objects.count() == 1
    staff.refresh_from_db()
    assert staff.role == "manager"
    assert client.login(username="maria", password="another-pass-43")


@pytest.mark.parametrize("password", ["a", "password", "maria2026"])
def test_create_staff_refuses_a_weak_password_and_writes_nothing(password):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="password|Password"):
        call_command("create_staff", "maria2026", "--password", password, "--organization", "O", "--role", "manager")
    assert not Staff.objects.exists() and not Organization.objects.exists()


def test_create_staff_rejects_an_unknown_role():
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="janitor"):
        call_command("create_staff", "x", "--password", "p", "--organization", "O", "--role", "janitor")


def test_seed_demo_is_idempotent_and_prints_logins(capsys, settings):
    settings.DEBUG = True  # ./rapport run sets it
    call_command("seed_demo")
    count = Customer.objects.count()
    assert 40 <= count <= 60
    call_command("seed_demo")
    assert Customer.objects.count() == count
    out = capsys.readouterr().out
    assert "frontdesk" in out and "manager" in out and "rapport-demo" in out
    scripts = Customer.objects.values_list("native_name", flat=True)
    assert "张伟" in scripts and "張偉" in scripts
    assert Customer.objects.filter(given_name="Siobhán", pronunciation__gt="").exists()


# --- screens -------------------------------------------------------------------


def test_front_desk_logs_in_and_finds_a_guest(client, frontdesk, organization):
    CustomerFactory(organization=organization, given_name="Zoë", family_name="Smith")
    assert client.get("/").status_code == 302  # to the login page
    response = client.post("/accounts/login/", {"username": frontdesk.user.username, "password": "s3cret-pass!"})
    assert response.status_code == 302
    page = client.get("/", {"q": "zoë"})
    assert "Zoë Smith" in page.content.decode()


def test_screens_follow_the_staff_language(client, frontdesk):
    frontdesk.language = "zh-hans"
    frontdesk.save()
    client.force_login(frontdesk.user)
    assert "查找客人" in client.get("/").content.decode()
    frontdesk.language = "zh-hant"
    frontdesk.save()
    assert "查詢客人" in client.get("/").content.decode()


def test_another_organizations_guest_card_is_404(client, outsider, customer):
    client.force_login(outsider.user)
    assert client.get(f"/customers/{customer.pk}/").status_code == 404


# --- admin ---------------------------------------------------------------------


def test_manager_sees_only_their_organizations_customers_in_admin(client, manager, customer, outsider):
    from crm.services import manager_group

    manager.user.is_staff = True
    manager.user.save()
    manager.user.groups.add(manager_group())
    theirs = CustomerFactory(organization=outsider.organization, given_name="Hidden", family_name="Guest")
    client.force_login(manager.user)
    page = client.get("/admin/crm/customer/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "O&#x27;Connor" in html and "Hidden" not in html
    assert client.get(f"/admin/crm/customer/{theirs.pk}/change/").status_code == 302  # "doesn't exist" redirect


@pytest.mark.redis
def test_ready_with_the_real_redis_broker(client):
    from tests.conftest import REDIS_URL

    with override_settings(CELERY_BROKER_URL=REDIS_URL):
        assert client.get("/ready/").json()["checks"] == {"database": True, "broker": True}
        assert client.get("/ready/broker/").status_code == 200


def test_api_errors_speak_the_callers_language(api):
    response = api.post("/api/v1/customers/", {"given_name": "Ann", "phone": "12"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400
    assert "电话号码" in response.json()["phone"][0]


# --- celery beat -----------------------------------------------------------------


def test_the_beat_schedule_names_every_periodic_task_with_its_interval():
    from datetime import timedelta

    from celery.schedules import crontab
    from django.conf import settings

    import crm.tasks  # noqa: F401 - registers the tasks
    import personalization.tasks  # noqa: F401
    from config.celery import app

    schedule = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert schedule == {
        "personalization.dispatch_touches": timedelta(minutes=1),
        "personalization.plan_touches": timedelta(hours=1),
        "personalization.plan_delights": crontab(hour=2, minute=30),
        "crm.apply_retention": crontab(hour=3, minute=15),
        "crm.dispatch_webhooks": timedelta(seconds=10),
        "crm.drop_old_webhook_deliveries": crontab(hour=3, minute=45),
        "crm.resume_imports": timedelta(minutes=1),
        "personalization.metrics_count_contacts": timedelta(seconds=10),
        "crm.copy_visits": timedelta(seconds=5),
    }
    assert set(schedule) <= set(app.tasks)  # a misspelt task would be scheduled and never run


def test_every_task_has_time_limits_and_a_send_batch_dies_before_its_claim_times_out(settings):
    import personalization.tasks as tasks
    from config.celery import app

    ours = [task for name, task in app.tasks.items() if name.startswith(("personalization.", "rapport."))]
    assert {task.name for task in ours} >= {"personalization.send_touches", "personalization.dispatch_touches"}
    for task in ours:
        soft = task.soft_time_limit or app.conf.task_soft_time_limit
        hard = task.time_limit or app.conf.task_time_limit
        assert soft and hard and soft < hard, task.name
    # A batch stops itself at half the claim timeout, the soft limit after that, the hard limit before the
    # dispatcher may hand the batch's touches to another worker.
    claim = settings.RAPPORT_TOUCH_CLAIM_TIMEOUT_SECONDS
    assert claim / 2 < tasks.send_touches.soft_time_limit < tasks.send_touches.time_limit < claim


def test_beat_writes_the_schedule_into_the_database_for_managers_to_edit(monkeypatch):
    from django_celery_beat import schedulers
    from django_celery_beat.models import IntervalSchedule, PeriodicTask
    from django_celery_beat.schedulers import DatabaseScheduler

    from config.celery import app

    # Beat closes idle connections between its reads; here that would close the test's own transaction.
    monkeypatch.setattr(schedulers, "close_old_connections", lambda: None)

    # Given a database whose dispatch schedule the data migration personalization 0002 once created
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=60, period="seconds")
    PeriodicTask.objects.create(
        name="Dispatch due touches", task="personalization.dispatch_touches", interval=every_minute
    )
    # When beat starts
    scheduler = DatabaseScheduler(app=app, lazy=True)
    scheduler._finalize.cancel()  # no sync at interpreter exit, after the test database is gone
    scheduler.setup_schedule()

    # then every periodic task is a row of the admin's Periodic tasks, the old one updated, not doubled
    rows = PeriodicTask.objects.filter(task__startswith="personalization.").select_related("interval", "crontab")
    when = {
        row.task: f"every {row.interval.every} s" if row.interval else f"at {row.crontab.hour}:{row.crontab.minute}"
        for row in rows
    }
    assert rows.count() == 4
    assert when == {
        "personalization.dispatch_touches": "every 60 s",
        "personalization.plan_touches": "every 3600 s",
        "personalization.plan_delights": "at 2:30",
        "personalization.metrics_count_contacts": "every 10 s",
    }


# --- production settings -------------------------------------------------------


def _manage(*args, **env):
    import os
    import subprocess
    import sys
    from pathlib import Path

    clean = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG", "SECURE_SSL_REDIRECT")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=Path(__file__).resolve().parent.parent,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_deploy_check_is_clean_with_a_real_secret():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY="x" * 60 + "-unpredictable-Q9",
        DEBUG="false",
        ALLOWED_HOSTS="rapport.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_without_a_secret_key_fails_at_start_naming_it():
    result = _manage("check", DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


@pytest.mark.parametrize(
    ("keys", "message"),
    [("", "RAPPORT_FIELD_KEYS is not set"), ("not-a-key", "RAPPORT_FIELD_KEYS: key 1 is not a Fernet key")],
)
def test_production_without_valid_field_keys_fails_at_start_naming_them(keys, message):
    # Given DEBUG off and a real SECRET_KEY, but no key (or a malformed one) to encrypt the secrets at rest
    result = _manage("check", DEBUG="false", SECRET_KEY="x" * 60 + "-unpredictable-Q9", RAPPORT_FIELD_KEYS=keys)
    # then nothing starts, and the message names the setting
    assert result.returncode != 0
    assert message in result.stderr


def _settings_value(expression: str, **env) -> subprocess.CompletedProcess:
    """What config.settings makes of the environment: `expression` printed by a process that imports them."""
    return subprocess.run(
        [sys.executable, "-c", f"import config.settings as s; print({expression})"],
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
        env={**os.environ, "DEBUG": "true", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(("value", "threshold"), [(None, "5"), ("", "None"), ("0", "0"), ("20", "20")])
def test_the_lookups_prepared_statements_follow_the_threshold_set(value, threshold):
    # Given PostgreSQL, and DATABASE_PREPARE_THRESHOLD unset (the default), empty (a pooler that cannot keep
    # prepared statements) or a number of runs
    env = {"DATABASE_URL": "postgres://rapport@db.example:5432/rapport"}
    if value is not None:
        env["DATABASE_PREPARE_THRESHOLD"] = value
    # when the settings are read, then psycopg is told to prepare after that many runs, or never
    result = _settings_value("s.DATABASES['default']['OPTIONS']['prepare_threshold']", **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == threshold


@pytest.mark.parametrize(
    ("threshold", "url_options", "options"),
    [
        (None, "", "-c plan_cache_mode=force_generic_plan"),
        (
            None,
            "?options=-c%20statement_timeout%3D5000",
            "-c statement_timeout=5000 -c plan_cache_mode=force_generic_plan",
        ),
        ("0", "", "-c plan_cache_mode=force_generic_plan"),  # prepared from the first run
        ("", "", "None"),
    ],
)
def test_prepared_statements_run_their_generic_plan_beside_the_urls_own_options(threshold, url_options, options):
    # Given PostgreSQL with the default threshold, options of its own in the URL, or no prepared statements at all
    env = {"DATABASE_URL": f"postgres://rapport@db.example:5432/rapport{url_options}"}
    if threshold is not None:
        env["DATABASE_PREPARE_THRESHOLD"] = threshold
    # when the settings are read, then each connection starts with the plan mode after the URL's options, or
    # with none when nothing is prepared (a pooler may refuse options at connection start)
    result = _settings_value("s.DATABASES['default']['OPTIONS'].get('options')", **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == options


def test_a_threshold_that_is_not_a_number_fails_at_start_naming_it():
    env = {"DATABASE_URL": "postgres://rapport@db.example:5432/rapport", "DATABASE_PREPARE_THRESHOLD": "five"}
    result = _settings_value("s.DATABASES", **env)
    assert result.returncode != 0
    assert "DATABASE_PREPARE_THRESHOLD must be a whole number or empty, not 'five'" in result.stderr


def test_schema_commands_run_in_a_bare_checkout_without_a_secret_key(tmp_path):
    # Given no SECRET_KEY and DEBUG off, when makemigrations runs (manage.py names it a tooling command)
    result = _manage("makemigrations", "--check", "--dry-run", DEBUG="false", RAPPORT_VAR_DIR=str(tmp_path))
    # then it works on the code as usual
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_settings_make_no_folder_the_celery_app_makes_the_brokers(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    var = tmp_path / "var"
    script = (
        "import pathlib\n"
        "import config.settings\n"
        f"assert not pathlib.Path({str(var)!r}).exists(), 'importing the settings made a folder'\n"
        "from config.celery import app\n"
        "app.conf.broker_url\n"
    )
    unset = ("SECRET_KEY", "DEBUG", "CELERY_BROKER_URL", "EMAIL_URL", "RAPPORT_VAR_DIR")
    env = {**{k: v for k, v in os.environ.items() if k not in unset}, "DEBUG": "true", "RAPPORT_VAR_DIR": str(var)}
    # Given a checkout whose var/ does not exist, when a process imports the settings, then reads the Celery config
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    # then only the embedded broker's folders were made, by the Celery app
    assert sorted(p.name for p in (var / "broker").iterdir()) == ["control", "processed", "queue"]
    assert sorted(p.name for p in var.iterdir()) == ["broker"]


def test_openapi_schema_validates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert "/api/v1/customers/" in (tmp_path / "schema.yaml").read_text()


def test_a_manager_cannot_touch_the_schedules_that_run_every_organizations_follow_ups(client, manager):
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    from crm.services import manager_group

    every_minute = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.MINUTES)
    task = PeriodicTask.objects.create(
        name="Dispatch due touches (test)", task="personalization.dispatch_touches", interval=every_minute
    )
    manager.user.is_staff = True
    manager.user.save()
    manager.user.groups.add(manager_group())
    client.force_login(manager.user)
    assert client.get("/admin/django_celery_beat/periodictask/").status_code == 403
    assert client.post(f"/admin/django_celery_beat/periodictask/{task.pk}/change/", {"enabled": ""}).status_code == 403
    assert not any(p.startswith("django_celery_beat.") for p in manager.user.get_all_permissions())


def test_seed_demo_refuses_without_debug_and_creates_no_login(settings, django_user_model):
    # Given a production setting (DEBUG off), when the demo is loaded, then it refuses, saying why
    settings.DEBUG = False
    with pytest.raises(CommandError, match="only with DEBUG=true"):
        call_command("seed_demo")
    # and no demo login with the published password exists
    assert not django_user_model.objects.filter(username__in=["admin", "manager", "frontdesk"]).exists()


def test_the_file_outbox_writes_one_eml_file_per_message(tmp_path):
    # Given the development outbox (EMAIL_URL=filemail://…), as a fresh process configures it,
    code = "from django.conf import settings; print(settings.EMAIL_BACKEND)"
    env = {**os.environ, "EMAIL_URL": f"filemail://{tmp_path}", "DJANGO_SETTINGS_MODULE": "config.settings"}
    backend = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"], env=env, capture_output=True, text=True
    ).stdout.strip()
    assert backend == "config.outbox.EmlOutbox"
    # when two messages go out on one connection,
    from django.core.mail import EmailMessage, get_connection

    connection = get_connection(backend, file_path=str(tmp_path))
    sent = connection.send_messages(
        [EmailMessage(f"Welcome {n}", "Body", "hotel@example.com", [f"guest{n}@example.com"]) for n in (1, 2)]
    )
    # then each is its own .eml file, which a mail program opens as a message.
    files = sorted(tmp_path.iterdir())
    assert sent == 2 and [f.suffix for f in files] == [".eml", ".eml"]
    subjects = sorted(email.message_from_bytes(f.read_bytes())["Subject"] for f in files)
    assert subjects == ["Welcome 1", "Welcome 2"]


def test_guests_links_follow_the_port_the_server_runs_on():
    # ./rapport run exports PORT (and RAPPORT_PUBLIC_URL from it): mails link to that server, not to port 8000.
    code = "import django; django.setup(); from django.conf import settings; print(settings.RAPPORT_PUBLIC_URL)"
    env = {k: v for k, v in os.environ.items() if k != "RAPPORT_PUBLIC_URL"}
    env |= {"PORT": "8113", "DJANGO_SETTINGS_MODULE": "config.settings"}
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert run.stdout.strip() == "http://127.0.0.1:8113", run.stderr
    env["RAPPORT_PUBLIC_URL"] = "https://rapport.example.com/"
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert run.stdout.strip() == "https://rapport.example.com"
