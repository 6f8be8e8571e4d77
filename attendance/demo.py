"""Believable visits for the demo club (`manage.py seed_demo`): habits, mornings and evenings, some drifting away."""

import datetime
import random
from collections.abc import Iterable, Iterator

from django.utils import timezone

from attendance.models import CheckInMethod, DenialReason, Visit, VisitResult
from club.models import Client, ClientStatus

HISTORY_DAYS = 84
# (share of members, first hour, last hour): early birds, lunch breaks, after work.
HABITS = [(0.35, 6, 9), (0.15, 11, 14), (0.5, 17, 21)]
DRIFTING_SHARE = 0.2  # paying members who stopped coming 15–45 days ago: the "at risk" list


def _habit(rng: random.Random) -> tuple[int, int]:
    pick, total = rng.random(), 0.0
    for share, first, last in HABITS:
        total += share
        if pick < total:
            return first, last
    return HABITS[-1][1:]


def _moment(day: datetime.date, hours: tuple[int, int], rng: random.Random) -> datetime.datetime:
    naive = datetime.datetime.combine(day, datetime.time(rng.randint(*hours), rng.randint(0, 59)))
    return timezone.make_aware(naive)


def demo_visits(
    members: Iterable[Client], rng: random.Random, *, now: datetime.datetime | None = None
) -> Iterator[Visit]:
    """Visits of the last HISTORY_DAYS for members whose paid-until date is set (after the ledger wrote it)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    for member in members:
        paid_until = member.expiration_date
        if paid_until is None:
            continue
        hours = _habit(rng)
        per_week = rng.choice([1, 2, 2, 3, 3, 3, 4, 5])
        stopped = today
        if member.status == ClientStatus.ACTIVE and rng.random() < DRIFTING_SHARE:
            stopped = today - datetime.timedelta(days=rng.randint(15, 45))
        elif member.status == ClientStatus.ON_HOLD:
            stopped = today - datetime.timedelta(days=6)
        last_day = min(stopped, paid_until)
        for back in range(HISTORY_DAYS, -1, -1):
            day = today - datetime.timedelta(days=back)
            if day > last_day or rng.random() > per_week / 7:
                continue
            when = _moment(day, hours, rng)
            if when > now:
                continue
            method = CheckInMethod.QR if rng.random() < 0.85 else CheckInMethod.DESK
            yield Visit(client=member, checked_in_at=when, result=VisitResult.ADMITTED, method=method)
        # A lapsed member still tries the door once or twice, and is turned away.
        if paid_until < today and member.status == ClientStatus.INACTIVE:
            for _ in range(rng.randint(0, 2)):
                day = paid_until + datetime.timedelta(days=rng.randint(1, max(1, (today - paid_until).days)))
                when = _moment(min(day, today), hours, rng)
                if when <= now:
                    yield Visit(
                        client=member,
                        checked_in_at=when,
                        result=VisitResult.DENIED,
                        reason=DenialReason.LAPSED,
                        method=CheckInMethod.QR,
                    )
