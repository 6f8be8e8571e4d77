"""Every API list renders datetimes in the active time zone, exactly as DRF's own serializers do.

A list must not remember the zone that was active when it was first served: under
`timezone.override("Europe/Moscow")` a `created_at` reads `…+03:00`, whatever ran before.
"""

import datetime
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework import serializers
from rest_framework.test import APIRequestFactory, force_authenticate

from attendance.models import Visit
from classes.models import Booking, TimetableRule
from classes.tests.factories import ClassSessionFactory
from club.models import MembershipHold
from club.tests.factories import PaymentFactory
from reports.models import Report
from training.tests.factories import TrainingExerciseFactory, TrainingFactory, TrainingPlanFactory
from workouts.tests.factories import WorkoutSessionFactory

pytestmark = pytest.mark.django_db

MOSCOW = "Europe/Moscow"
ISO_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")


def list_endpoints() -> list[tuple[str, object]]:
    """(route, view) of every list under /api/ and /workout/: the API's paginated collections."""
    found = []

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern).lstrip("^").rstrip("$")
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern):
                view_class = getattr(pattern.callback, "cls", None)
                actions = getattr(pattern.callback, "actions", None) or {}
                is_list = actions.get("get") == "list" or (
                    view_class is not None and not actions and hasattr(view_class, "list")
                )
                if is_list and (route.startswith("api/") or route.startswith("workout/")):
                    found.append((route, pattern.callback))

    walk(get_resolver().url_patterns, "")
    return found


@pytest.fixture
def one_of_everything(admin_user, client_user):
    client = client_user.client
    PaymentFactory(client=client, paid_at=datetime.datetime(2026, 3, 1, 23, 54, tzinfo=datetime.UTC))
    training = TrainingFactory(client=client)
    TrainingExerciseFactory(training=training)
    TrainingPlanFactory(user=client_user).trainings.add(training)
    WorkoutSessionFactory(user=client_user)
    MembershipHold.objects.create(
        client=client, starts_on=datetime.date(2026, 3, 2), ends_on=datetime.date(2026, 3, 8), staff=admin_user
    )
    Report.objects.create(kind="new_users", format="csv", requested_by=admin_user)
    session = ClassSessionFactory()
    TimetableRule.objects.create(
        weekday=0, start_time=datetime.time(18), class_type=session.class_type, trainer=session.trainer
    )
    Booking.objects.create(session=session, client=client, status="BOOKED")
    Visit.objects.create(client=client, result="ADMITTED", method="DESK", staff=admin_user)
    return training


def drf_rendering(view, request, row: dict) -> dict:
    """What the view's serializer renders through DRF's generic `Serializer.to_representation`."""
    instance = view.get_queryset().get(pk=row["id"])
    serializer = view.get_serializer(instance)
    return serializers.Serializer.to_representation(serializer, instance)


def test_every_list_renders_datetimes_in_the_active_time_zone_like_drf(admin_user, one_of_everything):
    endpoints = list_endpoints()
    assert {"api/clients/", "api/payments/", "api/trainings/", "workout/sessions"} <= {r for r, _ in endpoints}
    factory = APIRequestFactory()
    kwargs = {"training_pk": one_of_everything.pk}

    def fetch(route: str, callback):
        path = "/" + route.replace("<int:training_pk>", str(one_of_everything.pk))
        request = factory.get(path)
        force_authenticate(request, user=admin_user)
        view_kwargs = kwargs if "<int:training_pk>" in route else {}
        response = callback(request, **view_kwargs)
        assert response.status_code == 200, (route, response.data)
        return response

    # Served once in UTC first: nothing from that rendering may leak into the next one.
    for route, callback in endpoints:
        fetch(route, callback)

    offsets_seen = set()
    with timezone.override(MOSCOW):
        for route, callback in endpoints:
            response = fetch(route, callback)
            rows = response.data["results"]
            assert rows, f"{route}: the fixture leaves it empty"
            view = response.renderer_context["view"]
            for row in rows:
                assert row == drf_rendering(view, response.renderer_context["request"], row), route
                for name, value in row.items():
                    if isinstance(value, str) and ISO_DATETIME.match(value):
                        assert value.endswith("+03:00"), (route, name, value)
                        offsets_seen.add(route)
    # Every list whose rows carry a datetime was checked on one.
    assert {"api/clients/", "api/payments/", "api/trainings/", "workout/sessions", "api/reports/"} <= offsets_seen
