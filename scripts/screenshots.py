"""`make screenshots`: every dashboard and admin page at desktop (1280 px) and phone (375/390 px) width.

Written to build/screenshots/ (ignored by git), to look at; those that docs/ or the README show are copied
to docs/screenshots/, the only ones committed. `make screenshots-admin` (`--admin`) takes only the
admin's (admin-*.png).

Runs the app on a throwaway SQLite database filled by `seed_demo`, served by daphne on a free port,
and signs in with the demo logins, so the pictures show a believable club.
"""

import datetime
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright
from websockets.sync.client import connect as ws_connect

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser.support import DESKTOP, PHONE, PHONE_390, Problems, chromium_path, launch, sign_in  # noqa: E402

OUT = ROOT / "build" / "screenshots"
DOCUMENTED = ROOT / "docs" / "screenshots"
PYTHON = str(ROOT / ".venv" / "bin" / "python")
DAPHNE = str(ROOT / ".venv" / "bin" / "daphne")
TRAINER = ("trainer", "trainer-demo-pass")
ADMIN = ("admin", "admin-demo-pass")
MEMBER = ("client00001", "client-demo-pass")
# Demo members whose devices stream reps while the live page is photographed: (login, exercise, reps, finish?).
ATHLETES = [
    ("client00002", "squat", 14, False),
    ("client00003", "push_up", 9, False),
    ("client00004", "lunge", 20, True),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(env: dict, *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def wait_until_up(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/health", timeout=1)
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the server at {url} did not start")


def shoot(page: Page, url: str, name: str, phone: dict = PHONE) -> None:
    for label, size in (("desktop", DESKTOP), ("phone", phone)):
        page.set_viewport_size(size)
        page.goto(url)
        page.wait_for_load_state("networkidle")
        page.screenshot(path=OUT / f"{name}-{label}.png", full_page=True)
        print(f"  {name}-{label}.png")


def first_link(page: Page, url: str, pattern: str) -> str:
    page.goto(url)
    href = page.locator(f"#results a[href*='{pattern}']").first.get_attribute("href")
    return href or url


def main(argv: list[str]) -> int:
    # `--admin`: only the admin's pictures (admin-*.png), leaving the dashboards' as they are.
    admin_only = "--admin" in argv
    if not chromium_path():
        print("Chromium is missing: install it with `make chromium`.", file=sys.stderr)
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "DJANGO_DEBUG": "true",  # static files straight from static/, no collectstatic
            "DATABASE_URL": f"sqlite:///{tmp}/screenshots.sqlite3",
            "JWT_PRIVATE_KEY_PATH": f"{tmp}/jwt_private.pem",
            "JWT_PUBLIC_KEY_PATH": f"{tmp}/jwt_public.pem",
            "LOG_LEVEL": "WARNING",
            # The script streams reps faster than a person would; the live page shows every one.
            "REP_MIN_INTERVAL_MS_BY_TYPE": "squat=0;push_up=0;lunge=0",
        }
        for variable in ("REDIS_URL", "CELERY_BROKER_URL"):
            env.pop(variable, None)
        manage(env, "generate_jwt_keys", "--bits", "2048")
        manage(env, "migrate", "--no-input")
        manage(env, "seed_demo", "--clients", "40")
        server = subprocess.Popen(
            [DAPHNE, "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        problems = Problems()
        try:
            wait_until_up(base)
            with sync_playwright() as playwright:
                browser = launch(playwright)
                page = problems.watch(browser.new_context(reduced_motion="reduce").new_page())
                sign_in(page, base, *TRAINER)
                client_url = base + first_link(page, f"{base}/dashboard/clients/?status=ACTIVE", "/dashboard/clients/")
                training_url = base + first_link(page, f"{base}/dashboard/trainings/", "/edit/")
                plan_url = base + first_link(page, f"{base}/dashboard/plans/", "/edit/")
                client_id = re.search(r"/clients/(\d+)/", client_url).group(1)
                pages = {
                    "dashboard": "/dashboard/",
                    "clients": "/dashboard/clients/",
                    "clients-empty-search": "/dashboard/clients/?q=nobody-matches-this",
                    "client-detail": client_url.removeprefix(base),
                    "client-new": "/dashboard/clients/new/",
                    "client-edit": f"/dashboard/clients/{client_id}/edit/",
                    "trainings": "/dashboard/trainings/",
                    "training-new": f"/dashboard/trainings/new/?client={client_id}",
                    "training-edit": training_url.removeprefix(base),
                    "plans": "/dashboard/plans/",
                    "plan-new": f"/dashboard/plans/new/?client={client_id}",
                    "plan-edit": plan_url.removeprefix(base),
                    "exercises": "/dashboard/exercises/",
                }
                if not admin_only:
                    shoot_dashboards(page, base, pages)
                staff = problems.watch(browser.new_context(reduced_motion="reduce").new_page())
                sign_in(staff, base, *ADMIN)
                shoot_admin(staff, base, client_id)

                if not admin_only:
                    member = browser.new_context().new_page()
                    sign_in_member(member, base)
                    shoot(member, f"{base}/dashboard/", "forbidden")
                    shoot(member, f"{base}/dashboard/card/", "member-card")
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)
    publish_documented()
    # The 403 page is expected once per width; anything else is a bug to fix.
    unexpected = [problem for problem in problems.found if "HTTP 403" not in problem]
    for problem in unexpected:
        print(f"PROBLEM: {problem}", file=sys.stderr)
    return 1 if unexpected else 0


def publish_documented() -> None:
    """Copy to docs/screenshots/ the pictures that the docs or the README link; the rest stay in build/."""
    prose = "".join(path.read_text() for path in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
    DOCUMENTED.mkdir(parents=True, exist_ok=True)
    for picture in sorted(OUT.glob("*.png")):
        if picture.name in prose:
            shutil.copyfile(picture, DOCUMENTED / picture.name)
            print(f"  documented: {picture.name}")


def shoot_dashboards(page: Page, base: str, pages: dict[str, str]) -> None:
    """The trainers' pages, a form's errors, the reports and the live page."""
    for name, path in pages.items():
        shoot(page, base + path, name)
    # A form sent empty: every field error next to its field.
    page.set_viewport_size(DESKTOP)
    page.goto(f"{base}/dashboard/clients/new/")
    page.get_by_role("button", name="Create client").click()
    page.screenshot(path=OUT / "client-new-errors-desktop.png", full_page=True)
    print("  client-new-errors-desktop.png")
    shoot_reports(page, base)
    shoot_live(page, base)
    shoot_check_in(page, base)
    shoot_schedule(page, base)


def shoot_schedule(page: Page, base: str) -> None:
    """The trainer's week (this and next), and a full class's page with its waitlist and a member search."""
    shoot(page, f"{base}/dashboard/schedule/", "schedule")
    next_week = datetime.date.today() + datetime.timedelta(days=7)
    shoot(page, f"{base}/dashboard/schedule/?week={next_week:%Y-%m-%d}", "schedule-next-week")
    page.set_viewport_size(DESKTOP)
    page.goto(f"{base}/dashboard/schedule/?week={next_week:%Y-%m-%d}")
    full = page.locator("a.slot-full").first
    href = full.get_attribute("href") if full.count() else page.locator("a.slot-class").first.get_attribute("href")
    shoot(page, f"{base}{href}?q=an", "session-detail")


def save(page: Page, name: str) -> None:
    page.screenshot(path=OUT / f"{name}.png", full_page=True)
    print(f"  {name}.png")


def shoot_reports(page: Page, base: str) -> None:
    """Request two reports through the form (tasks run in-process here), then the finished one and the list."""
    page.set_viewport_size(DESKTOP)
    page.goto(f"{base}/dashboard/reports/")
    page.get_by_role("combobox", name="Report", exact=True).select_option(label="New users")
    page.get_by_role("combobox", name="File format", exact=True).select_option(label="CSV")
    page.get_by_role("button", name="Request report").click()
    page.goto(f"{base}/dashboard/reports/")
    page.get_by_role("combobox", name="Report", exact=True).select_option(label="Club activity")
    page.get_by_role("button", name="Request report").click()
    expect(page.locator("#report-progress")).to_contain_text("Ready to download.")
    detail = page.url.removeprefix(base)
    shoot(page, base + detail, "report-detail")
    shoot(page, f"{base}/dashboard/reports/", "reports")
    # Sent with a period that ends before it starts: the error sits next to its field.
    page.set_viewport_size(DESKTOP)
    page.get_by_label("From").fill("2026-03-31")
    page.get_by_label("To (inclusive)").fill("2026-03-01")
    page.get_by_role("button", name="Request report").click()
    save(page, "reports-errors-desktop")


def access_token(base: str, username: str, password: str) -> str:
    request = urllib.request.Request(
        f"{base}/api/auth/token/",
        data=json.dumps({"username": username, "password": password}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)["access"]


def shoot_live(page: Page, base: str) -> None:
    """The live page while three demo devices stream reps and one of them finishes its workout."""
    page.set_viewport_size(DESKTOP)
    page.goto(f"{base}/dashboard/live/")
    expect(page.locator("[data-live-status]")).to_have_text("Live")
    ws_base = base.replace("http://", "ws://")
    for username, exercise, reps, finish in ATHLETES:
        token = access_token(base, username, "client-demo-pass")
        with ws_connect(f"{ws_base}/ws/workout?token={token}") as device:
            for _ in range(reps):
                device.send(json.dumps({"event": "rep_detected", "type": exercise}))
                device.recv(timeout=5)
        if finish:
            request = urllib.request.Request(
                f"{base}/workout/finish",
                data=json.dumps({"type": exercise}).encode(),
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                method="POST",
            )
            urllib.request.urlopen(request, timeout=5).close()
    expect(page.locator("[data-live-active] tr")).to_have_count(2)
    expect(page.locator("[data-live-finished-count]")).to_have_text("1")
    # Same page, no reload: the counts live only in this page's socket.
    page.wait_for_timeout(1500)  # let the highlight of the last rep fade
    save(page, "live-desktop")
    page.set_viewport_size(PHONE)
    save(page, "live-phone")


TABLET = {"width": 768, "height": 1024}


def shoot_check_in(page: Page, base: str) -> None:
    """The desk after a real scan: a member's card typed like a USB scanner does (keystrokes, then Enter)."""
    desk = f"{base}/dashboard/check-in/"
    verdicts = {}
    for number in range(1, 30):
        username = f"client{number:05d}"
        token = access_token(base, username, "client-demo-pass")
        request = urllib.request.Request(f"{base}/api/me/card/", headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=5) as response:
            payload = json.load(response)["qr_payload"]
        page.set_viewport_size(DESKTOP)
        page.goto(desk)
        page.keyboard.type(payload, delay=1)
        page.keyboard.press("Enter")
        state = page.locator(".desk-state[data-result]")
        expect(state).to_be_visible()
        verdict = state.get_attribute("data-result")
        if verdict in verdicts:
            continue
        verdicts[verdict] = number
        if verdict == "ADMITTED":
            page.wait_for_load_state("networkidle")
            save(page, "check-in-desktop")
            page.set_viewport_size(TABLET)
            save(page, "check-in-tablet")
            page.set_viewport_size(PHONE)
            save(page, "check-in-phone")
        elif verdict == "DENIED":
            page.set_viewport_size(DESKTOP)
            save(page, "check-in-denied-desktop")
        if {"ADMITTED", "DENIED"} <= set(verdicts):
            break
    # A name typed at the desk: the htmx search lists the members to pick from.
    page.set_viewport_size(DESKTOP)
    page.goto(desk)
    page.keyboard.type("ova")
    expect(page.locator(".desk-matches")).to_be_visible()
    save(page, "check-in-search-desktop")
    page.goto(f"{base}/dashboard/clients/")
    client = page.locator("#results a[href*='/dashboard/clients/']").first.get_attribute("href")
    shoot(page, f"{base}{client}card/", "printed-card")


def shoot_admin(page: Page, base: str, client_id: str) -> None:
    """The staff admin at desktop and phone width: every list and change form, our links and actions."""
    page.set_viewport_size(DESKTOP)
    # Two progress reports through the client list's action (tasks run in-process here), so the
    # reports list has a client column to show.
    page.goto(f"{base}/admin/club/client/")
    page.locator("#result_list input.action-select").nth(0).check()
    page.locator("#result_list input.action-select").nth(1).check()
    page.get_by_role("combobox", name="Action").select_option("request_progress_reports")
    page.get_by_role("button", name="Run").click()
    expect(page.locator(".messagelist")).to_contain_text("requested")

    def first_change(changelist: str) -> str:
        page.goto(base + changelist)
        return page.locator("#result_list tbody tr a").first.get_attribute("href") or changelist

    pages = {
        "admin-index": "/admin/",
        "admin-clients": "/admin/club/client/",
        "admin-clients-empty-search": "/admin/club/client/?q=nobody-matches-this",
        "admin-client-change": f"/admin/club/client/{client_id}/change/",
        "admin-memberships": "/admin/club/membership/",
        "admin-membership-change": first_change("/admin/club/membership/?o=-1"),
        "admin-payments": "/admin/club/payment/",
        "admin-payment-change": first_change("/admin/club/payment/"),
        "admin-users": "/admin/accounts/user/",
        "admin-user-change": first_change("/admin/accounts/user/?role__exact=USER"),
        "admin-exercises": "/admin/training/exercise/",
        "admin-exercise-change": first_change("/admin/training/exercise/"),
        "admin-trainings": "/admin/training/training/",
        "admin-training-change": first_change("/admin/training/training/"),
        "admin-plans": "/admin/training/trainingplan/",
        "admin-plan-change": first_change("/admin/training/trainingplan/"),
        "admin-reports": "/admin/reports/report/",
        "admin-report-change": first_change("/admin/reports/report/?kind__exact=client_progress"),
        "admin-workouts": "/admin/workouts/workoutsession/",
        "admin-workout-change": first_change("/admin/workouts/workoutsession/"),
        "admin-class-sessions": "/admin/classes/classsession/",
        "admin-class-session-change": first_change("/admin/classes/classsession/?status__exact=SCHEDULED"),
        "admin-timetable": "/admin/classes/timetablerule/",
        "admin-class-types": "/admin/classes/classtype/",
        "admin-visits": "/admin/attendance/visit/",
    }
    shoot_desk(page, base, client_id)
    for name, path in pages.items():
        shoot(page, base + path, name)


def shoot_desk(page: Page, base: str, client_id: str) -> None:
    """The front desk's pages (docs/front-desk.md), the phone at 390 px: a sale through the form first, so
    the client's ledger, the refund page and today's cash-up have something of today to show."""
    shoot(page, f"{base}/admin/club/client/new-member/", "admin-new-member", PHONE_390)
    page.set_viewport_size(DESKTOP)
    page.goto(f"{base}/admin/club/client/new-member/")
    page.get_by_role("button", name="Create member and take payment").click()
    save(page, "admin-new-member-errors-desktop")
    shoot(page, f"{base}/admin/club/client/{client_id}/sell/", "admin-client-sell", PHONE_390)
    shoot(page, f"{base}/admin/club/client/{client_id}/hold/", "admin-client-hold", PHONE_390)
    page.set_viewport_size(DESKTOP)
    page.goto(f"{base}/admin/club/client/{client_id}/sell/")
    page.get_by_label("Cash").check()
    page.get_by_role("button", name="Take payment").click()
    expect(page.locator(".messagelist .success")).to_contain_text("open the PDF")
    save(page, "admin-client-sold-desktop")
    payment_id = re.search(r"/api/payments/(\d+)/receipt/", page.content()).group(1)
    shoot(page, f"{base}/admin/club/payment/{payment_id}/refund/", "admin-payment-refund", PHONE_390)
    shoot(page, f"{base}/admin/club/payment/cash-up/", "admin-cash-up", PHONE_390)


def sign_in_member(page: Page, base: str) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill(MEMBER[0])
    page.get_by_label("Password").fill(MEMBER[1])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
