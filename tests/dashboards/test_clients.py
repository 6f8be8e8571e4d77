import datetime

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from club.models import Client, ClientStatus
from club.tests.factories import ClientFactory, MembershipFactory
from workouts.tests.factories import WorkoutSessionFactory

pytestmark = pytest.mark.django_db

NEW_CLIENT = {
    "username": "maria.k",
    "email": "maria@example.com",
    "password": "squat-rack-2026",
    "first_name": "Maria",
    "last_name": "Kuznetsova",
    "phone_number": "+7 912 555 0101",
    "gender": "FEMALE",
    "date_of_birth": "1994-03-02",
    "status": "ACTIVE",
}


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_a_trainer_signs_up_a_client_with_its_account_in_one_form(client, trainer):
    membership = MembershipFactory()
    client.force_login(trainer)

    response = client.post(reverse("club:client-create"), {**NEW_CLIENT, "membership": membership.pk})

    member = Client.objects.get(first_name="Maria")
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:client-detail", args=[member.pk])
    assert (member.user.username, member.user.role, member.membership) == ("maria.k", "USER", membership)
    assert member.user.check_password("squat-rack-2026")
    assert messages_of(response) == ["Maria Kuznetsova is now a club member and can sign in as maria.k."]


def test_a_taken_username_is_shown_next_to_the_field_and_nothing_is_created(client, trainer, client_user):
    client.force_login(trainer)
    before = User.objects.count()

    response = client.post(
        reverse("club:client-create"),
        {**NEW_CLIENT, "username": client_user.username, "membership": MembershipFactory().pk},
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {"username": ["A user with that username already exists."]}
    assert 'id="id_username_error"' in response.content.decode()
    assert User.objects.count() == before
    assert not Client.objects.filter(first_name="Maria").exists()


def test_a_weak_password_is_refused_by_the_password_rules(client, trainer):
    client.force_login(trainer)

    response = client.post(
        reverse("club:client-create"), {**NEW_CLIENT, "password": "12345678", "membership": MembershipFactory().pk}
    )

    assert response.status_code == 200
    assert "This password is entirely numeric." in response.context["form"].errors["password"]
    assert not User.objects.filter(username="maria.k").exists()


def test_editing_a_client_saves_the_profile(client, trainer, client_user):
    member = client_user.client
    client.force_login(trainer)
    data = {
        **{key: value for key, value in NEW_CLIENT.items() if key not in ("username", "email", "password")},
        "membership": member.membership_id,
        "status": "ON_HOLD",
    }

    response = client.post(reverse("club:client-edit", args=[member.pk]), data)

    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.first_name, member.status) == ("Maria", ClientStatus.ON_HOLD)
    assert messages_of(response) == ["Saved the profile of Maria Kuznetsova."]


def test_a_birth_date_in_the_future_is_refused_next_to_the_field(client, trainer, client_user):
    member = client_user.client
    client.force_login(trainer)
    data = {**NEW_CLIENT, "date_of_birth": "2999-01-01", "membership": member.membership_id}

    response = client.post(reverse("club:client-edit", args=[member.pk]), data)

    assert response.status_code == 200
    assert "date_of_birth" in response.context["form"].errors


def test_the_client_list_searches_names_and_phones_and_filters_by_status(client, trainer):
    ClientFactory(first_name="Olga", last_name="Sidorova", phone_number="+7 900 111 2233")
    ClientFactory(first_name="Ivan", last_name="Petrov", phone_number="+7 900 444 5566", status=ClientStatus.INACTIVE)
    client.force_login(trainer)

    def names(**query) -> list[str]:
        query = {"clients": "all", **query}  # nobody's trainer here: every client
        return [str(c) for c in client.get(reverse("club:client-list"), query).context["page"].object_list]

    assert names(q="olga sidor") == ["Olga Sidorova"]
    assert names(q="444") == ["Ivan Petrov"]
    assert names(status="INACTIVE") == ["Ivan Petrov"]
    assert names(status="NOT_A_STATUS") == ["Ivan Petrov", "Olga Sidorova"]


def test_the_live_search_answers_only_the_results(client, trainer):
    ClientFactory(first_name="Olga")
    client.force_login(trainer)

    query = {"q": "olga", "clients": "all"}
    body = client.get(reverse("club:client-list"), query, headers={"HX-Request": "true"}).content.decode()

    assert "Olga" in body
    assert "<html" not in body


def test_an_empty_club_and_an_empty_search_say_so(client, trainer):
    client.force_login(trainer)

    assert "No clients yet." in client.get(reverse("club:client-list"), {"clients": "all"}).content.decode()
    ClientFactory()
    assert "No client matches these filters." in client.get(reverse("club:client-list"), {"q": "zz"}).content.decode()


def test_the_client_page_shows_membership_history_and_chart_data(client, trainer, member):
    client.force_login(trainer)

    response = client.get(reverse("dashboard:client-detail", args=[member.pk]))

    body = response.content.decode()
    assert response.context["days_left"] == 3
    assert "3 days left" in body
    assert "Leg day" in body
    assert "Spring block" in body
    assert response.context["charts"]["volume"] == {"labels": ["Legs"], "values": [1200.0]}
    assert response.context["charts"]["reps"]["values"] == [25]
    assert response.context["charts"]["reps"]["series"] == [{"label": "squat", "values": [25]}]
    assert sum(response.context["charts"]["minutes"]["values"]) == 50
    assert '<script id="chart-minutes" type="application/json">' in body


def test_reps_per_workout_session_draw_one_line_per_exercise_type(client, trainer, client_user):
    start = timezone.now() - datetime.timedelta(days=3)
    for day, (kind, reps) in enumerate([("squat", 20), ("push_up", 12), ("squat", 24), ("lunge", 8)]):
        WorkoutSessionFactory(
            user=client_user, exercise_type=kind, total_reps=reps, created_at=start + datetime.timedelta(hours=day)
        )
    client.force_login(trainer)

    chart = client.get(reverse("dashboard:client-detail", args=[client_user.client.pk])).context["charts"]["reps"]

    assert len(chart["labels"]) == 4
    assert chart["series"] == [
        {"label": "lunge", "values": [None, None, None, 8]},
        {"label": "push_up", "values": [None, 12, None, None]},
        {"label": "squat", "values": [20, None, 24, None]},
    ]
