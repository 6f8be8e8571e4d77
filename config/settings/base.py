"""Settings shared by every environment; `local`, `test` and `production` only override.

Everything that differs between machines comes from the environment (django-environ), with
defaults that make a fresh clone run on the embedded stack: SQLite, the in-memory channel
layer, an in-process rep debouncer and eager Celery tasks.
"""

from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# ---------------------------------------------------------------------------
# Core
# ---------------------------------------------------------------------------
SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-insecure-secret-key-change-me-in-production")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    "core.apps.ClubAdminConfig",  # django.contrib.admin with the club's AdminSite (core/admin.py)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from our static files (CSP: script-src 'self')
    "channels",
    "django_celery_results",
    "django_htmx",
    "core",
    "accounts",
    "club",
    "training",
    "workouts",
    "reports",
    "classes",
    "attendance",
    "notifications",
    "bot",  # the Telegram bot's webhook and commands: an interface over the apps above
    "dashboard",
]

MIDDLEWARE = [
    # REMOTE_ADDR from X-Forwarded-For, for requests from FORWARDED_ALLOW_IPS only (core/proxy.py).
    "core.proxy.TrustedProxyMiddleware",
    "core.observability.RequestObservabilityMiddleware",
    "core.health.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language cookie (the header's switcher), then Accept-Language; after the session, before
    # CommonMiddleware (Django's documented order).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A signed-in user's saved language wins over the cookie and the browser (accounts/middleware.py).
    "accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard:home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
# English and Russian, complete; pages follow the user's choice, then the browser (Accept-Language).
LANGUAGES = [("en", "English"), ("ru", "Русский")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True
# Dates read "3 Nov 2026" in the admin, as on the trainers' pages (config/formats/en/formats.py).
FORMAT_MODULE_PATH = "config.formats"

DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

# ---------------------------------------------------------------------------
# Security headers
# ---------------------------------------------------------------------------
# A strict policy: scripts only from our own static files, never inline, so an
# injected <script> never runs. Inline style attributes stay allowed for the admin's widgets.
from django.utils.csp import CSP  # noqa: E402

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# A less guessable admin path keeps scanners off the staff login (e.g. "staff-7f3a/").
ADMIN_URL = env("DJANGO_ADMIN_URL", default="admin/")
# No API body or form is anywhere near these; larger requests are refused with a 400.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DJANGO_DATA_UPLOAD_MAX_MEMORY_SIZE", default=2 * 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# ---------------------------------------------------------------------------
# Database
# ---------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # psycopg's pool instead of persistent connections, one pool per process: under ASGI (web-ws,
    # daphne) every sync_to_async thread would otherwise keep a connection of its own open; a
    # gunicorn sync worker (web-http) uses one connection at a time, so its pool stays at min_size.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DATABASE_POOL_MIN_SIZE", default=2),
        "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=10),
        "timeout": env.float("DATABASE_POOL_TIMEOUT", default=10.0),
    }

# ---------------------------------------------------------------------------
# Redis: cache, channel layer, rep counters
# ---------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "club",
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # channels-redis blocks up to 5 s on BRPOP while redis-py 8 times socket reads
                # out after 5 s: a larger socket timeout keeps the receive loop alive
                # (channels_redis issue 422).
                "hosts": [{"address": REDIS_URL, "socket_timeout": 30}],
                "prefix": "club",
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# ---------------------------------------------------------------------------
# Celery (broker RabbitMQ; without a broker the tasks run eagerly in-process)
# ---------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
# Eager tasks behave as on a worker: a failing task runs its on_failure (reports record why) instead of
# raising into the request that queued it.
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A pool process that grew past this (KiB; a report's rows and matplotlib's caches) is replaced
# after its task, so a worker's memory stays bounded over days of reports.
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env.int("CELERY_WORKER_MAX_MEMORY_PER_CHILD_KB", default=400_000)
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 14 * 60
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# With acks_late, a task running when the worker loses RabbitMQ is delivered again elsewhere: stop
# this copy instead of letting two workers build the same report.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# Publishing from a request must fail fast when the broker is down (the API answers 503), not hang.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=2.0)
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5}
# django-celery-results rows older than this go at celery.backend_cleanup (scheduled below).
CELERY_RESULT_EXPIRES = timedelta(days=env.int("CELERY_RESULT_EXPIRES_DAYS", default=7))
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE: dict = {}
# Runs just after midnight UTC: `expiration_date` is the last paid day, so a client expires the day after.
CELERY_BEAT_SCHEDULE["deactivate-expired-memberships"] = {
    "task": "club.tasks.deactivate_expired_memberships",
    "schedule": crontab(hour=0, minute=5),
}
# MEMBERSHIP_EXPIRING / MEMBERSHIP_LAPSED in Telegram: in the morning (club time is UTC by default),
# not at midnight; a second run the same day sends nothing new.
CELERY_BEAT_SCHEDULE["notify-memberships-ending"] = {
    "task": "club.tasks.notify_memberships_ending",
    "schedule": crontab(hour=9, minute=0),
}
# Keeps simplejwt's outstanding/blacklist tables and the Telegram challenges small.
CELERY_BEAT_SCHEDULE["flush-expired-tokens"] = {
    "task": "accounts.tasks.flush_expired_tokens",
    "schedule": crontab(hour=3, minute=15),
}
# The seed's daily report: yesterday's new users, ready when the office opens.
CELERY_BEAT_SCHEDULE["daily-new-users-report"] = {
    "task": "reports.tasks.daily_new_users_report",
    "schedule": crontab(hour=8, minute=0),
}
# Named as Celery's own entry, so beat does not add a second one at 04:00.
CELERY_BEAT_SCHEDULE["celery.backend_cleanup"] = {
    "task": "celery.backend_cleanup",
    "schedule": crontab(hour=4, minute=0),
}
CELERY_BEAT_SCHEDULE["purge-old-report-files"] = {
    "task": "reports.tasks.purge_old_report_files",
    "schedule": crontab(hour=4, minute=30),
}
# A report whose worker hit the hard time limit (or whose task never arrived) is told so, not left running.
CELERY_BEAT_SCHEDULE["fail-stale-reports"] = {
    "task": "reports.tasks.fail_stale_reports",
    "schedule": crontab(minute="*/15"),
}

