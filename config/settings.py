"""Rapport settings, read from the environment (12-factor).

Every setting has a safe local default except the secrets of a production
deployment: with DEBUG off, a missing SECRET_KEY or RAPPORT_FIELD_KEYS stops
the process at start with a message naming it.

Importing this module reads the environment and does nothing else: it looks
at no command line and makes no folder. The folders are made where they are
used: the SQLite file's (var/) by ``./rapport run``, the embedded broker's by
the Celery app when a process first reads its configuration
(config/celery.py), the outbox by Django's file-based mail backend, static
files by collectstatic.

SECRET_KEY: without it, a development key is used when DEBUG is on, or when
RAPPORT_TOOLING_COMMAND is set. manage.py sets that flag (to the command's
name) for the commands that work on code and schema, never on signed data —
makemigrations, makemessages, ... (manage.py's TOOLING_COMMANDS) — so that
they run in a bare checkout. Any other process with DEBUG off refuses to
start. The flag is manage.py's to set, not an operator's.
"""

from __future__ import annotations

import base64
from datetime import timedelta
from pathlib import Path

import environ
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from config import schedule

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
VAR_DIR = Path(env.str("RAPPORT_VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not (DEBUG or env.str("RAPPORT_TOOLING_COMMAND", default="")):
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY in the environment (or DEBUG=true for local development)."
        )
    SECRET_KEY = "insecure-local-development-key-only-used-when-DEBUG-is-on"  # noqa: S105

# Keys that encrypt secrets kept in the database (crm.encryption; README "Secrets at rest"): comma-separated
# Fernet keys (`Fernet.generate_key()`), the first encrypts, every one decrypts (rotation). Required like
# SECRET_KEY; with DEBUG, a key derived from SECRET_KEY. A tooling command gets none: one that reads or writes
# an encrypted value (a data migration over existing rows) stops, naming this setting, rather than encrypt with
# a key the running service would not have.
RAPPORT_FIELD_KEYS = env.list("RAPPORT_FIELD_KEYS", default=[])
if not RAPPORT_FIELD_KEYS:
    if DEBUG:
        RAPPORT_FIELD_KEYS = [
            base64.urlsafe_b64encode(
                HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"rapport field keys").derive(
                    SECRET_KEY.encode()
                )
            ).decode()
        ]
    elif not env.str("RAPPORT_TOOLING_COMMAND", default=""):
        raise ImproperlyConfigured(
            "RAPPORT_FIELD_KEYS is not set. Set RAPPORT_FIELD_KEYS in the environment to one or more Fernet keys "
            "(comma-separated; make one with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'), or DEBUG=true for local development."
        )
for _number, _key in enumerate(RAPPORT_FIELD_KEYS, 1):
    try:
        Fernet(_key)
    except ValueError as _exc:
        raise ImproperlyConfigured(
            f"RAPPORT_FIELD_KEYS: key {_number} is not a Fernet key (32 url-safe base64-encoded bytes)."
        ) from _exc

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and ReDoc as static files: /api/docs/ works offline, no CDN
    "django_celery_beat",
    "django_htmx",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "crm",
    "personalization",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "crm.signin.middleware.IdleSessionTimeout",
    "crm.signin.middleware.TwoFactorEnrolmentRequired",
    "crm.middleware.StaffLanguageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns a login refused for too many failures into the lockout answer (crm.signin.lockout).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------


def _prepared(options: dict, threshold: int | None) -> None:
    """A PostgreSQL connection's options for crm.prepared: its statements prepared after `threshold` runs (None:
    never), each then running its generic plan from the first run — left to choose, PostgreSQL planned the lookup's
    first statement anew on every keystroke, its custom plans no better; the ORM's statements, bound on the client,
    are planned with their values as before. Sent at connection start, after any options of the URL."""
    options["prepare_threshold"] = threshold
    if threshold is not None:
        options["options"] = " ".join(filter(None, [options.get("options"), "-c plan_cache_mode=force_generic_plan"]))


