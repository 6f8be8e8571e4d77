"""Measure the Telegram outbox: N MEMBERSHIP_EXPIRING notifications queued at once, sent by two workers.

Not a test: issue 16's benchmark. It needs PostgreSQL, Redis and RabbitMQ:

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/club_bench REDIS_URL=redis://127.0.0.1:6379/1 \\
           CELERY_BROKER_URL=amqp://guest:guest@127.0.0.1:5672/bench
    .venv/bin/python benchmarks/notifications.py                       # 10,000 at Telegram's 25/s: ~400 s
    .venv/bin/python benchmarks/notifications.py --count 2000 --rate 200

It migrates the database, makes sure `--count` members with a linked Telegram account exist (bulk
SQL, kept between runs), starts the fake Bot API as a process (`python -m tests.fake_bot_api`) and
two workers exactly as the Procfile's `notifications-worker` line starts them, with
`TELEGRAM_MAX_PER_SECOND=--rate`. Then it queues one notification per member through
`notification_queue` in one transaction — the tasks are published when it commits — and waits
until every row is SENT or FAILED. Printed:

- sent and failed counts; the time from the commit to the last row, next to the ideal N / rate;
- what the fake Telegram saw: messages delivered, duplicates (a chat that got more than its one
  message: must be 0), per-chat violations (two messages to a chat within a second: must be 0), the
  most messages in any second (at most the limit);
- each worker's peak resident memory (VmHWM), and the workers' CPU time per message.

Exits 1 when a message is missing or duplicated or a limit was broken.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TELEGRAM_ID_BASE = 9_100_000_000  # far from real Telegram ids of the seeded members
BOT_TOKEN = "4242:bench-token"  # noqa: S105 - the fake Bot API accepts any token


def setup_django() -> None:
    # The script's own directory first on sys.path would make `import notifications` this file, not the app.
    sys.path[:] = [str(ROOT), *(path for path in sys.path if Path(path).resolve() != Path(__file__).parent)]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()


def ensure_database() -> None:
    import psycopg
    from django.conf import settings
    from django.core.management import call_command

    db = settings.DATABASES["default"]
    ready = settings.CELERY_BROKER_URL.startswith("amqp") and settings.REDIS_URL
    if not db["ENGINE"].endswith("postgresql") or not ready:
        raise SystemExit("Set DATABASE_URL (PostgreSQL), REDIS_URL and CELERY_BROKER_URL (RabbitMQ).")
    admin = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]).fetchone():
            conn.execute(f'CREATE DATABASE "{db["NAME"]}"')
    call_command("migrate", verbosity=0)


def members(count: int) -> list:
    """`count` members with a linked, reachable Telegram account (created once, reused by later runs)."""
    from django.db import connection

    from accounts.models import User
    from notifications.models import Notification

    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO users (username, password_hash, email, role, is_superuser, telegram_id)
            SELECT 'bench-tg-' || n, '!', 'bench-tg-' || n || '@bench.invalid', 'USER', false, %s + n
            FROM generate_series(1, %s) AS n
            ON CONFLICT DO NOTHING
            """,
            [TELEGRAM_ID_BASE, count],
        )
    Notification.objects.filter(dedupe_key__startswith="BENCH:").delete()
    users = User.objects.filter(telegram_id__gt=TELEGRAM_ID_BASE, telegram_id__lte=TELEGRAM_ID_BASE + count)
    users.exclude(telegram_unreachable_at=None).update(telegram_unreachable_at=None)
    return list(users.order_by("telegram_id"))


def start_fake(log_path: Path) -> tuple[subprocess.Popen, str]:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.fake_bot_api", "--port", str(port)],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            fake_stats(url)
            return process, url
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the fake Bot API did not start; see {log_path}") from None
            time.sleep(0.1)


def fake_stats(url: str, limit: int | None = None) -> dict:
    with urllib.request.urlopen(f"{url}/stats{f'?limit={limit}' if limit else ''}", timeout=30) as response:
        return json.loads(response.read())


def start_workers(env: dict[str, str], workdir: Path) -> list[tuple[str, subprocess.Popen]]:
    from config.celery import app
    from tests.production.topology import procfile_argv, procfile_commands

    command = procfile_commands()["notifications-worker"]
    workers = []
    for n in (1, 2):
        name = f"notifications-bench-{n}-{os.getpid()}@localhost"
        # The Procfile's line as it is; a name of its own, and the queue emptied of an earlier run's leftovers.
        argv = [*procfile_argv(command, replace={"--hostname": name, "--loglevel": "WARNING"}), "--purge"]
        with (workdir / f"worker-{n}.log").open("ab") as log:
            process = subprocess.Popen(
                argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        workers.append((name, process))
    deadline = time.monotonic() + 90
    for name, process in workers:
        while not app.control.ping(destination=[name], timeout=0.5):
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"worker {name} did not start; see {workdir}")
    return workers


