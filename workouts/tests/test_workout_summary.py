import asyncio
import datetime

import pytest
from django.utils import timezone

from notifications.models import Notification
from notifications.tests.helpers import in_failed_transaction, link_telegram
from workouts.counter import get_rep_counter
from workouts.models import WorkoutSession
from workouts.services import workout_finish
from workouts.tests.factories import WorkoutSessionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def undebounced(settings):
    settings.REP_MIN_INTERVAL_MS_BY_TYPE = {"squat": 0, "push_up": 0}


@pytest.fixture
def member(client_user):
    return link_telegram(client_user)


@pytest.fixture
def workout():
    """Counts `reps` as a device would, then finishes them: the saved WorkoutSession."""
    runner = asyncio.Runner()

    def run(user, reps: int, exercise_type: str = "squat") -> WorkoutSession:
        for _ in range(reps):
            runner.run(get_rep_counter().count_rep(user_id=user.pk, exercise_type=exercise_type))
        session, _ = workout_finish(user=user, exercise_type=exercise_type)
        return session

    yield run
    runner.close()


def summary(session: WorkoutSession) -> Notification:
    return Notification.objects.get(dedupe_key=f"WORKOUT_SUMMARY:{session.pk}")


def test_a_finish_writes_its_summary_with_todays_totals_per_type(member, workout, django_capture_on_commit_callbacks):
    workout(member, 20, "push_up")
    with django_capture_on_commit_callbacks() as callbacks:
        squats = workout(member, 30)
    notification = summary(squats)
    assert (notification.user, notification.kind, notification.status) == (member, "WORKOUT_SUMMARY", "QUEUED")
    assert notification.context == {
        "workout_id": squats.pk,
        "exercise_type": "squat",
        "reps": 30,
        "previous_best": None,
        "personal_best": False,  # the first squats have nothing to beat
        "today": {"push_up": 20, "squat": 30},
    }
    assert len(callbacks) == 2  # the summary's send and the staff's live update


def test_more_reps_than_every_earlier_workout_of_the_type_is_a_personal_best(member, workout):
    WorkoutSessionFactory(user=member, total_reps=25, created_at=timezone.now() - datetime.timedelta(days=30))
    WorkoutSessionFactory(user=member, total_reps=40, exercise_type="push_up")  # another type does not count
    better, equal = workout(member, 26), workout(member, 26)
    assert (summary(better).context["personal_best"], summary(better).context["previous_best"]) == (True, 25)
    assert (summary(equal).context["personal_best"], summary(equal).context["previous_best"]) == (False, 26)


def test_todays_totals_leave_yesterday_and_other_members_out(member, other_client_user, workout):
    WorkoutSessionFactory(user=member, total_reps=99, created_at=timezone.now() - datetime.timedelta(days=1))
    WorkoutSessionFactory(user=other_client_user, total_reps=50)
    session = workout(member, 10)
    assert summary(session).context["today"] == {"squat": 10}


def test_a_retried_finish_writes_no_second_summary(member, workout):
    runner = asyncio.Runner()
    runner.run(get_rep_counter().count_rep(user_id=member.pk, exercise_type="squat"))
    runner.close()
    first, created = workout_finish(user=member, exercise_type="squat", idempotency_key="k1")
    again, created_again = workout_finish(user=member, exercise_type="squat", idempotency_key="k1")
    assert (first.pk, created, created_again) == (again.pk, True, False)
    assert Notification.objects.filter(kind="WORKOUT_SUMMARY").count() == 1


def test_a_summary_is_written_in_the_workouts_transaction(member, workout):
    in_failed_transaction(lambda: workout(member, 5))
    assert (WorkoutSession.objects.count(), Notification.objects.count()) == (0, 0)


def test_a_member_without_telegram_gets_a_skipped_summary(client_user, workout):
    session = workout(client_user, 5)
    assert (summary(session).status, summary(session).error) == ("SKIPPED", "No Telegram account linked.")


def test_the_summary_costs_the_same_queries_however_long_the_history(member, workout, django_assert_num_queries):
    workout(member, 3)
    # The finish's 11, and the summary's 6: the best, today's totals, the opt-out, the row in a savepoint.
    with django_assert_num_queries(17):
        workout(member, 3)
    WorkoutSessionFactory.create_batch(30, user=member, created_at=timezone.now() - datetime.timedelta(days=3))
    with django_assert_num_queries(17):
        workout(member, 3)
