"""Driving Debian's Chromium with Playwright: shared by the browser tests and `make screenshots`."""

import os
import shutil
import socket
import subprocess
import sys
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, Request, Response

from tests.timing import wait_until

BASE_DIR = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}
# A common larger phone (iPhone 12-15): the front desk's journeys run at this width too.
PHONE_390 = {"width": 390, "height": 844}


def chromium_path() -> str | None:
    return CHROMIUM if shutil.which(CHROMIUM) else None


def launch(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


@dataclass
class Problems:
    """Everything that went wrong in a page while the test or script drove it."""

    found: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> Page:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.found.append(f"page error: {error}"))
        page.on("requestfailed", self._failed)
        page.on("response", self._response)
        return page

    def _console(self, message: ConsoleMessage) -> None:
        # Errors include Content-Security-Policy violations, which Chromium reports on the console.
        if message.type in ("error", "assert"):
            self.found.append(f"console {message.type}: {message.text} ({message.location.get('url')})")

    def _failed(self, request: Request) -> None:
        # Chromium aborts what is still loading (a favicon, a poll) when the page navigates away, and
        # a download's navigation: not failures of the app. Refusals show up as HTTP statuses or console errors.
        if request.failure == "net::ERR_ABORTED":
            return
        self.found.append(f"request failed: {request.method} {request.url} ({request.failure})")

    def _response(self, response: Response) -> None:
        if response.status >= 400:
            self.found.append(f"HTTP {response.status}: {response.request.method} {response.url}")


def sign_in(page: Page, base_url: str, username: str, password: str) -> None:
    """Sign in through the session login page, as a person would."""
    page.goto(f"{base_url}/login/?next=/dashboard/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/dashboard/")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class AppServer:
    """daphne serving `tests.browser.asgi` (the real ASGI app plus static files) under the test settings."""

    def __init__(self, env: dict[str, str]) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.ws_url = f"ws://127.0.0.1:{port}"
        daphne = str(Path(sys.executable).with_name("daphne"))
        self.process = subprocess.Popen(
            [daphne, "-v", "0", "-b", "127.0.0.1", "-p", str(port), "tests.browser.asgi:application"],
            cwd=BASE_DIR,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "LOG_LEVEL": "WARNING", **env},
        )

    def wait_ready(self, timeout: float = 30) -> None:
        def answering() -> bool:
            if self.process.poll() is not None:
                raise RuntimeError(f"daphne exited with {self.process.returncode}")
            try:
                urllib.request.urlopen(f"{self.url}/health", timeout=1)
            except OSError:
                return False
            return True

        wait_until(answering, timeout=timeout, interval=0.1, message=f"daphne at {self.url}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
