import datetime

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from club.tests.factories import ClientFactory
from training.models import Training, TrainingPlan
from training.tests.factories import ExerciseFactory, TrainingFactory, TrainingPlanFactory

pytestmark = pytest.mark.django_db


def rows_data(*rows: dict, initial: int = 0) -> dict:
    """The formset's POST fields for these rows (each: exercise, ORDER, optional DELETE and values)."""
    data = {"rows-TOTAL_FORMS": len(rows), "rows-INITIAL_FORMS": initial, "rows-MAX_NUM_FORMS": 50}
    for index, row in enumerate(rows):
        defaults = {"sets": 3, "reps": 10, "rest_time_sec": 60, "extra_weight": ""}
        data.update({f"rows-{index}-{key}": value for key, value in {**defaults, **row}.items()})
    return data


def training_data(member, **fields) -> dict:
    return {"client": member.pk, "title": "Push day", "duration_min": 45, "date": "2026-11-20", **fields}


def stored_rows(training: Training) -> list[tuple[str, int, int]]:
    return [
        (row.exercise.title, row.order_in_training, row.reps)
        for row in training.exercise_rows.order_by("order_in_training")
    ]


def test_a_training_is_created_with_its_exercises_in_the_chosen_order(client, trainer, client_user):
    bench, dips, fly = ExerciseFactory(title="Bench"), ExerciseFactory(title="Dips"), ExerciseFactory(title="Fly")
    client.force_login(trainer)
    # The browser moved the third row to the top: ORDER, not the form index, is the order.
    data = training_data(client_user.client) | rows_data(
        {"exercise": bench.pk, "ORDER": 2},
        {"exercise": dips.pk, "ORDER": 3, "reps": 8},
        {"exercise": fly.pk, "ORDER": 1},
    )

    response = client.post(reverse("training:training-create"), data)

    training = Training.objects.get(title="Push day")
    assert response.status_code == 302
    assert response["Location"] == reverse("training:training-edit", args=[training.pk])
    assert stored_rows(training) == [("Fly", 1, 10), ("Bench", 2, 10), ("Dips", 3, 8)]
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Created “Push day” with 3 exercises."]


def test_editing_a_training_replaces_its_rows_and_skips_removed_ones(client, trainer, member):
    training = member.trainings.get()
    squat, lunge = ExerciseFactory(title="Squat"), ExerciseFactory(title="Lunge")
    client.force_login(trainer)
    data = training_data(member, title="Leg day v2") | rows_data(
        {"exercise": squat.pk, "ORDER": 1, "DELETE": "on"}, {"exercise": lunge.pk, "ORDER": 2, "reps": 12}, initial=1
    )

    response = client.post(reverse("training:training-edit", args=[training.pk]), data)

    assert response.status_code == 302
    training.refresh_from_db()
    assert training.title == "Leg day v2"
    assert stored_rows(training) == [("Lunge", 1, 12)]


def test_the_edit_form_starts_from_the_stored_rows(client, trainer, member):
    client.force_login(trainer)

    response = client.get(reverse("training:training-edit", args=[member.trainings.get().pk]))

    rows = response.context["rows"]
    assert [form.initial["ORDER"] for form in rows.forms] == [1]
    assert 'name="rows-0-ORDER"' in response.content.decode()


def test_the_new_row_template_carries_the_default_values(client, trainer):
    client.force_login(trainer)

    body = client.get(reverse("training:training-create")).content.decode()

    assert 'name="rows-__prefix__-sets" value="3"' in body
    assert 'name="rows-__prefix__-reps" value="10"' in body
    assert 'name="rows-__prefix__-rest_time_sec" value="60"' in body


def test_bad_row_values_are_shown_next_to_the_row_field_and_nothing_is_saved(client, trainer, client_user):
    client.force_login(trainer)
    data = training_data(client_user.client) | rows_data({"exercise": ExerciseFactory().pk, "ORDER": 1, "sets": 0})

    response = client.post(reverse("training:training-create"), data)

    assert response.status_code == 200
    assert response.context["rows"].errors == [{"sets": ["Ensure this value is greater than or equal to 1."]}]
    assert 'id="id_rows-0-sets_error"' in response.content.decode()
    assert not Training.objects.exists()


def test_a_new_training_starts_with_the_client_from_the_link(client, trainer, client_user):
    client.force_login(trainer)

    response = client.get(reverse("training:training-create"), {"client": client_user.client.pk})

    assert response.context["form"]["client"].value() == client_user.client.pk


