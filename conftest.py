"""The suite's shared cast and the rules for tests that need a real service.

Tests marked `postgres`, `redis` or `rabbitmq` run against the service named by DATABASE_URL,
REDIS_URL or CELERY_BROKER_URL. Without it they are skipped with the reason, except under
CI=true, where a missing service fails the run instead of hiding tests.
"""

import os
import uuid
from collections.abc import Iterator

import pytest
import redis
from django.conf import settings
from django.utils import translation
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.tests.factories import AdminFactory, TrainerFactory, UserFactory
from club.tests.factories import ClientFactory
from tests.eager import celery_tasks_eager
from tests.fake_bot_api import fake_bot_api, telegram_bot  # noqa: F401 (fixtures for every app's tests)

IN_CI = os.environ.get("CI", "").lower() == "true"

SERVICES = {
    "postgres": ("DATABASE_URL", lambda: settings.DATABASES["default"]["ENGINE"].endswith("postgresql")),
    "redis": ("REDIS_URL", lambda: bool(settings.REDIS_URL)),
    "rabbitmq": ("CELERY_BROKER_URL", lambda: settings.CELERY_BROKER_URL.startswith("amqp")),
}


def pytest_configure(config: pytest.Config) -> None:
    if IN_CI:
        missing = [variable for variable, available in SERVICES.values() if not available()]
        if missing:
            raise pytest.UsageError(f"CI=true but {', '.join(missing)} not set: CI runs against the real services.")


def pytest_runtest_setup(item: pytest.Item) -> None:
    for marker, (variable, available) in SERVICES.items():
        if item.get_closest_marker(marker) and not available():
            pytest.skip(f"needs {marker}: set {variable} (make test under .ci/run does)")


@pytest.fixture(autouse=True)
def default_language() -> Iterator[None]:
    """Every test starts and ends in the default language: a request with `Accept-Language: ru` leaves
    Russian active in the thread (LocaleMiddleware activates, nothing deactivates), and the next test's
    messages would come out in Russian."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def admin_user(db):
    return AdminFactory(username="boss")


@pytest.fixture
def trainer(db):
    return TrainerFactory(username="coach")


@pytest.fixture
def client_user(db):
    return ClientFactory(user=UserFactory(username="anna")).user


@pytest.fixture
def other_client_user(db):
    return ClientFactory(user=UserFactory(username="boris"), first_name="Boris").user


@pytest.fixture
def api_client_for():
    """An API client authenticated as the given user with a real RS256 access token."""

    def make(user=None) -> APIClient:
        api_client = APIClient()
        if user is not None:
            access = RefreshToken.for_user(user).access_token
            api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
        return api_client

    return make


@pytest.fixture
def eager_tasks() -> Iterator[None]:
    """The test's Celery tasks run in-process (for tests of APIs and services that need no worker)."""
    with celery_tasks_eager():
        yield


@pytest.fixture
def rep_counter_namespace(settings):
    """Reps counted under a Redis key prefix of this test's own (and so a fresh process counter), removed afterwards."""
    prefix = f"test-{uuid.uuid4().hex[:10]}"
    redis_url = settings.REDIS_URL  # a test may point REDIS_URL elsewhere
    settings.WORKOUT_COUNTER_KEY_PREFIX = prefix
    yield prefix
    if redis_url:
        client = redis.Redis.from_url(redis_url)
        if keys := list(client.scan_iter(f"{prefix}:*")):
            client.delete(*keys)
        client.close()
