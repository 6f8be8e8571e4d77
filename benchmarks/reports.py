"""Measure the reports: each kind × format end to end on a real Celery worker, next to its SQL alone.

Not a test: a measuring tool (issue 6's benchmark). It needs PostgreSQL and RabbitMQ, and a
database of its own that it fills (200k trainings, 1M training-exercise rows, ...) with bulk SQL:

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/club_bench \
           CELERY_BROKER_URL=amqp://guest:guest@127.0.0.1:5672/bench
    .venv/bin/python benchmarks/reports.py            # --repeat 3, --samples DIR, --keep-data

It creates the database when missing, migrates it, loads the data once (a marker row says it is
there), starts `celery -A config worker` (prefork, one pool process) and for every kind × format:

- `sql`: the report's selector alone in this process (`report_data` with every table read out),
  i.e. the aggregate queries and nothing else;
- `end to end`: `report_request` committed → the worker picks the task from RabbitMQ → the row
  says SUCCESS, polled every 10 ms;
- the worker's peak memory: VmHWM (peak resident set) of the pool process and of the main process,
  read from /proc after all the runs.

Figures are medians of `--repeat` runs. `--samples DIR` also writes one file of each kind and
format (the pictures and excerpts in docs/reports.md).
"""

import argparse
import datetime
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
YEAR = (datetime.date(2025, 1, 1), datetime.date(2025, 12, 31))
MARCH = (datetime.date(2025, 3, 1), datetime.date(2025, 3, 31))
TRAININGS = 200_000
EXERCISES_PER_TRAINING = 5  # → 1,000,000 training-exercise rows
CLIENTS = 20_000
MARKER = "bench-data-loaded@bench.invalid"

# One statement per table, all in the database: generate_series and random(), no Python row loop.
LOAD_SQL = f"""
SELECT setseed(0.6);
INSERT INTO memberships (access_level, description, price) VALUES
    ('STANDARD', 'Standard', 29.90), ('PREMIUM', 'Premium', 49.90), ('VIP', 'VIP', 99.00), (NULL, 'Trial', 0);
INSERT INTO users (username, password_hash, email, role, is_superuser, created_at)
SELECT 'member' || n, '!', 'member' || n || '@bench.invalid',
       CASE WHEN n % 200 = 0 THEN 'TRAINER' ELSE 'USER' END, false,
       timestamptz '2024-01-01' + (random() * interval '730 days')
FROM generate_series(1, {CLIENTS}) AS n;
INSERT INTO clients (first_name, last_name, phone_number, date_of_birth, status, created_at, updated_at,
                     user_id, membership_id)
SELECT 'Member', 'No. ' || u.id, '+1555' || lpad(u.id::text, 7, '0'), date '1990-01-01' + (u.id % 9000),
       (ARRAY['ACTIVE', 'ACTIVE', 'ACTIVE', 'INACTIVE', 'ON_HOLD'])[1 + u.id % 5], u.created_at, u.created_at,
       u.id, m.id
FROM users u
JOIN (SELECT row_number() OVER (ORDER BY id) - 1 AS n, id FROM memberships
      WHERE description IN ('Standard', 'Premium', 'VIP', 'Trial')) m ON m.n = u.id % 4
WHERE u.role = 'USER';
INSERT INTO exercises (title, muscle_group, equipment_required, complexity_lvl)
SELECT 'Exercise ' || n,
       (ARRAY['CHEST', 'BACK', 'LEGS', 'ARMS', 'SHOULDERS', 'CORE', 'FULL_BODY'])[1 + n % 7],
       n % 2 = 0, (ARRAY['BEGINNER', 'INTERMEDIATE', 'ADVANCED', 'EXPERT'])[1 + n % 4]
FROM generate_series(1, 60) AS n;
CREATE TEMP TABLE bench_clients AS SELECT row_number() OVER (ORDER BY id) - 1 AS n, id, user_id FROM clients;
CREATE UNIQUE INDEX ON bench_clients (n);
CREATE TEMP TABLE bench_exercises AS SELECT row_number() OVER (ORDER BY id) - 1 AS n, id FROM exercises;
INSERT INTO trainings (training_type, title, intensity, duration_min, date, created_at, client_id)
SELECT (ARRAY['CARDIO', 'STRENGTH', 'YOGA', 'HIIT', 'STRETCHING'])[1 + (t.n * 7) % 5], 'Training ' || t.n,
       (ARRAY['LOW', 'MEDIUM', 'HIGH'])[1 + t.n % 3], 20 + (t.n % 9) * 10,
       date '2025-01-01' + (t.n % 365), timestamptz '2025-01-01' + (t.n % 365) * interval '1 day', b.id
FROM generate_series(1, {TRAININGS}) AS t(n)
JOIN bench_clients b ON b.n = (t.n * 7919) % (SELECT count(*) FROM bench_clients);
INSERT INTO trainings_exercises (order_in_training, sets, reps, rest_time_sec, extra_weight, exercise_id, training_id)
SELECT k, 2 + (t.id + k) % 4, 5 + (t.id * k) % 11, 60,
       CASE WHEN (t.id + k) % 3 = 0 THEN NULL ELSE ((t.id + k) % 40) * 2.5 END, e.id, t.id
FROM trainings t CROSS JOIN generate_series(1, {EXERCISES_PER_TRAINING}) AS k
JOIN bench_exercises e ON e.n = (t.id * 13 + k * 17) % 60;
INSERT INTO workout_sessions (exercise_type, total_reps, created_at, user_id)
SELECT (ARRAY['squat', 'push_up', 'lunge', 'plank'])[1 + s.i % 4], 5 + s.i % 40,
       timestamptz '2025-01-01' + (random() * interval '365 days'), c.user_id
FROM generate_series(1, 100000) AS s(i) JOIN bench_clients c ON c.n = s.i % {CLIENTS // 2};
INSERT INTO payments (amount, status, created_at, updated_at, paid_at, client_id, membership_id)
SELECT m.price, CASE WHEN p.i % 10 = 0 THEN 'FAILED' ELSE 'PAID' END, p.paid, p.paid,
       CASE WHEN p.i % 10 = 0 THEN NULL ELSE p.paid END, c.id, c.membership_id
FROM (SELECT s.i, timestamptz '2025-01-01' + (random() * interval '365 days') AS paid,
             s.i % (SELECT count(*) FROM bench_clients) AS k FROM generate_series(1, 60000) AS s(i)) p
JOIN bench_clients b ON b.n = p.k JOIN clients c ON c.id = b.id JOIN memberships m ON m.id = c.membership_id;
INSERT INTO users (username, password_hash, email, role, is_superuser)
VALUES ('bench-marker', '!', '{MARKER}', 'ADMIN', false);
ANALYZE;
"""  # noqa: S608 - built from the constants above, no input


