"""Reads of visits and members' attendance, scoped to what the acting user may see."""

import datetime
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, QuerySet, Subquery
from django.db.models.functions import ExtractHour, TruncWeek
from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import User
from accounts.permissions import is_staff_member
from attendance.models import Visit, VisitResult
from club.models import Client, ClientStatus
from club.selectors import client_list
from core.charts import Series

VISITS_ON_CLIENT_PAGE = 10
VISIT_WEEKS = 12
TODAY_LIST_LENGTH = 30
BY_HOUR_DAYS = 7  # the dashboard's "check-ins by hour" chart


def local_midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def visit_list(*, user: User) -> QuerySet[Visit]:
    """Staff see every visit; a member only its own."""
    visits = Visit.objects.select_related("client")
    if not user.is_authenticated:
        return visits.none()
    if is_staff_member(user):
        return visits
    return visits.filter(client__user=user)


def visits_on(*, user: User, day: datetime.date) -> QuerySet[Visit]:
    """The visits of one local day, newest first (the index on checked_in_at)."""
    start = local_midnight(day)
    return visit_list(user=user).filter(checked_in_at__gte=start, checked_in_at__lt=start + datetime.timedelta(days=1))


def checked_in_count(*, user: User, day: datetime.date) -> int:
    """Members admitted that day (each member once)."""
    return visits_on(user=user, day=day).filter(result=VisitResult.ADMITTED).values("client").distinct().count()


def visits_by_hour(*, user: User, today: datetime.date, days: int = 7) -> Series:
    """Admissions per hour of the day over the last `days` days (today included): when the club is full.

    06:00–22:00 are always shown, earlier or later hours when someone came then.
    """
    tz = timezone.get_current_timezone()
    start = local_midnight(today - datetime.timedelta(days=days - 1))
    counts = dict(
        visit_list(user=user)
        .filter(
            result=VisitResult.ADMITTED,
            checked_in_at__gte=start,
            checked_in_at__lt=local_midnight(today + datetime.timedelta(days=1)),
        )
        .annotate(hour=ExtractHour("checked_in_at", tzinfo=tz))
        .order_by()
        .values_list("hour")
        .annotate(n=Count("id"))
        .values_list("hour", "n")
    )
    hours = range(min([6, *counts]), max([22, *counts]) + 1)
    return Series(labels=[f"{hour:02d}:00" for hour in hours], values=[counts.get(hour, 0) for hour in hours])


def client_visits(*, user: User, client: Client) -> QuerySet[Visit]:
    """A client's visits, newest first; `client` comes from club.selectors.client_list, so it is in scope."""
    return visit_list(user=user).filter(client=client).select_related("staff")


def client_visits_per_week(*, user: User, client: Client, today: datetime.date) -> Series:
    """Admissions per ISO week over the last VISIT_WEEKS weeks, empty weeks included."""
    first_monday = today - datetime.timedelta(days=today.weekday(), weeks=VISIT_WEEKS - 1)
    tz = timezone.get_current_timezone()
    counts = dict(
        client_visits(user=user, client=client)
        .filter(result=VisitResult.ADMITTED, checked_in_at__gte=local_midnight(first_monday))
        .annotate(week=TruncWeek("checked_in_at", tzinfo=tz))
        .order_by()
        .values_list("week")
        .annotate(n=Count("id"))
        .values_list("week", "n")
    )
    counts = {
        timezone.localtime(week).date() if isinstance(week, datetime.datetime) else week: n
        for week, n in counts.items()
    }
    mondays = [first_monday + datetime.timedelta(weeks=i) for i in range(VISIT_WEEKS)]
    return Series(labels=[date_format(monday, "d M") for monday in mondays], values=[counts.get(m, 0) for m in mondays])


def with_attendance_risk(clients: QuerySet[Client], *, today: datetime.date | None = None) -> QuerySet[Client]:
    """Paying members (effective status ACTIVE) with no admitted visit in AT_RISK_DAYS, newest lapse first.

    One query: NOT EXISTS over the client's recent admissions, and the last admission as a subquery (both on the
    per-client index), so "newest lapse" is the member who stopped coming most recently; those who never came
    are last. `clients` must carry `effective_status` (club.selectors.client_list).
    """
    today = today or timezone.localdate()
    since = local_midnight(today - datetime.timedelta(days=settings.AT_RISK_DAYS - 1))
    admitted = Visit.objects.filter(client=OuterRef("pk"), result=VisitResult.ADMITTED)
    return (
        # `clients` come annotated (ClientQuerySet.with_effective_status); django-stubs sees model fields only.
        clients.filter(effective_status=ClientStatus.ACTIVE, expiration_date__isnull=False)  # type: ignore[misc]
        .exclude(Exists(admitted.filter(checked_in_at__gte=since)))
        .annotate(last_visit_at=Subquery(admitted.order_by("-checked_in_at").values("checked_in_at")[:1]))
        .select_related("trainer")
        .order_by(F("last_visit_at").desc(nulls_last=True), "last_name", "id")
    )


def client_attendance(*, user: User, client: Client, today: datetime.date) -> dict[str, Any]:
    """What the client page shows of its visits: the last ones and a chart per week."""
    chart = client_visits_per_week(user=user, client=client, today=today)
    return {
        "visits": client_visits(user=user, client=client)[:VISITS_ON_CLIENT_PAGE],
        "visit_chart": chart.as_chart_data(),
        "visit_chart_has_data": any(chart.values),
    }


def attendance_today(*, user: User, today: datetime.date, at_risk_shown: int = 8) -> dict[str, Any]:
    """The dashboard's attendance: members checked in today, admissions by hour, members at risk."""
    at_risk = with_attendance_risk(client_list(user=user, today=today), today=today)
    by_hour = visits_by_hour(user=user, today=today, days=BY_HOUR_DAYS)
    return {
        "checked_in_today": checked_in_count(user=user, day=today),
        "visits_by_hour": by_hour.as_chart_data(),
        "visits_by_hour_has_data": any(by_hour.values),
        "at_risk": at_risk[:at_risk_shown],
        "at_risk_count": at_risk.count(),
        "at_risk_days": settings.AT_RISK_DAYS,
        "by_hour_days": BY_HOUR_DAYS,
    }
