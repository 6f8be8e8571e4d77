"""Who may do what with classes (SPEC part 2 "Classes"), as plain predicates."""

from accounts.models import User
from accounts.permissions import is_staff_member
from classes.models import Booking


def can_manage_classes(user: User) -> bool:
    """Class types, sessions, the timetable, booking other members, attendance: the club's staff."""
    return is_staff_member(user)


def can_view_booking(user: User, booking: Booking) -> bool:
    return is_staff_member(user) or booking.client.user_id == user.pk


def can_cancel_booking(user: User, booking: Booking) -> bool:
    return can_view_booking(user, booking)
