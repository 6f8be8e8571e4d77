"""The only write path of classes: sessions, the timetable, bookings and their waitlists (docs/classes.md)."""

import datetime
import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import CharField, F, QuerySet, Value
from django.db.models.functions import Cast, Concat, JSONObject
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import Role, User
from classes.models import (
    ACTIVE_BOOKING_STATUSES,
    ROOM_OVERLAP,
    TRAINER_OVERLAP,
    Booking,
    BookingStatus,
    ClassSession,
    ClassType,
    SessionStatus,
    TimetableRule,
    session_bounds,
)
from club.models import Client, ClientStatus
from core.db import delete_checked
from core.exceptions import ApplicationError
from core.services import model_full_clean, model_update
from notifications.models import NotificationKind
from notifications.services import BulkQueued, notifications_queue_many

logger = logging.getLogger(__name__)

# Statuses that occupy one of the session's `capacity` spots.
SPOT_STATUSES = [BookingStatus.BOOKED, BookingStatus.ATTENDED, BookingStatus.NO_SHOW]
# An admission at check-in this long before a booked session starts marks it ATTENDED.
ATTENDANCE_WINDOW = datetime.timedelta(hours=1)


# ---------------------------------------------------------------------------
# The member's channel: outbox rows written in the transaction of their event
# ---------------------------------------------------------------------------
# CLASS_REMINDER goes out this long before a booked session starts.
REMINDER_AHEAD = datetime.timedelta(hours=2)


def _bookings_notify(*, kind: NotificationKind, bookings: QuerySet[Booking]) -> BulkQueued:
    """One `kind` notification per booking (`<KIND>:<booking id>`), written by one statement whatever
    their number; the context carries what the message shows, so sending reads no class table."""
    return notifications_queue_many(
        kind=kind,
        source=bookings.filter(client__user__deleted_at__isnull=True),
        user_id=F("client__user_id"),
        dedupe_key=Concat(Value(f"{kind}:"), Cast("pk", CharField())),
        context=JSONObject(
            booking_id="pk",
            session_id="session_id",
            class_name="session__class_type__name",
            starts_at="session__starts_at",
            room="session__room",
            trainer="session__trainer__username",
            reason="session__cancel_reason",
        ),
    )


@transaction.atomic
def bookings_remind(*, now: datetime.datetime | None = None) -> BulkQueued:
    """CLASS_REMINDER for every BOOKED member of a scheduled session starting within REMINDER_AHEAD.

    Beat runs it every few minutes: each run looks at the whole window, so a booking made inside it,
    or a run that beat missed, is still reminded, and the dedupe key makes it once per booking.
    """
    now = now or timezone.now()
    bookings = Booking.objects.filter(
        status=BookingStatus.BOOKED,
        session__status=SessionStatus.SCHEDULED,
        session__starts_at__gt=now,
        session__starts_at__lte=now + REMINDER_AHEAD,
    )
    return _bookings_notify(kind=NotificationKind.CLASS_REMINDER, bookings=bookings)


# ---------------------------------------------------------------------------
# Class types
# ---------------------------------------------------------------------------
@transaction.atomic
def class_type_create(**fields: Any) -> ClassType:
    class_type = ClassType(**fields)
    model_full_clean(class_type)
    class_type.save()
    return class_type


@transaction.atomic
def class_type_update(*, class_type: ClassType, data: dict[str, Any]) -> ClassType:
    return model_update(instance=class_type, data=data)


@transaction.atomic
def class_type_delete(*, class_type: ClassType) -> None:
    """409 (ProtectedError) while sessions or rules use it: they keep the class's history."""
    delete_checked(class_type)


# ---------------------------------------------------------------------------
# Sessions
# ---------------------------------------------------------------------------
def _describe(session: ClassSession) -> str:
    start, end = timezone.localtime(session.starts_at), timezone.localtime(session.ends_at)
    return gettext("%(class)s on %(day)s %(start)s–%(end)s") % {
        "class": session.class_type.name,
        "day": f"{start:%Y-%m-%d}",
        "start": f"{start:%H:%M}",
        "end": f"{end:%H:%M}",
    }


def session_clash(session: ClassSession, *, field: str) -> ClassSession | None:
    if field == "room" and not session.room:
        return None
    return (
        ClassSession.objects.select_related("class_type")
        .filter(
            status=SessionStatus.SCHEDULED,
            starts_at__lt=session.ends_at,
            ends_at__gt=session.starts_at,
            **{field: getattr(session, field)},
        )
        .exclude(pk=session.pk)
        .first()
    )


