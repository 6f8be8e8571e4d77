"""The text of each kind of notification, rendered at send time in the member's language.

The sender calls `render` inside `translation.override(<the member's language>)`; every string is a
gettext message with named placeholders, so a translation may reorder them. A notification's
`context` (written with the row, docs/telegram.md "What members receive") holds every value shown
here, so rendering reads no table: a message says what was true when its event happened.
"""

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from notifications.models import Notification, NotificationKind

Context = dict[str, Any]


def _date(value: str) -> str:
    return formats.date_format(datetime.date.fromisoformat(value), "DATE_FORMAT")


def _datetime(value: str) -> str:
    """An instant stored as ISO 8601 (UTC), in the club's time zone and the member's format."""
    moment = parse_datetime(value)
    if moment is None:
        raise ValueError(f"not a date-time: {value!r}")
    if timezone.is_naive(moment):  # SQLite's JSON writes UTC without an offset
        moment = timezone.make_aware(moment, datetime.UTC)
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def _exercise(slug: str) -> str:
    return slug.replace("_", " ").replace("-", " ")


def _class_line(context: Context) -> str:
    """ "Yoga · 5 Dec 2026, 10:00 · room A · trainer coach" (room left out when the session has none)."""
    values = {"class": context["class_name"], "when": _datetime(context["starts_at"]), "trainer": context["trainer"]}
    if context.get("room"):
        return _("%(class)s, %(when)s, room %(room)s, with %(trainer)s") % {**values, "room": context["room"]}
    return _("%(class)s, %(when)s, with %(trainer)s") % values


def _membership_expiring(context: Context) -> str:
    return _(
        "Hi %(name)s! Your membership ends on %(date)s. Renew it at the front desk before then "
        "to keep training without a break."
    ) % {"name": context["first_name"], "date": _date(context["expiration_date"])}


def _membership_lapsed(context: Context) -> str:
    return _("Hi %(name)s, your membership ended on %(date)s. We miss you: the front desk renews it in a minute.") % {
        "name": context["first_name"],
        "date": _date(context["expiration_date"]),
    }


def _class_reminder(context: Context) -> str:
    return _("Reminder: your class starts soon. %(class_line)s. See you there!") % {"class_line": _class_line(context)}


def _waitlist_promoted(context: Context) -> str:
    return _("Good news: a spot opened up and you are booked. %(class_line)s.") % {"class_line": _class_line(context)}


def _class_cancelled(context: Context) -> str:
    return _(
        "Sorry, this class is cancelled: %(class_line)s. Reason: %(reason)s. Your booking is cancelled too; "
        "/schedule shows other classes."
    ) % {"class_line": _class_line(context), "reason": context["reason"]}


def _receipt(context: Context) -> str:
    values = {
        "amount": formats.number_format(Decimal(context["amount"]), 2),
        "currency": context["currency"],
        "membership": context["membership"],
        "from": _date(context["period_from"]),
        "to": _date(context["period_to"]),
    }
    if context.get("receipt_number"):
        return _(
            "Thank you! Receipt %(number)s: %(amount)s %(currency)s for %(membership)s, from %(from)s to %(to)s."
        ) % {**values, "number": context["receipt_number"]}
    return (
        _("Thank you! Your payment of %(amount)s %(currency)s for %(membership)s arrived: from %(from)s to %(to)s.")
        % values
    )


def _workout_summary(context: Context) -> str:
    reps = ngettext("%(count)d rep", "%(count)d reps", context["reps"]) % {"count": context["reps"]}
    exercise = _exercise(context["exercise_type"])
    lines = [_("Workout saved: %(exercise)s, %(reps)s.") % {"exercise": exercise, "reps": reps}]
    if context.get("personal_best"):
        lines.append(_("Personal best! Your previous best was %(previous)d.") % {"previous": context["previous_best"]})
    today = context.get("today") or {}
    if len(today) > 1 or any(total != context["reps"] for total in today.values()):
        totals = ", ".join(f"{_exercise(slug)} {total}" for slug, total in sorted(today.items()))
        lines.append(_("Today so far: %(totals)s.") % {"totals": totals})
    return "\n".join(lines)


RENDERERS: dict[str, Callable[[Context], str]] = {
    NotificationKind.MEMBERSHIP_EXPIRING: _membership_expiring,
    NotificationKind.MEMBERSHIP_LAPSED: _membership_lapsed,
    NotificationKind.CLASS_REMINDER: _class_reminder,
    NotificationKind.WAITLIST_PROMOTED: _waitlist_promoted,
    NotificationKind.CLASS_CANCELLED: _class_cancelled,
    NotificationKind.RECEIPT: _receipt,
    NotificationKind.WORKOUT_SUMMARY: _workout_summary,
}


def render(notification: Notification) -> str:
    """The message of `notification` in the active language (the caller overrides it with the member's)."""
    return RENDERERS[notification.kind](notification.context)
