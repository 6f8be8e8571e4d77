"""Production: chosen explicitly; adds the HTTPS-only hardening on top of the base settings."""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")
LOGGING["handlers"]["console"]["formatter"] = env("LOG_FORMAT", default="json")  # noqa: F405

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# Probes speak plain HTTP inside the network (compose's health check, a Prometheus scraper): a
# redirect to HTTPS would fail them and protect nothing, the request has already been sent.
SECURE_REDIRECT_EXEMPT = [r"^health$", r"^healthz$", r"^metrics$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# ---------------------------------------------------------------------------
# Production: resilience
# ---------------------------------------------------------------------------
# The pool tests each connection before handing it out, so connections PostgreSQL dropped (a restart,
# a failover, pg_terminate_backend) are replaced instead of failing requests; what still fails
# mid-request answers 503 (core.health.DatabaseUnavailableMiddleware).
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("DATABASE_CONN_HEALTH_CHECKS", default=True)  # noqa: F405

# ---------------------------------------------------------------------------
# Logging
# ---------------------------------------------------------------------------
# Workers log through LOGGING too (JSON, redacted), instead of Celery's own root handler.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
