"""Settings for the Playback service, all read from the environment.

The defaults run the whole service on one machine: SQLite and the django-q2 ORM
broker. Set DATABASE_URL (PostgreSQL) and REDIS_URL to scale out.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from corsheaders.defaults import default_headers as default_cors_headers
from django.core.exceptions import ImproperlyConfigured

from config import log_settings, schema_settings

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PLAYBACK_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)  # the SQLite file, media and logs live here


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value not in (None, "") else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# PLAYBACK_ENV=production turns on the production checks below; anything else is a
# developer's machine (DEBUG on, a throwaway secret key).
PRODUCTION = env_str("PLAYBACK_ENV", "development") == "production"
DEVELOPMENT_SECRET_KEY = "insecure-local-development-key-change-me"
DEBUG = env_bool("DJANGO_DEBUG", not PRODUCTION)
SECRET_KEY = env_str("DJANGO_SECRET_KEY", DEVELOPMENT_SECRET_KEY)
ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", "" if PRODUCTION else "localhost,127.0.0.1,[::1],testserver"
)
if PRODUCTION:
    if DEBUG:
        raise ImproperlyConfigured("PLAYBACK_ENV=production refuses DJANGO_DEBUG=1.")
    if SECRET_KEY == DEVELOPMENT_SECRET_KEY or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured(
            "PLAYBACK_ENV=production needs DJANGO_SECRET_KEY: 50 or more random characters."
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("PLAYBACK_ENV=production needs DJANGO_ALLOWED_HOSTS.")
    if not env_list("PLAYBACK_APPIUM_ALLOWED_HOSTS"):
        raise ImproperlyConfigured(
            "PLAYBACK_ENV=production needs PLAYBACK_APPIUM_ALLOWED_HOSTS: the Appium "
            "servers and networks devices may point at (host names, addresses, CIDRs)."
        )
    # HTTPS only; set DJANGO_BEHIND_TLS_PROXY=1 when a proxy terminates TLS.
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if env_bool("DJANGO_BEHIND_TLS_PROXY"):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

INSTALLED_APPS = [
    "config.admin_site.PlaybackAdminConfig",  # django.contrib.admin with our site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "django_filters",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_q",
    "axes",  # failed admin logins: counted, logged, locked out
    "flows",
    "playback",
    "simulator",  # the simulated device and the demo (make run)
]

MIDDLEWARE = [
    "config.logs.RequestIdMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "playback.http.middleware.RequestLimits",
    "playback.http.middleware.ApiTrailingSlash",
    "django.middleware.security.SecurityMiddleware",
    # The admin's and the API docs' CSS and scripts, from the app server itself.
    "playback.http.static_files.StaticFiles",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"  # what config/gunicorn.py serves

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
# The web server's processes (config/gunicorn.py sets it) keep a pool of PostgreSQL
# connections: under ASGI each sync request runs on a thread of its own, which would
# otherwise open (and close) a connection per request, 3-5 ms each.
PLAYBACK_DB_POOL = env_int("PLAYBACK_DB_POOL", 0)
if PLAYBACK_DB_POOL and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps them, not the thread
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": PLAYBACK_DB_POOL,
        "timeout": 10,
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Tests share their database with real worker processes: a file, not memory.
    DATABASES["default"]["TEST"] = {
        "NAME": env_str("PLAYBACK_TEST_DB", str(VAR_DIR / "test-db.sqlite3"))
    }
    # The web server, the workers and the CLI write at once: WAL lets readers run
    # beside the writer, IMMEDIATE takes the write lock at BEGIN (no lock upgrade
    # deadlock), and the busy timeout waits for the lock instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Signing in (the admin): django-axes counts failed attempts in the database (every
# web process sees them), per user name and, apart, per address; after
# PLAYBACK_LOGIN_FAILURES of either, that user (or address) is refused for
# PLAYBACK_LOGIN_LOCKOUT_MINUTES (429, config/logins.py), and each failure is logged.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("PLAYBACK_LOGIN_FAILURES", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("PLAYBACK_LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True  # successful logins are not kept
AXES_SENSITIVE_PARAMETERS: list[str] = []  # failures name the user and address (never the password)
AXES_LOCKOUT_CALLABLE = "config.logins.locked_out"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Production serves what `manage.py collectstatic` put here (WhiteNoise: compressed
# files with hashed names, cached for ever); development serves the apps' own files.
STATIC_ROOT = Path(env_str("PLAYBACK_STATIC_ROOT", str(VAR_DIR / "static")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # empty: the apps' files are served
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("PLAYBACK_MEDIA_ROOT", str(VAR_DIR / "media")))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["playback.http.permissions.ModelPermissions"],
    "DEFAULT_FILTER_BACKENDS": ["playback.http.filters.StrictFilterBackend"],
    "DEFAULT_PARSER_CLASSES": ["playback.http.parsers.SafeJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "playback.http.filters.Pagination",
    "PAGE_SIZE": env_int("PLAYBACK_PAGE_SIZE", 50),
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "playback.http.errors.exception_handler",
    # Per user (per address when signed out); a `start` scope for what queues runs.
    # Counted by each web process on its own (Django's local-memory cache).
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
        "rest_framework.throttling.ScopedRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("PLAYBACK_API_ANON_RATE", "120/min"),
        "user": env_str("PLAYBACK_API_RATE", "3000/min"),
        "start": env_str("PLAYBACK_API_START_RATE", "600/min"),
    },
}
# The OpenAPI schema and its docs pages (drf-spectacular).
SPECTACULAR_SETTINGS = schema_settings.SPECTACULAR_SETTINGS

# The OpenAPI schema and its Swagger UI (/api/schema/, /api/docs/) need no sign-in
# when this is on (the development default); in production they need one.
PLAYBACK_PUBLIC_API_DOCS = env_bool("PLAYBACK_PUBLIC_API_DOCS", not PRODUCTION)

# Request bodies: JSON only, at most this big (a 1,000-step flow is ~150 KB).
PLAYBACK_MAX_BODY_BYTES = env_int("PLAYBACK_MAX_BODY_BYTES", 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = PLAYBACK_MAX_BODY_BYTES

# The recorder frontend lives on another origin. PLAYBACK_CORS_ORIGINS names the
# origins allowed; without it, production allows none and development allows the
# usual local dev servers: http://localhost and http://127.0.0.1, on any port.
CORS_ALLOWED_ORIGINS = env_list("PLAYBACK_CORS_ORIGINS")
LOCAL_DEV_ORIGINS = r"^http://(localhost|127\.0\.0\.1)(:\d{1,5})?$"
CORS_ALLOWED_ORIGIN_REGEXES = [] if PRODUCTION or CORS_ALLOWED_ORIGINS else [LOCAL_DEV_ORIGINS]
CORS_EXPOSE_HEADERS = ["Location"]
# A browser may send what the API reads: its token, JSON, and an idempotency key.
CORS_ALLOW_HEADERS = (*default_cors_headers, "idempotency-key")
CORS_URLS_REGEX = r"^/api/.*$"

# Where people open this service (reports link back to each run): development's
# `make run`, else what PLAYBACK_PUBLIC_URL says (production: no links without it).
PLAYBACK_PUBLIC_URL = env_str(
    "PLAYBACK_PUBLIC_URL", "" if PRODUCTION else "http://127.0.0.1:8000"
).rstrip("/")

# django-q2: the ORM broker on the default database unless REDIS_URL is set.
Q_TASK_TIMEOUT_S = env_int("PLAYBACK_TASK_TIMEOUT_S", 3600)
Q_CLUSTER = {
    # With Redis the name is also the queue's key: one name per installation.
    "name": env_str("PLAYBACK_Q_NAME", "playback"),
    "workers": env_int("PLAYBACK_WORKERS", 2),
    "timeout": Q_TASK_TIMEOUT_S,
    # retry must exceed timeout, or a long run would be handed to a second worker.
    "retry": Q_TASK_TIMEOUT_S + 60,
    "max_attempts": 1,
    "catch_up": False,
    "orm": "default",
    # The ORM broker looks for a new task this often when it has none (Redis: at once).
    "poll": env_float("PLAYBACK_Q_POLL_S", 0.1),
    "save_limit": 1000,
}
if env_str("REDIS_URL"):
    Q_CLUSTER.pop("orm")
    Q_CLUSTER["redis"] = env_str("REDIS_URL")

# Live events (playback/live/): on the scale-out stack they travel through Redis
# pub/sub (REDIS_URL); without it each web process's one watcher reads the runs its
# subscribers follow every PLAYBACK_LIVE_POLL_S. Streams send a keepalive comment
# (and re-read) after PLAYBACK_EVENTS_KEEPALIVE_S of quiet; a signed events_url
# opens a stream for PLAYBACK_EVENTS_LINK_MAX_AGE_S after the resource was read.
PLAYBACK_LIVE_REDIS_URL = env_str("PLAYBACK_LIVE_REDIS_URL", env_str("REDIS_URL"))
PLAYBACK_LIVE_POLL_S = env_float("PLAYBACK_LIVE_POLL_S", 0.01)
PLAYBACK_EVENTS_KEEPALIVE_S = env_float("PLAYBACK_EVENTS_KEEPALIVE_S", 15.0)
PLAYBACK_EVENTS_LINK_MAX_AGE_S = env_int("PLAYBACK_EVENTS_LINK_MAX_AGE_S", 600)
# A run resource's media URLs (screenshots, sources) are signed for this long.
PLAYBACK_MEDIA_LINK_MAX_AGE_S = env_int("PLAYBACK_MEDIA_LINK_MAX_AGE_S", 3600)

# Runs: the whole-run timeout (overridable per run up to the task timeout), the
# worker's heartbeat, and when a silent run counts as lost.
PLAYBACK_RUN_TIMEOUT_S = env_int("PLAYBACK_RUN_TIMEOUT_S", 1800)
PLAYBACK_MAX_RUN_TIMEOUT_S = Q_TASK_TIMEOUT_S - 120
PLAYBACK_HEARTBEAT_S = env_float("PLAYBACK_HEARTBEAT_S", 5.0)
PLAYBACK_LOST_AFTER_S = env_float("PLAYBACK_LOST_AFTER_S", 60.0)
# A dispatched run whose task no worker picked up within this long is enqueued again.
PLAYBACK_REDISPATCH_AFTER_S = env_float("PLAYBACK_REDISPATCH_AFTER_S", 300.0)

# Device probes (playback/devices/reachability.py): a GET /status waits this long at most; a
# probe older than this is repeated before a run starts.
PLAYBACK_PROBE_TIMEOUT_S = env_float("PLAYBACK_PROBE_TIMEOUT_S", 2.0)
PLAYBACK_PROBE_MAX_AGE_S = env_float("PLAYBACK_PROBE_MAX_AGE_S", 30.0)
# `play` (through the workers) asks the cluster to answer a ping within this long.
PLAYBACK_WORKER_PING_S = env_float("PLAYBACK_WORKER_PING_S", 10.0)

# Evidence retention (playback/evidence.py): screenshots of passing runs, and of the
# rest (failed, partial, flaky, error), are removed after these many days; the last
# passing run of every flow on every platform is always kept.
PLAYBACK_KEEP_MEDIA_DAYS = env_int("PLAYBACK_KEEP_MEDIA_DAYS", 30)
PLAYBACK_KEEP_FAILED_MEDIA_DAYS = env_int("PLAYBACK_KEEP_FAILED_MEDIA_DAYS", 90)

# Videos of runs (playback/video/): a run that does not say (`recordVideo`) records with
# this: off, failed (kept when the run did not pass) or always. The Appium host uploads
# a video to the worker at PLAYBACK_VIDEO_UPLOAD_HOST ("": answered as base64 instead).
PLAYBACK_RECORD_VIDEO = env_str("PLAYBACK_RECORD_VIDEO", "failed")
if PLAYBACK_RECORD_VIDEO not in {"off", "failed", "always"}:
    raise ImproperlyConfigured("PLAYBACK_RECORD_VIDEO must be off, failed or always.")
PLAYBACK_VIDEO_UPLOAD_HOST = env_str("PLAYBACK_VIDEO_UPLOAD_HOST", "127.0.0.1")

# Playback engine and device defaults (docs/engine.md).
PLAYBACK_RETRY_PAUSE_S = env_float("PLAYBACK_RETRY_PAUSE_S", 1.0)
PLAYBACK_ELEMENT_TIMEOUT_MS = env_int("PLAYBACK_ELEMENT_TIMEOUT_MS", 5000)
PLAYBACK_LAUNCH_TIMEOUT_S = env_float("PLAYBACK_LAUNCH_TIMEOUT_S", 20.0)
APPIUM_CONNECT_TIMEOUT_S = env_float("APPIUM_CONNECT_TIMEOUT_S", 10.0)
APPIUM_COMMAND_TIMEOUT_S = env_float("APPIUM_COMMAND_TIMEOUT_S", 60.0)
APPIUM_PORT = env_int("APPIUM_PORT", 4723)
# Warm devices (playback/devices/sessions.py): a device's Appium session outlives its
# run and the next run on it reuses it; one idle this long is closed (by the sweeper).
# 0: one session per run. Its newCommandTimeout is this plus a margin.
PLAYBACK_SESSION_IDLE_S = env_int("PLAYBACK_SESSION_IDLE_S", 300)
if PLAYBACK_SESSION_IDLE_S < 0:
    raise ImproperlyConfigured("PLAYBACK_SESSION_IDLE_S must be 0 (no reuse) or more seconds.")
# The web device (playback/drivers/web.py): Chromium and its chromedriver as the
# Appium server's host has them (Debian's packages, installed by `make install`).
PLAYBACK_WEB_CHROMIUM = env_str("PLAYBACK_WEB_CHROMIUM", "/usr/bin/chromium")
PLAYBACK_WEB_CHROMEDRIVER = env_str("PLAYBACK_WEB_CHROMEDRIVER", "/usr/bin/chromedriver")
# Each web device keeps its browser profile here (its app data outlives a session, as
# a phone's does, until a run clears it): <dir>/<device id>.
PLAYBACK_WEB_PROFILES_DIR = Path(
    os.environ.get("PLAYBACK_WEB_PROFILES_DIR", VAR_DIR / "web-profiles")
)
# The Appium servers devices may point at (playback/network.py): host names as they
# are, addresses or CIDR networks. Development: this machine and private ranges.
PLAYBACK_APPIUM_ALLOWED_HOSTS = env_list(
    "PLAYBACK_APPIUM_ALLOWED_HOSTS",
    ""
    if PRODUCTION
    else "localhost,127.0.0.0/8,::1/128,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7",
)

# The pages a web device may open (a web flow's start URL, `open_link`, and where a
# page ends up after its redirects): the same rules. Production: public hosts only;
# development also this machine (the demo web app).
PLAYBACK_WEB_ALLOWED_HOSTS = env_list(
    "PLAYBACK_WEB_ALLOWED_HOSTS",
    "public" if PRODUCTION else "public,localhost,127.0.0.0/8,::1/128",
)

# Webhook receivers (playback/webhooks/): the same rules (the entry `public` is any
# globally routable address; link-local and metadata addresses are always refused).
PLAYBACK_WEBHOOK_ALLOWED_HOSTS = env_list(
    "PLAYBACK_WEBHOOK_ALLOWED_HOSTS",
    "public"
    if PRODUCTION
    else "public,localhost,127.0.0.0/8,::1/128,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7",
)
# A try of a delivery has this long in all (connecting, sending, the answer; at most
# 10 s, and at most 8 KB of the answer is read); a failed one is tried again after
# PLAYBACK_WEBHOOK_BACKOFF_S, then twice that, ... (5 tries in all; django-q2's
# scheduler, which fires retries, looks every 30 s). At most
# PLAYBACK_WEBHOOK_CONCURRENCY tries are sent at once, whatever the number of
# deliveries: the other workers stay free for runs.
PLAYBACK_WEBHOOK_TIMEOUT_S = env_float("PLAYBACK_WEBHOOK_TIMEOUT_S", 5.0)
PLAYBACK_WEBHOOK_CONCURRENCY = env_int("PLAYBACK_WEBHOOK_CONCURRENCY", 1)
PLAYBACK_WEBHOOK_BACKOFF_S = env_float("PLAYBACK_WEBHOOK_BACKOFF_S", 30.0)
PLAYBACK_WEBHOOK_TRIES = 5

# One JSON line per record on stderr, in every process (config/logs.py): unhandled
# errors of requests (django.request), of workers (django-q) and our own.
LOG_LEVEL = env_str("PLAYBACK_LOG_LEVEL", "WARNING")
LOGGING = log_settings.logging_settings(LOG_LEVEL)
