import datetime
from dataclasses import dataclass

from channels.db import database_sync_to_async
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from accounts.models import User
from workouts.counter import get_rep_counter
from workouts.models import WorkoutSession
from workouts.permissions import can_see_all_workouts, can_watch_live

# The live feed's snapshot lists at most this many counts in progress, the most recent first; the
# others show up on the page with their next rep.
LIVE_SNAPSHOT_LIMIT = 500


def workout_session_list(*, user: User) -> QuerySet[WorkoutSession]:
    """Saved workouts the user may see, newest first."""
    sessions = WorkoutSession.objects.select_related("user")
    return sessions if can_see_all_workouts(user) else sessions.filter(user=user)


@dataclass(frozen=True)
class LiveCount:
    """A workout in progress: reps counted and not yet saved by a finish."""

    user_id: int
    username: str
    exercise_type: str
    total_reps: int
    last_rep_at: datetime.datetime


def _usernames(user_ids: set[int]) -> dict[int, str]:
    # A soft-deleted user's count stays until it idles out, but nobody can finish it: not shown.
    return dict(User.objects.filter(pk__in=user_ids, deleted_at__isnull=True).values_list("pk", "username"))


async def live_count_list(*, user: User) -> list[LiveCount]:
    """Every workout in progress right now, for staff: the running counters, most recent rep first.

    Read from the counters themselves (Redis, or the embedded fakeredis), so it includes workouts
    that started before the caller looked. Raises `CounterUnavailable` and database errors as they come.
    """
    if not can_watch_live(user):
        raise PermissionDenied("Only club staff (ADMIN or TRAINER) may watch live workouts.")
    counts = await get_rep_counter().active_counts(limit=LIVE_SNAPSHOT_LIMIT)
    usernames = await database_sync_to_async(_usernames)({count.user_id for count in counts}) if counts else {}
    return [
        LiveCount(
            user_id=count.user_id,
            username=usernames[count.user_id],
            exercise_type=count.exercise_type,
            total_reps=count.total_reps,
            last_rep_at=datetime.datetime.fromtimestamp(count.last_rep_at, tz=datetime.UTC),
        )
        for count in counts
        if count.user_id in usernames
    ]
