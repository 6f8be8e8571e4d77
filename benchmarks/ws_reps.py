"""Drive authenticated workout devices against real servers; print reps/s, latency, errors and lost reps.

Not a test: the measuring tool behind docs/performance.md. With `--serve` it starts the server
processes itself (debouncing and the flood guard out of the way, so every message is a real counter
round trip; `DJANGO_DEBUG=false`), all sharing the `REDIS_URL` and `DATABASE_URL` of the environment:

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/club REDIS_URL=redis://127.0.0.1:6379/0
    B=".venv/bin/python benchmarks/ws_reps.py"
    $B --serve daphne --connections 50 --duration 20                    # closed loop, one process
    $B --serve daphne --connections 200 --duration 20                   # no lost or unanswered rep
    $B --serve daphne --connections 1000 --mode paced --rate 1 --duration 60
    $B --serve daphne --mode cycles --cycles 10000 --connections 10     # RSS over connect/disconnect
    $B --serve daphne --processes 2 --connections 100 --duration 20     # two processes, one Redis
    $B --serve uvicorn ...                                              # the same under uvicorn (web-ws)
    $B --serve uvicorn --mode flood --flooders 20 --connections 1 --rate 10 --duration 20
        # one user's 20 sockets flood (from a second client process) while another device sends
        # 10 reps/s: that device's latency is what the flood costs others (issue 11)

Without `--serve`, point `--url` (repeatable) at servers started by hand with the same settings and
pass `--server-pid` (repeatable) for the CPU and memory figures.

In `flood` mode the flood guard and the per-user socket cap keep their defaults (the servers get
no `WORKOUT_WS_FLOOD_*` overrides): `--flooders` sockets of one user, `bench-flooder`, send reps
as fast as they can without reading the replies and reconnect whenever they are closed, from a
process of their own (so the flood does not slow the measuring client's loop), while the
`--connections` devices send `--rate` reps a second each. The latency printed is theirs; the
flooders' frames, connects and close codes are printed below it.

Each connection is its own user (`bench-device-<n>`, created on first use) and every run counts a
fresh exercise type, so after the run the counter in Redis must hold exactly the reps each device
got `rep_update` for: any difference is reported as lost (or extra) reps. Figures printed:
answered and counted reps/s, p50/p99/max latency, errors, unanswered reps, unexpected closes,
the servers' CPU time per 1,000 reps (less sensitive than reps/s to other load on the machine),
and each server's RSS before and after.
"""

import argparse
import asyncio
import collections
import json
import multiprocessing
import os
import resource
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import websockets
from websockets.asyncio.client import connect

BASE_DIR = Path(__file__).resolve().parent.parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# The servers under test count every message: no debounce window, and no flood guard (except in
# `flood` mode, which measures it).
SERVER_ENV = {
    "REP_MIN_INTERVAL_MS": "0",
    "DJANGO_DEBUG": "false",
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    "LOG_LEVEL": "WARNING",
}
NO_FLOOD_GUARD = {"WORKOUT_WS_FLOOD_RATE": "1000000", "WORKOUT_WS_FLOOD_BURST": "1000000"}


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    counted: int = 0
    ignored: int = 0
    errors: int = 0
    unanswered: int = 0
    unexpected_closes: int = 0
    connect_failures: int = 0
    # Per device (= per user): the `rep_update` replies it got.
    acknowledged: dict[int, int] = field(default_factory=dict)
    # Cycles mode: (cycles done, RSS KiB of each server) every 1,000 cycles, to tell a leak from a plateau.
    rss_series: list[tuple[int, list[int]]] = field(default_factory=list)


# ---------------------------------------------------------------------------
# Servers
# ---------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_command(kind: str, port: int, uvicorn_ws: str = "auto") -> list[str]:
    bin_dir = Path(sys.executable).parent
    if kind == "daphne":
        return [str(bin_dir / "daphne"), "-v", "0", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"]
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "--no-access-log",
        "--log-level",
        "warning",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--lifespan",
        "off",
        "--ws-max-size",
        str(1024 * 1024),
        "--ws",
        uvicorn_ws,
        "config.asgi:application",
    ]


