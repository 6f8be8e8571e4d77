"""Measure the daily_takings report over a million payments: end to end next to its SQL alone.

Not a test: a measuring tool (issue 12's benchmark; target: end to end ≤ 2× the SQL alone). It
needs PostgreSQL and RabbitMQ and a database of its own, which it creates, migrates and fills once
(a marker row says the data is there): 1,000 members, three desk staff and `--payments`
(1,000,000) payments over 2025, loaded by one INSERT … SELECT generate_series — cash, card,
transfer and provider payments, 2% of them refunded a few days later, 5% never paid.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/club_bench_takings \
           CELERY_BROKER_URL=amqp://guest:guest@127.0.0.1:5672/bench
    .venv/bin/python benchmarks/takings.py            # --repeat 3

For the year 2025, medians of `--repeat` runs:

- `sql`: the statements `club.selectors.payment_takings` sends (captured once, then run alone
  through a cursor, every row fetched): the aggregate queries and nothing else;
- `end to end`: per format, `report_request` committed → a real Celery worker (benchmarks/reports.py's)
  takes the task → computes, renders, stores the file → the row says SUCCESS, polled every 10 ms.
"""

import argparse
import datetime
import importlib.util
import signal
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
YEAR = (datetime.date(2025, 1, 1), datetime.date(2025, 12, 31))
MEMBERS = 1000
MARKER = "bench-takings-loaded@bench.invalid"


def bench_reports():
    """benchmarks/reports.py as a module (its name would otherwise be the reports app's)."""
    spec = importlib.util.spec_from_file_location("bench_reports", ROOT / "benchmarks" / "reports.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_sql(payments: int) -> str:
    # Members and staff first (a handful of statements), then every payment in one INSERT … SELECT.
    return f"""
SELECT setseed(0.12);
INSERT INTO memberships (access_level, description, price) VALUES ('STANDARD', 'Standard', 2990.00);
INSERT INTO users (username, password_hash, email, role, is_superuser)
SELECT 'desk' || n, '!', 'desk' || n || '@bench.invalid', 'ADMIN', false FROM generate_series(1, 3) AS n;
INSERT INTO users (username, password_hash, email, role, is_superuser)
SELECT 'member' || n, '!', 'member' || n || '@bench.invalid', 'USER', false FROM generate_series(1, {MEMBERS}) AS n;
INSERT INTO clients (first_name, last_name, phone_number, date_of_birth, status, created_at, updated_at,
                     user_id, membership_id)
SELECT 'Member', 'No. ' || u.id, '+1555' || lpad(u.id::text, 7, '0'), date '1990-01-01' + (u.id % 9000),
       'ACTIVE', now(), now(), u.id, (SELECT min(id) FROM memberships)
FROM users u WHERE u.role = 'USER';
CREATE TEMP TABLE bench_clients AS SELECT row_number() OVER (ORDER BY id) - 1 AS n, id FROM clients;
CREATE TEMP TABLE bench_staff AS SELECT row_number() OVER (ORDER BY id) - 1 AS n, id FROM users WHERE role = 'ADMIN';
INSERT INTO payments (amount, status, method, staff_id, created_at, updated_at, paid_at, refunded_at,
                      client_id, membership_id)
SELECT 2990.00 * (1 + p.i % 3),
       CASE WHEN p.i % 20 = 0 THEN 'FAILED' WHEN p.i % 50 = 1 THEN 'REFUNDED' ELSE 'PAID' END,
       (ARRAY['CASH', 'CARD', 'TRANSFER', NULL])[1 + p.i % 4],
       CASE WHEN p.i % 4 = 3 THEN NULL ELSE s.id END,
       p.paid, p.paid,
       CASE WHEN p.i % 20 = 0 THEN NULL ELSE p.paid END,
       CASE WHEN p.i % 50 = 1 THEN p.paid + interval '3 days' END,
       c.id, (SELECT min(id) FROM memberships)
FROM (SELECT i, timestamptz '2025-01-01' + random() * interval '365 days' AS paid
      FROM generate_series(1, {payments}) AS i) p
JOIN bench_clients c ON c.n = p.i % {MEMBERS}
JOIN bench_staff s ON s.n = p.i % 3;
INSERT INTO users (username, password_hash, email, role, is_superuser)
VALUES ('bench-takings-marker', '!', '{MARKER}', 'ADMIN', false);
ANALYZE;
"""  # noqa: S608 - built from the constants above, no input


def load_data(payments: int) -> None:
    from django.core.management import call_command
    from django.db import connection

    from accounts.models import User

    call_command("migrate", verbosity=0)
    if User.objects.filter(email=MARKER).exists():
        return
    print("loading data with bulk SQL ...", flush=True)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(load_sql(payments))
    print(f"loaded in {time.perf_counter() - started:.0f} s")


def takings_statements() -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from club.selectors import payment_takings

    with CaptureQueriesContext(connection) as captured:
        payment_takings(date_from=YEAR[0], date_to=YEAR[1])
    return [query["sql"] for query in captured.captured_queries]


def time_sql(statements: list[str]) -> float:
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
            cursor.fetchall()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--payments", type=int, default=1_000_000)
    args = parser.parse_args()

    reports = bench_reports()
    reports.setup_django()
    reports.ensure_database()
    load_data(args.payments)
    from django.db import connection

    from reports.models import ReportFormat, ReportKind

    with connection.cursor() as cursor:
        by_status = dict(cursor.execute("SELECT status, count(*) FROM payments GROUP BY status").fetchall())
    print(
        f"payments {sum(by_status.values()):,} ({', '.join(f'{s} {n:,}' for s, n in sorted(by_status.items()))}); "
        f"period {YEAR[0]} to {YEAR[1]}"
    )
    statements = takings_statements()
    time_sql(statements)  # warm the cache: both timings read the same pages

    log_path = Path(tempfile.mkdtemp(prefix="bench-takings-")) / "worker.log"
    worker = reports.start_worker(log_path)
    # Interleaved, round by round (SQL alone, then each format), so the machine's other load falls on both.
    sqls: list[float] = []
    runs: dict[str, list[float]] = {report_format: [] for report_format in ReportFormat.values}
    try:
        for _ in range(args.repeat):
            sqls.append(time_sql(statements))
            for report_format in ReportFormat.values:
                runs[report_format].append(reports.time_end_to_end(ReportKind.DAILY_TAKINGS, report_format, None, YEAR))
            print(
                f"  round: sql alone {sqls[-1]:.2f} s; end to end "
                + ", ".join(f"{f} {r[-1]:.2f} s" for f, r in runs.items()),
                flush=True,
            )
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
    sql = statistics.median(sqls)
    print(f"  sql alone ({len(statements)} statements of payment_takings), median: {sql:.2f} s")
    rows = [(report_format, statistics.median(r), max(r)) for report_format, r in runs.items()]
    print(f"\n| format | SQL alone (s) | end to end, median of {args.repeat} (s) | max (s) | ratio | ≤ 2× |")
    print("|---|---:|---:|---:|---:|---|")
    for report_format, median, worst in rows:
        ratio = median / sql
        met = "yes" if ratio <= 2 else "no"
        print(f"| {report_format} | {sql:.2f} | {median:.2f} | {worst:.2f} | {ratio:.1f}× | {met} |")


if __name__ == "__main__":
    main()
