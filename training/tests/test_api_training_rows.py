import pytest

from club.tests.utils import assert_list_queries_constant
from training.models import TrainingExercise
from training.tests.factories import ExerciseFactory, TrainingExerciseFactory, TrainingFactory

pytestmark = pytest.mark.django_db


def rows_url(training, row=None) -> str:
    return f"/api/trainings/{training.pk}/exercises/" + (f"{row.pk}/" if row else "")


def test_staff_add_a_row_with_the_defaults(api_client_for, trainer):
    training = TrainingFactory()
    exercise = ExerciseFactory()

    response = api_client_for(trainer).post(rows_url(training), {"exercise_id": exercise.pk, "order_in_training": 1})

    assert response.status_code == 201
    assert response.json() == {
        "id": response.json()["id"],
        "exercise_id": exercise.pk,
        "order_in_training": 1,
        "sets": 3,
        "reps": 10,
        "rest_time_sec": 60,
        "extra_weight": None,
    }


def test_adding_a_row_at_a_taken_position_is_a_409(api_client_for, trainer):
    row = TrainingExerciseFactory(order_in_training=1)

    response = api_client_for(trainer).post(
        rows_url(row.training), {"exercise_id": ExerciseFactory().pk, "order_in_training": 1}
    )

    assert response.status_code == 409
    assert response.json() == {
        "detail": "Position 1 of this training is already taken.",
        "extra": {"order_in_training": 1},
    }
    assert TrainingExercise.objects.count() == 1


def test_moving_a_row_to_a_taken_position_is_a_409_and_to_a_free_one_works(api_client_for, trainer):
    first = TrainingExerciseFactory(order_in_training=1)
    second = TrainingExerciseFactory(training=first.training, order_in_training=2)
    api = api_client_for(trainer)

    taken = api.patch(rows_url(first.training, second), {"order_in_training": 1})
    free = api.patch(rows_url(first.training, second), {"order_in_training": 5, "reps": 12})

    assert taken.status_code == 409
    assert free.status_code == 200
    second.refresh_from_db()
    assert (second.order_in_training, second.reps) == (5, 12)


def test_the_row_list_is_in_order(api_client_for, trainer):
    training = TrainingFactory()
    for position in (2, 3, 1):
        TrainingExerciseFactory(training=training, order_in_training=position)

    response = api_client_for(trainer).get(rows_url(training))

    assert [row["order_in_training"] for row in response.json()["results"]] == [1, 2, 3]


def test_staff_remove_a_row(api_client_for, trainer):
    row = TrainingExerciseFactory()

    assert api_client_for(trainer).delete(rows_url(row.training, row)).status_code == 204
    assert not TrainingExercise.objects.exists()


def test_a_row_is_reached_only_through_its_own_training(api_client_for, trainer):
    row = TrainingExerciseFactory()
    elsewhere = TrainingFactory()

    assert api_client_for(trainer).get(rows_url(elsewhere, row)).status_code == 404


def test_a_user_reads_the_rows_of_its_own_training_only(api_client_for, client_user, other_client_user):
    own = TrainingExerciseFactory(training__client=client_user.client)
    other = TrainingExerciseFactory(training__client=other_client_user.client)
    api = api_client_for(client_user)

    assert api.get(rows_url(own.training)).json()["count"] == 1
    assert api.get(rows_url(own.training, own)).status_code == 200
    assert api.get(rows_url(other.training)).status_code == 404
    assert api.get(rows_url(other.training, other)).status_code == 404


def test_a_user_cannot_change_rows(api_client_for, client_user):
    row = TrainingExerciseFactory(training__client=client_user.client)
    api = api_client_for(client_user)

    assert api.post(rows_url(row.training), {"exercise_id": row.exercise_id, "order_in_training": 2}).status_code == 403
    assert api.patch(rows_url(row.training, row), {"reps": 99}).status_code == 403
    assert api.delete(rows_url(row.training, row)).status_code == 403
    row.refresh_from_db()
    assert row.reps == 10


def test_anonymous_gets_401_on_rows(api_client_for):
    row = TrainingExerciseFactory()

    assert api_client_for().get(rows_url(row.training)).status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"order_in_training": 0}, "order_in_training"),
        ({"order_in_training": 1, "reps": 0}, "reps"),
        ({"order_in_training": 1, "rest_time_sec": 99_999}, "rest_time_sec"),
        ({"order_in_training": 1, "extra_weight": "-5"}, "extra_weight"),
        ({"order_in_training": 1, "extra_weight": "100000"}, "extra_weight"),
    ],
)
def test_bad_row_input_is_a_400_naming_the_field(api_client_for, trainer, body, field):
    training = TrainingFactory()

    response = api_client_for(trainer).post(rows_url(training), {"exercise_id": ExerciseFactory().pk, **body})

    assert response.status_code == 400
    assert field in response.json()
    assert not TrainingExercise.objects.exists()


def test_row_list_runs_constant_queries(django_assert_num_queries, api_client_for, trainer):
    training = TrainingFactory()
    TrainingExerciseFactory.create_batch(25, training=training)
    # user, training, count, page
    assert_list_queries_constant(django_assert_num_queries, api_client_for(trainer), rows_url(training), 4)
