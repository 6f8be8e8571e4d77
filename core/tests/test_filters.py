"""Every list endpoint answers a filter value it cannot use with a 400 naming the parameter."""

import pytest

pytestmark = pytest.mark.django_db

WHOLE_NUMBER = "Enter a whole number."
AT_LEAST_ONE = "Ensure this value is greater than or equal to 1."
DATE = "Enter a valid date."
SLUG = "An exercise type is a lowercase slug such as 'squat' or 'push_up'."


def choice(value: str) -> str:
    return f"Select a valid choice. {value} is not one of the available choices."


def ordering(value: str, fields: str) -> str:
    return f"Unknown field '{value}': order by {fields} (prefix - for descending)."


BAD_FILTERS = [
    ("/api/memberships/", "access_level", "GOLDEN", choice("GOLDEN")),
    ("/api/memberships/", "ordering", "-cost", ordering("-cost", "price, access_level, id")),
    ("/api/clients/", "status", "active", choice("active")),
    ("/api/clients/", "membership_id", "1.5", WHOLE_NUMBER),
    ("/api/clients/", "trainer_id", "0", AT_LEAST_ONE),
    ("/api/clients/", "expires_before", "2026-02-30", DATE),
    (
        "/api/clients/",
        "ordering",
        "last_name,age",
        ordering("age", "last_name, first_name, created_at, expiration_date, id"),
    ),
    ("/api/exercises/", "muscle_group", "NECK", choice("NECK")),
    ("/api/exercises/", "complexity_lvl", "2", choice("2")),
    ("/api/exercises/", "equipment_required", "maybe", "Enter true or false."),
    ("/api/exercises/", "equipment_required", "2", "Enter true or false."),
    ("/api/exercises/", "ordering", "difficulty", ordering("difficulty", "title, complexity_lvl, muscle_group, id")),
    ("/api/trainings/", "client_id", "abc", WHOLE_NUMBER),
    ("/api/trainings/", "training_type", "PILATES", choice("PILATES")),
    ("/api/trainings/", "intensity", "extreme", choice("extreme")),
    ("/api/trainings/", "date_from", "yesterday", DATE),
    ("/api/trainings/", "date_to", "2026-13-01", DATE),
    ("/api/trainings/", "ordering", "-day", ordering("-day", "date, duration_min, created_at, title, id")),
    ("/api/training-plans/", "status", "DONE", choice("DONE")),
    ("/api/training-plans/", "user_id", "-1", AT_LEAST_ONE),
    ("/api/training-plans/", "ordering", "name", ordering("name", "created_at, title, status, id")),
    ("/api/payments/", "status", "paid", choice("paid")),
    ("/api/payments/", "client_id", "1.5", WHOLE_NUMBER),
    ("/api/payments/", "membership_id", "x", WHOLE_NUMBER),
    ("/api/payments/", "ordering", "amount,sum", ordering("sum", "created_at, paid_at, amount, id")),
    ("/api/workout-sessions/", "user_id", "1.5", WHOLE_NUMBER),
    ("/api/workout-sessions/", "user_id", "1e3", WHOLE_NUMBER),
    ("/api/workout-sessions/", "user_id", "0", AT_LEAST_ONE),
    ("/api/workout-sessions/", "user_id", "99999999999", "Ensure this value is less than or equal to 2147483647."),
    ("/api/workout-sessions/", "exercise_type", "Squat!", SLUG),
    ("/api/workout-sessions/", "date_from", "garbage", DATE),
    ("/api/workout-sessions/", "date_to", "2026-02-30", DATE),
    ("/api/workout-sessions/", "ordering", "reps", ordering("reps", "created_at, total_reps, exercise_type")),
    ("/workout/sessions", "user_id", "1.5", WHOLE_NUMBER),
    ("/api/reports/", "kind", "gossip", choice("gossip")),
    ("/api/reports/", "format", "docx", choice("docx")),
    ("/api/reports/", "status", "done", choice("done")),
    ("/api/reports/", "ordering", "kind", ordering("kind", "created_at, id")),
    ("/api/users/", "role", "OWNER", choice("OWNER")),
    ("/api/users/", "ordering", "password", ordering("password", "username, email, created_at, last_login")),
]


@pytest.mark.parametrize(("url", "parameter", "value", "message"), BAD_FILTERS)
def test_a_filter_value_the_api_cannot_use_is_a_400_naming_the_parameter(
    api_client_for, admin_user, url, parameter, value, message
):
    response = api_client_for(admin_user).get(url, {parameter: value})

    assert (response.status_code, response.json()) == (400, {parameter: [message]})


@pytest.mark.parametrize(
    ("url", "query"),
    [
        ("/api/exercises/", {"equipment_required": "1"}),
        ("/api/exercises/", {"equipment_required": "False"}),
        ("/api/exercises/", {"equipment_required": ""}),
        ("/api/memberships/", {"ordering": "-price,id"}),
        ("/api/memberships/", {"ordering": "price,"}),
        ("/api/workout-sessions/", {"user_id": "1", "exercise_type": "push_up"}),
        ("/api/reports/", {"format": "pdf"}),
    ],
)
def test_well_formed_filter_values_are_accepted(api_client_for, admin_user, url, query):
    assert api_client_for(admin_user).get(url, query).status_code == 200