def clash_error(session: ClassSession, field: str, other: ClassSession | None) -> ApplicationError:
    what = _describe(other) if other is not None else gettext("another session at that time")
    return ApplicationError(
        gettext("Trainer %(trainer)s is already booked: %(what)s.") % {"trainer": session.trainer, "what": what}
        if field == "trainer"
        else gettext("Room %(room)r is already booked: %(what)s.") % {"room": session.room, "what": what},
        {
            "reason": "TRAINER_BUSY" if field == "trainer" else "ROOM_BUSY",
            "clash_session_id": getattr(other, "pk", None),
        },
    )


def _save_session(session: ClassSession) -> ClassSession:
    """Save a session; a trainer or room busy at that time is a 409 naming the other session.

    On PostgreSQL the exclusion constraints decide (two concurrent requests cannot both pass); on SQLite,
    which has none, the same question is asked in Python first (SQLite writers are serialised anyway).
    """
    model_full_clean(session)
    scheduled = session.status == SessionStatus.SCHEDULED
    if connection.vendor != "postgresql" and scheduled:
        for field in ("trainer", "room"):
            if other := session_clash(session, field=field):
                raise clash_error(session, field, other)
    try:
        with transaction.atomic():
            session.save()
    except IntegrityError as error:
        constraint = getattr(getattr(error.__cause__, "diag", None), "constraint_name", None)
        if constraint not in (TRAINER_OVERLAP, ROOM_OVERLAP):
            raise
        field = "trainer" if constraint == TRAINER_OVERLAP else "room"
        raise clash_error(session, field, session_clash(session, field=field)) from error
    return session


@transaction.atomic
def session_create(
    *,
    class_type: ClassType,
    trainer: User,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime | None = None,
    capacity: int | None = None,
    room: str = "",
    rule: TimetableRule | None = None,
) -> ClassSession:
    if trainer.role != Role.TRAINER:
        raise ValidationError({"trainer_id": gettext("Choose a user with the TRAINER role.")})
    session = ClassSession(
        class_type=class_type,
        trainer=trainer,
        starts_at=starts_at,
        ends_at=ends_at or starts_at + datetime.timedelta(minutes=class_type.duration_min),
        capacity=capacity or class_type.capacity,
        room=room,
        rule=rule,
    )
    return _save_session(session)


@transaction.atomic
def session_save(*, session: ClassSession) -> ClassSession:
    """Save a new or edited session (the admin's form); a raised capacity serves the waitlist at once."""
    if session.pk is None:
        return _save_session(session)
    # The lock booking_create takes: promotions below never race a booking of this session.
    ClassSession.objects.select_for_update().filter(pk=session.pk).first()
    _save_session(session)
    now = timezone.now()
    while session.bookings.filter(status__in=SPOT_STATUSES).count() < session.capacity:
        if _promote_first(session, now) is None:
            break
    return session


@transaction.atomic
def session_cancel(*, session: ClassSession, reason: str, actor: User | None = None) -> ClassSession:
    """Cancel a session and every booking on it; each member booked or waitlisted gets CLASS_CANCELLED
    with the reason, written in this transaction."""
    if not reason.strip():
        raise ValidationError({"reason": gettext("Tell the members why the class is cancelled.")})
    session = ClassSession.objects.select_for_update().get(pk=session.pk)
    if session.status == SessionStatus.CANCELLED:
        raise ApplicationError(gettext("The session is already cancelled."), {"reason": "SESSION_CANCELLED"})
    now = timezone.now()
    if session.ends_at <= now:
        raise ApplicationError(
            gettext("The session is over; it can no longer be cancelled."), {"reason": "SESSION_OVER"}
        )
    session.status = SessionStatus.CANCELLED
    session.cancel_reason = reason.strip()
    session.cancelled_at = now
    session.save(update_fields=["status", "cancel_reason", "cancelled_at"])
    bookings = session.bookings.filter(status__in=ACTIVE_BOOKING_STATUSES)
    # Before the update: these are the bookings the cancellation takes away.
    _bookings_notify(kind=NotificationKind.CLASS_CANCELLED, bookings=bookings)
    bookings.update(status=BookingStatus.CANCELLED, waitlist_position=None, cancelled_at=now, updated_at=now)
    return session


# ---------------------------------------------------------------------------
# The timetable
# ---------------------------------------------------------------------------
@transaction.atomic
def timetable_rule_create(**fields: Any) -> TimetableRule:
    rule = TimetableRule(**fields)
    model_full_clean(rule)
    rule.save()
    timetable_generate(rules=[rule])
    return rule


def _future_unbooked_sessions(rule: TimetableRule) -> QuerySet[ClassSession]:
    holding_a_place = Booking.objects.filter(status__in={*ACTIVE_BOOKING_STATUSES, *SPOT_STATUSES})
    return rule.sessions.filter(starts_at__gt=timezone.now(), status=SessionStatus.SCHEDULED).exclude(
        pk__in=holding_a_place.values("session_id")
    )


