import pytest

from club.tests.utils import assert_list_queries_constant
from training.models import TrainingPlan
from training.tests.factories import TrainingFactory, TrainingPlanFactory

pytestmark = pytest.mark.django_db

URL = "/api/training-plans/"


def test_a_user_creates_its_own_plan_with_its_trainings(api_client_for, client_user):
    first, second = TrainingFactory.create_batch(2, client=client_user.client)
    body = {"title": "Spring block", "training_ids": [first.pk, second.pk]}

    response = api_client_for(client_user).post(URL, body)

    assert response.status_code == 201
    created = response.json()
    assert (created["user_id"], created["status"], created["description"]) == (client_user.pk, "ACTIVE", None)
    assert sorted(created["training_ids"]) == sorted([first.pk, second.pk])
    plan = TrainingPlan.objects.get(pk=created["id"])
    assert plan.user == client_user
    assert set(plan.trainings.all()) == {first, second}


def test_a_user_cannot_put_another_clients_training_in_its_plan(api_client_for, client_user, other_client_user):
    foreign = TrainingFactory(client=other_client_user.client)

    response = api_client_for(client_user).post(URL, {"title": "Sneaky", "training_ids": [foreign.pk]})

    assert response.status_code == 400
    assert response.json() == {"training_ids": [f'Invalid pk "{foreign.pk}" - object does not exist.']}
    assert not TrainingPlan.objects.exists()


def test_a_user_edits_and_deletes_its_own_plan(api_client_for, client_user):
    plan = TrainingPlanFactory(user=client_user)
    training = TrainingFactory(client=client_user.client)
    api = api_client_for(client_user)

    edited = api.patch(f"{URL}{plan.pk}/", {"status": "COMPLETED", "training_ids": [training.pk]})
    deleted = api.delete(f"{URL}{plan.pk}/")

    assert edited.status_code == 200
    assert (edited.json()["status"], edited.json()["training_ids"]) == ("COMPLETED", [training.pk])
    assert deleted.status_code == 204
    assert not TrainingPlan.objects.exists()


def test_another_users_plan_answers_404_to_every_method(api_client_for, client_user, other_client_user):
    plan = TrainingPlanFactory(user=other_client_user)
    api = api_client_for(client_user)

    assert api.get(f"{URL}{plan.pk}/").status_code == 404
    assert api.patch(f"{URL}{plan.pk}/", {"title": "Mine now"}).status_code == 404
    assert api.delete(f"{URL}{plan.pk}/").status_code == 404
    assert api.get(URL).json()["count"] == 0
    assert TrainingPlan.objects.get(pk=plan.pk).title == plan.title


def test_a_user_cannot_hand_its_plan_to_someone_else(api_client_for, client_user, other_client_user):
    plan = TrainingPlanFactory(user=client_user)

    response = api_client_for(client_user).patch(f"{URL}{plan.pk}/", {"user_id": other_client_user.pk, "title": "X"})

    assert response.status_code == 400
    assert response.json() == {"user_id": ["Only staff choose a plan's user: a client's plans are always its own."]}
    assert TrainingPlan.objects.get(pk=plan.pk).user == client_user
    assert TrainingPlan.objects.get(pk=plan.pk).title == plan.title


def test_a_user_cannot_create_a_plan_for_someone_else(api_client_for, client_user, other_client_user):
    response = api_client_for(client_user).post(URL, {"title": "Gift", "user_id": other_client_user.pk})

    assert response.status_code == 400
    assert "user_id" in response.json()
    assert not TrainingPlan.objects.exists()


def test_staff_create_a_plan_for_a_client(api_client_for, trainer, client_user):
    training = TrainingFactory(client=client_user.client)

    response = api_client_for(trainer).post(
        URL, {"title": "Prepared block", "user_id": client_user.pk, "status": "PREPARED", "training_ids": [training.pk]}
    )

    assert response.status_code == 201
    plan = TrainingPlan.objects.get(pk=response.json()["id"])
    assert (plan.user, plan.status, list(plan.trainings.all())) == (client_user, "PREPARED", [training])


def test_a_plan_holds_only_trainings_of_its_user(api_client_for, trainer, client_user, other_client_user):
    foreign = TrainingFactory(client=other_client_user.client)

    response = api_client_for(trainer).post(
        URL, {"title": "Mixed", "user_id": client_user.pk, "training_ids": [foreign.pk]}
    )

    assert response.status_code == 400
    assert response.json() == {"training_ids": [f"Not trainings of the plan's user: {foreign.pk}."]}
    assert not TrainingPlan.objects.exists()


def test_moving_a_plan_to_another_user_checks_its_trainings(api_client_for, trainer, client_user, other_client_user):
    plan = TrainingPlanFactory(user=client_user)
    plan.trainings.add(TrainingFactory(client=client_user.client))

    response = api_client_for(trainer).patch(f"{URL}{plan.pk}/", {"user_id": other_client_user.pk})

    assert response.status_code == 400
    assert "training_ids" in response.json()
    assert TrainingPlan.objects.get(pk=plan.pk).user == client_user


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "DONE"}, "status"),
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"training_ids": "1,2"}, "training_ids"),
        ({"training_ids": [999_999]}, "training_ids"),
    ],
)
def test_bad_plan_input_is_a_400_naming_the_field(api_client_for, client_user, body, field):
    response = api_client_for(client_user).post(URL, {"title": "Block", **body})

    assert response.status_code == 400
    assert field in response.json()
    assert not TrainingPlan.objects.exists()


def test_anonymous_gets_401_on_plans(api_client_for):
    assert api_client_for().get(URL).status_code == 401
    assert api_client_for().post(URL, {"title": "x"}).status_code == 401


def test_staff_list_every_plan_filtered_by_status(api_client_for, trainer):
    wanted = TrainingPlanFactory(status="PREPARED")
    TrainingPlanFactory(status="COMPLETED")

    response = api_client_for(trainer).get(URL, {"status": "PREPARED"})

    assert [row["id"] for row in response.json()["results"]] == [wanted.pk]


def test_plan_list_runs_constant_queries(django_assert_num_queries, api_client_for, trainer):
    for plan in TrainingPlanFactory.create_batch(25):
        plan.trainings.add(TrainingFactory())
    # user, count, page, plan trainings
    assert_list_queries_constant(django_assert_num_queries, api_client_for(trainer), URL, 4)
