"""Reads behind the pages that combine several apps (the trainers' home, a client's page); each starts from
the app's scoped selector."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncWeek
from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import User
from club.models import Client, ClientStatus
from club.selectors import EXPIRY_WINDOW_DAYS, client_list
from core.charts import Series
from training.models import MuscleGroup, Training, TrainingExercise
from training.selectors import training_list
from workouts.models import WorkoutSession
from workouts.selectors import workout_session_list

RECENT_SESSIONS = 8
PROGRESS_WEEKS = 12
PROGRESS_SESSIONS = 30


@dataclass(frozen=True)
class Today:
    trainings: QuerySet[Training]
    active_clients: int
    expiring: QuerySet[Client]
    recent_sessions: QuerySet[WorkoutSession]
    finished_today: int


def _midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def today_at_a_glance(*, user: User, today: datetime.date) -> Today:
    # effective_status, not the stored column: a member lapsed since the nightly task is no longer counted.
    clients = client_list(user=user, today=today)
    return Today(
        trainings=training_list(user=user).prefetch_related(None).filter(date=today).order_by("client__last_name"),
        # client_list annotates effective_status; django-stubs resolves lookups on model fields only.
        active_clients=clients.filter(effective_status=ClientStatus.ACTIVE).count(),  # type: ignore[misc]
        # Still active and paid up to a day within the window: the people to remind today.
        expiring=clients.filter(  # type: ignore[misc]
            effective_status=ClientStatus.ACTIVE,
            expiration_date__gte=today,
            expiration_date__lte=today + datetime.timedelta(days=EXPIRY_WINDOW_DAYS),
        )
        .select_related("membership")
        .order_by("expiration_date", "last_name"),
        recent_sessions=workout_session_list(user=user).select_related("user__client")[:RECENT_SESSIONS],
        # Counts in progress live only in the rep counters; the live page shows them, this counts saved ones.
        finished_today=workout_session_list(user=user)
        .filter(created_at__gte=_midnight(today), created_at__lt=_midnight(today + datetime.timedelta(days=1)))
        .count(),
    )


def training_minutes_per_week(*, user: User, client: Client, today: datetime.date) -> Series:
    """Minutes of dated trainings per ISO week over the last PROGRESS_WEEKS weeks, empty weeks included."""
    first_monday = today - datetime.timedelta(days=today.weekday(), weeks=PROGRESS_WEEKS - 1)
    minutes = dict(
        training_list(user=user)
        .filter(client=client, date__gte=first_monday, date__lte=today)
        .annotate(week=TruncWeek("date"))
        .values_list("week")
        .annotate(minutes=Sum("duration_min"))
        .values_list("week", "minutes")
        .order_by()
    )
    weeks = [first_monday + datetime.timedelta(weeks=n) for n in range(PROGRESS_WEEKS)]
    return Series(labels=[date_format(week, "d M") for week in weeks], values=[minutes.get(week, 0) for week in weeks])


def training_volume_by_muscle_group(*, user: User, client: Client) -> Series:
    """Sets × reps × extra weight (kg) of all the client's trainings, per muscle group.

    Bodyweight rows (no extra weight) add nothing: the volume counts lifted load, as in the reports.
    """
    rows = (
        TrainingExercise.objects.filter(training__in=training_list(user=user).filter(client=client))
        .values_list("exercise__muscle_group")
        .annotate(volume=Sum(F("sets") * F("reps") * Coalesce(F("extra_weight"), Decimal(0))))
        .values_list("exercise__muscle_group", "volume")
        .order_by()
    )
    volume = {group: total for group, total in rows if group}
    groups = [group for group in MuscleGroup if volume.get(group)]
    return Series(labels=[str(group.label) for group in groups], values=[float(volume[group]) for group in groups])


def reps_per_session(*, user: User, client: Client) -> Series:
    """Reps of the client's last PROGRESS_SESSIONS workout sessions, oldest first, one series per
    exercise type (a squat and a push-up session are not points of one line)."""
    sessions = (
        workout_session_list(user=user)
        .filter(user_id=client.user_id)
        .values_list("created_at", "exercise_type", "total_reps")[:PROGRESS_SESSIONS]
    )
    ordered = list(reversed(sessions))
    types = sorted({kind for _, kind, _ in ordered})
    return Series(
        labels=[date_format(timezone.localtime(created), "d M H:i") for created, _, _ in ordered],
        values=[reps for _, _, reps in ordered],
        series={kind: [reps if this == kind else None for _, this, reps in ordered] for kind in types},
    )
