"""Capacity under concurrency, proved on PostgreSQL through two web processes of the production topology."""

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from django.conf import settings
from rest_framework_simplejwt.tokens import AccessToken

from classes.models import Booking, BookingStatus
from classes.tests.factories import ClassSessionFactory
from club.tests.factories import ClientFactory
from tests.production.conftest import cleanup, make_topology, require_services

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.rabbitmq,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(scope="module")
def webs(django_db_setup, django_db_blocker, tmp_path_factory):
    require_services()
    # Only the two web processes; a pool large enough that waiting on the session's row lock, not on a
    # connection, is what the requests queue for.
    topology = make_topology(
        tmp_path_factory.mktemp("classes"),
        workers=0,
        staff_workers=0,
        beat=False,
        consumers=0,
        extra_env={"DATABASE_POOL_MAX_SIZE": "20", "DATABASE_POOL_TIMEOUT": "30"},
    )
    try:
        topology.start()
        yield topology.webs
    finally:
        topology.stop()
        cleanup(topology, redis_url=settings.REDIS_URL, broker_url=settings.CELERY_BROKER_URL)


def fire(requests: list[tuple[str, str, str]]) -> list[httpx.Response]:
    """Send (method, url, token) all at once from as many threads, released together by a barrier."""
    barrier = threading.Barrier(len(requests))

    def send(request):
        method, url, token = request
        with httpx.Client(timeout=60) as http:
            barrier.wait()
            return http.request(method, url, headers={"Authorization": f"Bearer {token}"})

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(send, requests))


def test_100_concurrent_bookings_for_10_spots_on_two_processes_book_10_and_waitlist_90_in_order(webs):
    session = ClassSessionFactory(capacity=10)
    clients = [ClientFactory(expiration_date=session.starts_at.date()) for _ in range(100)]
    requests = [
        ("POST", f"{webs[n % 2].url}/api/class-sessions/{session.pk}/bookings/", str(AccessToken.for_user(c.user)))
        for n, c in enumerate(clients)
    ]
    responses = fire(requests)

    assert sorted({response.status_code for response in responses}) == [201]
    bodies = [response.json() for response in responses]
    assert sum(body["status"] == "BOOKED" for body in bodies) == 10
    assert sorted(body["waitlist_position"] for body in bodies if body["status"] == "WAITLISTED") == list(range(1, 91))
    rows = Booking.objects.filter(session=session)
    assert rows.filter(status=BookingStatus.BOOKED).count() == 10
    assert sorted(rows.filter(status=BookingStatus.WAITLISTED).values_list("waitlist_position", flat=True)) == list(
        range(1, 91)
    )

    # Five members with a spot cancel at once: exactly the first five in line move up, in order.
    booked = list(rows.filter(status=BookingStatus.BOOKED).select_related("client__user")[:5])
    first_in_line = list(
        rows.filter(status=BookingStatus.WAITLISTED, waitlist_position__lte=5).order_by("waitlist_position")
    )
    cancels = fire(
        [
            ("DELETE", f"{webs[n % 2].url}/api/bookings/{b.pk}/", str(AccessToken.for_user(b.client.user)))
            for n, b in enumerate(booked)
        ]
    )
    assert [response.status_code for response in cancels] == [200] * 5
    assert {response.json()["status"] for response in cancels} == {"CANCELLED"}
    promoted = list(rows.filter(promoted_at__isnull=False).order_by("promoted_at", "id"))
    assert [b.pk for b in promoted] == [b.pk for b in first_in_line]
    assert rows.filter(status=BookingStatus.BOOKED).count() == 10
    assert sorted(rows.filter(status=BookingStatus.WAITLISTED).values_list("waitlist_position", flat=True)) == list(
        range(1, 86)
    )
