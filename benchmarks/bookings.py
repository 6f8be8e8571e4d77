"""Measure class bookings under load: bookings/s and latency on one hot session and on 50 sessions at once.

Not a test: a measuring tool (issue 15's benchmark). `make bench` runs it against the production topology's two
web processes (benchmarks/run_all.py); by hand, against servers started as benchmarks/api_list.py describes:

    .venv/bin/python benchmarks/bookings.py --url http://127.0.0.1:8000 --url http://127.0.0.1:8001

It picks `--members` paying members of the seeded club, schedules its own sessions a week ahead (one hot session
with room for a tenth of them, then 50 sessions), and has `--concurrency` members book at once in a closed loop,
spread over the URLs round-robin, one booking per member and session. Each booking locks its session's row
(SELECT … FOR UPDATE), never a table: the 50-session case shows whether the hot case serialises more than its
own session. Afterwards it checks that no session holds more BOOKED than its capacity and that the waitlist
positions run 1…n, then deletes what it created.
"""

import argparse
import asyncio
import datetime
import os
import statistics
import sys
import time
from pathlib import Path

import httpx


def setup_django() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()


def prepare(members: int) -> tuple[list[str], object, list[int], list[int]]:
    from django.utils import timezone
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import Role, User
    from classes import services
    from classes.models import ClassType
    from club.models import Client, ClientStatus

    start = timezone.now().replace(minute=0, second=0, microsecond=0) + datetime.timedelta(days=7)
    # Members paid up beyond the sessions' day (a lapsed one would be refused with a 409, not measured).
    chosen = list(
        Client.objects.with_effective_status()
        .filter(
            effective_status=ClientStatus.ACTIVE,
            expiration_date__gt=start.date() + datetime.timedelta(days=1),
            user__deleted_at__isnull=True,
        )
        .select_related("user")[:members]
    )
    if not chosen:
        raise SystemExit("no paying members: run seed_demo first")
    # A trainer and a class of its own: the seeded timetable never clashes with them, and a run that died
    # half-way leaves nothing in the next one's way.
    trainer, _ = User.objects.get_or_create(
        username="bench-trainer", defaults={"email": "bench-trainer@club.example", "role": Role.TRAINER}
    )
    kind, _ = ClassType.objects.get_or_create(name="Benchmark class", defaults={"capacity": 20, "duration_min": 30})
    kind.sessions.all().delete()
    hot = services.session_create(class_type=kind, trainer=trainer, starts_at=start, capacity=max(1, members // 10))
    spread = [
        services.session_create(
            class_type=kind, trainer=trainer, starts_at=start - datetime.timedelta(minutes=30 * (n + 1)), capacity=5
        ).pk
        for n in range(50)
    ]
    tokens = [str(AccessToken.for_user(client.user)) for client in chosen]
    return tokens, hot.pk, spread, [hot.pk, *spread]


async def run(
    urls: list[str], jobs: list[tuple[int, str]], concurrency: int
) -> tuple[list[float], dict[int, int], float]:
    queue: asyncio.Queue = asyncio.Queue()
    for n, job in enumerate(jobs):
        queue.put_nowait((n, job))
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    async def worker(http: httpx.AsyncClient) -> None:
        while not queue.empty():
            n, (session_id, token) = queue.get_nowait()
            began = time.perf_counter()
            response = await http.post(
                f"{urls[n % len(urls)]}/api/class-sessions/{session_id}/bookings/",
                headers={"Authorization": f"Bearer {token}"},
                json={},
            )
            latencies.append(time.perf_counter() - began)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=60, limits=limits) as http:
        began = time.perf_counter()
        await asyncio.gather(*(worker(http) for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    return latencies, statuses, elapsed


def report(name: str, latencies: list[float], statuses: dict[int, int], elapsed: float) -> None:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(
        f"{name:<28} {len(latencies):>6} bookings  {len(latencies) / elapsed:>8.1f} bookings/s  "
        f"p50 {statistics.median(ordered) * 1000:>7.1f} ms  p99 {p99 * 1000:>7.1f} ms  statuses {statuses}"
    )


def check_and_clean(session_ids: list[int]) -> None:
    from django.db.models import Count, Q

    from classes.models import BookingStatus, ClassSession

    sessions = ClassSession.objects.filter(pk__in=session_ids).annotate(
        booked=Count("bookings", filter=Q(bookings__status=BookingStatus.BOOKED)),
        waiting=Count("bookings", filter=Q(bookings__status=BookingStatus.WAITLISTED)),
    )
    over = [s.pk for s in sessions if s.booked > s.capacity]
    for session in sessions:
        positions = sorted(
            session.bookings.filter(status=BookingStatus.WAITLISTED).values_list("waitlist_position", flat=True)
        )
        if positions != list(range(1, session.waiting + 1)):
            over.append(session.pk)
    print(f"check: {'capacity never exceeded, waitlists 1…n' if not over else f'BROKEN sessions {over}'}")
    ClassSession.objects.filter(pk__in=session_ids).delete()
    if over:
        raise SystemExit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", action="append", required=True, help="a web process (repeatable)")
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()
    setup_django()
    tokens, hot, spread, created = prepare(args.members)
    print(f"{len(tokens)} members, {args.concurrency} at once, over {len(args.url)} web processes")
    try:
        latencies, statuses, elapsed = asyncio.run(run(args.url, [(hot, t) for t in tokens], args.concurrency))
        report("one hot session", latencies, statuses, elapsed)
        jobs = [(spread[n % len(spread)], token) for n, token in enumerate(tokens)]
        latencies, statuses, elapsed = asyncio.run(run(args.url, jobs, args.concurrency))
        report("50 sessions at once", latencies, statuses, elapsed)
    finally:
        check_and_clean(created)


if __name__ == "__main__":
    main()
