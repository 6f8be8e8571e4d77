import hmac
import os
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess

# Which signed-in users may read the metrics is the accounts app's rule: the URLconf hands it in
# (config/urls.py), so core imports no app.
UserCheck = Callable[[AbstractBaseUser | AnonymousUser], bool]


def metrics_allowed(request: HttpRequest, *, user_allowed: UserCheck | None = None) -> bool:
    if user_allowed is not None and user_allowed(request.user):
        return True
    token = settings.METRICS_TOKEN
    offered = request.headers.get("Authorization", "").removeprefix("Bearer ")
    return bool(token) and hmac.compare_digest(offered.encode(), token.encode())


def render_metrics() -> tuple[bytes, str]:
    # With several server processes each writes its samples to PROMETHEUS_MULTIPROC_DIR and any
    # one of them answers for all.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return generate_latest(registry), CONTENT_TYPE_LATEST
