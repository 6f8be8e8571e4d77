import datetime
from decimal import Decimal

import pytest

from accounts.models import Role
from accounts.tests.factories import UserFactory
from attendance.models import Visit
from classes.models import Booking, BookingStatus
from classes.tests.factories import ClassSessionFactory
from club.models import AccessLevel, ClientStatus, PaymentStatus
from club.tests.factories import ClientFactory, MembershipFactory, PaymentFactory
from training.models import Intensity, MuscleGroup, TrainingType
from training.tests.factories import ExerciseFactory, TrainingExerciseFactory, TrainingFactory
from workouts.tests.factories import WorkoutSessionFactory

MARCH = {"date_from": "2026-03-01", "date_to": "2026-03-31"}


def at(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def march_data(client_user, other_client_user):
    """A March 2026 of the club, with a few rows just outside it; `expected` holds the hand-computed summaries."""
    anna, boris = client_user.client, other_client_user.client
    squat = ExerciseFactory(title="Squat", muscle_group=MuscleGroup.LEGS)
    bench = ExerciseFactory(title="Bench press", muscle_group=MuscleGroup.CHEST)
    plank = ExerciseFactory(title="Plank", muscle_group=MuscleGroup.CORE)

    leg_day = TrainingFactory(
        client=anna, training_type=TrainingType.STRENGTH, intensity=Intensity.HIGH, duration_min=60, date="2026-03-05"
    )
    TrainingExerciseFactory(training=leg_day, exercise=squat, sets=3, reps=10, extra_weight=Decimal("50.00"))
    TrainingExerciseFactory(training=leg_day, exercise=bench, sets=4, reps=8, extra_weight=Decimal("40.00"))
    run = TrainingFactory(
        client=anna, training_type=TrainingType.CARDIO, intensity=Intensity.LOW, duration_min=30, date="2026-03-10"
    )
    TrainingExerciseFactory(training=run, exercise=plank, sets=2, reps=1, extra_weight=None)
    yoga = TrainingFactory(
        client=boris, training_type=TrainingType.YOGA, intensity=Intensity.MEDIUM, duration_min=45, date="2026-03-31"
    )
    TrainingExerciseFactory(training=yoga, exercise=squat, sets=5, reps=5, extra_weight=Decimal("60.00"))
    february = TrainingFactory(client=anna, training_type=TrainingType.STRENGTH, duration_min=90, date="2026-02-28")
    TrainingExerciseFactory(training=february, exercise=squat, sets=9, reps=9, extra_weight=Decimal("99.00"))

    WorkoutSessionFactory(user=anna.user, exercise_type="squat", total_reps=20, created_at=at("2026-03-05T10:00:00"))
    WorkoutSessionFactory(user=anna.user, exercise_type="push_up", total_reps=15, created_at=at("2026-03-31T23:59:59"))
    WorkoutSessionFactory(user=boris.user, exercise_type="squat", total_reps=30, created_at=at("2026-03-12T08:00:00"))
    WorkoutSessionFactory(user=anna.user, exercise_type="squat", total_reps=100, created_at=at("2026-04-01T00:00:00"))
    # Visits at the door: three admissions of two members in March; a denial and an April visit do not count.
    for who, when, result in [
        (anna, "2026-03-01T07:00:00", "ADMITTED"),
        (anna, "2026-03-20T18:30:00", "ADMITTED"),
        (boris, "2026-03-31T23:30:00", "ADMITTED"),
        (boris, "2026-03-10T09:00:00", "DENIED"),
        (anna, "2026-04-01T00:10:00", "ADMITTED"),
    ]:
        Visit.objects.create(
            client=who,
            checked_in_at=at(when),
            result=result,
            reason="LAPSED" if result == "DENIED" else None,
            method="QR",
        )

    # Anna and Boris are ACTIVE on PREMIUM tariffs (one each, from their factory).
    vip = MembershipFactory(access_level=AccessLevel.VIP, price=Decimal("100.00"))
    standard = MembershipFactory(access_level=AccessLevel.STANDARD, price=Decimal("20.00"))
    carl = ClientFactory(membership=vip, status=ClientStatus.INACTIVE)
    ClientFactory(membership=standard)
    paid = PaymentStatus.PAID
    PaymentFactory(client=anna, status=paid, paid_at=at("2026-03-02T12:00:00"))
    PaymentFactory(client=boris, status=paid, paid_at=at("2026-03-31T23:00:00"))
    PaymentFactory(client=boris, status=PaymentStatus.PENDING)
    PaymentFactory(client=carl, status=paid, paid_at=at("2026-03-15T09:00:00"))
    PaymentFactory(client=carl, status=paid, paid_at=at("2026-02-27T09:00:00"))

    # Classes: one held in March (anna attended, boris did not come), one cancelled, one in April.
    held = ClassSessionFactory(starts_at=at("2026-03-10T18:00:00"), ends_at=at("2026-03-10T19:00:00"))
    Booking.objects.create(session=held, client=anna, status=BookingStatus.ATTENDED)
    Booking.objects.create(session=held, client=boris, status=BookingStatus.NO_SHOW)
    Booking.objects.create(session=held, client=carl, status=BookingStatus.CANCELLED)
    ClassSessionFactory(starts_at=at("2026-03-11T18:00:00"), ends_at=at("2026-03-11T19:00:00"), status="CANCELLED")
    april = ClassSessionFactory(starts_at=at("2026-04-01T00:00:00"), ends_at=at("2026-04-01T01:00:00"))
    Booking.objects.create(session=april, client=anna, status=BookingStatus.ATTENDED)

    UserFactory(role=Role.USER, created_at=at("2026-03-03T09:00:00"))
    UserFactory(role=Role.TRAINER, created_at=at("2026-03-31T23:59:00"))
    UserFactory(role=Role.USER, created_at=at("2026-04-01T00:00:00"))
    UserFactory(role=Role.ADMIN, created_at=at("2026-02-28T12:00:00"))

    expected = {
        "club_activity": {
            "trainings_total": 3,
            "minutes_total": 135,
            "by_type": {"CARDIO": 1, "STRENGTH": 1, "YOGA": 1, "HIIT": 0, "STRETCHING": 0},
            "active_clients": 2,
            "workout_reps_total": 65,
            "classes_total": 1,
            "bookings_total": 2,
            "attendance_rate": 50.0,
            "no_shows_total": 1,
            "visits_total": 3,
            "unique_visitors": 2,
        },
        "client_progress": {
            "trainings_total": 2,
            "minutes_total": 90,
            "workout_reps_total": 35,
            # 3×10×50, 4×8×40, a plank without extra weight
            "volume_by_muscle_group": {
                "CHEST": "1280.00",
                "BACK": "0.00",
                "LEGS": "1500.00",
                "ARMS": "0.00",
                "SHOULDERS": "0.00",
                "CORE": "0.00",
                "FULL_BODY": "0.00",
            },
        },
        "membership_revenue": {
            "by_access_level": {
                "STANDARD": {"clients": 1, "revenue": "0.00"},
                "PREMIUM": {"clients": 2, "revenue": "99.80"},
                "VIP": {"clients": 0, "revenue": "100.00"},
            },
            "revenue_total": "199.80",
        },
        "new_users": {
            "new_users_total": 1,
            "staff_accounts_total": 1,
            "by_role": {"ADMIN": 0, "TRAINER": 1, "USER": 1},
        },
    }
    return {"anna": anna, "boris": boris, "expected": expected}