# Default: an SQLite file under var/ (the embedded default). Production:
# DATABASE_URL=postgres://user:pass@host:5432/name (psycopg 3).
DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'rapport.sqlite3'}")}
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + IMMEDIATE transactions let the web process, the worker and beat share
    # one file without "database is locked" on concurrent writes.
    _db["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    # Persistent connections: a new connection per request cost 3x in throughput
    # (NOTES.md "Django and Celery overheads").
    _db["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    _db["CONN_HEALTH_CHECKS"] = True
    # The hot statements (the lookup's, the brief's read, the API token's: crm.prepared) are prepared after this
    # many runs on a connection; the ORM's never are. Empty: none is, as a connection pooler that cannot keep them
    # needs (PgBouncer before 1.21).
    _threshold = env.str("DATABASE_PREPARE_THRESHOLD", default="5")
    if _threshold and not _threshold.isdigit():
        raise ImproperlyConfigured(f"DATABASE_PREPARE_THRESHOLD must be a whole number or empty, not {_threshold!r}.")
    _prepared(_db.setdefault("OPTIONS", {}), int(_threshold) if _threshold else None)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Staff passwords (create_staff, the admin, password changes): Django's four validators.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "crm:home"
LOGOUT_REDIRECT_URL = "login"

# --- Languages --------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese")), ("zh-hant", _("Traditional Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env.str("TIME_ZONE", default="UTC")

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "media/"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# The brief flags a preference "still true?" when nobody confirmed it for this many months.
RAPPORT_RECONFIRM_AFTER_MONTHS = env.int("RAPPORT_RECONFIRM_AFTER_MONTHS", default=12)

# --- Touches (personalization.touches) ----------------------------------------
# An issue resolved → a follow-up this many hours later.
RAPPORT_FOLLOW_UP_DELAY_HOURS = env.int("RAPPORT_FOLLOW_UP_DELAY_HOURS", default=48)
# No email in these local hours of the property: postponed to the end of the window.
RAPPORT_QUIET_HOURS = env.str("RAPPORT_QUIET_HOURS", default="21:00-09:00")
# At most one non-service touch per customer in this many days (service follow-ups exempt).
RAPPORT_PRESSURE_CAP_DAYS = env.int("RAPPORT_PRESSURE_CAP_DAYS", default=7)
# Customers not seen for this many days (with marketing consent) get a win-back.
RAPPORT_WIN_BACK_AFTER_DAYS = env.int("RAPPORT_WIN_BACK_AFTER_DAYS", default=180)
# Birthdays and anniversaries this many days ahead are planned each night.
RAPPORT_GREETING_WINDOW_DAYS = env.int("RAPPORT_GREETING_WINDOW_DAYS", default=7)
# Transient mail errors are retried this many times in all (backoff 1, 2, 4... minutes), then failed.
RAPPORT_TOUCH_MAX_ATTEMPTS = env.int("RAPPORT_TOUCH_MAX_ATTEMPTS", default=5)
# A touch claimed by a worker that has not finished after this long is handed out again.
RAPPORT_TOUCH_CLAIM_TIMEOUT_SECONDS = env.int("RAPPORT_TOUCH_CLAIM_TIMEOUT_SECONDS", default=300)
# Where the links in messages (unsubscribe, survey) point.
# Where guests' links (unsubscribe, survey) point; by default the local server on PORT (./rapport run's port).
RAPPORT_PUBLIC_URL = env.str("RAPPORT_PUBLIC_URL", default=f"http://127.0.0.1:{env.int('PORT', default=8000)}").rstrip(
    "/"
)
RAPPORT_UNSUBSCRIBE_MAX_AGE_DAYS = env.int("RAPPORT_UNSUBSCRIBE_MAX_AGE_DAYS", default=90)
RAPPORT_FEEDBACK_MAX_AGE_DAYS = env.int("RAPPORT_FEEDBACK_MAX_AGE_DAYS", default=30)

# --- Webhooks (crm.webhooks; README "Webhooks") ----------------------------------
# Endpoints on private, loopback, link-local or reserved addresses are refused (server-side request forgery)
# unless the operator allows them: on with DEBUG (a receiver on the developer's machine), off in production.
RAPPORT_WEBHOOKS_ALLOW_PRIVATE = env.bool("RAPPORT_WEBHOOKS_ALLOW_PRIVATE", default=DEBUG)
# The certificates (a PEM file) that https:// receivers' certificates must chain to, instead of the system's
# trust store (a private CA of the hotel's network). Certificates are always verified, host name included.
RAPPORT_WEBHOOKS_CA_BUNDLE = env.str("RAPPORT_WEBHOOKS_CA_BUNDLE", default="")
if RAPPORT_WEBHOOKS_CA_BUNDLE and not Path(RAPPORT_WEBHOOKS_CA_BUNDLE).is_file():
    raise ImproperlyConfigured(f"RAPPORT_WEBHOOKS_CA_BUNDLE: no file at {RAPPORT_WEBHOOKS_CA_BUNDLE}.")
# One POST waits this long to connect, and this long for each read of the answer.
RAPPORT_WEBHOOKS_TIMEOUT_SECONDS = env.float("RAPPORT_WEBHOOKS_TIMEOUT_SECONDS", default=10)
# Seconds between failed attempts (the first attempt is at once): the Standard Webhooks schedule, ~27 h in all,
# each wait with ±20 % jitter; after the last one the delivery is failed.
RAPPORT_WEBHOOKS_RETRY_DELAYS = [
    int(seconds)
    for seconds in env.list(
        "RAPPORT_WEBHOOKS_RETRY_DELAYS", default=["5", "300", "1800", "7200", "18000", "36000", "36000"]
    )
]
# An endpoint whose attempts all failed for this many days is disabled; its managers see it on the webhooks screen.
RAPPORT_WEBHOOKS_DISABLE_AFTER_DAYS = env.float("RAPPORT_WEBHOOKS_DISABLE_AFTER_DAYS", default=5)
# A claimed delivery whose batch has not finished after this long is handed out again (a worker died, or the
# broker lost the message). Above a batch's hard time limit (crm.tasks), so two workers never hold one at once.
RAPPORT_WEBHOOKS_CLAIM_TIMEOUT_SECONDS = env.int("RAPPORT_WEBHOOKS_CLAIM_TIMEOUT_SECONDS", default=120)
# Delivered and failed deliveries stay in the delivery log this long (a nightly job drops older ones).
RAPPORT_WEBHOOKS_KEEP_DAYS = env.int("RAPPORT_WEBHOOKS_KEEP_DAYS", default=30)
# An import applying without a finished batch for this long is enqueued again (its worker was killed).
RAPPORT_IMPORT_STALL_SECONDS = env.int("RAPPORT_IMPORT_STALL_SECONDS", default=120)
# Guest lists (CSV, xlsx) of up to 50 MB (crm.imports.parse.MAX_FILE_BYTES; a larger request is refused before
# it is read); above FILE_UPLOAD_MAX_MEMORY_SIZE (Django's 2.5 MB) an upload is spooled to a temporary file.

# Default region for phone numbers typed without a country code ("(415) 555-0100").
PHONE_DEFAULT_REGION = env.str("PHONE_DEFAULT_REGION", default="US")

# --- Email ----------------------------------------------------------------
# EMAIL_URL: smtp://user:pass@host:587 (add ?ssl=True or use smtp+tls://), or
# consolemail:// / filemail:///path for development.
EMAIL_URL = env.str("EMAIL_URL", default="") or f"filemail://{VAR_DIR / 'outbox'}"
_email = env.email_url_config(EMAIL_URL)
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST, EMAIL_PORT = _email["EMAIL_HOST"], _email["EMAIL_PORT"]
EMAIL_HOST_USER, EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_USER"], _email["EMAIL_HOST_PASSWORD"]
EMAIL_USE_TLS, EMAIL_USE_SSL = _email.get("EMAIL_USE_TLS", False), _email.get("EMAIL_USE_SSL", False)
EMAIL_FILE_PATH = _email["EMAIL_FILE_PATH"]
if EMAIL_BACKEND.endswith("filebased.EmailBackend"):
    # django-environ drops the leading "/" of an absolute path (the default under VAR_DIR included);
    # a relative one ("filemail://var/outbox") is relative to the checkout, not the working directory.
    # The backend makes the folder when it is first used.
    EMAIL_FILE_PATH = str(BASE_DIR / EMAIL_URL.split("://", 1)[1].split("?", 1)[0])
    EMAIL_BACKEND = "config.outbox.EmlOutbox"  # one .eml file per message
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Rapport <rapport@localhost>")

# --- Signing in: lockout, sessions, API tokens, rate limits, two factors (crm/signin/) ---------
# README "Signing in: lockout, tokens, two factors" says why each default is what it is.
# How many proxies in front of Django append to X-Forwarded-For: 0 = trust no header, the client is
# REMOTE_ADDR. With N, the client is the Nth address from the right (DRF's NUM_PROXIES rule); the
# lockout and the per-address rate limit both use it (crm.signin.addresses.client_address).
RAPPORT_TRUSTED_PROXY_COUNT = env.int("RAPPORT_TRUSTED_PROXY_COUNT", default=0)
# django-axes checks every password login (form, admin, API token): the first backend refuses a locked
# username or address before the password is even checked.
AUTHENTICATION_BACKENDS = ["crm.signin.backends.LockoutBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env.int("RAPPORT_LOCKOUT_FAILURES", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("RAPPORT_LOCKOUT_MINUTES", default=15))
# A username is locked after that many failures from anywhere, and an address after that many for any
# usernames (each counted on its own).
AXES_LOCKOUT_PARAMETERS = env.list("RAPPORT_LOCKOUT_BY", default=["username", "ip_address"])
AXES_CLIENT_IP_CALLABLE = "crm.signin.addresses.client_address"
AXES_LOCKOUT_CALLABLE = "crm.signin.lockout.lockout_response"
# Attempts are rows in the database (shared by every web process; rolled back with each test).
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "otp", "code"]
AXES_VERBOSE = False
# API tokens (rest_framework.authtoken, one per user) stop working this long after they were issued.
RAPPORT_API_TOKEN_DAYS = env.float("RAPPORT_API_TOKEN_DAYS", default=5)
# Screens: a session idle this long is logged out (shared desk computers), and none lasts longer than a shift.
RAPPORT_SESSION_IDLE_MINUTES = env.int("RAPPORT_SESSION_IDLE_MINUTES", default=30)
SESSION_COOKIE_AGE = env.int("RAPPORT_SESSION_MAX_HOURS", default=12) * 3600
# Two factors (django-otp): the name the authenticator app shows; a code from one period before or after
# is accepted (clock drift).
OTP_TOTP_ISSUER = "Rapport"
# Per-process unless CACHE_URL names a shared cache (redis://host:6379/1): the API rate limits are counted
# in it, so with the default local memory each web process counts on its own.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
RAPPORT_API_RATE_USER = env.str("RAPPORT_API_RATE_USER", default="1200/minute")
RAPPORT_API_RATE_ANON = env.str("RAPPORT_API_RATE_ANON", default="60/minute")

# --- Read replica (config/routers.py; README "Configuration"; docs/scaling.md) ------------------------
# DATABASE_REPLICA_URL: a streaming replica of DATABASE_URL. The lookup, the brief, the arrivals board and the
# metrics read from it; every write, and the same client's reads for RAPPORT_REPLICA_STICKY_SECONDS after a
# write, go to the primary. Unset: no second alias, router or middleware. Tests use the primary ("MIRROR").
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = {
        **env.db_url_config(DATABASE_REPLICA_URL),
        "CONN_MAX_AGE": _db.get("CONN_MAX_AGE", 0),
        "CONN_HEALTH_CHECKS": True,
        "TEST": {"MIRROR": "default"},
    }
    # Lookups read from the replica: their statements are prepared there alike (crm.prepared).
    _prepared(DATABASES["replica"].setdefault("OPTIONS", {}), _db.get("OPTIONS", {}).get("prepare_threshold"))
    if DATABASES["replica"]["ENGINE"] != _db["ENGINE"] or _db["ENGINE"] == "django.db.backends.sqlite3":
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URL must name a PostgreSQL replica of DATABASE_URL (postgres://…), "
            f"not {DATABASES['replica']['ENGINE']} beside {_db['ENGINE']}."
        )
    # "Read your own writes" is remembered in the cache: every web process must share it.
    if CACHES["default"]["BACKEND"].endswith("LocMemCache") and not DEBUG:
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URL needs CACHE_URL to name a cache that every web process shares "
            "(redis://host:6379/1): a client's reads stay on the primary after its writes, and another "
            "process must know."
        )
    RAPPORT_REPLICA_STICKY_SECONDS = env.float("RAPPORT_REPLICA_STICKY_SECONDS", default=5)
    DATABASE_ROUTERS = ["config.routers.ReplicaRouter"]
    MIDDLEWARE.insert(MIDDLEWARE.index("axes.middleware.AxesMiddleware"), "config.routers.ReplicaReads")

# --- API --------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "crm.authentication.StaffTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["crm.permissions.IsStaffMember"],
    "DEFAULT_PAGINATION_CLASS": "crm.pagination.Pagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "crm.api_errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "DEFAULT_PARSER_CLASSES": ["crm.parsers.StrictJSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # Per token (the user: one token each) and per address for requests without one (crm.signin.throttles).
    "DEFAULT_THROTTLE_CLASSES": ["crm.signin.throttles.PerToken", "crm.signin.throttles.PerAddress"],
    "DEFAULT_THROTTLE_RATES": {"token": RAPPORT_API_RATE_USER, "address": RAPPORT_API_RATE_ANON},
    "NUM_PROXIES": RAPPORT_TRUSTED_PROXY_COUNT,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Rapport API",
    "DESCRIPTION": "Customer-preference memory and personalization. See API.md for the contract.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # One name per choice set used by several serializers, and the touches' enums named for what they are
    # (two models have a "status" and a "kind"; drf-spectacular warns otherwise).
    "ENUM_NAME_OVERRIDES": {
        "SeverityEnum": "crm.models.Severity",
        "CategoryEnum": "crm.models.PreferenceCategory",
        "DelightStatusEnum": "personalization.models.DelightStatus",
        "IssueStatusEnum": "crm.models.IssueStatus",
        "TouchStatusEnum": "personalization.models.TouchStatus",
        "TouchKindEnum": "personalization.models.TouchKind",
        "TouchChannelEnum": "personalization.models.Channel",
        "AccessChannelEnum": "crm.models.AccessChannel",
        "RecoveryStepEnum": "crm.models.RecoveryStep",
        "TaskOutcomeEnum": "personalization.models.TaskOutcome",
        "StayStatusEnum": "crm.models.StayStatus",
        "WebhookEventEnum": "crm.models.EventType",
        "WebhookDeliveryStatusEnum": "crm.models.DeliveryStatus",
    },
}

# --- Celery -----------------------------------------------------------------
# Default: kombu's filesystem transport under var/broker: needs no server and
# works across processes (web, worker, beat). Production: redis:// or amqp://.
# The folders are made by the Celery app when a process first reads this (config/celery.py).
# With its host named: kombu warns "No hostname was supplied" on every publish to a bare filesystem:// (in the demo's
# console at each contact, touch and import).
EMBEDDED_BROKER_URL = "filesystem://localhost//"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=EMBEDDED_BROKER_URL)
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        # kombu's exchange tables (worker control, pidbox): under var/ too, not the working directory.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# Every task's time limits unless it sets its own (personalization/tasks.py: the send batches and the
# planners). The soft limit raises SoftTimeLimitExceeded in the task, the hard one kills its process
# (the prefork pool, Celery's default, enforces them; the solo and threads pools do not).
# The default fits dispatch_touches, every minute: its 20 claims of 500 rows and their publishes take
# seconds; a run stuck this long ends, its claims go stale and are handed out again, as after a crash.
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 90
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Every periodic task, in one place: config/schedule.py.
CELERY_BEAT_SCHEDULE = schedule.SCHEDULE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Keep the worker's database connection between tasks (NOTES.md: 4x throughput).
CELERY_DB_REUSE_MAX = 200

