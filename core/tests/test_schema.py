"""The schema as other services sharing the database see it: names, defaults, ON DELETE rules, CHECKs."""

import pytest
from django.db import IntegrityError, connection, transaction

from accounts.tests.factories import UserFactory
from club.models import DEFAULT_MEMBERSHIP_ID, Membership
from club.tests.factories import ClientFactory, MembershipFactory
from training.models import Training, TrainingExercise, TrainingPlanTraining
from training.tests.factories import TrainingExerciseFactory, TrainingFactory, TrainingPlanFactory
from workouts.tests.factories import WorkoutSessionFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

SEED_COLUMNS = {
    "users": {"id", "username", "password_hash", "email", "role", "created_at", "last_login", "deleted_at"},
    "memberships": {"id", "access_level", "description", "price"},
    "clients": {
        "id",
        "user_id",
        "membership_id",
        "first_name",
        "last_name",
        "phone_number",
        "gender",
        "date_of_birth",
        "weight_kg",
        "height_sm",
        "status",
    },
    "trainings": {"id", "client_id", "training_type", "title", "intensity", "duration_min", "date", "description"},
    "exercises": {"id", "title", "description", "muscle_group", "equipment_required", "complexity_lvl"},
    "trainings_exercises": {
        "training_id",
        "exercise_id",
        "order_in_training",
        "sets",
        "reps",
        "rest_time_sec",
        "extra_weight",
    },
    "training_plans": {"id", "user_id", "title", "description", "created_at", "status"},
    "training_plan_trainings": {"training_id", "training_plan_id"},
    "workout_sessions": {"id", "user_id", "exercise_type", "total_reps", "created_at"},
}


def columns(table: str) -> dict[str, tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name, data_type, character_maximum_length, numeric_precision, numeric_scale, is_nullable"
            " FROM information_schema.columns WHERE table_name = %s",
            [table],
        )
        return {row[0]: row[1:] for row in cursor.fetchall()}


