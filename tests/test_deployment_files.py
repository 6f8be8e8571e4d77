"""docker-compose.yml, the Dockerfile and .env.example describe a topology that can really start.

No container engine runs on the CI machines, so the structure is checked here.
"""

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
NGINX_CONF = ROOT / "deploy" / "nginx.conf"
APP_SERVICES = ["web-http", "web-ws", "worker", "staff-worker", "notifications-worker", "beat", "payments"]
WEB_SERVICES = ["web-http", "web-ws"]
LONG_RUNNING = ["postgres", "redis", "rabbitmq", *APP_SERVICES, "proxy"]
SPEC_VARIABLES = {
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "DJANGO_SECRET_KEY",
    "DJANGO_ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "JWT_PRIVATE_KEY_PATH",
    "JWT_PUBLIC_KEY_PATH",
    "JWT_ACCESS_MINUTES",
    "JWT_REFRESH_DAYS",
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_BOT_USERNAME",
    "TELEGRAM_WEBHOOK_SECRET",
    "TELEGRAM_AUTH_MAX_AGE",
    "REP_MIN_INTERVAL_MS",
    "MEDIA_ROOT",
    "PAYMENT_SERVICE_URL",
}


def example_variables() -> set[str]:
    lines = (ROOT / ".env.example").read_text().splitlines()
    return {line.split("=", 1)[0] for line in lines if line and not line.startswith("#")}


def settings_source() -> str:
    return "".join(path.read_text() for path in (ROOT / "config" / "settings").glob("*.py"))


def gunicorn_source() -> str:
    return (ROOT / "config" / "gunicorn.py").read_text()


def variables_read_by_settings() -> set[str]:
    return set(re.findall(r"env(?:\.\w+)?\(\s*\"([A-Z0-9_]+)\"", settings_source()))


def test_compose_runs_the_whole_topology():
    assert set(SERVICES) == {*LONG_RUNNING, "migrate"}


@pytest.mark.parametrize(
    "name", ["postgres", "redis", "rabbitmq", *WEB_SERVICES, "proxy", "worker", "staff-worker", "notifications-worker"]
)
def test_long_running_services_have_health_checks(name):
    assert SERVICES[name]["healthcheck"]["test"]


