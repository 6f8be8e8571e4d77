"""Who may see which workouts: staff see everyone's, a club client only its own."""

from accounts.permissions import AnyUser, is_staff_member


def can_see_all_workouts(user: AnyUser) -> bool:
    return is_staff_member(user)


def can_watch_live(user: AnyUser) -> bool:
    return is_staff_member(user)
