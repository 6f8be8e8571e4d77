"""The trainers' dashboards and the staff admin in a real Chromium, against daphne serving HTTP and WebSocket.

A few long journeys rather than many short tests: each browser context costs time. Every test fails on
any console error (CSP violations included), failed request or HTTP error status (the `page` fixture).
"""

import json
import re
import urllib.request

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from rest_framework_simplejwt.tokens import AccessToken
from websockets.sync.client import connect as ws_connect

from accounts.tests.factories import AdminFactory, TrainerFactory, UserFactory
from club.tests.factories import ClientFactory, MembershipFactory
from reports.models import Report
from tests.browser.support import DESKTOP, PHONE, sign_in
from training.models import Exercise, Training, TrainingPlan
from training.tests.factories import ExerciseFactory, TrainingExerciseFactory, TrainingFactory, TrainingPlanFactory
from workouts.models import WorkoutSession
from workouts.tests.factories import WorkoutSessionFactory

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"


@pytest.fixture
def club():
    """A small club: a membership, a catalog, and one member with history for the pages to show."""
    membership = MembershipFactory(access_level="PREMIUM")
    for title, group in [("Back squat", "LEGS"), ("Bench press", "CHEST"), ("Plank", "CORE"), ("Pull-up", "BACK")]:
        ExerciseFactory(title=title, muscle_group=group)
    member = ClientFactory(first_name="Olga", last_name="Sidorova", membership=membership)
    training = TrainingFactory(client=member, title="Leg day", date=timezone.localdate())
    TrainingExerciseFactory(training=training, order_in_training=1, extra_weight=40)
    TrainingPlanFactory(user=member.user, title="Olga's block").trainings.add(training)
    WorkoutSessionFactory(user=member.user, total_reps=30)
    return {"membership": membership, "member": member, "training": training}


def row_titles(page: Page) -> list[str]:
    rows = page.locator("[data-row]:visible select[name$='-exercise']")
    return [
        rows.nth(i).evaluate("select => select.selectedOptions[0].text.split(' · ')[0]") for i in range(rows.count())
    ]


def add_exercise(page: Page, label: str) -> None:
    page.get_by_role("button", name="+ Add exercise").click()
    select = page.locator("[data-row]:visible select[name$='-exercise']").last
    expect(select).to_be_focused()
    select.select_option(label=label)


