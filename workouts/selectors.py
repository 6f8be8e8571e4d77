from django.db.models import QuerySet

from accounts.models import User
from workouts.models import WorkoutSession
from workouts.permissions import can_see_all_workouts


def workout_session_list(*, user: User) -> QuerySet[WorkoutSession]:
    """Saved workouts the user may see, newest first."""
    sessions = WorkoutSession.objects.select_related("user")
    return sessions if can_see_all_workouts(user) else sessions.filter(user=user)