def peak_rss_mb(pid: int) -> float:
    """VmHWM of a process and of its children (a prefork pool), in MB."""
    total = 0.0
    children = Path(f"/proc/{pid}/task/{pid}/children")
    for each in [pid, *(int(child) for child in (children.read_text().split() if children.exists() else []))]:
        for line in Path(f"/proc/{each}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1]) / 1024
    return total


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and of its reaped children so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=10_000, help="notifications (one member each)")
    parser.add_argument("--rate", type=int, default=25, help="TELEGRAM_MAX_PER_SECOND for the workers")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    setup_django()
    ensure_database()

    from django.db import transaction
    from django.db.models import Count

    from notifications.models import Notification, NotificationKind, NotificationStatus
    from notifications.services import notification_queue

    workdir = Path(tempfile.mkdtemp(prefix="bench-notifications-"))
    users = members(args.count)
    fake, fake_url = start_fake(workdir / "fake_bot_api.log")
    env = {
        **os.environ,
        "TELEGRAM_API_BASE": fake_url,
        "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
        "TELEGRAM_MAX_PER_SECOND": str(args.rate),
        "TELEGRAM_LIMIT_KEY_PREFIX": f"bench-telegram-{uuid.uuid4().hex[:8]}",
    }
    workers: list[tuple[str, subprocess.Popen]] = []
    try:
        workers = start_workers(env, workdir)
        run = uuid.uuid4().hex[:8]
        began = time.perf_counter()
        with transaction.atomic():
            for user in users:
                notification_queue(
                    user=user,
                    kind=NotificationKind.MEMBERSHIP_EXPIRING,
                    dedupe_key=f"BENCH:{run}:{user.pk}",
                    context={"expiration_date": "2026-12-08"},
                )
            rows_written = time.perf_counter()
        # The tasks are published on commit (the block's exit); the sending's clock starts at the commit.
        committed = rows_written
        published = time.perf_counter()
        ideal = args.count / args.rate
        deadline = committed + ideal * 2 + 120
        statuses: dict[str, int] = {}
        while time.perf_counter() < deadline:
            statuses = dict(
                Notification.objects.filter(dedupe_key__startswith=f"BENCH:{run}:")
                .values_list("status")
                .annotate(n=Count("id"))
            )
            if statuses.get(NotificationStatus.SENT, 0) + statuses.get(NotificationStatus.FAILED, 0) >= args.count:
                break
            time.sleep(0.2)
        elapsed = time.perf_counter() - committed
        telegram = fake_stats(fake_url, args.rate)
        memory = [peak_rss_mb(process.pid) for _, process in workers]
        cpu = sum(cpu_seconds(process.pid) for _, process in workers)
    finally:
        for _, process in workers:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for _, process in workers:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        fake.terminate()
        fake.wait(timeout=10)

    sent, failed = statuses.get(NotificationStatus.SENT, 0), statuses.get(NotificationStatus.FAILED, 0)
    span = (telegram["last_at"] - telegram["first_at"]) if telegram["delivered"] > 1 else 0.0
    print(
        f"notifications: {args.count:,} MEMBERSHIP_EXPIRING queued in one transaction in {rows_written - began:.1f} s "
        f"(tasks published on commit in {published - rows_written:.1f} s); 2 workers as the Procfile's "
        f"notifications-worker, TELEGRAM_MAX_PER_SECOND={args.rate}"
    )
    print(
        f"sent {sent:,}/{args.count:,}, failed {failed}, elapsed {elapsed:.1f} s from the commit vs ideal "
        f"{ideal:.1f} s (N / rate): ratio {elapsed / ideal:.3f}; first to last delivery {span:.1f} s"
    )
    print(
        f"fake Telegram: delivered {telegram['delivered']:,} to {telegram['chats']:,} chats, duplicates "
        f"{telegram['duplicates']}, per-chat violations {telegram['chat_violations']}, at most "
        f"{telegram['peak_per_second']} messages in any second (limit {args.rate}; "
        f"{telegram['windows_over_limit']} messages ended a second over it), refused {telegram['refused']}"
    )
    print(
        "worker peak RSS: "
        + ", ".join(f"{mb:.0f} MB" for mb in memory)
        + f"; worker CPU {cpu:.0f} s in all, {cpu / max(sent, 1) * 1000:.1f} ms a message (start-up included)"
    )
    broken = (
        sent != args.count
        or telegram["delivered"] != args.count
        or telegram["duplicates"]
        or telegram["chat_violations"]
        or telegram["peak_per_second"] > args.rate
    )
    if broken:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