def fetch_one(sql: str, params=()) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def execute(sql: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.parametrize("table", SEED_COLUMNS)
def test_every_seed_table_has_the_seed_columns(table):
    assert SEED_COLUMNS[table] <= set(columns(table))


@pytest.mark.parametrize(
    ("table", "column", "expected"),
    [
        ("users", "username", ("character varying", 50, None, None, "NO")),
        ("users", "password_hash", ("character varying", 255, None, None, "NO")),
        ("users", "email", ("character varying", 100, None, None, "NO")),
        ("users", "last_login", ("timestamp with time zone", None, None, None, "YES")),
        ("clients", "first_name", ("character varying", 50, None, None, "NO")),
        ("clients", "last_name", ("character varying", 80, None, None, "NO")),
        ("clients", "phone_number", ("character varying", 20, None, None, "NO")),
        ("clients", "date_of_birth", ("date", None, None, None, "NO")),
        ("clients", "weight_kg", ("numeric", None, 5, 2, "YES")),
        ("clients", "height_sm", ("numeric", None, 5, 2, "YES")),
        ("clients", "gender", ("character varying", 6, None, None, "YES")),
        ("trainings", "title", ("character varying", 200, None, None, "NO")),
        ("trainings", "date", ("date", None, None, None, "YES")),
        ("trainings", "duration_min", ("integer", None, 32, 0, "NO")),
        ("exercises", "title", ("character varying", 50, None, None, "NO")),
        ("exercises", "equipment_required", ("boolean", None, None, None, "NO")),
        ("trainings_exercises", "extra_weight", ("numeric", None, 5, 2, "YES")),
        ("training_plans", "title", ("character varying", 200, None, None, "NO")),
        ("workout_sessions", "total_reps", ("integer", None, 32, 0, "NO")),
    ],
)
def test_column_types_lengths_and_nullability_follow_the_seed(table, column, expected):
    assert columns(table)[column] == expected


@pytest.mark.parametrize(
    ("table", "column"),
    [("users", "username"), ("users", "email"), ("exercises", "title"), ("clients", "user_id")],
)
def test_seed_unique_columns_are_unique(table, column):
    count = fetch_one(
        "SELECT count(*) FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid"
        " JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY(i.indkey)"
        " WHERE t.relname = %s AND a.attname = %s AND i.indisunique AND i.indnatts = 1",
        [table, column],
    )[0]
    assert count == 1


def test_raw_sql_inserts_get_the_seed_defaults():
    user_id = fetch_one(
        "INSERT INTO users (username, password_hash, email, is_superuser) VALUES ('raw', '!', 'raw@x.io', false)"
        " RETURNING id"
    )[0]
    assert fetch_one("SELECT role, created_at IS NOT NULL, deleted_at FROM users WHERE id = %s", [user_id]) == (
        "USER",
        True,
        None,
    )
    client_id = fetch_one(
        "INSERT INTO clients (user_id, first_name, last_name, phone_number, date_of_birth)"
        " VALUES (%s, 'Raw', 'Row', '+100000', '1990-01-01') RETURNING id",
        [user_id],
    )[0]
    assert fetch_one("SELECT membership_id, status FROM clients WHERE id = %s", [client_id]) == (
        DEFAULT_MEMBERSHIP_ID,
        "ACTIVE",
    )
    training_id = fetch_one("INSERT INTO trainings (client_id, title) VALUES (%s, 'Raw') RETURNING id", [client_id])[0]
    assert fetch_one("SELECT duration_min, date, description FROM trainings WHERE id = %s", [training_id]) == (
        45,
        None,
        None,
    )
    exercise_id = fetch_one("INSERT INTO exercises (title) VALUES ('Raw squat') RETURNING id")[0]
    assert fetch_one(
        "SELECT equipment_required, complexity_lvl, muscle_group FROM exercises WHERE id = %s", [exercise_id]
    ) == (False, "BEGINNER", None)
    execute(
        "INSERT INTO trainings_exercises (training_id, exercise_id, order_in_training) VALUES (%s, %s, 1)",
        [training_id, exercise_id],
    )
    assert fetch_one(
        "SELECT sets, reps, rest_time_sec, extra_weight FROM trainings_exercises WHERE training_id = %s", [training_id]
    ) == (3, 10, 60, None)
    plan_id = fetch_one("INSERT INTO training_plans (user_id, title) VALUES (%s, 'Raw plan') RETURNING id", [user_id])[
        0
    ]
    assert fetch_one("SELECT status, created_at IS NOT NULL FROM training_plans WHERE id = %s", [plan_id]) == (
        "ACTIVE",
        True,
    )
    session_id = fetch_one(
        "INSERT INTO workout_sessions (user_id, exercise_type, total_reps) VALUES (%s, 'squat', 12) RETURNING id",
        [user_id],
    )[0]
    assert fetch_one("SELECT created_at IS NOT NULL FROM workout_sessions WHERE id = %s", [session_id]) == (True,)


def test_deleting_a_client_in_sql_removes_its_trainings():
    training = TrainingFactory()
    execute("DELETE FROM clients WHERE id = %s", [training.client_id])
    assert not Training.objects.filter(pk=training.pk).exists()


def test_deleting_a_training_in_sql_removes_its_exercise_rows_and_plan_links():
    row = TrainingExerciseFactory()
    plan = TrainingPlanFactory()
    plan.trainings.add(row.training)
    execute("DELETE FROM trainings WHERE id = %s", [row.training_id])
    assert not TrainingExercise.objects.filter(pk=row.pk).exists()
    assert not TrainingPlanTraining.objects.filter(training_plan=plan).exists()


def test_deleting_an_exercise_in_sql_removes_its_rows_in_trainings():
    row = TrainingExerciseFactory()
    execute("DELETE FROM exercises WHERE id = %s", [row.exercise_id])
    assert not TrainingExercise.objects.filter(pk=row.pk).exists()


def test_deleting_a_plan_in_sql_removes_its_links_but_keeps_the_trainings():
    plan = TrainingPlanFactory()
    training = TrainingFactory()
    plan.trainings.add(training)
    execute("DELETE FROM training_plans WHERE id = %s", [plan.pk])
    assert not TrainingPlanTraining.objects.filter(training=training).exists()
    assert Training.objects.filter(pk=training.pk).exists()


def test_deleting_a_membership_moves_its_clients_to_the_default_membership():
    vip = MembershipFactory()
    client = ClientFactory(membership=vip)
    vip.delete()
    client.refresh_from_db()
    assert client.membership_id == DEFAULT_MEMBERSHIP_ID
    assert Membership.objects.filter(pk=DEFAULT_MEMBERSHIP_ID).exists()


@pytest.mark.parametrize(
    "referencing",
    [
        pytest.param(lambda user: ClientFactory(user=user), id="client"),
        pytest.param(lambda user: TrainingPlanFactory(user=user), id="training_plan"),
        pytest.param(lambda user: WorkoutSessionFactory(user=user), id="workout_session"),
    ],
)
def test_a_user_with_history_cannot_be_hard_deleted(referencing):
    user = UserFactory()
    referencing(user)
    with transaction.atomic():
        # Django makes foreign keys DEFERRABLE; check this one now rather than at the test's end.
        execute("SET CONSTRAINTS ALL IMMEDIATE")
        with pytest.raises(IntegrityError), transaction.atomic():
            execute("DELETE FROM users WHERE id = %s", [user.pk])


@pytest.mark.parametrize(
    ("sql", "constraint"),
    [
        ("UPDATE users SET role = 'GOD'", "users_role_valid"),
        ("UPDATE users SET is_superuser = true, role = 'USER'", "users_superuser_is_admin"),
        ("UPDATE memberships SET price = -1", "memberships_price_range"),
        ("UPDATE memberships SET access_level = 'GOLD'", "memberships_access_level_valid"),
        ("UPDATE clients SET status = 'GONE'", "clients_status_valid"),
        ("UPDATE clients SET gender = 'OTHER'", "clients_gender_valid"),
        ("UPDATE clients SET weight_kg = -70", "clients_weight_kg_range"),
        ("UPDATE clients SET height_sm = 0", "clients_height_cm_range"),
        ("UPDATE trainings SET duration_min = -45", "trainings_duration_min_range"),
        ("UPDATE trainings SET training_type = 'BOXING'", "trainings_training_type_valid"),
        ("UPDATE trainings SET intensity = 'HUGE'", "trainings_intensity_valid"),
        ("UPDATE exercises SET muscle_group = 'NECK'", "exercises_muscle_group_valid"),
        ("UPDATE exercises SET complexity_lvl = 'GOD'", "exercises_complexity_lvl_valid"),
        ("UPDATE trainings_exercises SET sets = -3", "trainings_exercises_sets_range"),
        ("UPDATE trainings_exercises SET reps = 0", "trainings_exercises_reps_range"),
        ("UPDATE trainings_exercises SET rest_time_sec = -1", "trainings_exercises_rest_time_sec_range"),
        ("UPDATE trainings_exercises SET extra_weight = -5", "trainings_exercises_extra_weight_range"),
        ("UPDATE trainings_exercises SET order_in_training = 0", "trainings_exercises_order_in_training_range"),
        ("UPDATE training_plans SET status = 'DONE'", "training_plans_status_valid"),
        ("UPDATE workout_sessions SET total_reps = -1", "workout_sessions_total_reps_range"),
        ("UPDATE workout_sessions SET exercise_type = 'Squat!'", "workout_sessions_exercise_type_slug"),
    ],
)
def test_check_constraints_refuse_bad_values(sql, constraint):
    TrainingExerciseFactory(training__client=ClientFactory())
    TrainingPlanFactory()
    WorkoutSessionFactory()
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        execute(sql)


def test_an_exercise_position_is_unique_within_a_training():
    row = TrainingExerciseFactory(order_in_training=1)
    with pytest.raises(IntegrityError, match="trainings_exercises_unique_position"), transaction.atomic():
        TrainingExerciseFactory(training=row.training, order_in_training=1)


def test_over_long_strings_are_refused_by_the_database():
    with pytest.raises(Exception, match="too long"), transaction.atomic():
        execute("UPDATE users SET username = %s", ["x" * 51])
