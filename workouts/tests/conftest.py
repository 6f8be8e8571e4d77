import pytest
from django.conf import settings as django_settings

from workouts.counter import RepCounter


@pytest.fixture(autouse=True)
def counter_namespace(rep_counter_namespace):
    """Each test counts under its own Redis key prefix."""
    return rep_counter_namespace


@pytest.fixture(
    params=[pytest.param("embedded"), pytest.param("redis", marks=pytest.mark.redis)],
)
def rep_counter(request, counter_namespace):
    """The one counter, on both of its stores: the embedded fakeredis and the suite's Redis."""
    url = None if request.param == "embedded" else django_settings.REDIS_URL
    return RepCounter(url, prefix=counter_namespace, cluster=False)