def start_servers(
    kind: str, count: int, *, flood_guard: bool = False, uvicorn_ws: str = "auto"
) -> list[tuple[subprocess.Popen, str]]:
    servers = []
    env = {**os.environ, **SERVER_ENV, **({} if flood_guard else NO_FLOOD_GUARD)}
    for _ in range(count):
        port = free_port()
        process = subprocess.Popen(
            server_command(kind, port, uvicorn_ws), cwd=BASE_DIR, env=env, stderr=subprocess.DEVNULL
        )
        servers.append((process, f"127.0.0.1:{port}"))
    for process, address in servers:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise SystemExit(f"{kind} on {address} exited with {process.returncode}")
            try:
                if httpx.get(f"http://{address}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"{kind} on {address} did not start")
            time.sleep(0.2)
    return servers


def stop_servers(servers: list[tuple[subprocess.Popen, str]]) -> None:
    for process, _ in servers:
        process.send_signal(signal.SIGTERM)
    for process, _ in servers:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def cpu_seconds(pid: int) -> float:
    # /proc/<pid>/stat fields 14 and 15: user and system time in clock ticks.
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


# ---------------------------------------------------------------------------
# Django: tokens and the counter's view after the run
# ---------------------------------------------------------------------------
def setup_django() -> None:
    sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()


def mint_tokens(count: int, name: str = "bench-device") -> list[tuple[int, str]]:
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import User

    devices = []
    for number in range(count):
        username = f"{name}-{number}"
        user, _ = User.objects.get_or_create(username=username, defaults={"email": f"{username}@bench.invalid"})
        devices.append((user.pk, str(AccessToken.for_user(user))))
    return devices


def counter_totals(user_ids: list[int], exercise_type: str) -> dict[int, int]:
    from workouts.counter import get_rep_counter

    counter = get_rep_counter()
    return {user_id: counter.total(user_id=user_id, exercise_type=exercise_type) for user_id in user_ids}


# ---------------------------------------------------------------------------
# Load
# ---------------------------------------------------------------------------
async def rep(websocket, message: str, stats: Stats, user_id: int, timeout: float) -> bool:
    """Send one rep and wait for its reply; False when the device should stop (no reply in time)."""
    started = time.perf_counter()
    await websocket.send(message)
    try:
        reply = json.loads(await asyncio.wait_for(websocket.recv(), timeout))
    except TimeoutError:
        stats.unanswered += 1
        return False
    stats.latencies.append(time.perf_counter() - started)
    event = reply.get("event")
    if event == "rep_update":
        stats.counted += 1
        stats.acknowledged[user_id] = stats.acknowledged.get(user_id, 0) + 1
    stats.ignored += event == "rep_ignored"
    stats.errors += event == "error"
    return True


async def open_devices(urls: list[str], devices: list[tuple[int, str]], stats: Stats) -> list:
    """Connect every device first (a bounded number of handshakes at a time), then measure."""
    handshakes = asyncio.Semaphore(50)

    async def open_one(n: int, user_id: int, token: str):
        async with handshakes:
            try:
                websocket = await connect(
                    f"{urls[n % len(urls)]}/ws/workout?token={token}", max_queue=None, ping_interval=None
                )
            except (OSError, websockets.InvalidHandshake):
                stats.connect_failures += 1
                return None
            return user_id, websocket

    opened = await asyncio.gather(*(open_one(n, *device) for n, device in enumerate(devices)))
    return [device for device in opened if device is not None]


async def device(websocket, user_id: int, message: str, stats: Stats, args, stop_at: float, offset: float) -> None:
    try:
        if args.mode in {"paced", "flood"}:
            await asyncio.sleep(offset)  # spread the devices over one period
        while time.perf_counter() < stop_at:
            sent = time.perf_counter()
            if not await rep(websocket, message, stats, user_id, args.timeout):
                break
            if args.mode in {"paced", "flood"}:
                await asyncio.sleep(max(0.0, 1 / args.rate - (time.perf_counter() - sent)))
    except websockets.ConnectionClosed:
        stats.unexpected_closes += 1
    finally:
        await websocket.close()


async def run_load(args, devices: list[tuple[int, str]], message: str) -> tuple[Stats, float]:
    stats = Stats()
    opened = await open_devices(args.url, devices, stats)
    started = time.perf_counter()
    stop_at = started + args.duration
    period = 1 / args.rate
    await asyncio.gather(
        *(
            device(websocket, user_id, message, stats, args, stop_at, n * period / max(1, len(opened)))
            for n, (user_id, websocket) in enumerate(opened)
        )
    )
    return stats, time.perf_counter() - started


async def run_cycles(args, devices: list[tuple[int, str]], message: str, pids=()) -> tuple[Stats, float]:
    """Connect, send one rep, disconnect; `--connections` devices doing it side by side."""
    stats = Stats()
    remaining = iter(range(args.cycles))

    async def cycling(n: int, user_id: int, token: str) -> None:
        for cycle in remaining:
            if pids and cycle % 1000 == 0:
                stats.rss_series.append((cycle, [rss_kib(pid) for pid in pids]))
            try:
                async with connect(f"{args.url[(n + cycle) % len(args.url)]}/ws/workout?token={token}") as websocket:
                    await rep(websocket, message, stats, user_id, args.timeout)
            except (OSError, websockets.InvalidHandshake):
                stats.connect_failures += 1
            except websockets.ConnectionClosed:
                stats.unexpected_closes += 1

    started = time.perf_counter()
    await asyncio.gather(*(cycling(n, *device) for n, device in enumerate(devices)))
    return stats, time.perf_counter() - started


async def flood(urls: list[str], token: str, sockets: int, message: str, stop_at: float, pause: float) -> dict:
    """`sockets` connections of one user sending without reading; each reconnects when closed."""
    totals = {"frames": 0, "connects": 0, "refused_handshakes": 0, "closes": collections.Counter()}

    async def flooding(n: int) -> None:
        while time.perf_counter() < stop_at:
            try:
                async with connect(
                    f"{urls[n % len(urls)]}/ws/workout?token={token}", ping_interval=None, close_timeout=1
                ) as websocket:
                    totals["connects"] += 1
                    while time.perf_counter() < stop_at:
                        await websocket.send(message)
                        totals["frames"] += 1
                        if totals["frames"] % 100 == 0:
                            await asyncio.sleep(0)  # let the other flooders (and close frames) in
            except websockets.ConnectionClosed as closed:
                totals["closes"][closed.rcvd.code if closed.rcvd else "no close frame"] += 1
            except (OSError, websockets.InvalidHandshake):
                totals["refused_handshakes"] += 1
            await asyncio.sleep(pause)

    await asyncio.gather(*(flooding(n) for n in range(sockets)))
    totals["closes"] = dict(totals["closes"])
    return totals


def flood_process(
    urls: list[str], token: str, sockets: int, message: str, duration: float, pause: float, results
) -> None:
    # An attacker runs on machines of its own: on this one, its client must not take the CPU the
    # server and the measured device need (only what is left over).
    os.nice(19)
    stop_at = time.perf_counter() + duration
    results.put(asyncio.run(flood(urls, token, sockets, message, stop_at, pause)))


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------
def percentile(ordered: list[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, max(0, round(len(ordered) * fraction) - 1))]


def report(args, stats: Stats, elapsed: float, lost: int | None, servers: list[dict], client_cpu: float) -> None:
    answered = len(stats.latencies)
    ordered = sorted(stats.latencies) or [0.0]
    label = f"{args.serve or 'external'} x{len(args.url)}"
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    print(
        f"mode={args.mode} servers={label} connections={args.connections} elapsed={elapsed:.1f}s "
        f"load average {load} on {os.cpu_count()} CPUs"
    )
    print(
        f"answered {answered} ({answered / elapsed:.0f}/s), counted {stats.counted} ({stats.counted / elapsed:.0f}/s)"
    )
    print(
        f"latency ms: p50 {statistics.median(ordered) * 1000:.2f}  p99 {percentile(ordered, 0.99) * 1000:.2f}  "
        f"max {ordered[-1] * 1000:.2f}"
    )
    print(
        f"ignored {stats.ignored}  errors {stats.errors}  unanswered {stats.unanswered}  "
        f"unexpected closes {stats.unexpected_closes}  failed connects {stats.connect_failures}"
        + ("" if lost is None else f"  lost {lost}")
    )
    print(f"client: cpu {client_cpu:.1f}s ({client_cpu / max(answered, 1) * 1_000_000:.0f} us per rep)")
    for server in servers:
        cpu = server["cpu_after"] - server["cpu_before"]
        share = answered / len(servers)  # round-robin: each server answered about this many
        print(
            f"server {server['pid']}: cpu {cpu:.1f}s ({cpu / max(share, 1) * 1000:.3f} s per 1000 reps, "
            f"{share / cpu if cpu else 0:.0f} reps per CPU-second)  "
            f"RSS {server['rss_before']} KiB -> {server['rss_after']} KiB "
            f"({(server['rss_after'] - server['rss_before']) / server['rss_before']:+.1%})"
        )
    if stats.rss_series:
        print("RSS KiB by cycle: " + "  ".join(f"{cycle}:{'/'.join(map(str, rss))}" for cycle, rss in stats.rss_series))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--serve", choices=["daphne", "uvicorn"], help="start the servers for the run")
    parser.add_argument(
        "--uvicorn-ws", default="auto", help="uvicorn's --ws: auto, websockets-sansio, wsproto or a protocol class"
    )
    parser.add_argument("--processes", type=int, default=1, help="server processes to start (with --serve)")
    parser.add_argument("--url", action="append", help="server base URL, repeatable (default ws://127.0.0.1:8000)")
    parser.add_argument("--server-pid", type=int, action="append", default=[], help="servers started by hand")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--mode", choices=["closed", "paced", "cycles", "flood"], default="closed")
    parser.add_argument("--flooders", type=int, default=20, help="flooding sockets of one user (flood)")
    parser.add_argument(
        "--flood-reconnect-after", type=float, default=0.0, help="seconds a closed flooder waits to reconnect (flood)"
    )
    parser.add_argument("--rate", type=float, default=1.0, help="reps per second per device (paced)")
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds before a rep counts as unanswered")
    parser.add_argument("--cycles", type=int, default=10_000)
    parser.add_argument("--warmup-cycles", type=int, default=500, help="cycles before the RSS baseline (cycles)")
    args = parser.parse_args()

    setup_django()
    devices = mint_tokens(args.connections)
    # A fresh type per run: the counters start at zero, so Redis must end with exactly what was acknowledged.
    exercise_type = f"bench-{secrets.token_hex(4)}"
    message = json.dumps({"event": "rep_detected", "type": exercise_type})

    flood_token = mint_tokens(1, "bench-flooder")[0][1] if args.mode == "flood" else None
    started_servers = (
        start_servers(args.serve, args.processes, flood_guard=args.mode == "flood", uvicorn_ws=args.uvicorn_ws)
        if args.serve
        else []
    )
    flood_totals = None
    try:
        if started_servers:
            args.url = [f"ws://{address}" for _, address in started_servers]
            pids = [process.pid for process, _ in started_servers]
        else:
            args.url = args.url or ["ws://127.0.0.1:8000"]
            pids = args.server_pid
        if args.mode == "cycles" and args.warmup_cycles:
            warmup = argparse.Namespace(**{**vars(args), "cycles": args.warmup_cycles})
            asyncio.run(run_cycles(warmup, devices, message))
        servers = [{"pid": pid, "cpu_before": cpu_seconds(pid), "rss_before": rss_kib(pid)} for pid in pids]
        client_before = resource.getrusage(resource.RUSAGE_SELF)
        if args.mode == "cycles":
            stats, elapsed = asyncio.run(run_cycles(args, devices, message, pids))
        elif args.mode == "flood":
            # Forked before any event loop runs here; the flooders start first and outlast the devices.
            context = multiprocessing.get_context("fork")
            results = context.Queue()
            flooder = context.Process(
                target=flood_process,
                args=(
                    args.url,
                    flood_token,
                    args.flooders,
                    message,
                    args.duration + 2,
                    args.flood_reconnect_after,
                    results,
                ),
            )
            flooder.start()
            time.sleep(1)
            stats, elapsed = asyncio.run(run_load(args, devices, message))
            flood_totals = results.get(timeout=60)
            flooder.join(timeout=10)
        else:
            stats, elapsed = asyncio.run(run_load(args, devices, message))
        client_after = resource.getrusage(resource.RUSAGE_SELF)
        client_cpu = sum(getattr(client_after, f) - getattr(client_before, f) for f in ("ru_utime", "ru_stime"))
        for server in servers:
            server.update(cpu_after=cpu_seconds(server["pid"]), rss_after=rss_kib(server["pid"]))
    finally:
        stop_servers(started_servers)

    lost = None
    if args.mode != "cycles" and os.environ.get("REDIS_URL"):
        totals = counter_totals([user_id for user_id, _ in devices], exercise_type)
        lost = sum(abs(stats.acknowledged.get(user_id, 0) - total) for user_id, total in totals.items())
    report(args, stats, elapsed, lost, servers, client_cpu)
    if flood_totals is not None:
        print(
            f"flooders ({args.flooders} sockets of one user, reconnecting {args.flood_reconnect_after:g} s after a "
            f"close): {flood_totals['frames']} frames sent, "
            f"{flood_totals['connects']} connections, closes by code {flood_totals['closes']}, "
            f"refused handshakes {flood_totals['refused_handshakes']}"
        )


if __name__ == "__main__":
    main()
