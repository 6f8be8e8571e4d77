"""`make run` on a fresh clone: no settings at all gives SQLite, the in-memory layer and eager Celery."""

import http.cookiejar
import json
import os
import re
import shlex
import socket
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect as ws_connect

from tests.timing import wait_until

ROOT = Path(__file__).resolve().parent.parent
SERVICE_VARIABLES = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE")


def bare_environment(tmp_path: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in SERVICE_VARIABLES}
    # Everything the embedded stack writes goes to a scratch folder instead of the checkout.
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        JWT_PRIVATE_KEY_PATH=str(tmp_path / "keys" / "private.pem"),
        JWT_PUBLIC_KEY_PATH=str(tmp_path / "keys" / "public.pem"),
        MEDIA_ROOT=str(tmp_path / "media"),
    )
    return env


def manage(env: dict[str, str], *args: str) -> str:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_local_settings_default_to_the_embedded_stack(tmp_path):
    env = {key: value for key, value in os.environ.items() if key not in SERVICE_VARIABLES}
    code = (
        "import django, json; from django.conf import settings; django.setup(); print(json.dumps(["
        "settings.DATABASES['default']['ENGINE'], settings.CHANNEL_LAYERS['default']['BACKEND'],"
        " settings.CELERY_TASK_ALWAYS_EAGER, settings.CACHES['default']['BACKEND']]))"
    )
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    output = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    assert json.loads(output.stdout) == [
        "django.db.backends.sqlite3",
        "channels.layers.InMemoryChannelLayer",
        True,
        "django.core.cache.backends.locmem.LocMemCache",
    ]


def make_run_server_argv(port: int) -> list[str]:
    """The server command of the Makefile's `run` recipe: the test runs exactly what `make run` runs."""
    recipe = re.search(r"^run:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.MULTILINE).group(1)
    [command] = [line.strip() for line in recipe.splitlines() if line.strip().startswith("$(BIN)/daphne")]
    for variable, value in {
        "$(BIN)": str(Path(sys.executable).parent),
        "$(HOST)": "127.0.0.1",
        "$(PORT)": str(port),
        "$(DAPHNE_PROXY_HEADERS)": "",  # no proxy in front (FORWARDED_ALLOW_IPS unset)
    }.items():
        command = command.replace(variable, value)
    return shlex.split(command)


@dataclass
class EmbeddedServer:
    base: str
    log_path: Path
    keys: Path
    printed: str

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture(scope="module")
def embedded_server(tmp_path_factory):
    """A fresh clone's `make run`: migrated, keyed and seeded, then served by the Makefile's command."""
    tmp_path = tmp_path_factory.mktemp("embedded")
    env = bare_environment(tmp_path)
    manage(env, "migrate", "--no-input", "-v0")
    manage(env, "generate_jwt_keys", "--if-missing")
    printed = manage(env, "seed_demo", "--clients", "3")
    port = free_port()
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        # Unbuffered, so whatever the server prints is in the file at once, not at exit.
        server = subprocess.Popen(
            make_run_server_argv(port),
            cwd=ROOT,
            env={**env, "PYTHONUNBUFFERED": "1"},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        base = f"http://127.0.0.1:{port}"

        def answering() -> bool:
            if server.poll() is not None:
                raise AssertionError(f"make run's server exited:\n{log_path.read_text(errors='replace')}")
            try:
                urllib.request.urlopen(f"{base}/health", timeout=2)
            except OSError:
                return False
            return True

        wait_until(answering, timeout=30, interval=0.3, message=f"make run's server on {port} (log: {log_path})")
        yield EmbeddedServer(base=base, log_path=log_path, keys=tmp_path / "keys", printed=printed)
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.slow
def test_the_embedded_app_serves_the_admin_with_the_printed_logins(embedded_server):
    assert (embedded_server.keys / "private.pem").stat().st_mode & 0o777 == 0o600
    assert "admin / admin-demo-pass" in embedded_server.printed
    base = embedded_server.base
    health = json.load(urllib.request.urlopen(f"{base}/healthz", timeout=5))
    assert health["components"] == {"database": "ok", "redis": "embedded", "broker": "embedded"}
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    login_page = browser.open(f"{base}/admin/login/", timeout=5).read().decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page).group(1)
    form = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": csrf, "username": "admin", "password": "admin-demo-pass", "next": "/admin/"}
    ).encode()
    request = urllib.request.Request(f"{base}/admin/login/", data=form, headers={"Referer": f"{base}/admin/login/"})
    index = browser.open(request, timeout=10).read().decode()
    assert "Run the club" in index
    clients = browser.open(f"{base}/admin/club/client/", timeout=10).read().decode()
    assert "3 clients" in clients


def get(url: str, headers: dict[str, str] | None = None) -> int:
    try:
        return urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=10).status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.slow
def test_no_token_reaches_the_logs_of_make_run_and_error_lines_carry_the_request_id(embedded_server):
    base = embedded_server.base
    login = urllib.request.Request(
        f"{base}/api/auth/token/",
        data=json.dumps({"username": "trainer", "password": "trainer-demo-pass"}).encode(),
        headers={"Content-Type": "application/json"},
    )
    tokens = json.load(urllib.request.urlopen(login, timeout=10))
    access = tokens["access"]

    # Where the dashboards and devices put a token (`?token=`), over HTTP and WebSocket, answered or not.
    assert get(f"{base}/api/clients/?token={access}") == 401
    assert get(f"{base}/no-such-page?token={access}", {"X-Request-ID": "probe-404"}) == 404
    with ws_connect(f"{base.replace('http', 'ws')}/ws/live?token={access}"):
        pass
    with (
        ws_connect(f"{base.replace('http', 'ws')}/ws/workout?token=x{access}") as refused,
        pytest.raises(ConnectionClosed),
    ):
        refused.recv(timeout=5)
    assert refused.close_code == 4401
    # A last request marks the end: once its line is in the log, so is everything before it.
    assert get(f"{base}/the-last-request", {"X-Request-ID": "probe-end"}) == 404
    wait_until(lambda: "Not Found: /the-last-request" in embedded_server.log(), message="the last request logged")

    log = embedded_server.log()
    for secret in (access, tokens["refresh"]):
        assert secret not in log
        # Not even a part of one: a JWT's signature is its last third.
        assert secret.rsplit(".", 1)[1] not in log
    [not_found] = [line for line in log.splitlines() if "Not Found: /no-such-page" in line]
    assert "[probe-404]" in not_found