def test_a_trainer_signs_up_a_client_builds_a_training_and_a_plan(server, page, club):
    TrainerFactory(username="coach")
    base = server.url
    sign_in(page, base, "coach", PASSWORD)
    expect(page.get_by_role("heading", name="Today at a glance")).to_be_visible()

    # A new member, account and profile in one form.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Clients").click()
    page.get_by_role("link", name="New client").click()
    page.get_by_label("Username").fill("maria.k")
    page.get_by_label("Email").fill("maria@example.com")
    page.get_by_label("Password").fill("squat-rack-2026")
    page.get_by_label("First name").fill("Maria")
    page.get_by_label("Last name").fill("Kuznetsova")
    page.get_by_label("Phone number").fill("+7 912 555 0101")
    page.get_by_label("Date of birth").fill("1994-03-02")
    page.get_by_role("combobox", name="Membership", exact=True).select_option(str(club["membership"].pk))
    page.get_by_role("button", name="Create client").click()
    expect(page.get_by_role("heading", name="Maria Kuznetsova")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("can sign in as maria.k")

    # A training of three exercises, reordered with the buttons and by dragging.
    page.get_by_role("link", name="New training").click()
    page.get_by_label("Title").fill("Strength A")
    for label in ("Back squat · Legs", "Bench press · Chest", "Plank · Core"):
        add_exercise(page, label)
    expect(page.locator("[data-row]:visible [data-number]")).to_have_text(["1", "2", "3"])
    plank = page.locator("[data-row]:visible").filter(has=page.locator("option:checked", has_text="Plank"))
    plank.get_by_role("button", name="Move this exercise up").click()
    plank.get_by_role("button", name="Move this exercise up").click()
    assert row_titles(page) == ["Plank", "Back squat", "Bench press"]
    expect(page.locator("[data-rows-status]")).to_have_text("Plank moved to position 1.")
    rows = page.locator("[data-row]:visible")
    rows.nth(2).locator("[data-handle]").drag_to(rows.nth(0), target_position={"x": 20, "y": 5})
    assert row_titles(page) == ["Bench press", "Plank", "Back squat"]
    page.get_by_role("button", name="Create training").click()
    expect(page.get_by_role("status")).to_contain_text("Created “Strength A” with 3 exercises.")
    training = Training.objects.get(title="Strength A")
    assert [(r.exercise.title, r.order_in_training) for r in training.exercise_rows.order_by("order_in_training")] == [
        ("Bench press", 1),
        ("Plank", 2),
        ("Back squat", 3),
    ]

    # A plan of that training, assigned to the member, then its status changed from the list.
    page.get_by_role("link", name="Maria Kuznetsova").click()
    page.get_by_role("link", name="New plan").click()
    page.get_by_label("Title").fill("Maria's first month")
    page.get_by_label("Status").select_option("PREPARED")
    page.get_by_label(re.compile("Strength A")).check()
    page.get_by_role("button", name="Create plan").click()
    expect(page.get_by_role("status")).to_contain_text("Created the plan “Maria's first month”")
    page.get_by_label("Status of Maria's first month").select_option("ACTIVE")
    page.get_by_role("row", name=re.compile("Maria's first month")).get_by_role("button", name="Set").click()
    expect(page.get_by_role("status")).to_contain_text("“Maria's first month” is now active.")
    plan = TrainingPlan.objects.get(title="Maria's first month")
    assert (plan.user.username, plan.status, list(plan.trainings.all())) == ("maria.k", "ACTIVE", [training])

    # Choosing another client in the plan form swaps in that client's trainings (htmx).
    page.get_by_role("link", name="New plan").click()
    # The client picker lists 20 at most; typing asks the server for the matches.
    page.get_by_role("searchbox", name=re.compile("Search by name or phone")).fill("sidor")
    olga = f"Olga Sidorova · @{club['member'].user.username}"
    expect(page.get_by_label("For client").locator("option")).to_have_text(["Choose one of 1 match", olga])
    page.get_by_label("For client").select_option(label=olga)
    expect(page.get_by_label(re.compile("Leg day"))).to_be_visible()

    # Live search of the catalog and of the clients (htmx swaps only the results).
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Exercises").click()
    page.get_by_label("Search").fill("squat")
    expect(page.locator(".tile")).to_have_count(1)
    page.get_by_label("Search").fill("")
    expect(page.locator(".tile")).to_have_count(Exercise.objects.count())
    page.get_by_role("link", name="Chest").click()
    expect(page.locator(".tile-title")).to_have_text(["Bench press"])
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Clients").click()
    # The trainer signed Maria up, so she is among "My clients" (the default) with or without a search.
    expect(page.get_by_label("Clients", exact=True)).to_have_value("mine")
    page.get_by_label("Search").fill("kuzne")
    expect(page).to_have_url(re.compile("q=kuzne"))
    expect(page.locator("#results tbody tr")).to_have_count(1)


ADMIN_PAGES = [
    ("/dashboard/", "Today at a glance"),
    ("/dashboard/clients/", "Clients"),
    ("/dashboard/clients/new/", "New client"),
    ("/dashboard/trainings/", "Trainings"),
    ("/dashboard/trainings/new/", "New training"),
    ("/dashboard/plans/", "Training plans"),
    ("/dashboard/plans/new/", "New training plan"),
    ("/dashboard/exercises/", "Exercise catalog"),
    ("/dashboard/live/", "Live workouts"),
    ("/dashboard/reports/", "Reports"),
]
# The staff admin: the same strict CSP, so any inline script of its pages would fail here.
ADMIN_SITE_PAGES = [
    ("/admin/", "Run the club"),
    ("/admin/club/client/", "Select client to change"),
    ("/admin/club/client/add/", "Add client"),
    ("/admin/club/client/new-member/", "New member"),
    ("/admin/club/payment/cash-up/", "Cash-up for"),
    ("/admin/club/membership/", "Select membership to change"),
    ("/admin/club/payment/", "Select payment to change"),
    ("/admin/accounts/user/", "Select user to change"),
    ("/admin/training/exercise/", "Select exercise to change"),
    ("/admin/training/training/", "Select training to change"),
    ("/admin/training/trainingplan/", "Select training plan to change"),
    ("/admin/reports/report/", "Select report to view"),
    ("/admin/workouts/workoutsession/", "Select workout session to change"),
]
# Every column in view: no list wider than its box (static/css/admin.css), no page wider than the window.
NOTHING_SIDEWAYS = """() => [...document.querySelectorAll('.results')].every(box => box.scrollWidth <= box.clientWidth)
    && document.documentElement.scrollWidth <= window.innerWidth"""


def test_an_admin_walks_every_page_at_desktop_and_phone_width(server, page, club):
    AdminFactory(username="boss")
    member, training = club["member"], club["training"]
    pages = [
        # The WSGI fallback has no WebSocket: the live page would log its failed socket.
        *(entry for entry in ADMIN_PAGES if server.ws_url or entry[0] != "/dashboard/live/"),
        (f"/dashboard/clients/{member.pk}/", "Olga Sidorova"),
        (f"/dashboard/clients/{member.pk}/edit/", "Edit profile"),
        (f"/dashboard/trainings/{training.pk}/edit/", "Leg day"),
        (f"/dashboard/plans/{member.user.training_plans.get().pk}/edit/", "Olga's block"),
    ]
    sign_in(page, server.url, "boss", PASSWORD)
    # Keyboard basics: the first Tab reaches "Skip to content", which moves focus to the page's main region.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    for size in (None, PHONE):
        if size:
            page.set_viewport_size(size)
        for path, heading in pages:
            page.goto(server.url + path)
            expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
            # Nothing sticks out sideways: a phone never needs to scroll the page horizontally.
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (path, size)
    for size in ({"width": 1280, "height": 900}, PHONE):
        page.set_viewport_size(size)
        member_pages = [
            (f"/admin/club/client/{member.pk}/change/", "Change client"),
            (f"/admin/club/client/{member.pk}/sell/", "Sell / renew: Olga Sidorova"),
            (f"/admin/club/client/{member.pk}/hold/", "Hold: Olga Sidorova"),
            (f"/admin/club/client/{member.pk}/correct/", "Correct paid-until: Olga Sidorova"),
        ]
        for path, heading in [*ADMIN_SITE_PAGES, *member_pages]:
            page.goto(server.url + path)
            expect(page.locator("h1, h2").first).to_contain_text(heading)
            assert page.evaluate(NOTHING_SIDEWAYS), (path, size)
    page.goto(f"{server.url}/dashboard/clients/{member.pk}/")
    expect(page.locator("canvas[data-chart]")).to_have_count(3)


def send_reps(ws_url: str, token: str, count: int) -> int:
    """A workout device: `count` reps over `/ws/workout`; returns the last total the server answered."""
    with ws_connect(f"{ws_url}/ws/workout?token={token}") as device:
        for _ in range(count):
            device.send(json.dumps({"event": "rep_detected", "type": "squat"}))
            reply = json.loads(device.recv(timeout=5))
            assert reply["event"] == "rep_update", reply
    return reply["total_reps"]


def test_a_trainer_watches_a_live_count_rise_and_the_workout_finish(server, page):
    if server.ws_url is None:
        pytest.skip("needs the daphne server on PostgreSQL: WebSocket is not served by the WSGI fallback")
    TrainerFactory(username="coach")
    athlete = UserFactory(username="ivan.p")
    token = str(AccessToken.for_user(athlete))
    sign_in(page, server.url, "coach", PASSWORD)
    live_link = page.get_by_role("navigation", name="Main").get_by_role("link", name="Live")
    live_link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Live workouts")
    expect(page.get_by_role("status").filter(has_text="Live")).to_have_text("Live")
    expect(page.get_by_text("Nobody is counting reps right now.")).to_be_visible()

    # A workout that started while the page was closed is there as soon as it opens.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Clients").click()
    assert send_reps(server.ws_url, token, 2) == 2
    live_link.click()
    row = page.locator("[data-live-active] tr", has_text="ivan.p")
    expect(row.locator(".live-count")).to_have_text("2")
    expect(page.get_by_text("Nobody is counting reps right now.")).to_be_hidden()
    expect(page.locator("[data-live-active-count]")).to_have_text("1")
    expect(page.locator("[data-live-rep-count]")).to_have_text("0")  # counted before the page opened

    # The device streams more reps over its own socket; the trainer's page follows within a tick.
    assert send_reps(server.ws_url, token, 3) == 5
    expect(row.locator(".live-count")).to_have_text("5")
    expect(page.locator("[data-live-active-count]")).to_have_text("1")
    expect(page.locator("[data-live-rep-count]")).to_have_text("3")

    # The device finishes: the count leaves "In progress" and the saved workout heads the finished list.
    finish = urllib.request.Request(
        f"{server.url}/workout/finish",
        data=json.dumps({"type": "squat"}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(finish, timeout=5) as response:
        assert response.status == 201
    finished = page.locator("[data-live-finished] tr").first
    expect(finished).to_contain_text("ivan.p")
    expect(finished.locator("td").last).to_have_text("5")
    expect(row).to_have_count(0)
    expect(page.get_by_text("Nobody is counting reps right now.")).to_be_visible()
    expect(page.locator("[data-live-announce]")).to_have_text("ivan.p finished 5 squat.")


@pytest.mark.parametrize("size", [DESKTOP, {"width": 390, "height": 844}], ids=["1280px", "390px"])
def test_a_trainer_sees_the_member_by_name_and_ends_a_workout_left_idle(server, page, size):
    if server.ws_url is None:
        pytest.skip("needs the daphne server on PostgreSQL: WebSocket is not served by the WSGI fallback")
    coach = TrainerFactory(username="coach")
    member = ClientFactory(first_name="Maria", last_name="Kuznetsova", user=UserFactory(username="maria.k"))
    token = str(AccessToken.for_user(member.user))
    page.set_viewport_size(size)
    page.clock.install()  # the page's own clock: "idle" is minutes away, the test fast-forwards to it
    sign_in(page, server.url, "coach", PASSWORD)
    page.goto(f"{server.url}/dashboard/live/")
    expect(page.get_by_role("status").filter(has_text="Live")).to_have_text("Live")

    # The first rep's event names the member and links the client page: no reload, no @handle only.
    assert send_reps(server.ws_url, token, 3) == 3
    row = page.locator("[data-live-active] tr", has_text="Maria Kuznetsova")
    expect(row.locator(".live-count")).to_have_text("3")
    link = row.get_by_role("link", name="Maria Kuznetsova")
    expect(link).to_have_attribute("href", f"/dashboard/clients/{member.pk}/")
    expect(row).to_contain_text("@maria.k")
    expect(page.locator("[data-live-active-count]")).to_have_text("1")

    # The device never finishes: past WORKOUT_IDLE_MINUTES (10) the row moves to "Idle".
    page.clock.fast_forward("11:00")
    idle = page.locator("[data-live-idle] tr", has_text="Maria Kuznetsova")
    expect(idle).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("^Idle"))).to_be_visible()
    expect(page.locator("[data-live-active] tr")).to_have_count(0)
    expect(page.locator("[data-live-active-count]")).to_have_text("0")
    assert page.evaluate(NOTHING_SIDEWAYS), size

    # Staff end it: saved like a finish, with who ended it, and listed at once.
    idle.get_by_role("button", name="End workout").click()
    expect(idle).to_have_count(0)
    finished = page.locator("[data-live-finished] tr").first
    expect(finished).to_contain_text("Maria Kuznetsova")
    expect(finished).to_contain_text("ended by @coach")
    expect(finished.locator("td").last).to_have_text("3")
    expect(page.locator("[data-live-idle-section]")).to_be_hidden()
    session = WorkoutSession.objects.get(user=member.user)
    assert (session.total_reps, session.ended_by_id) == (3, coach.pk)


def test_staff_request_a_report_follow_its_progress_and_download_it(server, report_worker, page, club):
    AdminFactory(username="boss")
    member = club["member"]
    sign_in(page, server.url, "boss", PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    expect(page.get_by_text("No reports yet.")).to_be_visible()

    # The client field shows only for the report about one client; a bad period is refused next to its field.
    client_choice = page.get_by_role("combobox", name="Client", exact=True)
    expect(client_choice).to_be_hidden()
    page.get_by_role("combobox", name="Report", exact=True).select_option(label="Client progress")
    client_choice.select_option(str(member.pk))
    page.get_by_label("From").fill("2026-03-31")
    page.get_by_label("To (inclusive)").fill("2026-03-01")
    page.get_by_label("File format").select_option(label="PDF")
    page.get_by_role("button", name="Request report").click()
    to_field = page.get_by_label("To (inclusive)")
    expect(to_field).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_date_to_error")).to_have_text("date_to must be on or after date_from.")
    assert not Report.objects.exists()

    # This month, so the report has the member's training of today in it.
    today = timezone.localdate()
    page.get_by_label("From").fill(f"{today:%Y-%m}-01")
    to_field.fill(today.isoformat())
    page.get_by_role("button", name="Request report").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Client progress")
    expect(page.locator(".messages")).to_contain_text("Client progress requested")
    # htmx polls the progress every second until the worker is done, then stops.
    download = page.get_by_role("link", name="Download PDF")
    expect(download).to_be_visible(timeout=30_000)
    expect(page.locator("#report-progress")).to_contain_text("Ready to download.")
    expect(page.locator("#report-progress progress")).to_have_attribute("value", "100")
    with page.expect_download() as downloaded:
        download.click()
    file = downloaded.value
    assert file.suggested_filename.startswith(f"client_progress_{today:%Y-%m}-01_{today.isoformat()}")
    assert file.suggested_filename.endswith(".pdf")
    with open(file.path(), "rb") as content:
        assert content.read(5) == b"%PDF-"

    # The past reports: this one, finished, with its own download link.
    page.get_by_role("link", name="All reports").click()
    row = page.locator("#results tbody tr").first
    expect(row).to_contain_text("Client progress")
    expect(row).to_contain_text("Success")
    expect(row.get_by_role("link", name=re.compile("Download"))).to_be_visible()