# ---------------------------------------------------------------------------
# Reports (docs/reports.md)
# ---------------------------------------------------------------------------
REPORT_MAX_PERIOD_DAYS = env.int("REPORT_MAX_PERIOD_DAYS", default=3 * 366)
REPORT_FILE_RETENTION_DAYS = env.int("REPORT_FILE_RETENTION_DAYS", default=30)
REPORT_DAILY_NEW_USERS_FORMAT = env("REPORT_DAILY_NEW_USERS_FORMAT", default="xlsx")
REPORT_TASK_SOFT_TIME_LIMIT = env.int("REPORT_TASK_SOFT_TIME_LIMIT", default=10 * 60)
# Starts of one report (retries and redeliveries after a killed worker) before it is failed for good.
REPORT_MAX_ATTEMPTS = env.int("REPORT_MAX_ATTEMPTS", default=5)
REPORT_PENDING_TIMEOUT_HOURS = env.int("REPORT_PENDING_TIMEOUT_HOURS", default=24)
# Per-user quotas of POST /api/reports/ and the dashboard's form (429 with Retry-After beyond):
# reports PENDING or STARTED at once, and reports requested in the last hour. Clients (role USER)
# get the first pair, staff (TRAINER, ADMIN) the second; beat's daily report has none.
REPORT_MAX_ACTIVE_PER_USER = env.int("REPORT_MAX_ACTIVE_PER_USER", default=2)
REPORT_MAX_PER_HOUR_PER_USER = env.int("REPORT_MAX_PER_HOUR_PER_USER", default=10)
REPORT_MAX_ACTIVE_PER_STAFF = env.int("REPORT_MAX_ACTIVE_PER_STAFF", default=20)
REPORT_MAX_PER_HOUR_PER_STAFF = env.int("REPORT_MAX_PER_HOUR_PER_STAFF", default=200)
# Two Celery queues, so clients' reports never delay staff's: staff's (and beat's) go to
# REPORT_STAFF_QUEUE, which a worker of its own consumes (Procfile `staff-worker`, docs/operations.md).
REPORT_QUEUE = "reports"
REPORT_STAFF_QUEUE = "reports_staff"
# The report task's queue when its caller names none; reports.services names one for every request.
# Notifications have a queue (and a worker) of their own: reports never delay them, nor they reports.
NOTIFICATION_QUEUE = "notifications"
CELERY_TASK_ROUTES = {
    "reports.tasks.generate_report": {"queue": REPORT_QUEUE},
    "notifications.tasks.*": {"queue": NOTIFICATION_QUEUE},
}

