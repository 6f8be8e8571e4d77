"""How a report's numbers are named for people: one vocabulary for the files, the report page and the admin.

A summary keeps its machine keys in JSON (`by_access_level.STANDARD.revenue`, the API contract); whoever
shows it to a person goes through `summary_lines`, so the CSV, the workbook, the PDF and the pages all say
"Standard — Revenue, RUB". Light on purpose: the web process imports it without matplotlib or reportlab.
"""

import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import dateformat
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from club.models import AccessLevel, ClientStatus, PaymentMethod, PaymentStatus
from training.models import Intensity, MuscleGroup, TrainingType

UNSPECIFIED = "UNSPECIFIED"  # label of a NULL enum column (a training without a type, a tariff without a level)

SUMMARY_KEY_LABELS = {
    "trainings_total": _("Trainings"),
    "minutes_total": _("Minutes"),
    "by_type": _("Trainings by type"),
    "active_clients": _("Active clients"),
    "workout_reps_total": _("Workout reps"),
    "visits_total": _("Visits"),
    "unique_visitors": _("Unique visitors"),
    "volume_by_muscle_group": _("Volume, kg"),
    "by_access_level": "",  # its levels name themselves: "Standard — Revenue"
    "clients": _("Active clients"),
    "revenue": _("Revenue"),
    "revenue_total": _("Revenue total"),
    "new_users_total": _("New members"),
    "staff_accounts_total": _("New staff accounts"),
    "by_role": _("New accounts by role"),
    "count": _("Payments"),
    "total": _("Total"),
    "by_method": "",  # its methods name themselves: "Cash — Total, RUB"
    "by_staff": _("By staff member"),
    "refunds": _("Refunds"),
    "classes_total": _("Classes held"),
    "bookings_total": _("Class bookings"),
    "attendance_rate": _("Attendance rate, %"),
    "no_shows_total": _("No-shows"),
}
# Summary keys whose values are amounts of money: their label names the club's currency.
MONEY_KEYS = frozenset({"revenue", "revenue_total", "total"})

VALUE_LABELS: dict[str, Any] = {
    UNSPECIFIED: _("Unspecified"),
    **dict(TrainingType.choices),
    **dict(Intensity.choices),
    **dict(MuscleGroup.choices),
    **dict(AccessLevel.choices),
    **dict(Role.choices),
    **dict(ClientStatus.choices),
    **dict(PaymentStatus.choices),
    **dict(PaymentMethod.choices),
}


def value_label(value: Any) -> Any:
    """An enum value as the pages print it (`FULL_BODY` → "Full body"); anything else unchanged."""
    return str(VALUE_LABELS[value]) if isinstance(value, str) and value in VALUE_LABELS else value


def money_label(label: Any) -> str:
    return f"{label}, {settings.CLUB_CURRENCY}"


def _key_label(key: str) -> str:
    if key in SUMMARY_KEY_LABELS:
        label = str(SUMMARY_KEY_LABELS[key])
    elif key in VALUE_LABELS:
        label = str(VALUE_LABELS[key])
    else:  # a key this vocabulary does not know yet still reads as words
        label = key.replace("_", " ").capitalize()
    return money_label(label) if key in MONEY_KEYS else label


def summary_lines(summary: dict[str, Any], parents: tuple[str, ...] = ()) -> list[tuple[str, Any]]:
    """`{"by_type": {"YOGA": 2}}` → `[("Trainings by type — Yoga", 2)]`: a summary as labelled lines."""
    lines = []
    for key, value in summary.items():
        path = (*parents, _key_label(key))
        if isinstance(value, dict):
            lines += summary_lines(value, path)
        elif isinstance(value, list):
            continue  # lists (e.g. takings per staff member) are tables of their own, not single figures
        else:
            # None: nothing to compute it from (an attendance rate without classes) — shown as a dash.
            lines.append((" — ".join(part for part in path if part), "—" if value is None else value))
    return lines


def date_text(value: datetime.date | datetime.datetime) -> str:
    """A date or a moment as the pages write it: "5 Dec 2026", "5 Dec 2026, 14:03" (UTC)."""
    if isinstance(value, datetime.datetime):
        return dateformat.format(value.astimezone(datetime.UTC), "j M Y, H:i")
    return dateformat.format(value, "j M Y")


def amount_text(value: Decimal) -> str:
    return f"{value:,.2f} {settings.CLUB_CURRENCY}".replace(",", " ")