def test_redis_keeps_its_data_in_an_append_only_file_fsynced_every_second_on_a_volume():
    # The rep counters' durability is Redis's: nothing in the web processes re-seeds it.
    redis_service = SERVICES["redis"]
    command = redis_service["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert command[command.index("--appendfsync") + 1] == "everysec"
    data_dir = command[command.index("--dir") + 1]
    assert any(volume.split(":")[1] == data_dir for volume in redis_service["volumes"])


@pytest.mark.parametrize("name", LONG_RUNNING)
def test_every_long_running_service_restarts_by_itself(name):
    assert SERVICES[name]["restart"] == "unless-stopped"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_wait_for_healthy_backing_services_and_use_production_settings(name):
    service = SERVICES[name]
    backing = ("postgres", "redis", "rabbitmq")
    assert {name: service["depends_on"][name] for name in backing} == {
        name: {"condition": "service_healthy"} for name in backing
    }
    assert service["environment"]["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
    assert service["env_file"] == ".env"


def test_migrations_run_once_before_any_web_process_starts():
    assert "manage.py migrate" in SERVICES["migrate"]["command"]
    assert SERVICES["migrate"]["restart"] == "no"
    for name in WEB_SERVICES:
        assert SERVICES[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        assert "migrate" not in SERVICES[name]["command"]


def test_web_and_worker_run_several_replicas_and_beat_exactly_one():
    for name in WEB_SERVICES:
        assert SERVICES[name]["deploy"]["replicas"] >= 2
    assert SERVICES["worker"]["deploy"]["replicas"] >= 2
    assert SERVICES["beat"].get("deploy", {}).get("replicas", 1) == 1


def test_every_app_process_writes_metrics_to_one_shared_tmpfs_directory():
    # prometheus_client's multiprocess mode: shared by the host's processes, emptied on restart.
    for name in APP_SERVICES:
        assert SERVICES[name]["environment"]["PROMETHEUS_MULTIPROC_DIR"] == "/run/metrics"
        assert "metrics:/run/metrics" in SERVICES[name]["volumes"]
    assert COMPOSE["volumes"]["metrics"]["driver_opts"]["type"] == "tmpfs"


def test_processes_get_longer_to_stop_than_a_request_gets_to_finish():
    grace = float(re.search(r'"WEB_SHUTDOWN_GRACE_SECONDS"\) or ([\d.]+)', gunicorn_source()).group(1))
    for name in APP_SERVICES:
        assert int(SERVICES[name]["stop_grace_period"].removesuffix("s")) > grace


def test_the_procfile_runs_the_same_processes_as_compose():
    lines = (ROOT / "Procfile").read_text().splitlines()
    procfile = dict(line.split(": ", 1) for line in lines if line and not line.startswith("#"))
    assert set(procfile) == set(APP_SERVICES)
    for name in WEB_SERVICES:
        assert procfile[name].split()[0] == SERVICES[name]["command"].split()[0]
    assert " ".join(SERVICES["payments"]["command"]) in procfile["payments"]


def worker_queues(argv: list[str]) -> list[str]:
    return argv[argv.index("-Q") + 1].split(",")


def test_staff_reports_have_a_worker_of_their_own_and_every_queue_a_consumer():
    # Issue 11: clients' reports, however many, never delay staff's (docs/operations.md, "Report queues").
    lines = (ROOT / "Procfile").read_text().splitlines()
    procfile = dict(line.split(": ", 1) for line in lines if line and not line.startswith("#"))
    for argv in (procfile["worker"].split(), SERVICES["worker"]["command"]):
        assert worker_queues(argv) == ["celery", "reports_staff", "reports"]
    for argv in (procfile["staff-worker"].split(), SERVICES["staff-worker"]["command"]):
        assert worker_queues(argv) == ["reports_staff"]
        assert argv[argv.index("--hostname") + 1] == "staff@%h"  # not the workers' celery@%h on a shared host


def test_notifications_have_workers_of_their_own():
    # Issue 16: Telegram messages never wait behind reports, nor reports behind them (docs/telegram.md).
    lines = (ROOT / "Procfile").read_text().splitlines()
    procfile = dict(line.split(": ", 1) for line in lines if line and not line.startswith("#"))
    for argv in (procfile["notifications-worker"].split(), SERVICES["notifications-worker"]["command"]):
        assert worker_queues(argv) == ["notifications"]
        assert argv[argv.index("--hostname") + 1] == "notifications@%h"
    assert SERVICES["notifications-worker"]["deploy"]["replicas"] >= 2
    for name in ("worker", "staff-worker"):
        assert "notifications" not in worker_queues(SERVICES[name]["command"])


def test_http_is_served_by_gunicorn_and_websockets_by_stock_uvicorn_everywhere():
    commands = web_commands()
    assert len(commands) == 9  # Procfile 2, compose 2, Dockerfile 1, docs/deployment.md 4
    for command in commands:
        server = command.split()[0].rsplit("/", 1)[-1]
        if server == "gunicorn":
            assert "-c python:config.gunicorn " in command, command
            assert command.endswith("config.wsgi:application"), command
        else:
            assert server == "uvicorn", command
            assert command.endswith("config.asgi:application"), command
            assert "--ws " not in command, command  # uvicorn's own WebSocket protocol, nothing patched


def test_the_proxy_routes_websockets_to_uvicorn_and_the_rest_to_gunicorn():
    conf = NGINX_CONF.read_text()
    ws_location = re.search(r"location /ws/ \{(.*?)\n        \}", conf, re.DOTALL).group(1)
    http_location = re.search(r"location / \{(.*?)\n        \}", conf, re.DOTALL).group(1)
    assert "proxy_pass http://web_ws;" in ws_location
    assert "Upgrade $http_upgrade" in ws_location
    assert "proxy_pass http://web_http;" in http_location
    assert re.search(r"upstream web_ws \{\s*server web-ws:8001;", conf)
    assert re.search(r"upstream web_http \{[^}]*server web-http:8000;", conf)
    assert "./deploy/nginx.conf:/etc/nginx/nginx.conf:ro" in SERVICES["proxy"]["volumes"]


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed (apt-get install nginx)")
def test_the_proxy_configuration_passes_nginx_t(tmp_path):
    # Compose's service names resolve only on its network: the same file, upstreams on loopback.
    conf = NGINX_CONF.read_text().replace("web-http:8000", "127.0.0.1:8000").replace("web-ws:8001", "127.0.0.1:8001")
    (tmp_path / "nginx.conf").write_text(re.sub(r"(?m)^pid .*;$", f"pid {tmp_path / 'nginx.pid'};", conf))
    check = subprocess.run(
        ["nginx", "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert check.returncode == 0, check.stderr
    assert "test is successful" in check.stderr


def web_commands() -> list[str]:
    """Every gunicorn and uvicorn web command: Procfile, compose, Dockerfile and the ones docs/deployment.md shows."""
    procfile = (ROOT / "Procfile").read_text()
    dockerfile = re.search(r"^CMD (.*)$", (ROOT / "Dockerfile").read_text(), re.MULTILINE).group(1)
    deployment = (ROOT / "docs" / "deployment.md").read_text()
    return [
        *re.findall(r"^web-(?:http|ws): (.*)$", procfile, re.MULTILINE),
        *(SERVICES[name]["command"].strip() for name in WEB_SERVICES),
        json.loads(dockerfile)[-1].removeprefix("exec "),
        *re.findall(r"(?:/srv/club/\.venv/bin/)?(?:gunicorn|uvicorn) -[^`\n]*", deployment),
    ]


def test_every_web_process_believes_forwarded_headers_only_from_the_configured_proxies():
    # Without the option uvicorn believes X-Forwarded-For from loopback (or $FORWARDED_ALLOW_IPS when
    # set): a same-host proxy would let any client choose its throttle address (issue 11).
    commands = web_commands()
    assert len(commands) == 9  # Procfile 2, compose 2, Dockerfile 1, docs/deployment.md 4
    for command in commands:
        assert re.search(r"--forwarded-allow-ips \"?\$\{FORWARDED_ALLOW_IPS(:-)?\}\"? ", command), command


def test_daphne_believes_forwarded_headers_only_when_a_proxy_is_configured():
    run = subprocess.run(
        ["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True, env={**os.environ, "FORWARDED_ALLOW_IPS": ""}
    )
    behind = subprocess.run(
        ["make", "-n", "run"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "FORWARDED_ALLOW_IPS": "10.0.0.2"},
    )
    daphne = next(line for line in run.stdout.splitlines() if "bin/daphne" in line)
    assert "--proxy-headers" not in daphne
    assert "--proxy-headers" in next(line for line in behind.stdout.splitlines() if "bin/daphne" in line)


def test_env_example_names_only_settings_that_exist():
    compose_only = {"POSTGRES_PASSWORD"}
    web_server_only = set(re.findall(r'os\.environ\.get\("(\w+)"\)', gunicorn_source()))  # config/gunicorn.py
    assert example_variables() - compose_only - web_server_only <= variables_read_by_settings()


def test_env_example_covers_the_spec_configuration():
    assert example_variables() >= SPEC_VARIABLES


def test_dockerfile_is_pinned_and_runs_as_non_root():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.13\.\d+-slim", dockerfile, re.MULTILINE)
    assert re.search(r"^USER (?!root)\w+", dockerfile, re.MULTILINE)
    assert "collectstatic" in dockerfile


@pytest.mark.slow
def test_check_deploy_is_clean_under_the_production_settings(tmp_path, settings):
    (tmp_path / "private.pem").write_text(settings.SIMPLE_JWT["SIGNING_KEY"])
    (tmp_path / "public.pem").write_text(settings.SIMPLE_JWT["VERIFYING_KEY"])
    env = {
        "JWT_PRIVATE_KEY_PATH": str(tmp_path / "private.pem"),
        "JWT_PUBLIC_KEY_PATH": str(tmp_path / "public.pem"),
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    assert_check_deploy_passes(env)


def assert_check_deploy_passes(env: dict[str, str]) -> None:
    check = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "System check identified no issues" in check.stdout


def example_environment() -> dict[str, str]:
    """`.env.example` read as compose's `env_file` reads it: `NAME=value` lines, comments and blanks skipped."""
    lines = (ROOT / ".env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line.strip() and not line.startswith("#"))


@pytest.mark.slow
def test_check_deploy_passes_with_env_example_as_it_stands(tmp_path, settings):
    # Only the key files come from elsewhere: they are created per deployment, in the `keys` volume
    # at /app/keys, by compose's migrate service (`generate_jwt_keys --if-missing`).
    (tmp_path / "private.pem").write_text(settings.SIMPLE_JWT["SIGNING_KEY"])
    (tmp_path / "public.pem").write_text(settings.SIMPLE_JWT["VERIFYING_KEY"])
    env = {
        "PATH": os.environ["PATH"],  # nothing else of this machine's environment: the example alone
        **example_environment(),
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "JWT_PRIVATE_KEY_PATH": str(tmp_path / "private.pem"),
        "JWT_PUBLIC_KEY_PATH": str(tmp_path / "public.pem"),
    }
    assert_check_deploy_passes(env)