# ---------------------------------------------------------------------------
# Static and media files
# ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")

# ---------------------------------------------------------------------------
# REST API
# ---------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # simplejwt's access-token checks with one clear 401 message per refusal (accounts/authentication.py).
        "accounts.authentication.BearerAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # DRF's JSON parser refusing lone surrogates and deep nesting with a 400 (core/parsers.py).
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "core.filters.SearchFilter",  # the contract's 400 for bad input, bounded word count
        "core.filters.OrderingFilter",  # an unknown field is a 400, not the default order
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "EXCEPTION_HANDLER": "core.exceptions.exception_handler",
    # Brute-force limits of the auth endpoints (accounts/throttles.py), counted in the shared cache.
    "DEFAULT_THROTTLE_RATES": {
        "auth_ip": env("AUTH_THROTTLE_IP_RATE", default="30/min"),
        "auth_username": env("AUTH_THROTTLE_USERNAME_RATE", default="5/min"),
        "auth_confirm": env("AUTH_THROTTLE_CONFIRM_RATE", default="60/min"),
    },
    # The per-IP throttles key on REMOTE_ADDR and never read X-Forwarded-For themselves. Which proxies
    # may name the client is decided once, from FORWARDED_ALLOW_IPS (default: none): uvicorn's
    # --forwarded-allow-ips for /ws/, core/proxy.py for gunicorn's HTTP, rewrite REMOTE_ADDR only for
    # requests from those addresses (docs/deployment.md). A second count here could be fed a forged
    # header by a direct client.
    "NUM_PROXIES": 0,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Fitness club platform API",
    "DESCRIPTION": "Memberships, clients, trainings, plans, workouts and reports of a fitness club.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # /api/docs/ under the strict CSP: Swagger UI's files come from our own static files (no CDN), and
    # SpectacularSwaggerSplitView serves its start-up code as a script file instead of an inline <script>.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Separate request and response components, so read-only fields are required in responses only.
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ClientStatusEnum": "club.models.ClientStatus",
        "PaymentStatusEnum": "club.models.PaymentStatus",
        "MembershipEventKindEnum": "club.models.MembershipEventKind",
        "ReportKindEnum": "reports.models.ReportKind",
        "PlanStatusEnum": "training.models.PlanStatus",
        "AccessLevelEnum": "club.models.AccessLevel",
        "SessionStatusEnum": "classes.models.SessionStatus",
        "BookingStatusEnum": "classes.models.BookingStatus",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.exceptions.openapi_error_responses",
    ],
}

# ---------------------------------------------------------------------------
# JWT (RS256)
# ---------------------------------------------------------------------------
JWT_PRIVATE_KEY_PATH = env.path("JWT_PRIVATE_KEY_PATH", default=BASE_DIR / "keys" / "jwt_private.pem")
JWT_PUBLIC_KEY_PATH = env.path("JWT_PUBLIC_KEY_PATH", default=BASE_DIR / "keys" / "jwt_public.pem")
# Key rotation: public keys of retired signing keys, still accepted (and published in the JWKS)
# until their tokens have expired. A listed file that is missing stops the start-up on purpose.
JWT_EXTRA_PUBLIC_KEY_PATHS = env.list("JWT_EXTRA_PUBLIC_KEY_PATHS", default=[])
JWT_EXTRA_PUBLIC_KEYS = [Path(path).read_text() for path in JWT_EXTRA_PUBLIC_KEY_PATHS]


def _read_key(path: Path) -> str:
    # A missing key must not stop `manage.py generate_jwt_keys` from starting, which creates it.
    return path.read_text() if path.exists() else ""


SIMPLE_JWT = {
    "ALGORITHM": "RS256",
    "SIGNING_KEY": _read_key(Path(JWT_PRIVATE_KEY_PATH)),
    "VERIFYING_KEY": _read_key(Path(JWT_PUBLIC_KEY_PATH)),
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "ISSUER": env("JWT_ISSUER", default="fitness-club"),
    "AUDIENCE": env("JWT_AUDIENCE", default="fitness-club-api"),
}

