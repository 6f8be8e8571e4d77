import pytest
from django.conf import settings as django_settings

from workouts.counter import InMemoryRepCounter, RedisRepCounter


@pytest.fixture(autouse=True)
def counter_namespace(rep_counter_namespace, settings):
    """Each test counts under its own Redis key prefix, with a quick journal sweep."""
    settings.WORKOUT_JOURNAL_SWEEP_SECONDS = 0.1
    return rep_counter_namespace


@pytest.fixture(
    params=[pytest.param("memory"), pytest.param("redis", marks=pytest.mark.redis)],
)
def rep_counter(request, counter_namespace):
    """Both implementations of the counter interface; the Redis one against the suite's Redis."""
    if request.param == "memory":
        return InMemoryRepCounter()
    return RedisRepCounter(django_settings.REDIS_URL, prefix=counter_namespace)