def test_the_training_list_searches_titles_and_client_names(client, trainer):
    TrainingFactory(title="Morning yoga", client=ClientFactory(first_name="Olga"))
    TrainingFactory(title="Leg day", client=ClientFactory(first_name="Ivan"))
    client.force_login(trainer)

    def titles(**query) -> list[str]:
        query = {"clients": "all", **query}  # nobody's trainer here: every client's trainings
        return [t.title for t in client.get(reverse("training:training-list"), query).context["page"].object_list]

    assert titles(q="yoga") == ["Morning yoga"]
    assert titles(q="ivan") == ["Leg day"]
    assert "No training matches." in client.get(reverse("training:training-list"), {"q": "zz"}).content.decode()


def test_a_plan_is_built_from_the_clients_trainings_and_assigned_to_it(client, trainer, member):
    training = member.trainings.get()
    client.force_login(trainer)

    response = client.post(
        reverse("training:plan-create"),
        {"user": member.user_id, "title": "Winter block", "status": "PREPARED", "trainings": [training.pk]},
    )

    plan = TrainingPlan.objects.get(title="Winter block")
    assert response.status_code == 302
    assert (plan.user, plan.status, list(plan.trainings.all())) == (member.user, "PREPARED", [training])


def test_another_clients_training_cannot_join_a_plan(client, trainer, member, other_client_user):
    foreign = TrainingFactory(client=other_client_user.client)
    client.force_login(trainer)

    response = client.post(
        reverse("training:plan-create"),
        {"user": member.user_id, "title": "Winter block", "status": "ACTIVE", "trainings": [foreign.pk]},
    )

    assert response.status_code == 200
    assert "trainings" in response.context["form"].errors
    assert not TrainingPlan.objects.filter(title="Winter block").exists()


def test_the_plan_form_lists_only_the_chosen_clients_trainings(client, trainer, member, other_client_user):
    TrainingFactory(client=other_client_user.client, title="Not mine")
    client.force_login(trainer)

    response = client.get(reverse("training:plan-training-choices"), {"user": member.user_id})

    body = response.content.decode()
    assert "Leg day" in body
    assert "Not mine" not in body
    assert "<html" not in body


def test_changing_a_plan_status_says_so_and_returns_to_the_list(client, trainer, member):
    plan = TrainingPlanFactory(user=member.user, title="Autumn block")
    client.force_login(trainer)
    back = reverse("training:plan-list") + "?status=ACTIVE"

    response = client.post(reverse("training:plan-status", args=[plan.pk]), {"status": "COMPLETED", "next": back})

    assert response["Location"] == back
    plan.refresh_from_db()
    assert plan.status == "COMPLETED"
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["“Autumn block” is now completed."]


def test_a_plan_status_change_never_redirects_off_site(client, trainer, member):
    plan = TrainingPlanFactory(user=member.user)
    client.force_login(trainer)

    response = client.post(
        reverse("training:plan-status", args=[plan.pk]), {"status": "ACTIVE", "next": "https://evil.example/"}
    )

    assert response["Location"] == reverse("training:plan-list")


def test_an_unknown_plan_status_changes_nothing(client, trainer, member):
    plan = TrainingPlanFactory(user=member.user)
    client.force_login(trainer)

    response = client.post(reverse("training:plan-status", args=[plan.pk]), {"status": "DONE"})

    plan.refresh_from_db()
    assert plan.status == "ACTIVE"
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Choose one of the listed statuses."]


def test_the_catalog_filters_by_muscle_group_level_and_search(client, trainer):
    ExerciseFactory(title="Plank", muscle_group="CORE", complexity_lvl="BEGINNER")
    ExerciseFactory(title="Dragon flag", muscle_group="CORE", complexity_lvl="EXPERT")
    ExerciseFactory(title="Deadlift", muscle_group="BACK", complexity_lvl="ADVANCED")
    client.force_login(trainer)

    def titles(**query) -> list[str]:
        return [e.title for e in client.get(reverse("training:exercise-list"), query).context["page"].object_list]

    assert titles(muscle_group="CORE") == ["Dragon flag", "Plank"]
    assert titles(muscle_group="CORE", complexity_lvl="EXPERT") == ["Dragon flag"]
    assert titles(q="dead") == ["Deadlift"]
    assert "No exercise matches." in client.get(reverse("training:exercise-list"), {"q": "zz"}).content.decode()


def test_the_dashboard_shows_today_and_the_expiring_memberships(client, trainer, member):
    ClientFactory(first_name="Later", expiration_date=datetime.date.today() + datetime.timedelta(days=30))
    client.force_login(trainer)

    response = client.get(reverse("dashboard:home"))

    glance = response.context["glance"]
    assert [t.title for t in glance.trainings] == ["Leg day"]
    assert list(glance.expiring) == [member]
    assert glance.active_clients == 2
    assert [s.total_reps for s in glance.recent_sessions] == [25]