# ---------------------------------------------------------------------------
# Telegram, payments
# ---------------------------------------------------------------------------
TELEGRAM_BOT_TOKEN = env("TELEGRAM_BOT_TOKEN", default="")
TELEGRAM_BOT_USERNAME = env("TELEGRAM_BOT_USERNAME", default="")
TELEGRAM_WEBHOOK_SECRET = env("TELEGRAM_WEBHOOK_SECRET", default="")
TELEGRAM_API_BASE = env("TELEGRAM_API_BASE", default="https://api.telegram.org")
# Sign-in payloads (Login Widget, Mini App) are single-use and live minutes; linking with widget
# data keeps a day (the signed-in user's widget data may be older than the page that sends it).
TELEGRAM_AUTH_MAX_AGE = env.int("TELEGRAM_AUTH_MAX_AGE", default=300)
# Telegram's global limit for a bot's messages, shared by every notification worker (Redis).
TELEGRAM_MAX_PER_SECOND = env.int("TELEGRAM_MAX_PER_SECOND", default=25)
TELEGRAM_LINK_MAX_AGE = env.int("TELEGRAM_LINK_MAX_AGE", default=86400)

# ---------------------------------------------------------------------------
# Notifications: the Telegram outbox's sender (docs/telegram.md)
# ---------------------------------------------------------------------------
# Telegram's per-chat limit (one message a second), enforced with TELEGRAM_MAX_PER_SECOND by one
# Lua script in Redis that every notification worker shares (notifications/ratelimit.py).
TELEGRAM_CHAT_INTERVAL_MS = env.int("TELEGRAM_CHAT_INTERVAL_MS", default=1000)
TELEGRAM_LIMIT_KEY_PREFIX = env("TELEGRAM_LIMIT_KEY_PREFIX", default="telegram-limits")
# A sendMessage without an answer by then is a transient error (retried with backoff).
TELEGRAM_SEND_TIMEOUT_SECONDS = env.float("TELEGRAM_SEND_TIMEOUT_SECONDS", default=10.0)
# Bot API calls per notification before it ends FAILED with the last reason (network errors, 5xx, 429).
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=5)
# Backoff after a failed attempt n: BACKOFF × 2^(n-1) seconds, at most BACKOFF_MAX.
NOTIFICATION_RETRY_BACKOFF_SECONDS = env.float("NOTIFICATION_RETRY_BACKOFF_SECONDS", default=10.0)
NOTIFICATION_RETRY_BACKOFF_MAX_SECONDS = env.float("NOTIFICATION_RETRY_BACKOFF_MAX_SECONDS", default=600.0)
# A worker waits this long for the limiter in the task itself; a longer wait (a chat's next second,
# a 429) goes back to the broker as a retry with that countdown, and the worker sends other messages.
NOTIFICATION_MAX_INLINE_WAIT_SECONDS = env.float("NOTIFICATION_MAX_INLINE_WAIT_SECONDS", default=0.5)
# A claim older than this belongs to a worker that died mid-send: the sweeper marks the row FAILED
# (never resent: it may have reached the member). Well above TELEGRAM_SEND_TIMEOUT_SECONDS.
NOTIFICATION_CLAIM_STALE_SECONDS = env.int("NOTIFICATION_CLAIM_STALE_SECONDS", default=300)
CELERY_BEAT_SCHEDULE["fail-stale-notification-claims"] = {
    "task": "notifications.tasks.fail_stale_notification_claims",
    "schedule": crontab(minute="*/5"),
}

PAYMENT_SERVICE_URL = env("PAYMENT_SERVICE_URL", default="")
PAYMENT_SERVICE_TIMEOUT = env.float("PAYMENT_SERVICE_TIMEOUT", default=5.0)
# A payment event's timestamp must lie in [now - MAX_AGE, now + MAX_AHEAD], else it is dead-lettered
# (a provider replaying month-old events, a clock far off, or a forged year-1 date).
PAYMENT_EVENT_MAX_AGE = timedelta(days=env.int("PAYMENT_EVENT_MAX_AGE_DAYS", default=30))
PAYMENT_EVENT_MAX_AHEAD = timedelta(hours=env.int("PAYMENT_EVENT_MAX_AHEAD_HOURS", default=24))
# Bodies above this size are dead-lettered unread (an event is ~120 bytes).
PAYMENT_EVENT_MAX_BYTES = env.int("PAYMENT_EVENT_MAX_BYTES", default=16384)
PAYMENT_QUEUE = env("PAYMENT_QUEUE", default="payment_queue")
# ISO 4217 code printed beside every amount in reports, receipts and pages.
CLUB_CURRENCY = env("CLUB_CURRENCY", default="RUB")

