import datetime

import pytest

from club.tests.factories import ClientFactory
from club.tests.utils import assert_list_queries_constant
from training.models import Training, TrainingExercise
from training.tests.factories import ExerciseFactory, TrainingExerciseFactory, TrainingFactory

pytestmark = pytest.mark.django_db

URL = "/api/trainings/"


def test_staff_create_a_training_with_rows_and_the_seed_defaults(api_client_for, trainer, client_user):
    squat, press = ExerciseFactory(), ExerciseFactory()
    body = {
        "client_id": client_user.client.pk,
        "title": "Leg day",
        "exercises": [
            {"exercise_id": press.pk, "order_in_training": 2, "sets": 5, "reps": 5, "extra_weight": "40.00"},
            {"exercise_id": squat.pk, "order_in_training": 1},
        ],
    }

    response = api_client_for(trainer).post(URL, body)

    assert response.status_code == 201
    created = response.json()
    assert (created["duration_min"], created["training_type"], created["date"]) == (45, None, None)
    rows = [{key: value for key, value in row.items() if key != "id"} for row in created["exercises"]]
    assert rows == [
        {
            "exercise_id": squat.pk,
            "order_in_training": 1,
            "sets": 3,
            "reps": 10,
            "rest_time_sec": 60,
            "extra_weight": None,
        },
        {
            "exercise_id": press.pk,
            "order_in_training": 2,
            "sets": 5,
            "reps": 5,
            "rest_time_sec": 60,
            "extra_weight": "40.00",
        },
    ]
    assert TrainingExercise.objects.filter(training_id=created["id"]).count() == 2


def test_rows_are_read_in_order_whatever_the_insert_order(api_client_for, client_user):
    training = TrainingFactory(client=client_user.client)
    for position in (3, 1, 2):
        TrainingExerciseFactory(training=training, order_in_training=position)

    response = api_client_for(client_user).get(f"{URL}{training.pk}/")

    assert [row["order_in_training"] for row in response.json()["exercises"]] == [1, 2, 3]


def test_a_training_with_a_bad_row_writes_nothing(api_client_for, trainer, client_user):
    exercise = ExerciseFactory()
    body = {
        "client_id": client_user.client.pk,
        "title": "Leg day",
        "exercises": [
            {"exercise_id": exercise.pk, "order_in_training": 1},
            {"exercise_id": exercise.pk, "order_in_training": 2, "sets": -3},
        ],
    }

    response = api_client_for(trainer).post(URL, body)

    assert response.status_code == 400
    # the failing row is named by its index in the list
    assert response.json() == {"exercises": {"1": {"sets": ["Ensure this value is greater than or equal to 1."]}}}
    assert not Training.objects.exists()


def test_two_rows_at_one_position_are_a_400_and_write_nothing(api_client_for, trainer, client_user):
    exercise = ExerciseFactory()
    rows = [{"exercise_id": exercise.pk, "order_in_training": 1}] * 2

    response = api_client_for(trainer).post(URL, {"client_id": client_user.client.pk, "title": "X", "exercises": rows})

    assert response.status_code == 400
    assert response.json() == {"exercises": ["Each row needs its own order_in_training; taken twice: 1."]}
    assert not Training.objects.exists()
    assert not TrainingExercise.objects.exists()


def test_an_unknown_key_in_an_exercise_row_is_refused_by_its_index(api_client_for, trainer, client_user):
    exercise = ExerciseFactory()
    rows = [
        {"exercise_id": exercise.pk, "order_in_training": 1},
        {"exercise_id": exercise.pk, "order_in_training": 2, "training_id": 999},
    ]

    response = api_client_for(trainer).post(URL, {"client_id": client_user.client.pk, "title": "X", "exercises": rows})

    assert response.status_code == 400
    assert response.json() == {"exercises": {"1": {"training_id": ["Unknown field."]}}}
    assert not Training.objects.exists()


def test_updating_with_exercises_replaces_all_rows(api_client_for, trainer):
    row = TrainingExerciseFactory(order_in_training=1)
    other = ExerciseFactory()

    response = api_client_for(trainer).patch(
        f"{URL}{row.training_id}/",
        {"title": "Push day", "exercises": [{"exercise_id": other.pk, "order_in_training": 1}]},
    )

    assert response.status_code == 200
    assert [r["exercise_id"] for r in response.json()["exercises"]] == [other.pk]
    assert list(TrainingExercise.objects.values_list("exercise_id", flat=True)) == [other.pk]
    assert Training.objects.get(pk=row.training_id).title == "Push day"


