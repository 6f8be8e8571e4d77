"""Measure the API's list endpoints under load: requests/s, p50/p99 latency and queries per request.

Not a test: a measuring tool (issue 4's benchmark). `make bench` runs it against the production
topology (benchmarks/run_all.py). By hand: load the demo club and serve it the way production does
(the Procfile's web-http command: gunicorn, sync workers; DEBUG off, PostgreSQL with the psycopg pool):

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/club_bench
    export DJANGO_SETTINGS_MODULE=config.settings.production DJANGO_SECRET_KEY=<50+ random chars>
    export DJANGO_SECURE_SSL_REDIRECT=false   # no TLS proxy in front here
    .venv/bin/python manage.py migrate && .venv/bin/python manage.py seed_demo --clients 10000
    .venv/bin/python manage.py collectstatic --no-input
    .venv/bin/gunicorn -c python:config.gunicorn --bind 127.0.0.1:8000 config.wsgi:application &
    .venv/bin/gunicorn -c python:config.gunicorn --bind 127.0.0.1:8001 config.wsgi:application &

Then, from the project root in the same environment (the token is minted with the servers' keys):

    .venv/bin/python benchmarks/api_list.py --url http://127.0.0.1:8000 --url http://127.0.0.1:8001 \
        --pid <first server's pid> --pid <second server's pid> --lean-like <first server's pid>

Each endpoint gets `--concurrency` clients in a closed loop for `--duration` seconds, spread over
the URLs round-robin. The query count per request is measured in-process with Django's test
client against the same database, so it reflects the code, not the server. "CPU ms/req" is the
servers' own CPU time per answered request (from /proc, given --pid: each gunicorn master and its
workers), "client µs/req" this script's: both disturbed less by other load on the machine than requests/s.

With `--lean-like PID`, the script also starts a lean server (benchmarks/lean_site.py: a plain
Django view of the same two pages, JWT auth, `.values()`, the count; no DRF) under gunicorn with
the environment of server PID and as many sync workers as the measured servers have in all, and
measures it right after each endpoint, alternating, as `lean <path>`. The closing lines give each
page as a ratio to the lean one (req/s, and lean CPU ms/req over the page's: ≥ 0.7 is the target).
"""

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httptools

ENDPOINTS = ["/api/clients/?page_size=50", "/api/trainings/?page_size=50"]


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    failures: int = 0
    elapsed: float = 0.0


def setup_django() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()


def mint_staff_token() -> str:
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import Role, User

    # The demo trainer when seed_demo ran; otherwise a throwaway one.
    trainer = User.objects.filter(role=Role.TRAINER, deleted_at__isnull=True).order_by("pk").first()
    if trainer is None:
        trainer = User.objects.create_user("bench-trainer", "bench-trainer@bench.invalid", role=Role.TRAINER)
    return str(AccessToken.for_user(trainer))


def queries_per_request(path: str, token: str) -> int:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(SERVER_NAME="localhost", HTTP_AUTHORIZATION=f"Bearer {token}")
    client.get(path)  # warm up: content types, first connection
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    if response.status_code != 200:
        raise SystemExit(f"{path} answered {response.status_code}: {response.content[:200]!r}")
    return len(queries)


