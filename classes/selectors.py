"""Reads of classes, scoped to the acting user and with what the pages and the API show."""

import datetime

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from accounts.permissions import is_staff_member
from classes.models import Booking, BookingStatus, ClassSession, ClassType, TimetableRule
from classes.services import SPOT_STATUSES
from training.models import Training


def class_type_list() -> QuerySet[ClassType]:
    return ClassType.objects.all()


def timetable_rule_list() -> QuerySet[TimetableRule]:
    return TimetableRule.objects.select_related("class_type", "trainer")


def day_bounds(date_from: datetime.date, date_to: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """[start of date_from, start of the day after date_to) in the club's time zone."""
    start = timezone.make_aware(datetime.datetime.combine(date_from, datetime.time.min))
    end = timezone.make_aware(datetime.datetime.combine(date_to + datetime.timedelta(days=1), datetime.time.min))
    return start, end


def session_list(
    *,
    user: User,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    trainer_id: int | None = None,
    class_type_id: int | None = None,
) -> QuerySet[ClassSession]:
    """Every member sees the timetable; `booked`, `waitlisted` are annotated and `my_bookings` holds the
    caller's own active booking (a list of at most one)."""
    sessions = ClassSession.objects.select_related("class_type", "trainer").annotate(
        booked=Count("bookings", filter=Q(bookings__status__in=SPOT_STATUSES)),
        waitlisted=Count("bookings", filter=Q(bookings__status=BookingStatus.WAITLISTED)),
    )
    if date_from or date_to:
        start, end = day_bounds(date_from or datetime.date.min, date_to or datetime.date.max - datetime.timedelta(1))
        if date_from:
            sessions = sessions.filter(starts_at__gte=start)
        if date_to:
            sessions = sessions.filter(starts_at__lt=end)
    if trainer_id:
        sessions = sessions.filter(trainer_id=trainer_id)
    if class_type_id:
        sessions = sessions.filter(class_type_id=class_type_id)
    mine = Booking.objects.filter(client__user=user).exclude(
        status__in=[BookingStatus.CANCELLED, BookingStatus.LATE_CANCELLED]
    )
    return sessions.prefetch_related(Prefetch("bookings", queryset=mine, to_attr="my_bookings")).order_by(
        "starts_at", "id"
    )


def session_get(*, user: User, pk: int) -> ClassSession:
    return session_list(user=user).get(pk=pk)


def booking_list(*, user: User) -> QuerySet[Booking]:
    bookings = Booking.objects.select_related("session__class_type", "session__trainer", "client").order_by(
        "-session__starts_at", "waitlist_position", "id"
    )
    if is_staff_member(user):
        return bookings
    return bookings.filter(client__user=user)


def session_roster(*, session: ClassSession) -> dict[str, list[Booking]]:
    """The session page: who has a spot, the waitlist in order, and who cancelled."""
    bookings = session.bookings.select_related("client").order_by("waitlist_position", "created_at", "id")
    roster: dict[str, list[Booking]] = {"spots": [], "waitlist": [], "cancelled": []}
    for booking in bookings:
        if booking.status in SPOT_STATUSES:
            roster["spots"].append(booking)
        elif booking.status == BookingStatus.WAITLISTED:
            roster["waitlist"].append(booking)
        else:
            roster["cancelled"].append(booking)
    return roster


def trainer_trainings(*, user: User, date_from: datetime.date, date_to: datetime.date) -> QuerySet[Training]:
    """The trainer's own trainings in the week: those of its assigned clients, with a date."""
    return (
        Training.objects.select_related("client")
        .filter(client__trainer=user, date__gte=date_from, date__lte=date_to)
        .order_by("date", "start_time", "id")
    )


def class_activity_summary(*, date_from: datetime.date, date_to: datetime.date) -> dict[str, int | float | None]:
    """`club_activity`'s classes: sessions held (not cancelled) that started in the period, the bookings that
    took a spot in them, and the share of those checked as attended among attended and no-shows (percent)."""
    start, end = day_bounds(date_from, date_to)
    held = ClassSession.objects.filter(status="SCHEDULED", starts_at__gte=start, starts_at__lt=end)
    counts = Booking.objects.filter(session__in=held).aggregate(
        bookings_total=Count("id", filter=Q(status__in=SPOT_STATUSES)),
        attended=Count("id", filter=Q(status=BookingStatus.ATTENDED)),
        no_shows_total=Count("id", filter=Q(status=BookingStatus.NO_SHOW)),
    )
    judged = counts["attended"] + counts["no_shows_total"]
    return {
        "classes_total": held.count(),
        "bookings_total": counts["bookings_total"],
        "attendance_rate": round(100 * counts["attended"] / judged, 1) if judged else None,
        "no_shows_total": counts["no_shows_total"],
    }
