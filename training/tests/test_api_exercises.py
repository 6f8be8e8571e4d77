import pytest

from club.tests.utils import assert_list_queries_constant
from training.models import Exercise, TrainingExercise
from training.tests.factories import ExerciseFactory, TrainingExerciseFactory

pytestmark = pytest.mark.django_db

URL = "/api/exercises/"


def test_staff_create_an_exercise_with_the_seed_defaults(api_client_for, trainer):
    response = api_client_for(trainer).post(URL, {"title": "Goblet squat", "muscle_group": "LEGS"})

    assert response.status_code == 201
    assert response.json() == {
        "id": response.json()["id"],
        "title": "Goblet squat",
        "description": None,
        "muscle_group": "LEGS",
        "equipment_required": False,
        "complexity_lvl": "BEGINNER",
    }


@pytest.mark.parametrize("role", ["admin_user", "trainer", "client_user"])
def test_every_signed_in_role_reads_the_catalog(request, api_client_for, role):
    exercise = ExerciseFactory()
    api = api_client_for(request.getfixturevalue(role))

    assert api.get(URL).json()["count"] == 1
    assert api.get(f"{URL}{exercise.pk}/").json()["title"] == exercise.title


def test_a_user_cannot_write_the_catalog(api_client_for, client_user):
    exercise = ExerciseFactory()
    api = api_client_for(client_user)

    assert api.post(URL, {"title": "Mine"}).status_code == 403
    assert api.patch(f"{URL}{exercise.pk}/", {"title": "Renamed"}).status_code == 403
    assert api.delete(f"{URL}{exercise.pk}/").status_code == 403
    assert list(Exercise.objects.values_list("title", flat=True)) == [exercise.title]


def test_anonymous_gets_401_on_exercises(api_client_for):
    assert api_client_for().get(URL).status_code == 401
    assert api_client_for().post(URL, {"title": "x"}).status_code == 401


def test_a_title_is_unique(api_client_for, trainer):
    ExerciseFactory(title="Deadlift")

    response = api_client_for(trainer).post(URL, {"title": "Deadlift"})

    assert response.status_code == 400
    assert response.json() == {"title": ["An exercise with this title already exists."]}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "x" * 51}, "title"),
        ({"title": "Neck roll", "muscle_group": "NECK"}, "muscle_group"),
        ({"title": "Neck roll", "complexity_lvl": "GOD"}, "complexity_lvl"),
        ({"title": "Neck roll", "equipment_required": "perhaps"}, "equipment_required"),
    ],
)
def test_bad_exercise_input_is_a_400_naming_the_field(api_client_for, trainer, body, field):
    response = api_client_for(trainer).post(URL, body)

    assert response.status_code == 400
    assert field in response.json()
    assert not Exercise.objects.exists()


def test_deleting_an_exercise_removes_it_from_trainings(api_client_for, trainer):
    row = TrainingExerciseFactory()

    response = api_client_for(trainer).delete(f"{URL}{row.exercise_id}/")

    assert response.status_code == 204
    assert not TrainingExercise.objects.filter(pk=row.pk).exists()


def test_exercises_filter_by_group_level_and_equipment_and_search_title(api_client_for, client_user):
    wanted = ExerciseFactory(
        title="Barbell squat", muscle_group="LEGS", complexity_lvl="ADVANCED", equipment_required=True
    )
    ExerciseFactory(title="Air squat", muscle_group="LEGS", complexity_lvl="ADVANCED")
    ExerciseFactory(title="Barbell row", muscle_group="BACK", complexity_lvl="ADVANCED", equipment_required=True)
    api = api_client_for(client_user)

    response = api.get(URL, {"muscle_group": "LEGS", "complexity_lvl": "ADVANCED", "equipment_required": "true"})
    searched = api.get(URL, {"search": "barbell sq"})

    assert [row["id"] for row in response.json()["results"]] == [wanted.pk]
    assert [row["id"] for row in searched.json()["results"]] == [wanted.pk]


def test_exercise_list_runs_constant_queries(django_assert_num_queries, api_client_for, client_user):
    ExerciseFactory.create_batch(25)
    # user, count, page
    assert_list_queries_constant(django_assert_num_queries, api_client_for(client_user), URL, 3)
