"""Probes of the services the platform depends on (`/healthz`), and the 503 a lost database gives."""

import logging

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.deprecation import MiddlewareMixin

logger = logging.getLogger(__name__)


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        return False


def redis_ok() -> bool:
    import redis

    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except redis.RedisError:
        return False


def broker_ok() -> bool:
    from kombu import Connection

    try:
        with Connection(settings.CELERY_BROKER_URL, connect_timeout=2) as broker:
            broker.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:
        return False


def component_states() -> dict[str, str]:
    """Each component's state: `ok`, `down`, or `embedded` when it runs in-process."""
    states = {"database": "ok" if database_ok() else "down"}
    states["redis"] = ("ok" if redis_ok() else "down") if settings.REDIS_URL else "embedded"
    states["broker"] = ("ok" if broker_ok() else "down") if settings.CELERY_BROKER_URL else "embedded"
    return states


class DatabaseUnavailableMiddleware(MiddlewareMixin):
    """A request that lost the database answers 503 with `Retry-After`, never a 500.

    When PostgreSQL restarts or kills connections, the pool discards the broken connections
    (`CONN_HEALTH_CHECKS` tests each one it hands out) and the next request gets a fresh one, so the
    outage shows as a few 503s that clients may retry, not a storm of 500s.
    """

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        logger.warning("database unavailable for %s %s: %s", request.method, request.path, exception)
        response = JsonResponse({"detail": "The database is unavailable; retry shortly."}, status=503)
        response["Retry-After"] = "1"
        return response
