import uuid

import pytest
import redis
from django.conf import settings as django_settings

from workouts.counter import InMemoryRepCounter, RedisRepCounter


@pytest.fixture(autouse=True)
def counter_namespace(settings):
    """Each test counts under its own Redis key prefix (and so gets a fresh process counter)."""
    prefix = f"test-workouts-{uuid.uuid4().hex[:10]}"
    redis_url = django_settings.REDIS_URL  # a test may point REDIS_URL elsewhere
    settings.WORKOUT_COUNTER_KEY_PREFIX = prefix
    settings.WORKOUT_JOURNAL_SWEEP_SECONDS = 0.1
    yield prefix
    if redis_url:
        client = redis.Redis.from_url(redis_url)
        keys = list(client.scan_iter(f"{prefix}:*"))
        if keys:
            client.delete(*keys)
        client.close()


@pytest.fixture(
    params=[pytest.param("memory"), pytest.param("redis", marks=pytest.mark.redis)],
)
def rep_counter(request, counter_namespace):
    """Both implementations of the counter interface; the Redis one against the suite's Redis."""
    if request.param == "memory":
        return InMemoryRepCounter()
    return RedisRepCounter(django_settings.REDIS_URL, prefix=counter_namespace)
