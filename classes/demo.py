"""The demo club's timetable (seed_demo): about 30 classes a week, booked by the demo members, with waitlists."""

import datetime
import random

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from classes import services
from classes.models import Booking, BookingStatus, ClassSession, ClassType, TimetableRule, session_bounds
from club.models import AccessLevel, Client, ClientStatus
from core.exceptions import ApplicationError
from training.models import Training

CLASS_TYPES = [
    # name, description, capacity, minutes, access levels (empty: every member)
    ("Morning yoga", "Wake up and stretch: vinyasa for every level", 12, 60, []),
    ("HIIT", "Thirty seconds on, fifteen off, forty minutes long", 10, 45, []),
    ("Spinning", "Indoor cycling to loud music", 8, 45, [AccessLevel.PREMIUM, AccessLevel.VIP]),
    ("Pilates", "Core strength and posture", 10, 55, []),
    ("Boxing", "Pads, bags and footwork", 8, 60, [AccessLevel.PREMIUM, AccessLevel.VIP]),
    ("Stretching", "Mobility for tight hips and shoulders", 15, 30, []),
]
ROOMS = ["Studio 1", "Studio 2", "Cycle room"]
# (start, class index) for each day Monday–Saturday: 5 a day, 30 a week.
DAY_PLAN = [
    (datetime.time(7, 0), 0),
    (datetime.time(9, 30), 3),
    (datetime.time(12, 30), 5),
    (datetime.time(18, 0), 1),
    (datetime.time(19, 30), 2),
]


def seed_timetable(*, trainers: list[User], rng: random.Random) -> int:
    """Create the class types, the weekly rules, this week's past sessions and 4 weeks ahead, with bookings.
    Does nothing when the club already has class types (seed_demo runs again safely). Returns sessions made."""
    if ClassType.objects.exists():
        return 0
    with transaction.atomic():
        types = [
            ClassType.objects.create(name=n, description=d, capacity=c, duration_min=m, access_levels=list(levels))
            for n, d, c, m, levels in CLASS_TYPES
        ]
        rules = []
        for weekday in range(6):
            for slot, (start, index) in enumerate(DAY_PLAN):
                index = (index + weekday) % len(types) if weekday % 2 else index
                rules.append(
                    TimetableRule.objects.create(
                        weekday=weekday,
                        start_time=start,
                        class_type=types[index],
                        trainer=trainers[(weekday + slot) % len(trainers)],
                        room="Cycle room" if types[index].name == "Spinning" else ROOMS[slot % 2],
                    )
                )
        _past_days_of_this_week(rules)
        services.timetable_generate(rules=rules)
        members = list(
            Client.objects.with_effective_status()
            .filter(effective_status=ClientStatus.ACTIVE)
            .select_related("membership")
        )
        sessions = list(ClassSession.objects.select_related("class_type").order_by("starts_at"))
        for session in sessions:
            _book(session, members, rng)
        _time_the_trainings(rng)
    return len(sessions)


def _past_days_of_this_week(rules: list[TimetableRule]) -> None:
    # The week grid opens on this week: its days gone by have classes too (the generator only looks ahead).
    today = timezone.localdate()
    now = timezone.now()
    for offset in range(today.weekday() + 1):
        day = today - datetime.timedelta(days=offset)
        for rule in rules:
            if rule.weekday != day.weekday():
                continue
            starts_at, ends_at = session_bounds(day, rule.start_time, rule.class_type.duration_min)
            if starts_at < now:
                services.session_create(
                    class_type=rule.class_type,
                    trainer=rule.trainer,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    room=rule.room,
                    rule=rule,
                )


def _book(session: ClassSession, members: list[Client], rng: random.Random) -> None:
    admitted = [m for m in members if session.class_type.admits(m.membership.access_level)]
    # Most classes half full; about one in six over-full, so waitlists show.
    wanted = session.capacity + rng.randint(1, 4) if rng.random() < 0.17 else rng.randint(0, session.capacity)
    chosen = rng.sample(admitted, min(wanted, len(admitted)))
    if session.starts_at <= timezone.now():
        ended = session.ends_at <= timezone.now()
        for client in chosen[: session.capacity]:
            came = rng.random() < 0.8
            status = (BookingStatus.ATTENDED if came else BookingStatus.NO_SHOW) if ended else BookingStatus.BOOKED
            Booking.objects.create(
                session=session,
                client=client,
                status=status,
                created_at=session.starts_at - datetime.timedelta(days=rng.randint(1, 5)),
                attended_at=session.starts_at - datetime.timedelta(minutes=10) if status == "ATTENDED" else None,
            )
        return
    for client in chosen:
        try:
            services.booking_create(session=session, client=client)
        except ApplicationError:
            continue  # e.g. a member on hold that day


def _time_the_trainings(rng: random.Random) -> None:
    # Trainings of the last and next weeks get a start time, so the trainers' week shows them at an hour.
    today = timezone.localdate()
    nearby = Training.objects.filter(
        date__range=(today - datetime.timedelta(days=14), today + datetime.timedelta(days=14)), start_time__isnull=True
    )
    for training in nearby.only("pk"):
        hour = rng.choice([8, 10, 11, 14, 15, 16, 17])
        Training.objects.filter(pk=training.pk).update(start_time=datetime.time(hour, rng.choice([0, 30])))