def test_updating_without_exercises_keeps_the_rows(api_client_for, trainer):
    row = TrainingExerciseFactory()

    response = api_client_for(trainer).patch(f"{URL}{row.training_id}/", {"intensity": "HIGH"})

    assert response.status_code == 200
    assert [r["id"] for r in response.json()["exercises"]] == [row.pk]


def test_a_training_cannot_move_to_another_client(api_client_for, trainer):
    training = TrainingFactory()

    response = api_client_for(trainer).patch(f"{URL}{training.pk}/", {"client_id": ClientFactory().pk})

    assert response.status_code == 400
    assert response.json() == {"client_id": ["A training cannot move to another client."]}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"duration_min": 0}, "duration_min"),
        ({"duration_min": 10_000}, "duration_min"),
        ({"duration_min": "long"}, "duration_min"),
        ({"training_type": "BOXING"}, "training_type"),
        ({"intensity": "HUGE"}, "intensity"),
        ({"title": "x" * 10_000}, "title"),
        ({"date": "2026-13-45"}, "date"),
        ({"client_id": 999_999}, "client_id"),
        ({"exercises": [{"exercise_id": 999_999, "order_in_training": 1}]}, "exercises"),
        ({"exercises": [{"order_in_training": 1}]}, "exercises"),
        ({"exercises": "squats"}, "exercises"),
    ],
)
def test_bad_training_input_is_a_400_naming_the_field(api_client_for, trainer, client_user, body, field):
    response = api_client_for(trainer).post(URL, {"client_id": client_user.client.pk, "title": "Leg day", **body})

    assert response.status_code == 400
    assert field in response.json()
    assert not Training.objects.exists()


def test_a_user_reads_only_its_own_trainings(api_client_for, client_user, other_client_user):
    own = TrainingFactory(client=client_user.client)
    other = TrainingFactory(client=other_client_user.client)
    api = api_client_for(client_user)

    assert [row["id"] for row in api.get(URL).json()["results"]] == [own.pk]
    assert api.get(f"{URL}{own.pk}/").status_code == 200
    assert api.get(f"{URL}{other.pk}/").status_code == 404


def test_a_user_cannot_write_trainings(api_client_for, client_user, other_client_user):
    own = TrainingFactory(client=client_user.client)
    api = api_client_for(client_user)

    assert api.post(URL, {"client_id": client_user.client.pk, "title": "Mine"}).status_code == 403
    assert api.patch(f"{URL}{own.pk}/", {"title": "Renamed"}).status_code == 403
    assert api.delete(f"{URL}{own.pk}/").status_code == 403
    assert Training.objects.get(pk=own.pk).title == own.title


def test_anonymous_gets_401_on_trainings(api_client_for):
    training = TrainingFactory()

    assert api_client_for().get(URL).status_code == 401
    assert api_client_for().get(f"{URL}{training.pk}/").status_code == 401


def test_staff_delete_a_training_with_its_rows(api_client_for, admin_user):
    row = TrainingExerciseFactory()

    assert api_client_for(admin_user).delete(f"{URL}{row.training_id}/").status_code == 204
    assert not TrainingExercise.objects.exists()


def test_trainings_filter_by_client_type_intensity_and_date_range(api_client_for, trainer):
    client = ClientFactory()
    wanted = TrainingFactory(client=client, training_type="YOGA", intensity="LOW", date=datetime.date(2026, 3, 10))
    TrainingFactory(client=client, training_type="YOGA", intensity="LOW", date=datetime.date(2026, 4, 10))
    TrainingFactory(client=client, training_type="HIIT", intensity="LOW", date=datetime.date(2026, 3, 10))
    TrainingFactory(training_type="YOGA", intensity="LOW", date=datetime.date(2026, 3, 10))
    query = {
        "client_id": client.pk,
        "training_type": "YOGA",
        "intensity": "LOW",
        "date_from": "2026-03-01",
        "date_to": "2026-03-31",
    }

    response = api_client_for(trainer).get(URL, query)

    assert [row["id"] for row in response.json()["results"]] == [wanted.pk]


def test_a_bad_date_filter_is_a_400(api_client_for, trainer):
    response = api_client_for(trainer).get(URL, {"date_from": "soon"})

    assert response.status_code == 400
    assert "date_from" in response.json()


def test_training_list_runs_constant_queries(django_assert_num_queries, api_client_for, trainer):
    for training in TrainingFactory.create_batch(25):
        TrainingExerciseFactory.create_batch(2, training=training)
    # user, count, page, exercise rows
    assert_list_queries_constant(django_assert_num_queries, api_client_for(trainer), URL, 4)
