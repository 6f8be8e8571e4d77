import datetime
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from club.services import client_expiration_correct
from club.tests.factories import ClientFactory
from reports.models import Report, ReportFormat, ReportKind, ReportStatus
from training.tests.factories import ExerciseFactory, TrainingExerciseFactory, TrainingFactory, TrainingPlanFactory
from workouts.tests.factories import WorkoutSessionFactory


@pytest.fixture
def member(client_user):
    """The club client (profile) of `client_user`, with a training, a plan and a workout session."""
    member = client_expiration_correct(
        client=client_user.client,
        expiration_date=timezone.localdate() + datetime.timedelta(days=3),
        reason="test fixture",
        staff=None,
    )
    training = TrainingFactory(client=member, title="Leg day", date=timezone.localdate(), duration_min=50)
    TrainingExerciseFactory(training=training, order_in_training=1, extra_weight=Decimal("40.00"))
    plan = TrainingPlanFactory(user=client_user, title="Spring block")
    plan.trainings.add(training)
    WorkoutSessionFactory(user=client_user, total_reps=25)
    return member


@pytest.fixture
def make_club():
    """n members, each with a training of two exercises, a plan and a workout session."""

    def make(n: int) -> None:
        for _ in range(n):
            member = ClientFactory()
            training = TrainingFactory(client=member, date=timezone.localdate())
            TrainingExerciseFactory.create_batch(2, training=training)
            TrainingPlanFactory(user=member.user).trainings.add(training)
            WorkoutSessionFactory(user=member.user)
        ExerciseFactory.create_batch(n)

    return make


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def make_report(trainer):
    """A report row in the given state, as its Celery task would have left it (finished ones with a file)."""

    def make(status: str = ReportStatus.SUCCESS, progress: int | None = None, **fields) -> Report:
        report = Report(
            kind=fields.pop("kind", ReportKind.CLUB_ACTIVITY),
            format=fields.pop("format", ReportFormat.CSV),
            parameters={"date_from": "2026-03-01", "date_to": "2026-03-31"},
            requested_by=fields.pop("requested_by", trainer),
            status=status,
            progress=progress if progress is not None else (100 if status == ReportStatus.SUCCESS else 0),
            **fields,
        )
        report.save()
        if status == ReportStatus.SUCCESS and not report.file:
            report.file.save("club_activity_2026-03-01_2026-03-31.csv", ContentFile(b"kind,club_activity\n"))
        return report

    return make


@pytest.fixture
def report(make_report):
    """A report its worker is generating right now."""
    return make_report(ReportStatus.STARTED, progress=40)
