import pytest
from django.conf import settings as django_settings

from tests.timing import FakeClock
from workouts.counter import RepCounter

STORES = [pytest.param("embedded"), pytest.param("redis", marks=pytest.mark.redis)]


@pytest.fixture(autouse=True)
def counter_namespace(rep_counter_namespace):
    """Each test counts under its own Redis key prefix."""
    return rep_counter_namespace


def store_url(store: str) -> str | None:
    return None if store == "embedded" else django_settings.REDIS_URL


@pytest.fixture(params=STORES)
def rep_counter(request, counter_namespace):
    """The one counter, on both of its stores: the embedded fakeredis and the suite's Redis."""
    return RepCounter(store_url(request.param), prefix=counter_namespace, cluster=False)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=STORES)
def clocked_counter(request, counter_namespace, clock):
    """`rep_counter` on the test's clock instead of the Redis server's: the test moves time."""
    return RepCounter(store_url(request.param), prefix=counter_namespace, cluster=False, clock=clock)
