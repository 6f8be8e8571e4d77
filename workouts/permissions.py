"""Who may see which workouts: staff see everyone's, a club client only its own."""

from accounts.models import User
from accounts.permissions import is_staff_member


def can_see_all_workouts(user: User) -> bool:
    return is_staff_member(user)


def can_watch_live(user: User) -> bool:
    return is_staff_member(user)
