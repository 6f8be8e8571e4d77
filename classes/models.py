"""Group classes: types, sessions on the timetable, weekly rules that generate them, and bookings."""

import datetime

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeBoundary, RangeOperators
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Func, Q
from django.db.models.functions import Now
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from club.models import AccessLevel, Client
from core.models import choices_check, range_check


class SessionStatus(models.TextChoices):
    SCHEDULED = "SCHEDULED", _("Scheduled")
    CANCELLED = "CANCELLED", _("Cancelled")


class BookingStatus(models.TextChoices):
    BOOKED = "BOOKED", _("Booked")
    WAITLISTED = "WAITLISTED", _("Waitlisted")
    CANCELLED = "CANCELLED", _("Cancelled")
    LATE_CANCELLED = "LATE_CANCELLED", _("Late cancelled")
    ATTENDED = "ATTENDED", _("Attended")
    NO_SHOW = "NO_SHOW", _("No-show")


# A booking in one of these holds a place (a spot or a waitlist position).
ACTIVE_BOOKING_STATUSES = [BookingStatus.BOOKED, BookingStatus.WAITLISTED]


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class ClassType(models.Model):
    # With a context: Django's own catalogs translate a bare "name" as a person's name, "active" as a
    # user's state and "session" as a browser session, and theirs win over ours.
    name = models.CharField(pgettext_lazy("class type", "name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True, default="", db_default="")
    capacity = models.PositiveIntegerField(
        _("capacity"), default=12, help_text=_("Default spots of a session of this class.")
    )
    duration_min = models.PositiveIntegerField(_("duration min"), default=60, help_text=_("Minutes, 5 to 600."))
    # The club's AccessLevel values a membership needs to book; an empty list admits every member.
    # JSON rather than an array column: the embedded default (SQLite) has no arrays.
    access_levels = models.JSONField(_("access levels"), default=list, blank=True)

    class Meta:
        verbose_name = _("class type")
        verbose_name_plural = _("class types")
        db_table = "class_types"
        ordering = ["name"]
        constraints = [
            range_check("capacity", model="class_types", low=1, high=500),
            range_check("duration_min", model="class_types", low=5, high=600),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        levels = self.access_levels
        if not isinstance(levels, list) or any(level not in AccessLevel.values for level in levels):
            raise ValidationError(
                {"access_levels": _("A list of: %(levels)s.") % {"levels": ", ".join(AccessLevel.values)}}
            )

    def admits(self, access_level: str | None) -> bool:
        return not self.access_levels or access_level in self.access_levels


class TimetableRule(models.Model):
    """Every <weekday> at <start_time> (club local time): one session of <class_type>, generated ahead."""

    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start_time = models.TimeField(_("start time"))
    class_type = models.ForeignKey(
        ClassType, verbose_name=_("class type"), on_delete=models.DO_NOTHING, related_name="rules"
    )
    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("trainer"),
        on_delete=models.DO_NOTHING,
        related_name="timetable_rules",
        limit_choices_to={"role": "TRAINER"},
    )
    room = models.CharField(_("room"), max_length=50, blank=True, default="", db_default="")
    active = models.BooleanField(pgettext_lazy("timetable rule", "active"), default=True, db_default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_default=Now(), editable=False)

    class Meta:
        verbose_name = _("timetable rule")
        verbose_name_plural = _("timetable rules")
        db_table = "timetable_rules"
        ordering = ["weekday", "start_time", "id"]
        constraints = [range_check("weekday", model="timetable_rules", low=0, high=6)]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start_time:%H:%M} · {self.class_type}"


class ClassSession(models.Model):
    """One class on the timetable. Its trainer and its room are never in two SCHEDULED sessions at once:
    on PostgreSQL an exclusion constraint (added by migration 0001, see SESSION_EXCLUSION_CONSTRAINTS) says so."""

    class_type = models.ForeignKey(
        ClassType, verbose_name=_("class type"), on_delete=models.DO_NOTHING, related_name="sessions"
    )
    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("trainer"),
        on_delete=models.DO_NOTHING,
        related_name="class_sessions",
        limit_choices_to={"role": "TRAINER"},
    )
    rule = models.ForeignKey(
        TimetableRule,
        verbose_name=_("rule"),
        on_delete=models.DB_SET_NULL,
        null=True,
        blank=True,
        related_name="sessions",
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    capacity = models.PositiveIntegerField(_("capacity"))
    room = models.CharField(_("room"), max_length=50, blank=True, default="", db_default="")
    status = models.CharField(
        _("status"),
        max_length=9,
        choices=SessionStatus.choices,
        default=SessionStatus.SCHEDULED,
        db_default=SessionStatus.SCHEDULED,
    )
    cancel_reason = models.TextField(_("cancel reason"), blank=True, default="", db_default="")
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_default=Now(), editable=False)

    class Meta:
        verbose_name = _("class session")
        verbose_name_plural = _("class sessions")
        db_table = "class_sessions"
        ordering = ["starts_at", "id"]
        constraints = [
            choices_check("status", SessionStatus, model="class_sessions"),
            range_check("capacity", model="class_sessions", low=1, high=500),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="class_sessions_ends_after_start",
                violation_error_message=_("A session ends after it starts."),
            ),
            # Generation is idempotent: one session per rule and start, however often the task runs.
            models.UniqueConstraint(fields=["rule", "starts_at"], name="class_sessions_rule_start_unique"),
        ]
        indexes = [
            models.Index(fields=["starts_at"], name="class_sessions_starts_idx"),
            models.Index(fields=["trainer", "starts_at"], name="class_sessions_trainer_idx"),
        ]

    def __str__(self) -> str:
        start = timezone.localtime(self.starts_at)
        return f"{self.class_type} · {formats.date_format(start.date())} {start:%H:%M}"

    def clean(self) -> None:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("A session ends after it starts.")})