@transaction.atomic
def timetable_rule_update(*, rule: TimetableRule, data: dict[str, Any]) -> TimetableRule:
    """Change a rule: its future sessions nobody booked are re-created from it; booked ones stay as they are."""
    rule = model_update(instance=rule, data=data)
    _future_unbooked_sessions(rule).delete()
    if rule.active:
        timetable_generate(rules=[rule])
    return rule


@transaction.atomic
def timetable_rule_delete(*, rule: TimetableRule) -> None:
    _future_unbooked_sessions(rule).delete()
    rule.delete()  # the other sessions keep their history (rule_id becomes NULL in the database)


def timetable_generate(
    *, today: datetime.date | None = None, weeks: int | None = None, rules: list[TimetableRule] | None = None
) -> dict[str, int]:
    """Turn the active rules into sessions from today to `TIMETABLE_WEEKS_AHEAD` weeks ahead.

    Idempotent: a session of a rule at a start that already exists is not created again (and the unique
    constraint on (rule, starts_at) settles two runs racing). A start whose trainer or room is busy is
    skipped and logged, not fatal.
    """
    today = today or timezone.localdate()
    weeks = settings.TIMETABLE_WEEKS_AHEAD if weeks is None else weeks
    now = timezone.now()
    if rules is None:
        rules = list(TimetableRule.objects.filter(active=True).select_related("class_type", "trainer"))
    created = skipped = 0
    for rule in rules:
        if not rule.active:
            continue
        existing = set(rule.sessions.filter(starts_at__gte=now).values_list("starts_at", flat=True))
        for offset in range(weeks * 7):
            day = today + datetime.timedelta(days=offset)
            if day.weekday() != rule.weekday:
                continue
            starts_at, ends_at = session_bounds(day, rule.start_time, rule.class_type.duration_min)
            if starts_at <= now or starts_at in existing:
                continue
            try:
                with transaction.atomic():
                    session_create(
                        class_type=rule.class_type,
                        trainer=rule.trainer,
                        starts_at=starts_at,
                        ends_at=ends_at,
                        room=rule.room,
                        rule=rule,
                    )
                created += 1
            except (ApplicationError, IntegrityError) as error:
                skipped += 1
                logger.warning("timetable rule %s: no session at %s: %s", rule.pk, starts_at, error)
    return {"created": created, "skipped": skipped}


# ---------------------------------------------------------------------------
# Bookings
# ---------------------------------------------------------------------------
def _refuse_ineligible(client: Client, session: ClassSession) -> None:
    """The club's effective status on the day of the class decides (club.models.Client.status_on)."""
    status = client.status_on(timezone.localtime(session.starts_at).date())
    if status == ClientStatus.ON_HOLD:
        raise ApplicationError(gettext("The membership is on hold on the day of this class."), {"reason": "ON_HOLD"})
    if status == ClientStatus.INACTIVE:
        raise ApplicationError(gettext("The membership is not active on the day of this class."), {"reason": "LAPSED"})
    level = client.membership.access_level
    if not session.class_type.admits(level):
        raise ApplicationError(
            gettext("%(class)s admits %(levels)s memberships only.")
            % {"class": session.class_type.name, "levels": ", ".join(session.class_type.access_levels)},
            {"reason": "ACCESS_LEVEL", "access_level": level, "admitted": session.class_type.access_levels},
        )


def _refuse_closed(session: ClassSession, now: datetime.datetime) -> None:
    if session.status == SessionStatus.CANCELLED:
        raise ApplicationError(gettext("The session was cancelled."), {"reason": "SESSION_CANCELLED"})
    if session.starts_at <= now:
        raise ApplicationError(gettext("The session has already started."), {"reason": "SESSION_STARTED"})


@transaction.atomic
def booking_create(*, session: ClassSession, client: Client, actor: User | None = None) -> Booking:
    """Book a spot, or the next waitlist position when the session is full.

    The session row is locked (SELECT … FOR UPDATE) before counting, so concurrent bookings of one session,
    on any number of processes, take turns and capacity is never exceeded; other sessions are not blocked.
    """
    now = timezone.now()
    session = ClassSession.objects.select_for_update(of=("self",)).select_related("class_type").get(pk=session.pk)
    _refuse_closed(session, now)
    client = Client.objects.select_related("membership").get(pk=client.pk)
    _refuse_ineligible(client, session)
    bookings = session.bookings.all()
    if bookings.filter(client=client, status__in=ACTIVE_BOOKING_STATUSES).exists():
        raise ApplicationError(
            gettext("This member already has a place in this session."), {"reason": "ALREADY_BOOKED"}
        )
    taken = bookings.filter(status__in=SPOT_STATUSES).count()
    booking = Booking(session=session, client=client, booked_by=actor)
    if taken < session.capacity:
        booking.status = BookingStatus.BOOKED
    else:
        booking.status = BookingStatus.WAITLISTED
        booking.waitlist_position = bookings.filter(status=BookingStatus.WAITLISTED).count() + 1
    booking.save()
    return booking


