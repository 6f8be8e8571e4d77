"""`make run` on a fresh clone: no settings at all gives SQLite, the in-memory layer and eager Celery."""

import http.cookiejar
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

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


@pytest.mark.slow
def test_the_embedded_app_serves_the_admin_with_the_printed_logins(tmp_path):
    env = bare_environment(tmp_path)
    manage(env, "migrate", "--no-input", "-v0")
    manage(env, "generate_jwt_keys", "--if-missing")
    assert (tmp_path / "keys" / "private.pem").stat().st_mode & 0o777 == 0o600
    printed = manage(env, "seed_demo", "--clients", "3")
    assert "admin / admin-demo-pass" in printed

    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "daphne"), "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                health = json.load(urllib.request.urlopen(f"{base}/healthz", timeout=2))
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
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
    finally:
        server.terminate()
        server.wait(timeout=10)
