"""List pages run a fixed number of queries, however many rows they show (no N+1)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from club.models import Client

pytestmark = pytest.mark.django_db

# session + user, then the page's own reads (counts, the page of rows, the filter or request form's choices).
LIST_PAGES = {
    "dashboard:home": 11,  # + attendance: checked in today, check-ins by hour, members at risk (page, count)
    "club:client-list": 5,
    "training:training-list": 4,
    "training:plan-list": 4,
    "training:exercise-list": 4,
    "reports:report-list": 5,
    "live-workouts": 3,
}


@pytest.mark.parametrize(("name", "queries"), LIST_PAGES.items())
@pytest.mark.parametrize("size", [1, 6])
def test_list_pages_query_count_does_not_grow_with_rows(
    client, trainer, make_club, make_report, django_assert_num_queries, name, queries, size
):
    make_club(size)
    Client.objects.update(trainer=trainer)  # the trainer's lists show "My clients" by default
    for _ in range(size):
        make_report()
    client.force_login(trainer)

    with django_assert_num_queries(queries):
        response = client.get(reverse(name))

    assert response.status_code == 200


@pytest.mark.parametrize("size", [1, 6])
def test_client_detail_query_count_does_not_grow_with_history(client, trainer, member, django_assert_num_queries, size):
    from attendance.models import Visit
    from notifications.models import Notification
    from training.tests.factories import TrainingExerciseFactory, TrainingFactory, TrainingPlanFactory
    from workouts.tests.factories import WorkoutSessionFactory

    for day in range(size):
        at = timezone.now() - timedelta(days=day)
        Visit.objects.create(client=member, result="ADMITTED", method="QR", staff=trainer, checked_in_at=at)
        training = TrainingFactory(client=member)
        TrainingExerciseFactory.create_batch(2, training=training)
        TrainingPlanFactory(user=member.user).trainings.add(training)
        WorkoutSessionFactory(user=member.user)
        Notification.objects.create(user=member.user, kind="RECEIPT", dedupe_key=f"RECEIPT:test-{day}")
    client.force_login(trainer)

    # + attendance: the last visits, visits per week; + the member's recent notifications
    with django_assert_num_queries(14):
        response = client.get(reverse("dashboard:client-detail", args=[member.pk]))

    assert response.status_code == 200