def _close_gap(session: ClassSession, position: int) -> None:
    session.bookings.filter(status=BookingStatus.WAITLISTED, waitlist_position__gt=position).update(
        waitlist_position=F("waitlist_position") - 1
    )


def _promote_first(session: ClassSession, now: datetime.datetime) -> Booking | None:
    first = session.bookings.filter(status=BookingStatus.WAITLISTED).order_by("waitlist_position").first()
    if first is None:
        return None
    first.status, first.waitlist_position, first.promoted_at = BookingStatus.BOOKED, None, now
    first.save(update_fields=["status", "waitlist_position", "promoted_at", "updated_at"])
    _close_gap(session, 1)
    _bookings_notify(kind=NotificationKind.WAITLIST_PROMOTED, bookings=Booking.objects.filter(pk=first.pk))
    return first


@transaction.atomic
def booking_cancel(*, booking: Booking, actor: User | None = None) -> Booking:
    """CANCELLED, or LATE_CANCELLED within BOOKING_CANCEL_CUTOFF_HOURS of the start; a freed spot goes to
    the first waitlisted member in the same transaction."""
    # The session's lock first, as booking_create takes it: cancels and bookings of one session take turns.
    session = ClassSession.objects.select_for_update().get(pk=booking.session_id)
    now = timezone.now()  # after the lock: promotions are stamped in the order they happened
    booking = Booking.objects.get(pk=booking.pk)
    if booking.status not in ACTIVE_BOOKING_STATUSES:
        raise ApplicationError(
            gettext("The booking is %(status)s; it cannot be cancelled.")
            % {"status": booking.get_status_display().lower()},
            {"reason": "NOT_ACTIVE", "status": booking.status},
        )
    _refuse_closed(session, now)
    was = booking.status
    position = booking.waitlist_position
    late = now >= session.starts_at - datetime.timedelta(hours=settings.BOOKING_CANCEL_CUTOFF_HOURS)
    booking.status = BookingStatus.LATE_CANCELLED if late and was == BookingStatus.BOOKED else BookingStatus.CANCELLED
    booking.waitlist_position = None
    booking.cancelled_at = now
    booking.save(update_fields=["status", "waitlist_position", "cancelled_at", "updated_at"])
    if was == BookingStatus.BOOKED:
        _promote_first(session, now)
    elif position is not None:  # a waitlisted booking: the ones behind it move up
        _close_gap(session, position)
    return booking


@transaction.atomic
def booking_set_attendance(*, booking: Booking, attended: bool, actor: User | None = None) -> Booking:
    """Staff mark a booked member as there (ATTENDED) or not (NO_SHOW), from an hour before the start on."""
    now = timezone.now()
    booking = Booking.objects.select_for_update().select_related("session").get(pk=booking.pk)
    if booking.status not in (BookingStatus.BOOKED, BookingStatus.ATTENDED, BookingStatus.NO_SHOW):
        raise ApplicationError(gettext("Only a booked member's attendance is marked."), {"reason": "NOT_BOOKED"})
    if booking.session.starts_at - ATTENDANCE_WINDOW > now:
        raise ApplicationError(gettext("Attendance is marked from an hour before the start."), {"reason": "TOO_EARLY"})
    booking.status = BookingStatus.ATTENDED if attended else BookingStatus.NO_SHOW
    booking.attended_at = now if attended else None
    booking.save(update_fields=["status", "attended_at", "updated_at"])
    return booking


@transaction.atomic
def bookings_mark_attended(*, client: Client, at: datetime.datetime) -> list[Booking]:
    """Check-in's hook: an admission at `at` marks ATTENDED the client's BOOKED sessions that start within
    the next hour or are in progress. Returns the bookings it changed (none is fine)."""
    bookings = list(
        Booking.objects.select_for_update()
        .filter(
            client=client,
            status=BookingStatus.BOOKED,
            session__status=SessionStatus.SCHEDULED,
            session__starts_at__lte=at + ATTENDANCE_WINDOW,
            session__ends_at__gt=at,
        )
        .order_by("pk")
    )
    for booking in bookings:
        booking.status, booking.attended_at = BookingStatus.ATTENDED, at
        booking.save(update_fields=["status", "attended_at", "updated_at"])
    return bookings


def bookings_mark_no_shows(*, now: datetime.datetime | None = None) -> int:
    """Bookings still BOOKED after their session ended become NO_SHOW; running it again changes nothing."""
    now = now or timezone.now()
    return Booking.objects.filter(
        status=BookingStatus.BOOKED, session__status=SessionStatus.SCHEDULED, session__ends_at__lte=now
    ).update(status=BookingStatus.NO_SHOW, updated_at=now)
