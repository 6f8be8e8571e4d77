import datetime
import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from core.exceptions import ApplicationError
from notifications.models import NotificationKind
from notifications.services import notification_queue
from workouts import protocol
from workouts.counter import CounterUnavailable, RepCounter, get_rep_counter
from workouts.models import WorkoutSession
from workouts.permissions import can_watch_live
from workouts.selectors import live_member

logger = logging.getLogger(__name__)


def _publish_finish(session: WorkoutSession) -> None:
    try:
        async_to_sync(get_channel_layer().group_send)(
            protocol.LIVE_GROUP, protocol.live_message(protocol.live_finish(session, live_member(session.user)))
        )
    except Exception:
        # The workout is saved; staff missing one live update must not turn the finish into an error.
        logger.warning("live update of workout %s not published", session.pk, exc_info=True)


@transaction.atomic
def _workout_session_create(
    *, user: User, exercise_type: str, total_reps: int, idempotency_key: str | None, ended_by: User | None
) -> WorkoutSession:
    session = WorkoutSession(
        user=user,
        exercise_type=exercise_type,
        total_reps=total_reps,
        idempotency_key=idempotency_key,
        ended_by=ended_by,
    )
    session.full_clean()
    session.save()
    notification_queue(
        user=user,
        kind=NotificationKind.WORKOUT_SUMMARY,
        dedupe_key=f"WORKOUT_SUMMARY:{session.pk}",
        context=_summary_context(session),
    )
    transaction.on_commit(lambda: _publish_finish(session))
    return session


def _summary_context(session: WorkoutSession) -> dict[str, Any]:
    """What the WORKOUT_SUMMARY message says: this workout's reps, whether it is a personal best, and
    the member's totals per exercise type today (club time).

    A personal best is more reps of a type in one workout than in any earlier workout of that type;
    the first workout of a type has nothing to beat and is not one. Two aggregate queries, whatever
    the member's history: the best is read from the (user, exercise_type, total_reps) index.
    """
    mine = WorkoutSession.objects.filter(user_id=session.user_id).order_by()
    previous_best = mine.filter(exercise_type=session.exercise_type, pk__lt=session.pk).aggregate(
        best=Max("total_reps")
    )["best"]
    day_start = timezone.make_aware(
        datetime.datetime.combine(timezone.localdate(session.created_at), datetime.time.min)
    )
    today = mine.filter(created_at__gte=day_start).values("exercise_type").annotate(total=Sum("total_reps"))
    return {
        "workout_id": session.pk,
        "exercise_type": session.exercise_type,
        "reps": session.total_reps,
        "previous_best": previous_best,
        "personal_best": previous_best is not None and session.total_reps > previous_best,
        "today": {row["exercise_type"]: row["total"] for row in today},
    }


def workout_finish(
    *, user: User, exercise_type: str, idempotency_key: str | None = None, ended_by: User | None = None
) -> tuple[WorkoutSession, bool]:
    """Save the user's running total of `exercise_type` as a workout, then take exactly that many reps off it.

    `ended_by`: the staff member ending it for a device that never finished (`workout_end`).
    Returns the session and whether it was created now (False: a retry with a known Idempotency-Key).
    The row is committed before the counter changes, so a database error (raised as is) keeps every
    rep for a retry; a rep counted while this runs stays on the counter and starts the next workout.
    Finishes of one user and type are serialized across processes by the counter's finish lock.
    Raises `CounterUnavailable`, `CounterBusy`, and `ApplicationError` when there is nothing to save.
    """
    counter = get_rep_counter()
    with counter.finish_lock(user_id=user.pk, exercise_type=exercise_type):
        if idempotency_key:
            existing = WorkoutSession.objects.filter(user=user, idempotency_key=idempotency_key).first()
            if existing is not None:
                if existing.exercise_type != exercise_type:
                    raise ApplicationError(
                        gettext("This Idempotency-Key was used to finish another exercise type."),
                        {"workout_id": existing.pk, "type": existing.exercise_type},
                    )
                _settle(counter, existing)
                return existing, False
        # A settle that Redis missed (it went down right after the row was saved) is applied now;
        # the settle is idempotent, so the usual case (already applied) changes nothing.
        latest = WorkoutSession.objects.filter(user=user, exercise_type=exercise_type).order_by("-pk").first()
        if latest is not None:
            _settle(counter, latest)
        total_reps = counter.total(user_id=user.pk, exercise_type=exercise_type)
        if total_reps <= 0:
            raise ApplicationError(
                gettext("No reps counted for this exercise type since the last finish."), {"type": exercise_type}
            )
        session = _workout_session_create(
            user=user,
            exercise_type=exercise_type,
            total_reps=total_reps,
            idempotency_key=idempotency_key,
            ended_by=ended_by,
        )
        try:
            _settle(counter, session)
        except CounterUnavailable:
            # The workout is saved; the next finish of this user and type (or a retry with the
            # same Idempotency-Key) takes the reps off before it reads the total (docs/realtime.md).
            logger.warning("workout %s saved; its settle is pending until Redis is reachable", session.pk)
        return session, True


def workout_end(*, actor: User, user_id: int, exercise_type: str) -> WorkoutSession:
    """Staff end a member's workout in progress from the live page: saved exactly as the device's
    finish would save it (`workout_finish`), recording who ended it.

    Raises `PermissionDenied` for non-staff, `ApplicationError` for an unknown member or nothing to
    save (a finish got there first), and what `workout_finish` raises.
    """
    if not can_watch_live(actor):
        raise PermissionDenied(gettext("Only club staff (ADMIN or TRAINER) may end a member's workout."))
    if error := protocol.exercise_type_error(exercise_type):
        raise ApplicationError(error, {"type": exercise_type})
    user = User.objects.filter(pk=user_id, deleted_at__isnull=True).first()
    if user is None:
        raise ApplicationError(gettext("No such member."), {"user_id": user_id})
    session, _ = workout_finish(user=user, exercise_type=exercise_type, ended_by=actor)
    return session


def _settle(counter: RepCounter, session: WorkoutSession) -> None:
    counter.settle(
        user_id=session.user_id,
        exercise_type=session.exercise_type,
        workout_id=session.pk,
        amount=session.total_reps,
        saved_at=session.created_at.timestamp(),
    )
