"""Measure check-in at the desk: p50/p99 latency of `POST /api/check-ins/` at a steady 50 scans/s on one process.

Not a test: a measuring tool (issue 14: "p99 under 30 ms at 50 check-ins/s on one process"). `make bench` runs it
against the first web process of the production topology (benchmarks/run_all.py), with the servers' SECRET_KEY in
DJANGO_SECRET_KEY so this script can sign member cards the servers accept. By hand, against a server of yours:

    DJANGO_SECRET_KEY=<the server's> .venv/bin/python benchmarks/check_in.py --url http://127.0.0.1:8000 --pid <pid>

Open loop: a request is sent every 1/--rate seconds whether or not the previous ones have answered (a desk does not
wait for another desk), and each latency is measured from the moment the request was due, so a stalled server shows
in the figures instead of quietly slowing the load down. Every request carries a fresh signed card of a random
member of the demo club: mostly first admissions, then repeats within CHECKIN_REPEAT_MINUTES, and the denials of
lapsed members — the full service (signature, row lock, effective status, the repeat check, the insert).
"""

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import httptools

sys.path.insert(0, str(Path(__file__).resolve().parent))
from api_list import cpu_seconds, mint_staff_token, percentile, setup_django

PATH = "/api/check-ins/"
TARGET_P99_MS = 30.0


class Connection:
    """One HTTP/1.1 connection POSTing JSON, kept while the server keeps it; httptools finds each response's end."""

    def __init__(self, url: str, token: str) -> None:
        parts = urlsplit(url)
        self.host, self.port, self.netloc, self.token = parts.hostname, parts.port or 80, parts.netloc, token
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.complete = False

    def on_message_complete(self) -> None:  # httptools callback
        self.complete = True

    async def post(self, body: bytes) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = (
            f"POST {PATH} HTTP/1.1\r\nHost: {self.netloc}\r\nAuthorization: Bearer {self.token}\r\n"
            f"Content-Type: application/json\r\nAccept: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        self.complete = False
        parser = httptools.HttpResponseParser(self)
        self.writer.write(head.encode() + body)
        while not self.complete:
            data = await self.reader.read(65536)
            if not data:
                raise ConnectionError("server closed the connection")
            parser.feed_data(data)
        if not parser.should_keep_alive():
            self.close()  # gunicorn's sync workers answer `Connection: close`: the next post reconnects
        return parser.get_status_code()

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


def card_bodies(count: int, rng: random.Random) -> list[bytes]:
    """Signed phone cards of random members (a member may come up twice: a repeat)."""
    from attendance.cards import phone_card_payload
    from club.models import Client

    ids = list(Client.objects.values_list("pk", flat=True))
    if not ids:
        raise SystemExit("No members: run `manage.py seed_demo` first.")
    return [json.dumps({"qr_payload": phone_card_payload(rng.choice(ids))}).encode() for _ in range(count)]


async def run(url: str, token: str, bodies: list[bytes], rate: float) -> tuple[list[float], dict[int, int], float]:
    idle: list[Connection] = []
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    async def one(due: float, body: bytes) -> None:
        connection = idle.pop() if idle else Connection(url, token)
        try:
            status = await connection.post(body)
        except (OSError, httptools.HttpParserError):
            connection.close()
            status = 0
        else:
            idle.append(connection)
        latencies.append(time.perf_counter() - due)
        statuses[status] = statuses.get(status, 0) + 1

    started = time.perf_counter()
    tasks = []
    for n, body in enumerate(bodies):
        due = started + n / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(due, body)))
    await asyncio.gather(*tasks)
    for connection in idle:
        connection.close()
    return latencies, statuses, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="one server process")
    parser.add_argument("--rate", type=float, default=50.0, help="check-ins per second (open loop)")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of load")
    parser.add_argument("--pid", type=int, action="append", help="server process id: prints its CPU ms per request")
    # A fresh draw each run by default: the same seed twice within CHECKIN_REPEAT_MINUTES would measure repeats only.
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()

    setup_django()
    from attendance.models import Visit

    token = mint_staff_token()
    bodies = card_bodies(int(args.rate * args.duration), random.Random(args.seed))
    warm = asyncio.run(run(args.url, token, bodies[:5], args.rate))  # first connection, first queries
    if set(warm[1]) - {200, 201}:
        raise SystemExit(f"{args.url}{PATH} answered {warm[1]}: is DJANGO_SECRET_KEY the server's?")
    visits_before = Visit.objects.count()
    cpu_before = cpu_seconds(args.pid or [])
    print(f"{args.rate:g} check-ins/s for {args.duration:g} s on one process ({args.url}), open loop")
    print(f"{os.cpu_count()} CPUs, load average before: {' '.join(f'{load:.2f}' for load in os.getloadavg())}")
    latencies, statuses, elapsed = asyncio.run(run(args.url, token, bodies, args.rate))
    done = len(latencies)
    ms = [latency * 1000 for latency in latencies]
    cpu = (cpu_seconds(args.pid or []) - cpu_before) * 1000 / done if args.pid and done else float("nan")
    p99 = percentile(ms, 0.99)
    print(
        f"{'endpoint':20} {'sent':>6} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}"
        f" {'CPU ms/req':>10}  statuses"
    )
    print(
        f"{'POST ' + PATH:20} {done:6d} {done / elapsed:7.1f} {statistics.median(ms):7.1f} {p99:7.1f}"
        f" {max(ms):7.1f} {cpu:10.1f}  {dict(sorted(statuses.items()))}"
    )
    print(f"visits recorded: {Visit.objects.count() - visits_before} (201 admitted; 200 repeats and denials)")
    print(f"p99 {p99:.1f} ms {'<' if p99 < TARGET_P99_MS else '≥'} target {TARGET_P99_MS:g} ms")
    print(f"load average after: {' '.join(f'{load:.2f}' for load in os.getloadavg())}")
    if set(statuses) - {200, 201}:
        raise SystemExit(f"unexpected answers: {statuses}")


if __name__ == "__main__":
    main()