def setup_django() -> None:
    # The script's own directory first on sys.path would make `import reports` this file, not the app.
    sys.path[:] = [str(ROOT), *(path for path in sys.path if Path(path).resolve() != Path(__file__).parent)]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="bench-reports-media-"))
    import django

    django.setup()


def ensure_database() -> None:
    import psycopg
    from django.conf import settings

    db = settings.DATABASES["default"]
    if not db["ENGINE"].endswith("postgresql") or not settings.CELERY_BROKER_URL.startswith("amqp"):
        raise SystemExit("Set DATABASE_URL (PostgreSQL, a database of the benchmark's own) and CELERY_BROKER_URL.")
    admin = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]).fetchone():
            conn.execute(f'CREATE DATABASE "{db["NAME"]}"')
            print(f"created database {db['NAME']}")


def load_data() -> None:
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from accounts.models import User

    if User.objects.filter(email=MARKER).exists():
        return
    print("loading data with bulk SQL ...", flush=True)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(LOAD_SQL)
    print(f"loaded in {time.perf_counter() - started:.0f} s")


def counts() -> dict[str, int]:
    from django.db import connection

    tables = ["users", "clients", "trainings", "trainings_exercises", "workout_sessions", "payments"]
    with connection.cursor() as cursor:
        return {table: cursor.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in tables}  # noqa: S608


def busiest_client():
    from django.db.models import Count

    from club.models import Client

    return Client.objects.annotate(n=Count("trainings")).order_by("-n", "pk").first()


def start_worker(log_path: Path) -> subprocess.Popen:
    from django.conf import settings

    from config.celery import app

    name = f"bench-reports-{os.getpid()}@localhost"
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--hostname", name, "--purge"]
    # Both report queues (report_request(requested_by=None) is beat's report: the staff queue).
    command += ["-Q", f"{settings.REPORT_STAFF_QUEUE},{settings.REPORT_QUEUE}"]
    command += ["--pool", "prefork", "--concurrency", "1", "--loglevel", "WARNING", "--without-gossip"]
    with log_path.open("ab") as log:
        worker = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while not app.control.ping(destination=[name], timeout=0.5):
        if worker.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the worker did not start; see {log_path}")
    return worker


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def pool_pids(worker: subprocess.Popen) -> list[int]:
    return [int(pid) for pid in Path(f"/proc/{worker.pid}/task/{worker.pid}/children").read_text().split()]


