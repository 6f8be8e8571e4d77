from datetime import UTC, datetime

import pytest
from rest_framework.test import APIClient

from workouts.tests.factories import WorkoutSessionFactory

pytestmark = pytest.mark.django_db

LIST = "/api/workout-sessions/"


def at(day: int) -> datetime:
    return datetime(2026, 11, day, 12, tzinfo=UTC)


@pytest.fixture
def sessions(client_user, other_client_user):
    return {
        "own_old": WorkoutSessionFactory(user=client_user, exercise_type="squat", total_reps=10, created_at=at(1)),
        "own_new": WorkoutSessionFactory(user=client_user, exercise_type="push_up", total_reps=5, created_at=at(3)),
        "other": WorkoutSessionFactory(user=other_client_user, exercise_type="squat", total_reps=7, created_at=at(2)),
    }


def ids(response) -> list[int]:
    assert response.status_code == 200
    return [row["id"] for row in response.json()["results"]]


def test_client_sees_only_its_own_sessions_newest_first(client_user, api_client_for, sessions):
    response = api_client_for(client_user).get(LIST)
    assert response.json() == {
        "count": 2,
        "next": None,
        "previous": None,
        "results": [
            {
                "id": sessions["own_new"].pk,
                "user_id": client_user.pk,
                "username": "anna",
                "exercise_type": "push_up",
                "total_reps": 5,
                "created_at": "2026-11-03T12:00:00Z",
            },
            {
                "id": sessions["own_old"].pk,
                "user_id": client_user.pk,
                "username": "anna",
                "exercise_type": "squat",
                "total_reps": 10,
                "created_at": "2026-11-01T12:00:00Z",
            },
        ],
    }


def test_client_gets_404_for_another_clients_session(client_user, api_client_for, sessions):
    api_client = api_client_for(client_user)
    assert api_client.get(f"{LIST}{sessions['other'].pk}/").status_code == 404
    assert api_client.get(f"{LIST}{sessions['own_old'].pk}/").json()["total_reps"] == 10


def test_client_filtering_by_another_user_sees_nothing(client_user, other_client_user, api_client_for, sessions):
    assert ids(api_client_for(client_user).get(LIST, {"user_id": other_client_user.pk})) == []


def test_staff_see_everyones_sessions(trainer, admin_user, api_client_for, sessions):
    expected = [sessions["own_new"].pk, sessions["other"].pk, sessions["own_old"].pk]
    assert ids(api_client_for(trainer).get(LIST)) == expected
    assert ids(api_client_for(admin_user).get(LIST)) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"exercise_type": "squat"}, ["other", "own_old"]),
        ({"date_from": "2026-11-02"}, ["own_new", "other"]),
        ({"date_to": "2026-11-02"}, ["other", "own_old"]),
        ({"date_from": "2026-11-02", "date_to": "2026-11-02"}, ["other"]),
        ({"ordering": "total_reps"}, ["own_new", "other", "own_old"]),
    ],
)
def test_staff_filter_sessions(trainer, api_client_for, sessions, query, expected):
    assert ids(api_client_for(trainer).get(LIST, query)) == [sessions[name].pk for name in expected]


def test_staff_filter_by_user(trainer, other_client_user, api_client_for, sessions):
    assert ids(api_client_for(trainer).get(LIST, {"user_id": other_client_user.pk})) == [sessions["other"].pk]


def test_bad_filter_values_are_400(trainer, api_client_for):
    response = api_client_for(trainer).get(LIST, {"date_from": "yesterday", "user_id": "x"})
    assert response.status_code == 400
    assert set(response.json()) == {"date_from", "user_id"}


def test_sessions_are_read_only(admin_user, api_client_for, sessions):
    api_client = api_client_for(admin_user)
    assert api_client.post(LIST, {"exercise_type": "squat", "total_reps": 1}).status_code == 405
    assert api_client.delete(f"{LIST}{sessions['other'].pk}/").status_code == 405


def test_anonymous_gets_401():
    assert APIClient().get(LIST).status_code == 401
    assert APIClient().get("/workout/sessions").status_code == 401


def test_list_query_count_does_not_grow_with_rows(trainer, api_client_for, django_assert_num_queries):
    api_client = api_client_for(trainer)
    WorkoutSessionFactory.create_batch(2)
    # user of the token, count, page
    with django_assert_num_queries(3):
        api_client.get(LIST)
    WorkoutSessionFactory.create_batch(15)
    with django_assert_num_queries(3):
        assert len(api_client.get(LIST).json()["results"]) == 17


def test_seed_sessions_endpoint_lists_the_callers_sessions_paginated(client_user, api_client_for, sessions):
    response = api_client_for(client_user).get("/workout/sessions", {"page_size": 1})
    body = response.json()
    assert (body["count"], [row["id"] for row in body["results"]]) == (2, [sessions["own_new"].pk])
    assert body["next"].endswith("/workout/sessions?page=2&page_size=1")


def test_seed_sessions_endpoint_shows_staff_everyones(trainer, api_client_for, sessions):
    assert ids(api_client_for(trainer).get("/workout/sessions")) == [
        sessions["own_new"].pk,
        sessions["other"].pk,
        sessions["own_old"].pk,
    ]