# ---------------------------------------------------------------------------
# Front desk: sales, the membership ledger, holds (docs/front-desk.md)
# ---------------------------------------------------------------------------
# ISO 4217 code printed beside every amount (receipts, cash-up, reports); amounts are stored without it.
CLUB_CURRENCY = env("CLUB_CURRENCY", default="RUB")
# Days of holds a member may take within 365 days.
MEMBERSHIP_HOLD_MAX_DAYS = env.int("MEMBERSHIP_HOLD_MAX_DAYS", default=30)

# ---------------------------------------------------------------------------
# Classes: timetable, bookings, waitlists (docs/classes.md)
# ---------------------------------------------------------------------------
# A booking cancelled this close to the start is LATE_CANCELLED (and still frees the spot).
BOOKING_CANCEL_CUTOFF_HOURS = env.int("BOOKING_CANCEL_CUTOFF_HOURS", default=2)
# How far ahead the timetable's weekly rules are turned into sessions.
TIMETABLE_WEEKS_AHEAD = env.int("TIMETABLE_WEEKS_AHEAD", default=4)
CELERY_BEAT_SCHEDULE["generate-timetable"] = {
    "task": "classes.tasks.generate_timetable",
    "schedule": crontab(hour=1, minute=10),
}
# CLASS_REMINDER: each run looks 2 h ahead, so a short interval only makes reminders more punctual.
CELERY_BEAT_SCHEDULE["remind-booked-classes"] = {
    "task": "classes.tasks.remind_booked_classes",
    "schedule": crontab(minute="*/5"),
}
# Bookings still BOOKED once their session ended become NO_SHOW.
CELERY_BEAT_SCHEDULE["mark-class-no-shows"] = {
    "task": "classes.tasks.mark_no_shows",
    "schedule": crontab(minute="*/15"),
}
# Attendance: member cards and check-in (docs/check-in.md)
# ---------------------------------------------------------------------------
# A second admission of the same member within this many minutes returns the first visit (repeat: true).
CHECKIN_REPEAT_MINUTES = env.int("CHECKIN_REPEAT_MINUTES", default=60)
# A paying member with no admitted visit in this many days is "at risk" (?at_risk=true, the dashboard list).
AT_RISK_DAYS = env.int("AT_RISK_DAYS", default=14)
# Seconds a member card's QR payload stays valid (the SPEC allows at most 5 minutes).
MEMBER_CARD_MAX_AGE = min(env.int("MEMBER_CARD_MAX_AGE", default=300), 300)

