"""The production topology of the Procfile, started for real on loopback: web x2 (each a gunicorn for HTTP and
a uvicorn for /ws/), worker x2, the staff reports worker, beat, consumer x2.

Used by the tests in this package (against the test database, a Redis DB and a RabbitMQ vhost) and by
`make bench` (benchmarks/run_all.py). Every process runs `config.settings.production` with its
output in `<workdir>/<name>.log`; each is its own process group, so a test can SIGTERM or SIGKILL
exactly one of them.
"""

import contextlib
import os
import random
import re
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import httpx

from tests import timing

BASE_DIR = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


# Every process tags its PostgreSQL connections `topology-<name>`, so a test can tell whose a backend
# is and terminate this topology's connections and no one else's.
APPLICATION_PREFIX = "topology-"


def tag_database_url(url: str, application_name: str) -> str:
    if not url.startswith("postgres"):
        return url
    return f"{url}{'&' if '?' in url else '?'}application_name={application_name}"


def procfile_commands() -> dict[str, str]:
    """The Procfile's `name: command` lines: the topology runs exactly what production runs."""
    lines = (BASE_DIR / "Procfile").read_text().splitlines()
    return dict(line.split(":", 1) for line in lines if line.strip() and not line.startswith("#"))


def expand_variables(command: str, env: dict[str, str]) -> str:
    """`${NAME:-default}` and `$NAME` as the shell running the Procfile expands them, from `env`."""

    def value(match: re.Match) -> str:
        name = match.group(1) or match.group(3)
        return env.get(name) or (match.group(2) or "")

    return re.sub(r"\$\{(\w+)(?::-([^}]*))?\}|\$(\w+)", value, command)


def procfile_argv(
    command: str,
    *,
    port: int | None = None,
    replace: dict[str, str] | None = None,
    env: dict[str, str] | None = None,
) -> list[str]:
    if port is not None:
        command = re.sub(r"\$\{PORT(:-\d+)?\}|\$PORT", str(port), command)
    argv = shlex.split(expand_variables(command, os.environ if env is None else env))
    for option, value in (replace or {}).items():
        argv[argv.index(option) + 1] = value
    # The project's virtualenv, whatever PATH says.
    if (BIN / argv[0]).exists():
        argv[0] = str(BIN / argv[0])
    elif argv[0] == "python":
        argv[0] = sys.executable
    return argv


def free_port() -> int:
    # Below Linux's ephemeral range (32768+): probing a port nobody listens on yet can otherwise
    # end in a TCP self-connect that occupies it.
    while True:
        port = random.randint(20000, 32000)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port


# Whole server processes start, stop and reconnect: a longer deadline than the suite's default.
wait_until = partial(timing.wait_until, timeout=30.0, interval=0.1)


@dataclass
class Process:
    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    ready_text: str | None = None
    port: int | None = None
    popen: subprocess.Popen | None = field(default=None, repr=False)

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.popen = subprocess.Popen(
                self.argv,
                cwd=BASE_DIR,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self._log_offset = self.log_path.stat().st_size

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def ready(self) -> bool:
        if not self.alive:
            raise AssertionError(f"{self.name} exited with {self.popen.returncode}:\n{self.log()[-3000:]}")
        if self.port is not None:
            try:
                return httpx.get(f"{self.url}/health", timeout=1).status_code == 200
            except httpx.TransportError:
                return False
        return self.ready_text in self.log()

    def signal(self, signum: int, *, group: bool = False) -> None:
        """To the main process, as `docker stop` and systemd's KillMode=mixed do; `group` adds its children."""
        if group:
            os.killpg(self.popen.pid, signum)
        else:
            self.popen.send_signal(signum)

    def stop(self, timeout: float = 20.0) -> int | None:
        """SIGTERM, as a supervisor stops it; SIGKILL the group if it does not exit in time."""
        if self.popen is None:
            return 0
        if self.alive:
            self.signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL, group=True)
            self.popen.wait()
        # Leftover pool children of a worker go with their group.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        return self.popen.returncode

    def kill(self) -> None:
        """SIGKILL to the whole group: the machine or container died."""
        self.signal(signal.SIGKILL, group=True)
        self.popen.wait()


@dataclass
class Web:
    """One web node: gunicorn (`web-http`) and uvicorn (`web-ws`) side by side, as the reverse proxy
    sees them. Without a proxy in tests, `url` is gunicorn's port and `ws_url` uvicorn's."""

    http: Process
    ws: Process

    @property
    def name(self) -> str:
        return self.http.name.replace("web-http-", "web-")

    @property
    def url(self) -> str:
        return self.http.url

    @property
    def ws_url(self) -> str:
        return self.ws.url.replace("http://", "ws://")

    @property
    def ws_port(self) -> int:
        return self.ws.port

    @property
    def alive(self) -> bool:
        return self.http.alive and self.ws.alive

    def log(self) -> str:
        return self.http.log() + self.ws.log()

    def signal(self, signum: int, *, group: bool = False) -> None:
        self.http.signal(signum, group=group)
        self.ws.signal(signum, group=group)

    def wait(self, timeout: float) -> tuple[int, int]:
        return self.http.popen.wait(timeout), self.ws.popen.wait(timeout)

    def start(self) -> None:
        self.http.start()
        self.ws.start()

    def ready(self) -> bool:
        return self.http.ready() and self.ws.ready()