def time_sql(kind: str, client, period) -> float:
    from reports.models import Report
    from reports.selectors import report_data

    report = Report(kind=kind, parameters={"date_from": str(period[0]), "date_to": str(period[1])}, client=client)
    started = time.perf_counter()
    data = report_data(report=report)
    for table in data.tables:
        for _ in table.rows:  # the user list is a server-side cursor: read it out
            pass
    return time.perf_counter() - started


def time_end_to_end(kind: str, report_format: str, client, period) -> float:
    from reports.models import Report, ReportStatus
    from reports.services import report_request

    started = time.perf_counter()
    report = report_request(
        requested_by=None, kind=kind, format=report_format, date_from=period[0], date_to=period[1], client=client
    )
    while (status := Report.objects.values_list("status", flat=True).get(pk=report.pk)) not in (
        ReportStatus.SUCCESS,
        ReportStatus.FAILURE,
    ):
        time.sleep(0.01)
    elapsed = time.perf_counter() - started
    if status != ReportStatus.SUCCESS:
        raise SystemExit(f"{kind} {report_format} failed: {Report.objects.get(pk=report.pk).error}")
    return elapsed


def write_samples(directory: Path, client) -> None:
    from reports.models import Report, ReportFormat, ReportKind
    from reports.renderers import RENDERERS
    from reports.selectors import report_data

    directory.mkdir(parents=True, exist_ok=True)
    for kind in ReportKind.values:
        for report_format in ReportFormat.values:
            # One day of sign-ups (a short list), a client's whole year (a member trains ~once a month).
            period = {ReportKind.NEW_USERS: (datetime.date(2025, 3, 14),) * 2, ReportKind.CLIENT_PROGRESS: YEAR}
            period = period.get(kind, MARCH)
            report = Report(
                kind=kind,
                parameters={"date_from": str(period[0]), "date_to": str(period[1])},
                client=client if kind == ReportKind.CLIENT_PROGRESS else None,
            )
            (directory / f"{kind}.{report_format}").write_bytes(RENDERERS[report_format](report_data(report=report)))
    print(f"samples in {directory}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--samples", type=Path, help="also write a sample file of each kind and format here")
    args = parser.parse_args()

    setup_django()
    ensure_database()
    load_data()
    from reports.models import ReportFormat, ReportKind

    client = busiest_client()
    print("rows:", ", ".join(f"{table} {n:,}" for table, n in counts().items()))
    print(f"period {YEAR[0]} to {YEAR[1]}; client_progress of client {client.pk} ({client.n} trainings)")
    if args.samples:
        write_samples(args.samples, client)

    log_path = Path(tempfile.mkdtemp(prefix="bench-reports-")) / "worker.log"
    worker = start_worker(log_path)
    rows = []
    try:
        for kind in ReportKind.values:
            kind_client = client if kind == ReportKind.CLIENT_PROGRESS else None
            sql = statistics.median(time_sql(kind, kind_client, YEAR) for _ in range(args.repeat))
            for report_format in ReportFormat.values:
                runs = [time_end_to_end(kind, report_format, kind_client, YEAR) for _ in range(args.repeat)]
                rows.append((kind, report_format, sql, statistics.median(runs), max(runs)))
                print(f"  {kind:<18} {report_format:<4} sql {sql:6.2f} s  end to end {rows[-1][3]:6.2f} s", flush=True)
        peaks = {pid: peak_rss_mb(pid) for pid in pool_pids(worker)}
        main_peak = peak_rss_mb(worker.pid)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)

    print(f"\n| kind | format | SQL alone (s) | end to end, median of {args.repeat} (s) | max (s) | ratio |")
    print("|---|---|---:|---:|---:|---:|")
    for kind, report_format, sql, median, worst in rows:
        print(f"| {kind} | {report_format} | {sql:.2f} | {median:.2f} | {worst:.2f} | {median / sql:.1f}× |")
    pool = ", ".join(f"{peak:.0f} MB" for peak in peaks.values())
    print(f"\nworker peak RSS (VmHWM): pool process {pool}; main process {main_peak:.0f} MB")


if __name__ == "__main__":
    main()
