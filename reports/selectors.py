"""Reads of reports: the ones a user may see, and the numbers of each report kind.

Each `*_report_data` selector computes its totals with aggregate SQL (GROUP BY in the database),
so its cost grows with the number of groups, never with the number of rows in the period.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, F, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils.translation import gettext as _

from accounts.models import Role, User
from accounts.permissions import is_staff_member
from attendance.models import Visit, VisitResult
from classes.selectors import class_activity_summary
from club.models import AccessLevel, Client, ClientStatus, Payment, PaymentMethod, PaymentStatus
from club.selectors import payment_takings
from reports.labels import UNSPECIFIED, money_label, value_label
from reports.models import MONEY_REPORT_KINDS, Report, ReportKind
from reports.permissions import can_read_money_reports
from training.models import MuscleGroup, Training, TrainingExercise, TrainingType
from workouts.models import WorkoutSession

TOP_EXERCISES = 10
MONEY = Decimal("0.01")


def report_lookup(*, user: User) -> QuerySet[Report]:
    """The reports a user may name by id: staff all (a trainer is then refused a money report, 403,
    by `can_view_report`); a client only what it asked for (anything else reads as unknown, 404)."""
    reports = Report.objects.select_related("requested_by", "client")
    if is_staff_member(user):
        return reports
    return reports.filter(requested_by=user)


def report_list(*, user: User) -> QuerySet[Report]:
    """The reports a user's lists show: a trainer's lists leave out the money reports it may not open."""
    reports = report_lookup(user=user)
    if not can_read_money_reports(user):
        reports = reports.exclude(kind__in=MONEY_REPORT_KINDS)
    return reports


def report_get_for_user(*, user: User, report_id: int) -> Report:
    return report_list(user=user).get(pk=report_id)


@dataclass(frozen=True)
class Table:
    title: str
    headers: list[str]
    rows: Iterable[tuple[Any, ...]]
    sheet: str = ""  # the spreadsheet tab's name when the title is longer than Excel's 31 characters
    total_row: bool = False  # the last row adds up the others (printed bold)


@dataclass(frozen=True)
class Chart:
    title: str
    labels: list[Any]  # categories (str), or days (datetime.date) of a line chart
    values: list[float]
    ylabel: str
    line: bool = False  # a line over time instead of bars per category


@dataclass(frozen=True)
class ReportData:
    """What a report says, before any format: its `summary` (money as Decimal) and its tables and charts."""

    title: str
    date_from: datetime.date
    date_to: datetime.date
    summary: dict[str, Any]
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)


def _day_bounds(date_from: datetime.date, date_to: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    # Datetime columns are filtered on [first midnight, midnight after the last day): the period is inclusive.
    start = datetime.datetime.combine(date_from, datetime.time.min, tzinfo=datetime.UTC)
    end = datetime.datetime.combine(date_to + datetime.timedelta(days=1), datetime.time.min, tzinfo=datetime.UTC)
    return start, end


def _money(value: Decimal | None) -> Decimal:
    return (value or Decimal(0)).quantize(MONEY)


def _label(column: str) -> Coalesce:
    return Coalesce(column, Value(UNSPECIFIED))


def _labelled(rows: Iterable[tuple[Any, ...]], *columns: int) -> list[tuple[Any, ...]]:
    """Rows with the enum values of the given columns as people read them (`FULL_BODY` → "Full body")."""
    return [tuple(value_label(v) if i in columns else v for i, v in enumerate(row)) for row in rows]


def _volume() -> Sum:
    # Sets × reps × extra weight; bodyweight rows (no extra weight) add no volume.
    return Sum(
        F("sets") * F("reps") * Coalesce("extra_weight", Value(Decimal(0))),
        output_field=DecimalField(max_digits=20, decimal_places=2),
    )


def _workout_sessions(date_from: datetime.date, date_to: datetime.date) -> QuerySet[WorkoutSession]:
    start, end = _day_bounds(date_from, date_to)
    return WorkoutSession.objects.filter(created_at__gte=start, created_at__lt=end)


def _reps_by_type(sessions: QuerySet[WorkoutSession]) -> list[tuple[str, int, int]]:
    return list(
        sessions.values("exercise_type")
        .annotate(sessions=Count("id"), reps=Sum("total_reps"))
        .order_by("-reps", "exercise_type")
        .values_list("exercise_type", "sessions", "reps")
    )


def _trainings_by_type(trainings: QuerySet[Training]) -> list[tuple[str, int, int]]:
    return list(
        trainings.values(type=_label("training_type"))
        .annotate(trainings=Count("id"), minutes=Sum("duration_min"))
        .order_by("type")
        .values_list("type", "trainings", "minutes")
    )


def _training_totals(trainings: QuerySet[Training]) -> dict[str, int]:
    return trainings.aggregate(
        trainings_total=Count("id"),
        minutes_total=Coalesce(Sum("duration_min"), 0),
        active_clients=Count("client", distinct=True),
    )


def _visit_totals(date_from: datetime.date, date_to: datetime.date) -> dict[str, int]:
    start, end = _day_bounds(date_from, date_to)
    return Visit.objects.filter(result=VisitResult.ADMITTED, checked_in_at__gte=start, checked_in_at__lt=end).aggregate(
        visits_total=Count("id"), unique_visitors=Count("client", distinct=True)
    )


def club_activity_report_data(*, date_from: datetime.date, date_to: datetime.date) -> ReportData:
    trainings = Training.objects.filter(date__range=(date_from, date_to))
    totals = _training_totals(trainings)
    by_type = _trainings_by_type(trainings)
    by_type_and_intensity = list(
        trainings.values(type=_label("training_type"), level=_label("intensity"))
        .annotate(trainings=Count("id"), minutes=Sum("duration_min"))
        .order_by("type", "level")
        .values_list("type", "level", "trainings", "minutes")
    )
    top_exercises = list(
        TrainingExercise.objects.filter(training__date__range=(date_from, date_to))
        .values("exercise_id")
        .annotate(times=Count("id"), set_count=Sum("sets"), rep_count=Sum(F("sets") * F("reps")))
        .order_by("-times", "exercise__title")
        .values_list("exercise__title", _label("exercise__muscle_group"), "times", "set_count", "rep_count")[
            :TOP_EXERCISES
        ]
    )
    sessions = _workout_sessions(date_from, date_to)
    reps_by_type = _reps_by_type(sessions)
    summary = {
        "trainings_total": totals["trainings_total"],
        "minutes_total": totals["minutes_total"],
        # Every type is listed, so a chart or a spreadsheet formula never misses a column.
        "by_type": dict.fromkeys(TrainingType.values, 0) | {t: n for t, n, _ in by_type},
        "active_clients": totals["active_clients"],
        "workout_reps_total": sessions.aggregate(total=Coalesce(Sum("total_reps"), 0))["total"],
        # classes_total, bookings_total, attendance_rate (percent), no_shows_total
        **class_activity_summary(date_from=date_from, date_to=date_to),
        # Admissions at the door in the period (denials are attempts, not visits) and the members behind them.
        **_visit_totals(date_from, date_to),
    }
    return ReportData(
        title=_("Club activity"),
        date_from=date_from,
        date_to=date_to,
        summary=summary,
        tables=[
            Table(
                _("Trainings by type and intensity"),
                [_("Type"), _("Intensity"), _("Trainings"), _("Minutes")],
                _labelled(by_type_and_intensity, 0, 1),
            ),
            Table(
                _("Top %(count)s exercises") % {"count": TOP_EXERCISES},
                [_("Exercise"), _("Muscle group"), _("Times"), _("Sets"), _("Reps (sets × reps)")],
                _labelled(top_exercises, 1),
            ),
            Table(_("Workout reps by exercise type"), [_("Exercise type"), _("Sessions"), _("Reps")], reps_by_type),
        ],
        charts=[
            Chart(
                _("Trainings by type"),
                [value_label(t) for t in summary["by_type"]],
                list(summary["by_type"].values()),
                _("trainings"),
            ),
            Chart(
                _("Workout reps by exercise type"),
                [r[0] for r in reps_by_type],
                [r[2] for r in reps_by_type],
                _("reps"),
            ),
        ],
    )


def client_progress_report_data(*, client: Client, date_from: datetime.date, date_to: datetime.date) -> ReportData:
    trainings = Training.objects.filter(client=client, date__range=(date_from, date_to))
    totals = _training_totals(trainings)
    worked = {
        group: (sets, reps, _money(kg))
        for group, sets, reps, kg in TrainingExercise.objects.filter(training__in=trainings)
        .values(group=_label("exercise__muscle_group"))
        .annotate(set_count=Sum("sets"), rep_count=Sum(F("sets") * F("reps")), volume=_volume())
        .values_list("group", "set_count", "rep_count", "volume")
    }
    # Every muscle group is listed, in the catalog's order, like the other reports' categories.
    groups = [*MuscleGroup.values, *([UNSPECIFIED] if UNSPECIFIED in worked else [])]
    volume = [(group, *worked.get(group, (0, 0, _money(None)))) for group in groups]
    sessions = _workout_sessions(date_from, date_to).filter(user_id=client.user_id)
    reps_by_day = list(
        sessions.values(day=TruncDate("created_at", tzinfo=datetime.UTC))
        .annotate(sessions=Count("id"), reps=Sum("total_reps"))
        .order_by("day")
        .values_list("day", "sessions", "reps")
    )
    summary = {
        "trainings_total": totals["trainings_total"],
        "minutes_total": totals["minutes_total"],
        "workout_reps_total": sessions.aggregate(total=Coalesce(Sum("total_reps"), 0))["total"],
        "volume_by_muscle_group": {group: kg for group, _, _, kg in volume},
    }
    return ReportData(
        title=_("Progress of %(name)s") % {"name": client.full_name},
        date_from=date_from,
        date_to=date_to,
        summary=summary,
        tables=[
            Table(
                _("Trainings by type"),
                [_("Type"), _("Trainings"), _("Minutes")],
                _labelled(_trainings_by_type(trainings), 0),
            ),
            Table(
                _("Volume by muscle group"),
                [_("Muscle group"), _("Sets"), _("Reps (sets × reps)"), _("Volume, kg")],
                _labelled(volume, 0),
            ),
            Table(_("Workout reps by day"), [_("Day"), _("Sessions"), _("Reps")], reps_by_day),
        ],
        charts=[
            Chart(
                _("Volume by muscle group"), [value_label(r[0]) for r in volume], [float(r[3]) for r in volume], "kg"
            ),
            Chart(
                _("Workout reps over time"),
                [r[0] for r in reps_by_day],
                [r[2] for r in reps_by_day],
                _("reps"),
                line=True,
            ),
        ],
    )


def membership_revenue_report_data(*, date_from: datetime.date, date_to: datetime.date) -> ReportData:
    start, end = _day_bounds(date_from, date_to)
    clients = dict(
        Client.objects.with_effective_status()
        .filter(effective_status=ClientStatus.ACTIVE)  # type: ignore[misc]  # an annotation django-stubs cannot see
        .values(level=_label("membership__access_level"))
        .annotate(clients=Count("id"))
        .values_list("level", "clients")
    )
    paid = {
        level: (payments, _money(revenue))
        for level, payments, revenue in Payment.objects.filter(
            status=PaymentStatus.PAID, paid_at__gte=start, paid_at__lt=end
        )
        .values(level=_label("membership__access_level"))
        .annotate(payments=Count("id"), revenue=Sum("amount"))
        .values_list("level", "payments", "revenue")
    }
    # The levels of AccessLevel always appear; tariffs without a level only when they have clients or revenue.
    levels = [*AccessLevel.values, *([UNSPECIFIED] if UNSPECIFIED in clients | paid else [])]
    rows = [(level, clients.get(level, 0), *paid.get(level, (0, _money(None)))) for level in levels]
    revenue_total = _money(sum((row[3] for row in rows), Decimal(0)))
    summary = {
        "by_access_level": {level: {"clients": n, "revenue": revenue} for level, n, _, revenue in rows},
        "revenue_total": revenue_total,
    }
    level_labels = [value_label(level) for level in levels]
    return ReportData(
        title=_("Membership revenue"),
        date_from=date_from,
        date_to=date_to,
        summary=summary,
        tables=[
            Table(
                _("Clients and revenue by access level"),
                [_("Access level"), _("Active clients"), _("Paid payments"), money_label(_("Revenue"))],
                [
                    *_labelled(rows, 0),
                    (_("Total"), sum(r[1] for r in rows), sum(r[2] for r in rows), revenue_total),
                ],
                sheet=_("By access level"),
                total_row=True,
            )
        ],
        charts=[
            Chart(_("Revenue by access level"), level_labels, [float(r[3]) for r in rows], money_label(_("revenue"))),
            Chart(_("Active clients by access level"), level_labels, [r[1] for r in rows], _("clients")),
        ],
    )


def new_users_report_data(*, date_from: datetime.date, date_to: datetime.date) -> ReportData:
    """New members of the period; accounts made for staff are counted and listed apart."""
    start, end = _day_bounds(date_from, date_to)
    users = User.objects.filter(created_at__gte=start, created_at__lt=end)
    members, staff = users.filter(role=Role.USER), users.exclude(role=Role.USER)
    by_role = dict(users.values("role").annotate(n=Count("id")).order_by().values_list("role", "n"))
    by_day = list(
        members.values(day=TruncDate("created_at", tzinfo=datetime.UTC))
        .annotate(n=Count("id"))
        .order_by("day")
        .values_list("day", "n")
    )
    by_role_all = {role: by_role.get(role, 0) for role in Role.values}
    summary = {
        "new_users_total": by_role.get(Role.USER, 0),
        "staff_accounts_total": sum(n for role, n in by_role.items() if role != Role.USER),
        "by_role": by_role_all,
    }
    # Never the password hash: the rows name their columns explicitly.
    columns = ("id", "username", "email", "created_at", "deleted_at")
    member_rows = members.order_by("created_at", "id").values_list(*columns).iterator(chunk_size=2000)
    staff_rows = _labelled(staff.order_by("created_at", "id").values_list(*columns[:3], "role", *columns[3:]), 3)
    headers = [_("Id"), _("Username"), _("Email"), _("Created"), _("Deleted")]
    return ReportData(
        title=_("New members"),
        date_from=date_from,
        date_to=date_to,
        summary=summary,
        tables=[
            Table(
                _("New accounts by role"),
                [_("Role"), _("Accounts")],
                _labelled(by_role_all.items(), 0),
            ),
            Table(_("New members"), headers, member_rows),
            Table(_("New staff accounts"), [*headers[:3], _("Role"), *headers[3:]], staff_rows),
        ],
        charts=[
            Chart(_("New members by day"), [d for d, _n in by_day], [n for _d, n in by_day], _("members"), line=True)
        ],
    )


def _staff_names(staff_ids: Iterable[int | None]) -> dict[int | None, str]:
    names: dict[int | None, str] = {None: _("Payment provider")}
    names.update(User.objects.filter(pk__in=[pk for pk in staff_ids if pk is not None]).values_list("pk", "username"))
    return names


def daily_takings_report_data(*, date_from: datetime.date, date_to: datetime.date) -> ReportData:
    """The cash-up of a period: `club.selectors.payment_takings`, the same figures as /api/payments/summary/.

    The summary has the endpoint's keys (`count`, `total`, `by_method`, `by_staff`, `refunds`); the file
    adds the days, the methods and the staff members by name. Days are the club's local days.
    """
    takings = payment_takings(date_from=date_from, date_to=date_to)
    names = _staff_names(row["staff_id"] for row in takings.by_staff)
    methods = PaymentMethod.values
    money = money_label(_("Amount"))
    day_rows = [
        (
            day["date"],
            day["count"],
            day["total"],
            *(day["by_method"][method]["total"] for method in methods),
            day["refunds"]["count"],
            day["refunds"]["total"],
        )
        for day in takings.by_day
    ]
    totals_row = (
        _("Total"),
        takings.count,
        takings.total,
        *(takings.by_method[method]["total"] for method in methods),
        takings.refunds["count"],
        takings.refunds["total"],
    )
    method_labels = [value_label(method) for method in methods]
    return ReportData(
        title=_("Daily takings"),
        date_from=date_from,
        date_to=date_to,
        summary=takings.as_dict(),
        tables=[
            Table(
                _("Takings by day"),
                [
                    _("Day"),
                    _("Payments"),
                    money_label(_("Total")),
                    *(money_label(label) for label in method_labels),
                    _("Refunds"),
                    money_label(_("Refunded")),
                ],
                [*day_rows, totals_row],
                sheet=_("By day"),
                total_row=True,
            ),
            Table(
                _("Takings by method"),
                [_("Method"), _("Payments"), money],
                [
                    *(
                        (label, takings.by_method[m]["count"], takings.by_method[m]["total"])
                        for m, label in zip(methods, method_labels, strict=True)
                    ),
                    (_("Total"), takings.count, takings.total),
                ],
                sheet=_("By method"),
                total_row=True,
            ),
            Table(
                _("Takings by staff member"),
                [_("Taken by"), _("Payments"), money],
                [
                    *(
                        (names.get(row["staff_id"], row["staff_id"]), row["count"], row["total"])
                        for row in takings.by_staff
                    ),
                    (_("Total"), takings.count, takings.total),
                ],
                sheet=_("By staff member"),
                total_row=True,
            ),
            Table(
                _("Refunds"),
                [_("Refunds"), money_label(_("Refunded"))],
                [(takings.refunds["count"], takings.refunds["total"])],
            ),
        ],
        charts=[
            Chart(
                _("Takings per day"),
                [day["date"] for day in takings.by_day],
                [float(day["total"]) for day in takings.by_day],
                money_label(_("takings")),
                line=True,
            )
        ],
    )


def report_data(*, report: Report) -> ReportData:
    date_from = datetime.date.fromisoformat(report.date_from)
    date_to = datetime.date.fromisoformat(report.date_to)
    match report.kind:
        case ReportKind.CLUB_ACTIVITY:
            return club_activity_report_data(date_from=date_from, date_to=date_to)
        case ReportKind.CLIENT_PROGRESS:
            # report_request refuses a client_progress report without a client; report_generate fails one
            # whose client was deleted since.
            assert report.client is not None
            return client_progress_report_data(client=report.client, date_from=date_from, date_to=date_to)
        case ReportKind.MEMBERSHIP_REVENUE:
            return membership_revenue_report_data(date_from=date_from, date_to=date_to)
        case ReportKind.NEW_USERS:
            return new_users_report_data(date_from=date_from, date_to=date_to)
        case ReportKind.DAILY_TAKINGS:
            return daily_takings_report_data(date_from=date_from, date_to=date_to)
    raise ValueError(f"unknown report kind {report.kind!r}")