class KeepAliveConnection:
    """One HTTP/1.1 keep-alive connection that sends the same GET again and again (and connects
    again whenever the server closes it after a response, as gunicorn's sync workers do).

    A load generator on the same two cores as the servers takes CPU from them: httpx spent about
    a millisecond of it per request here, as much as a quarter of what a request costs the server.
    This sends prebuilt request bytes and lets httptools (uvicorn's parser) find the end of the
    response, for a few tens of microseconds per request.
    """

    def __init__(self, url: str, path: str, token: str) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port or 80
        self.request = (
            f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nAuthorization: Bearer {token}\r\n"
            "Accept: application/json\r\n\r\n"
        ).encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.complete = False
        self.parser = httptools.HttpResponseParser(self)

    def on_message_complete(self) -> None:  # httptools callback
        self.complete = True

    async def get(self) -> int:
        """Send the request, read the whole response, return its status code."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.complete = False
        self.parser = httptools.HttpResponseParser(self)
        self.writer.write(self.request)
        while not self.complete:
            data = await self.reader.read(65536)
            if not data:
                raise ConnectionError("server closed the connection")
            self.parser.feed_data(data)
        if not self.parser.should_keep_alive():
            # gunicorn's sync workers answer `Connection: close`: the next request connects again,
            # as the proxy in front of them does.
            self.close()
        return self.parser.get_status_code()

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


async def worker(connection: KeepAliveConnection, stop_at: float, result: Result) -> None:
    while time.perf_counter() < stop_at:
        started = time.perf_counter()
        try:
            ok = await connection.get() == 200
        except (OSError, httptools.HttpParserError):
            connection.close()
            ok = False
        if ok:
            result.latencies.append(time.perf_counter() - started)
        else:
            result.failures += 1
    connection.close()


async def load(urls: list[str], path: str, token: str, concurrency: int, duration: float) -> Result:
    result = Result()
    probe = KeepAliveConnection(urls[0], path, token)
    status = await probe.get()  # fail fast when no server is listening or the token is refused
    probe.close()
    if status != 200:
        raise SystemExit(f"{urls[0]}{path} answered {status}")
    connections = [KeepAliveConnection(urls[n % len(urls)], path, token) for n in range(concurrency)]
    started = time.perf_counter()
    stop_at = started + duration
    await asyncio.gather(*(worker(connection, stop_at, result) for connection in connections))
    result.elapsed = time.perf_counter() - started
    return result


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (gunicorn's workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the server processes and their workers have used (Linux /proc), the figure
    other load disturbs least."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for process in [*pids, *(child for parent in pids for child in children(parent))]:
        try:
            fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def start_lean_server(like_pid: int, workers: int, token: str) -> tuple[subprocess.Popen, str]:
    """benchmarks/lean_site.py under gunicorn, with server `like_pid`'s environment (settings, database, keys)."""
    raw = Path(f"/proc/{like_pid}/environ").read_bytes().split(b"\0")
    env = dict(item.decode().split("=", 1) for item in raw if b"=" in item)
    env["WEB_CONCURRENCY"] = str(workers)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base_dir = Path(__file__).resolve().parent.parent
    argv = [str(Path(sys.executable).parent / "gunicorn"), "-c", "python:config.gunicorn"]
    argv += ["--bind", f"127.0.0.1:{port}", "benchmarks.lean_site:application"]
    # Its output is not read: a pipe nobody drains would block it.
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "stdin": subprocess.DEVNULL}
    server = subprocess.Popen(argv, cwd=base_dir, env=env, **quiet)
    url = f"http://127.0.0.1:{port}"

    async def probe() -> int:
        connection = KeepAliveConnection(url, ENDPOINTS[0], token)
        try:
            return await connection.get()
        finally:
            connection.close()

    deadline = time.monotonic() + 60
    status = None
    while time.monotonic() < deadline and server.poll() is None:
        try:
            status = asyncio.run(probe())
        except OSError:
            status = None
        if status is not None:
            break
        time.sleep(0.3)
    if status == 200:
        return server, url
    server.kill()
    server.wait()
    raise SystemExit(f"the lean server answered {status} (exit code {server.returncode})")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", action="append", help="server base URL; repeat for several processes")
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per endpoint")
    parser.add_argument("--path", action="append", help=f"endpoint to measure (default: {', '.join(ENDPOINTS)})")
    parser.add_argument("--pid", type=int, action="append", help="server process id: prints its CPU ms per request")
    parser.add_argument(
        "--lean-like", type=int, metavar="PID", help="also measure the lean view, served with this server's environment"
    )
    args = parser.parse_args()
    urls = [url.rstrip("/") for url in (args.url or ["http://127.0.0.1:8000"])]

    setup_django()
    from club.models import Client

    token = mint_staff_token()
    print(f"{Client.objects.count()} clients; {args.concurrency} concurrent clients for {args.duration:g} s; {urls}")
    # The figures mean little without the machine's state: other work on these cores slows every request.
    print(f"{os.cpu_count()} CPUs, load average before: {' '.join(f'{load:.2f}' for load in os.getloadavg())}")
    print(
        f"{'endpoint':34} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'failed':>7} {'queries':>8}"
        f" {'CPU ms/req':>10} {'client µs/req':>13}"
    )
    lean = None
    if args.lean_like:
        workers = sum(len(children(pid)) for pid in args.pid or []) or len(urls)
        lean = start_lean_server(args.lean_like, workers, token)
    ratios = []
    try:
        for path in args.path or ENDPOINTS:
            queries = queries_per_request(path, token)
            figures = measure(path, urls, args.pid or [], token, args, queries)
            if lean:
                lean_figures = measure(f"lean {path}", [lean[1]], [lean[0].pid], token, args, None)
                ratios.append((path, figures, lean_figures))
    finally:
        if lean:
            lean[0].send_signal(signal.SIGTERM)
            lean[0].wait(30)
    for path, (rate, cpu), (lean_rate, lean_cpu) in ratios:
        print(f"{path} vs the lean view: {rate / lean_rate:.2f}x req/s, {lean_cpu / cpu:.2f}x CPU (lean ms / page ms)")
    print(f"load average after: {' '.join(f'{load:.2f}' for load in os.getloadavg())}")


def measure(label: str, urls: list[str], pids: list[int], token: str, args, queries: int | None):
    """One closed-loop run; prints its row and returns (req/s, CPU ms per request)."""
    path = label.removeprefix("lean ")
    cpu_before, client_cpu_before = cpu_seconds(pids), time.process_time()
    result = asyncio.run(load(urls, path, token, args.concurrency, args.duration))
    client_cpu = time.process_time() - client_cpu_before
    done = len(result.latencies)
    cpu_used = cpu_seconds(pids) - cpu_before
    cpu_per_request = cpu_used * 1000 / done if pids and done else float("nan")
    milliseconds = [latency * 1000 for latency in result.latencies]
    rate = done / result.elapsed
    print(
        f"{label:34} {rate:8.1f} {statistics.median(milliseconds) if done else float('nan'):8.1f}"
        f" {percentile(milliseconds, 0.99):8.1f} {max(milliseconds, default=float('nan')):8.1f}"
        f" {result.failures:7d} {'-' if queries is None else queries:>8} {cpu_per_request:10.1f}"
        f" {client_cpu * 1e6 / max(done, 1):13.0f}",
        flush=True,
    )
    return rate, cpu_per_request


if __name__ == "__main__":
    main()