class TsTzRange(Func):
    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


def _no_overlap(name: str, column: str, condition: Q) -> ExclusionConstraint:
    return ExclusionConstraint(
        name=name,
        expressions=[
            (TsTzRange("starts_at", "ends_at", RangeBoundary()), RangeOperators.OVERLAPS),
            (column, RangeOperators.EQUAL),
        ],
        condition=condition,
        violation_error_message={
            "trainer": _("The trainer is already booked at that time."),
            "room": _("The room is already booked at that time."),
        }[column],
    )


# Not in ClassSession.Meta: SQLite (the embedded default) has no ranges nor GiST, so migration 0001 adds
# them on PostgreSQL only, and classes.services checks the clash in Python there instead.
TRAINER_OVERLAP = "class_sessions_no_trainer_overlap"
ROOM_OVERLAP = "class_sessions_no_room_overlap"
SESSION_EXCLUSION_CONSTRAINTS = [
    _no_overlap(TRAINER_OVERLAP, "trainer", Q(status="SCHEDULED")),
    _no_overlap(ROOM_OVERLAP, "room", Q(status="SCHEDULED") & ~Q(room="")),
]


class Booking(models.Model):
    session = models.ForeignKey(
        ClassSession,
        verbose_name=pgettext_lazy("class", "session"),
        on_delete=models.DB_CASCADE,
        related_name="bookings",
    )
    client = models.ForeignKey(
        Client, verbose_name=_("client"), on_delete=models.DB_CASCADE, related_name="class_bookings"
    )
    status = models.CharField(_("status"), max_length=14, choices=BookingStatus.choices)
    # 1, 2, … in the order the waitlist is served; NULL unless WAITLISTED.
    waitlist_position = models.PositiveIntegerField(_("waitlist position"), null=True, blank=True)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("booked by"),
        on_delete=models.DB_SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_default=Now(), editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_default=Now())
    promoted_at = models.DateTimeField(_("promoted at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    attended_at = models.DateTimeField(_("attended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        db_table = "class_bookings"
        ordering = ["session", "waitlist_position", "created_at", "id"]
        constraints = [
            choices_check("status", BookingStatus, model="class_bookings"),
            # One place per member and session; a cancelled booking does not block booking again.
            models.UniqueConstraint(
                fields=["session", "client"],
                condition=Q(status__in=ACTIVE_BOOKING_STATUSES),
                name="class_bookings_one_active_per_client",
            ),
            models.CheckConstraint(
                condition=Q(status=BookingStatus.WAITLISTED, waitlist_position__isnull=False)
                | (~Q(status=BookingStatus.WAITLISTED) & Q(waitlist_position__isnull=True)),
                name="class_bookings_position_iff_waitlisted",
            ),
        ]
        indexes = [
            models.Index(fields=["session", "status"], name="class_bookings_session_idx"),
            models.Index(fields=["client", "status"], name="class_bookings_client_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.client} · {self.session} · {self.get_status_display()}"


def session_bounds(
    day: datetime.date, start: datetime.time, minutes: int
) -> tuple[datetime.datetime, datetime.datetime]:
    starts_at = timezone.make_aware(datetime.datetime.combine(day, start))
    return starts_at, starts_at + datetime.timedelta(minutes=minutes)
