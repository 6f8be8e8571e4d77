import asyncio

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from workouts.counter import get_rep_counter
from workouts.models import WorkoutSession

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def undebounced_taps(settings):
    settings.REP_MIN_INTERVAL_MS_BY_TYPE = {"tap": 0}


@pytest.fixture
def count_reps():
    """Counts reps as a device would, on one event loop for the whole test."""
    runner = asyncio.Runner()

    def count(user, n: int = 1, exercise_type: str = "tap"):
        for _ in range(n):
            outcome = runner.run(get_rep_counter().count_rep(user_id=user.pk, exercise_type=exercise_type))
        return outcome

    yield count
    runner.close()


def total(user, exercise_type: str = "tap") -> int:
    return get_rep_counter().total(user_id=user.pk, exercise_type=exercise_type)


def finish(api_client, body=None, **headers):
    return api_client.post("/workout/finish", body, format="json", headers=headers)


def test_finish_saves_the_running_total_and_takes_it_off_the_counter(client_user, api_client_for, count_reps):
    count_reps(client_user, 3)
    response = finish(api_client_for(client_user), {"type": "tap"})
    session = WorkoutSession.objects.get()
    assert (response.status_code, response.json()) == (201, {"status": "success", "workout_id": session.pk})
    assert (session.user, session.exercise_type, session.total_reps, session.idempotency_key) == (
        client_user,
        "tap",
        3,
        None,
    )
    assert total(client_user) == 0


def test_finish_without_a_body_finishes_squats(client_user, api_client_for, count_reps):
    count_reps(client_user, exercise_type="squat")
    assert finish(api_client_for(client_user)).status_code == 201
    assert WorkoutSession.objects.get().exercise_type == "squat"


def test_finish_of_one_type_keeps_the_other_types_and_users(client_user, other_client_user, api_client_for, count_reps):
    count_reps(client_user, 2, "tap")
    count_reps(client_user, 1, "squat")
    count_reps(other_client_user, 4, "tap")
    finish(api_client_for(client_user), {"type": "tap"})
    assert (total(client_user, "squat"), total(other_client_user, "tap")) == (1, 4)


def test_rep_right_after_a_finish_starts_the_next_workout(client_user, api_client_for, count_reps):
    count_reps(client_user, exercise_type="squat")
    finish(api_client_for(client_user), {"type": "squat"})
    outcome = count_reps(client_user, exercise_type="squat")  # the debounce window was reset
    assert (outcome.counted, outcome.total_reps) == (True, 1)


def test_finish_with_nothing_counted_is_a_conflict(client_user, api_client_for):
    response = finish(api_client_for(client_user), {"type": "tap"})
    assert (response.status_code, response.json()) == (
        409,
        {"detail": "No reps counted for this exercise type since the last finish.", "extra": {"type": "tap"}},
    )
    assert not WorkoutSession.objects.exists()


@pytest.mark.parametrize("body", [{"type": "Squat"}, {"type": ""}, {"type": "a" * 51}, {"type": 5}])
def test_finish_with_a_bad_type_is_refused(client_user, api_client_for, body):
    response = finish(api_client_for(client_user), body)
    assert response.status_code == 400
    assert list(response.json()) == ["type"]


def test_finish_needs_authentication():
    from rest_framework.test import APIClient

    assert finish(APIClient(), {"type": "tap"}).status_code == 401


def test_retry_with_the_same_idempotency_key_returns_the_same_workout(client_user, api_client_for, count_reps):
    api_client = api_client_for(client_user)
    count_reps(client_user, 3)
    first = finish(api_client, {"type": "tap"}, **{"Idempotency-Key": "finish-1"})
    count_reps(client_user, 2)
    retry = finish(api_client, {"type": "tap"}, **{"Idempotency-Key": "finish-1"})
    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.json() == first.json()
    assert list(WorkoutSession.objects.values_list("total_reps", "idempotency_key")) == [(3, "finish-1")]
    assert total(client_user) == 2


def test_idempotency_key_of_another_type_is_a_conflict(client_user, api_client_for, count_reps):
    api_client = api_client_for(client_user)
    count_reps(client_user, 1, "tap")
    count_reps(client_user, 1, "squat")
    workout_id = finish(api_client, {"type": "tap"}, **{"Idempotency-Key": "k"}).json()["workout_id"]
    response = finish(api_client, {"type": "squat"}, **{"Idempotency-Key": "k"})
    assert response.status_code == 409
    assert response.json()["extra"] == {"workout_id": workout_id, "type": "tap"}
    assert total(client_user, "squat") == 1


def test_idempotency_key_longer_than_the_column_is_refused(client_user, api_client_for, count_reps):
    count_reps(client_user)
    response = finish(api_client_for(client_user), {"type": "tap"}, **{"Idempotency-Key": "k" * 101})
    assert (response.status_code, response.json()) == (400, {"Idempotency-Key": ["At most 100 characters."]})
    assert total(client_user) == 1


def test_the_same_idempotency_key_of_two_users_saves_two_workouts(
    client_user, other_client_user, api_client_for, count_reps
):
    for user in (client_user, other_client_user):
        count_reps(user)
        assert finish(api_client_for(user), {"type": "tap"}, **{"Idempotency-Key": "same"}).status_code == 201
    assert WorkoutSession.objects.count() == 2


def test_finish_is_announced_to_staff_after_commit(
    client_user, api_client_for, count_reps, django_capture_on_commit_callbacks
):
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)("workouts.live", channel)
    count_reps(client_user, 2)
    with django_capture_on_commit_callbacks(execute=True):
        workout_id = finish(api_client_for(client_user), {"type": "tap"}).json()["workout_id"]
    message = async_to_sync(layer.receive)(channel)
    async_to_sync(layer.group_discard)("workouts.live", channel)
    session = WorkoutSession.objects.get()
    assert message == {
        "type": "live.event",
        "payload": {
            "event": "workout_finished",
            "workout_id": workout_id,
            "user_id": client_user.pk,
            "username": "anna",
            "name": str(client_user.client),
            "client_url": f"/dashboard/clients/{client_user.client.pk}/",
            "type": "tap",
            "total_reps": 2,
            "created_at": session.created_at.isoformat(),
            "ended_by": None,
        },
    }


def test_a_saved_workout_whose_settle_never_reached_redis_is_taken_off_before_the_next_finish(
    client_user, api_client_for, count_reps
):
    count_reps(client_user, 3)
    # Saved, but Redis went down before the settle: the counter still holds its 3 reps.
    missed = WorkoutSession.objects.create(user=client_user, exercise_type="tap", total_reps=3)
    count_reps(client_user, 2)

    response = finish(api_client_for(client_user), {"type": "tap"})

    assert response.status_code == 201
    assert list(WorkoutSession.objects.order_by("pk").values_list("pk", "total_reps")) == [
        (missed.pk, 3),
        (response.json()["workout_id"], 2),
    ]
    assert total(client_user) == 0


def test_an_idempotent_retry_does_not_take_the_workout_off_twice(client_user, api_client_for, count_reps):
    count_reps(client_user, 3)
    assert finish(api_client_for(client_user), {"type": "tap"}, **{"Idempotency-Key": "k-1"}).status_code == 201
    count_reps(client_user, 2)

    assert finish(api_client_for(client_user), {"type": "tap"}, **{"Idempotency-Key": "k-1"}).status_code == 200

    assert total(client_user) == 2