# --- Hardening: CSP, no-store, HSTS, proxy headers (issue 11; README "Hardening") -------------------
# One block on purpose: the middleware and context processor it needs are inserted here by name, so other
# blocks may add their own middleware without a merge touching these lines.
# Content-Security-Policy on every response (Django's own middleware): scripts and <style> blocks only from
# this site or carrying the request's nonce ({{ csp_nonce }}, also given to htmx by {% htmx_script %}); no
# inline event handlers (crm/static/crm/rapport.js wires them), no plugins, no framing, forms post only here.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
)
# Below WhiteNoise: static files keep their long cache; everything Rapport renders is "no-store".
MIDDLEWARE.insert(
    MIDDLEWARE.index("whitenoise.middleware.WhiteNoiseMiddleware") + 1, "crm.middleware.NoStoreMiddleware"
)
TEMPLATES[0]["OPTIONS"]["context_processors"].append("django.template.context_processors.csp")
# The OpenAPI schema and its docs page describe every guest field: staff only, unless published on purpose.
RAPPORT_PUBLIC_API_DOCS = env.bool("RAPPORT_PUBLIC_API_DOCS", default=False)
# X-Forwarded-Proto is believed only when the operator says a proxy that sets it stands in front: else any
# client could claim "https" and be treated as on a secure connection.
RAPPORT_BEHIND_PROXY = env.bool("RAPPORT_BEHIND_PROXY", default=False)
if RAPPORT_BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
HSTS_PRELOAD_MIN_SECONDS = 60 * 60 * 24 * 365  # hstspreload.org refuses less than a year
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^health/$", r"^ready/$", r"^ready/broker/$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=HSTS_PRELOAD_MIN_SECONDS)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Preload lists (hstspreload.org) take a site only with a year or more: a shorter max-age with preload
    # is refused at start rather than sent as a header no list would accept.
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    if SECURE_HSTS_PRELOAD and SECURE_HSTS_SECONDS < HSTS_PRELOAD_MIN_SECONDS:
        raise ImproperlyConfigured(
            f"SECURE_HSTS_PRELOAD needs SECURE_HSTS_SECONDS of at least {HSTS_PRELOAD_MIN_SECONDS} (one year)."
        )
    SECURE_CONTENT_TYPE_NOSNIFF = True
# --- end of hardening ---------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