# ---------------------------------------------------------------------------
# Workouts (real-time rep counting, docs/realtime.md)
# ---------------------------------------------------------------------------
# Debounce window between two counted reps of one user and type; per-type overrides as
# REP_MIN_INTERVAL_MS_BY_TYPE="jumping_jack=300;plank=2000" (0 turns debouncing off for a type).
REP_MIN_INTERVAL_MS = env.int("REP_MIN_INTERVAL_MS", default=500)
REP_MIN_INTERVAL_MS_BY_TYPE = env.dict("REP_MIN_INTERVAL_MS_BY_TYPE", cast={"value": int}, default={})
# A counter (and its debounce state) untouched this long is forgotten.
WORKOUT_IDLE_EXPIRY_SECONDS = env.float("WORKOUT_IDLE_EXPIRY_SECONDS", default=6 * 3600)
WORKOUT_COUNTER_KEY_PREFIX = env("WORKOUT_COUNTER_KEY_PREFIX", default="workouts")
# REDIS_URL names a node of a Redis Cluster: the counters and the live index use a cluster client.
WORKOUT_COUNTER_CLUSTER = env.bool("WORKOUT_COUNTER_CLUSTER", default=False)
WORKOUT_COUNTER_MAX_CONNECTIONS = env.int("WORKOUT_COUNTER_MAX_CONNECTIONS", default=50)
WORKOUT_COUNTER_POOL_TIMEOUT = env.float("WORKOUT_COUNTER_POOL_TIMEOUT", default=2.0)
WORKOUT_COUNTER_SOCKET_TIMEOUT = env.float("WORKOUT_COUNTER_SOCKET_TIMEOUT", default=2.0)
WORKOUT_FINISH_LOCK_TIMEOUT_SECONDS = env.float("WORKOUT_FINISH_LOCK_TIMEOUT_SECONDS", default=30.0)
WORKOUT_FINISH_LOCK_WAIT_SECONDS = env.float("WORKOUT_FINISH_LOCK_WAIT_SECONDS", default=5.0)
WORKOUT_WS_MAX_FRAME_BYTES = env.int("WORKOUT_WS_MAX_FRAME_BYTES", default=16 * 1024)
# Flood protection per connection: a token bucket far above any human pace (a device sends a few
# reps a second); a client that empties it is told and closed.
WORKOUT_WS_FLOOD_RATE = env.float("WORKOUT_WS_FLOOD_RATE", default=20.0)
WORKOUT_WS_FLOOD_BURST = env.int("WORKOUT_WS_FLOOD_BURST", default=60)
# `/ws/workout` sockets one user may hold at once, across every web process (workouts/connections.py):
# each holds a slot in Redis that it renews every TTL/3 and that expires TTL after a crashed process
# stopped renewing it.
WORKOUT_WS_MAX_CONNECTIONS_PER_USER = env.int("WORKOUT_WS_MAX_CONNECTIONS_PER_USER", default=5)
WORKOUT_WS_SLOT_TTL_SECONDS = env.float("WORKOUT_WS_SLOT_TTL_SECONDS", default=60.0)
# A socket closed for flooding keeps its slot this much longer, so flooding and reconnecting at once
# does not get a fresh burst every time.
WORKOUT_WS_FLOOD_PENALTY_SECONDS = env.float("WORKOUT_WS_FLOOD_PENALTY_SECONDS", default=30.0)
# A process refuses a user's next sockets this long after one was refused for the cap, before
# authenticating them (a client reconnecting in a loop would otherwise cost an authentication each time).
WORKOUT_WS_REFUSAL_MEMO_SECONDS = env.float("WORKOUT_WS_REFUSAL_MEMO_SECONDS", default=1.0)
# Counted reps reach staff on /ws/live in one channel-layer message per process and tick.
WORKOUT_LIVE_TICK_SECONDS = env.float("WORKOUT_LIVE_TICK_SECONDS", default=0.05)
# Staff sockets renew their live-group membership this often (it expires after a day, and a Redis
# restart forgets it).
WORKOUT_LIVE_REJOIN_SECONDS = env.float("WORKOUT_LIVE_REJOIN_SECONDS", default=600.0)
# The live page shows a workout in progress with no rep for this many minutes apart, as "idle" (a
# device that never finished; staff can end it there). Its counter lives on until WORKOUT_IDLE_EXPIRY_SECONDS.
WORKOUT_IDLE_MINUTES = env.float("WORKOUT_IDLE_MINUTES", default=10.0)

# ---------------------------------------------------------------------------
# Logging and metrics
# ---------------------------------------------------------------------------
# LOG_FORMAT=json gives one JSON object a line (production's default) for log shippers.
LOG_FORMAT = env("LOG_FORMAT", default="plain")
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.observability.RequestIdFilter"}},
    "formatters": {
        # Both redact tokens, credentials in URLs and the configured secrets (core/observability.py).
        "plain": {
            "()": "core.observability.PlainFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
        },
        "json": {
            "()": "core.observability.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        # httpx logs every request URL at INFO, and Bot API URLs carry the bot token.
        "httpx": {"level": "WARNING"},
        # Django's own defaults give these a second handler (the "django" one only under DEBUG) that
        # prints each line again, unformatted and unredacted: everything goes through "console" alone.
        "django": {"handlers": []},
        "django.server": {"handlers": [], "propagate": True},
    },
}
# The reverse proxies (comma-separated addresses, or *) whose X-Forwarded-For names the client
# (core/proxy.py); the Procfile passes the same variable to gunicorn and uvicorn. Empty: nobody.
FORWARDED_ALLOW_IPS = env.list("FORWARDED_ALLOW_IPS", default=[])
# Bearer token a Prometheus scraper presents at /metrics (admins may look while signed in).
METRICS_TOKEN = env("METRICS_TOKEN", default="")