class Topology:
    """The Procfile's processes with the same environment; `extra_env` overrides anything."""

    def __init__(
        self,
        *,
        workdir: Path,
        database_url: str,
        redis_url: str,
        broker_url: str,
        jwt_private_key: str,
        jwt_public_key: str,
        webs: int = 2,
        workers: int = 2,
        staff_workers: int = 1,
        beat: bool = True,
        consumers: int = 2,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "jwt_private.pem").write_text(jwt_private_key)
        (workdir / "jwt_public.pem").write_text(jwt_public_key)
        (workdir / "metrics").mkdir(exist_ok=True)
        self.metrics_token = secrets.token_urlsafe(24)
        self.secret_key = secrets.token_urlsafe(50)
        self.payment_queue = f"payment_queue_{uuid.uuid4().hex[:8]}"
        self.counter_prefix = f"topology-{uuid.uuid4().hex[:8]}"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DJANGO_SECRET_KEY": self.secret_key,
            # Plain HTTP on loopback: no TLS proxy in front here.
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "CELERY_BROKER_URL": broker_url,
            "JWT_PRIVATE_KEY_PATH": str(workdir / "jwt_private.pem"),
            "JWT_PUBLIC_KEY_PATH": str(workdir / "jwt_public.pem"),
            "MEDIA_ROOT": str(workdir / "media"),
            "PROMETHEUS_MULTIPROC_DIR": str(workdir / "metrics"),
            "METRICS_TOKEN": self.metrics_token,
            "PAYMENT_QUEUE": self.payment_queue,
            "WORKOUT_COUNTER_KEY_PREFIX": self.counter_prefix,
            "LOG_FORMAT": "json",
            "LOG_LEVEL": "INFO",
            "DATABASE_POOL_TIMEOUT": "2",
            "PYTHONUNBUFFERED": "1",
            **(extra_env or {}),
        }
        for name in ("CI", "DJANGO_DEBUG"):
            self.env.pop(name, None)
        self.processes: dict[str, Process] = {}
        commands = procfile_commands()
        self._webs: list[Web] = []
        for n in range(1, webs + 1):
            http_port, ws_port = free_port(), free_port()
            http_argv = procfile_argv(commands["web-http"], port=http_port, env=self.env)
            self._add(f"web-http-{n}", http_argv, port=http_port)
            self._add(f"web-ws-{n}", procfile_argv(commands["web-ws"], port=ws_port, env=self.env), port=ws_port)
            self._webs.append(Web(self.processes[f"web-http-{n}"], self.processes[f"web-ws-{n}"]))
        for n in range(1, workers + 1):
            # One pool process each, named, so a test knows which worker ran a task.
            argv = procfile_argv(commands["worker"], replace={"--concurrency": "1"})
            self._add(f"worker-{n}", [*argv, "--hostname", f"worker-{n}@%h"], ready_text="ready.")
        for n in range(1, staff_workers + 1):
            argv = procfile_argv(
                commands["staff-worker"], replace={"--concurrency": "1", "--hostname": f"staff-worker-{n}@%h"}
            )
            self._add(f"staff-worker-{n}", argv, ready_text="ready.")
        if beat:
            argv = procfile_argv(commands["beat"], replace={"--schedule": str(workdir / "celerybeat-schedule")})
            self._add("beat", argv, ready_text="beat: Starting")
        for n in range(1, consumers + 1):
            self._add(f"consumer-{n}", procfile_argv(commands["payments"]), ready_text="Consuming")

    def _add(self, name: str, argv: list[str], *, port: int | None = None, ready_text: str | None = None) -> None:
        log_path = self.workdir / f"{name}.log"
        env = {**self.env, "DATABASE_URL": tag_database_url(self.env["DATABASE_URL"], f"{APPLICATION_PREFIX}{name}")}
        self.processes[name] = Process(name, argv, env, log_path, ready_text=ready_text, port=port)

    def database_connections(self) -> str:
        """A WHERE clause for pg_stat_activity: this topology's connections (each process names itself)."""
        return f"starts_with(application_name, '{APPLICATION_PREFIX}')"

    def __getitem__(self, name: str) -> Process:
        return self.processes[name]

    @property
    def webs(self) -> list[Web]:
        return self._webs

    def start(self, timeout: float = 60.0) -> None:
        for process in self.processes.values():
            process.start()
        for process in self.processes.values():
            self.wait_ready(process, timeout=timeout)

    def wait_ready(self, process: "Process | Web", timeout: float = 60.0) -> None:
        wait_until(process.ready, timeout=timeout, interval=0.2, message=f"{process.name} ready")

    def restart(self, name: str) -> None:
        process = self.processes[name]
        process.stop()
        process.start()
        self.wait_ready(process)

    def stop(self) -> None:
        # All at once, as a supervisor stops a deployment; then each is waited for (and killed if stuck).
        for process in self.processes.values():
            if process.alive:
                process.signal(signal.SIGTERM)
        for process in self.processes.values():
            process.stop()

    def logs(self) -> str:
        return "\n".join(f"===== {name}\n{process.log()}" for name, process in self.processes.items())

    def metrics(self, web: Web | None = None) -> str:
        response = httpx.get(
            f"{(web or self.webs[0]).url}/metrics",
            headers={"Authorization": f"Bearer {self.metrics_token}"},
            timeout=5,
        )
        response.raise_for_status()
        return response.text


def metric_value(text: str, name: str, **labels: str) -> float:
    """The sample `name{labels}` in a Prometheus text exposition (0 when absent)."""
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith("#") or " " not in line:
            continue
        sample, value = line.rsplit(" ", 1)
        metric, _, label_text = sample.partition("{")
        present = ",".join(sorted(label_text.rstrip("}").split(","))) if label_text else ""
        if metric == name and present == wanted:
            return float(value)
    return 0.0
