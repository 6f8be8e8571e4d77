import datetime
from dataclasses import dataclass

from channels.db import database_sync_to_async
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext

from accounts.models import User
from workouts.counter import get_rep_counter
from workouts.models import WorkoutSession
from workouts.permissions import can_see_all_workouts, can_watch_live
from workouts.protocol import LiveMember

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

    member: LiveMember
    exercise_type: str
    total_reps: int
    last_rep_at: datetime.datetime

    @property
    def user_id(self) -> int:
        return self.member.user_id


def live_members(user_ids: set[int]) -> dict[int, LiveMember]:
    """The live page's names of these users, by id, in one query (soft-deleted users are left out:
    their counts stay until they idle out, but nobody can finish them)."""
    rows = User.objects.filter(pk__in=user_ids, deleted_at__isnull=True).values_list(
        "pk", "username", "client__pk", "client__first_name", "client__last_name"
    )
    return {
        pk: LiveMember(
            user_id=pk,
            username=username,
            name=f"{first_name} {last_name}" if client_id else username,
            client_url=reverse("dashboard:client-detail", args=[client_id]) if client_id else None,
        )
        for pk, username, client_id, first_name, last_name in rows
    }


def live_member(user: User) -> LiveMember:
    """How the live page names `user` (one query; a device's socket resolves it once, at connect)."""
    member = live_members({user.pk}).get(user.pk)
    return member or LiveMember(user_id=user.pk, username=user.username, name=user.username, client_url=None)


async def live_count_list(*, user: User) -> list[LiveCount]:
    """Every workout in progress right now, for staff: the running counters, most recent rep first.

    Read from the counters themselves (Redis, or the embedded fakeredis), so it includes workouts
    that started before the caller looked. Raises `CounterUnavailable` and database errors as they come.
    """
    if not can_watch_live(user):
        raise PermissionDenied(gettext("Only club staff (ADMIN or TRAINER) may watch live workouts."))
    counts = await get_rep_counter().active_counts(limit=LIVE_SNAPSHOT_LIMIT)
    members = await database_sync_to_async(live_members)({count.user_id for count in counts}) if counts else {}
    return [
        LiveCount(
            member=members[count.user_id],
            exercise_type=count.exercise_type,
            total_reps=count.total_reps,
            last_rep_at=datetime.datetime.fromtimestamp(count.last_rep_at, tz=datetime.UTC),
        )
        for count in counts
        if count.user_id in members
    ]
