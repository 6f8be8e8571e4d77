import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.test import override_settings
from playwright.sync_api import sync_playwright

from tests.browser.support import DESKTOP, AppServer, Problems, chromium_path, launch
from tests.eager import celery_tasks_eager

IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="module", autouse=True)
def _database_under_playwright():
    """Playwright's sync API keeps an event loop marked running in this thread; Django would then refuse
    the test's own database work. Allowed for this module only, and the browser closes with it, so
    the loop never outlives these tests."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="module")
def browser():
    if not chromium_path():
        if IN_CI:
            pytest.fail("CI=true but /usr/bin/chromium is missing: install it with `make chromium`.")
        pytest.skip("needs Debian's chromium at /usr/bin/chromium (`make chromium`); CI=true makes this a failure")
    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture
def problems():
    return Problems()


@pytest.fixture
def page(browser, problems):
    """A fresh browser tab; the test fails on any console error, failed request or HTTP error it saw."""
    context = browser.new_context(viewport=DESKTOP, reduced_motion="reduce")
    context.set_default_timeout(10_000)
    page = problems.watch(context.new_page())
    yield page
    context.close()
    assert problems.found == []


@dataclass(frozen=True)
class Server:
    url: str
    ws_url: str | None  # None: the WSGI fallback, which cannot speak WebSocket
    media_root: Path | None


@pytest.fixture(scope="module")
def report_worker(server, tmp_path_factory):
    """A real Celery worker on the suite's broker, writing report files where the server reads them.

    Without a broker the server runs report tasks eagerly in-process, and no worker is needed.
    """
    if server.media_root is None:
        # The WSGI fallback serves from this process: run the task in it, as a worker would.
        with celery_tasks_eager(), override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")):
            yield None
        return
    if not settings.CELERY_BROKER_URL.startswith("amqp"):
        yield None
        return
    from reports.tests.worker import CeleryWorker

    worker = CeleryWorker(media_root=server.media_root, log_path=tmp_path_factory.mktemp("worker") / "worker.log")
    try:
        worker.start()
        yield worker
    finally:
        worker.stop()


@pytest.fixture(scope="module")
def server(request, django_db_setup, django_db_blocker, tmp_path_factory):
    """The app under test, as `make run` serves it: daphne (HTTP and WebSocket) on the test database.

    The server is a separate process, so it needs a database both processes can open: on SQLite's
    in-memory test database the tests fall back to pytest-django's threaded WSGI `live_server`, and
    the journeys that need a WebSocket skip.
    """
    if connection.vendor != "postgresql":
        live_server = request.getfixturevalue("live_server")
        yield Server(url=live_server.url, ws_url=None, media_root=None)
        return
    files = tmp_path_factory.mktemp("browser-server")
    (files / "private.pem").write_text(settings.SIMPLE_JWT["SIGNING_KEY"])
    (files / "public.pem").write_text(settings.SIMPLE_JWT["VERIFYING_KEY"])
    prefix = f"test-browser-{uuid.uuid4().hex[:10]}"
    db = connection.settings_dict
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    app = AppServer(
        {
            "DATABASE_URL": f"postgres://{db['USER'] or 'postgres'}@{host}:{port}/{db['NAME']}",
            # The suite's JWT pair, so a test can mint a device's access token the server accepts.
            "JWT_PRIVATE_KEY_PATH": str(files / "private.pem"),
            "JWT_PUBLIC_KEY_PATH": str(files / "public.pem"),
            "MEDIA_ROOT": str(files / "media"),
            "WORKOUT_COUNTER_KEY_PREFIX": prefix,
            # Debouncing is the workout tests' subject; here a rep a test sends is a rep on the page.
            "REP_MIN_INTERVAL_MS_BY_TYPE": "squat=0",
            # The journeys sign the same people in many times a minute; brute-force limits are the
            # auth tests' subject (they count in the shared cache, across this module's tests).
            "AUTH_THROTTLE_IP_RATE": "10000/min",
            "AUTH_THROTTLE_USERNAME_RATE": "10000/min",
        }
    )
    try:
        app.wait_ready()
        yield Server(url=app.url, ws_url=app.ws_url, media_root=files / "media")
    finally:
        app.stop()
        if settings.REDIS_URL:
            client = redis.Redis.from_url(settings.REDIS_URL)
            if stale := list(client.scan_iter(f"{prefix}:*")):
                client.delete(*stale)
            client.close()
