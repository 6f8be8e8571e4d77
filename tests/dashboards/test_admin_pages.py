"""What club staff read in the admin: the lists' columns, names without database ids, empty lists, help."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats, timezone

from accounts.tests.factories import AdminFactory
from club.models import DEFAULT_MEMBERSHIP_ID, AccessLevel, ClientStatus, Membership, PaymentStatus
from club.tests.factories import ClientFactory, MembershipFactory, PaymentFactory
from reports.models import Report, ReportKind, ReportStatus, period_text
from training.models import TrainingPlanTraining
from training.tests.factories import TrainingFactory, TrainingPlanFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    client.force_login(AdminFactory(username="desk", is_superuser=True))
    return client


def page(staff, name: str, *args, **params) -> str:
    response = staff.get(reverse(name, args=args), params)
    assert response.status_code == 200
    return response.content.decode()


def text(html: str) -> str:
    """The page's words, without tags or repeated whitespace."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


# ---- Names staff read (model __str__) -------------------------------------------------------------


def test_a_membership_reads_as_its_level_and_monthly_price_without_its_id():
    premium = MembershipFactory(access_level=AccessLevel.PREMIUM, price=Decimal("49.00"))

    assert str(premium) == "Premium · 49.00/month"
    assert str(Membership.objects.get(pk=DEFAULT_MEMBERSHIP_ID)) == "Standard · free"
    assert str(MembershipFactory(access_level=None, price=Decimal("10.00"))) == "Membership · 10.00/month"


def test_a_payment_reads_as_its_amount_day_and_status():
    payment = PaymentFactory(amount=Decimal("49.90"), status=PaymentStatus.PAID)
    payment.created_at = datetime.datetime(2026, 11, 3, 9, 30, tzinfo=datetime.UTC)

    assert str(payment) == "49.90 on 3 Nov 2026 · Paid"


def test_a_training_says_whose_and_when_so_equal_titles_differ():
    member = ClientFactory(first_name="Anna", last_name="Berg")
    scheduled = TrainingFactory(client=member, title="Leg day", date=datetime.date(2026, 11, 12))
    unscheduled = TrainingFactory(client=member, title="Leg day", date=None)
    plan = TrainingPlanFactory(user=member.user, title="Spring block")

    assert str(scheduled) == "Leg day · Anna Berg · 12 Nov 2026"
    assert str(unscheduled) == "Leg day · Anna Berg"
    assert str(TrainingPlanTraining(training=scheduled, training_plan=plan)) == (
        "Leg day · Anna Berg · 12 Nov 2026 in Spring block"
    )


def test_a_report_reads_as_its_kind_number_client_and_period(make_report):
    member = ClientFactory(first_name="Anna", last_name="Berg")
    progress = make_report(kind=ReportKind.CLIENT_PROGRESS, client=member)
    club = make_report()

    assert str(progress) == f"Client progress #{progress.pk} of Anna Berg · 1–31 Mar 2026"
    assert str(club) == f"Club activity #{club.pk} · 1–31 Mar 2026"


@pytest.mark.parametrize(
    ("date_from", "date_to", "expected"),
    [
        ("2026-11-23", "2026-11-23", "23 Nov 2026"),
        ("2026-11-01", "2026-11-30", "1–30 Nov 2026"),
        ("2026-10-25", "2026-11-23", "25 Oct – 23 Nov 2026"),
        ("2025-12-20", "2026-01-05", "20 Dec 2025 – 5 Jan 2026"),
        ("not a date", "2026-01-05", "not a date – 2026-01-05"),
    ],
)
def test_a_reports_period_is_written_as_people_write_it(date_from, date_to, expected):
    assert period_text(date_from, date_to) == expected


# ---- The client list -------------------------------------------------------------------------------


def test_the_client_list_shows_name_phone_membership_status_and_paid_until(staff, trainer):
    ClientFactory(
        first_name="Anna",
        last_name="Berg",
        phone_number="+7 935 5766126",
        membership=MembershipFactory(access_level=AccessLevel.PREMIUM, price=Decimal("49.00")),
        expiration_date=days(40),
        trainer=trainer,
    )

    body = text(page(staff, "admin:club_client_changelist"))

    assert "Anna Berg +7 935 5766126 Premium · 49.00/month Active" in body
    assert f"{formats.date_format(days(40))} {trainer.username}" in body
    assert "Premium #" not in body


@pytest.mark.parametrize(
    ("status", "expires_in", "shown"),
    [
        (ClientStatus.ACTIVE, -3, "{day} · lapsed"),
        (ClientStatus.ON_HOLD, -3, "{day} · lapsed"),
        (ClientStatus.ACTIVE, 0, "{day} · last day"),
        (ClientStatus.ACTIVE, 1, "{day} · 1 day left"),
        (ClientStatus.ACTIVE, 7, "{day} · 7 days left"),
        (ClientStatus.ACTIVE, 8, "{day}"),
        (ClientStatus.INACTIVE, -3, "{day}"),
    ],
)
def test_the_paid_until_column_flags_lapsed_and_soon_ending_memberships(staff, status, expires_in, shown):
    ClientFactory(status=status, expiration_date=days(expires_in))
    day = formats.date_format(days(expires_in))

    html = page(staff, "admin:club_client_changelist")

    cell = re.search(r'<td class="field-paid_until">(.*?)</td>', html).group(1)
    assert text(cell).strip() == shown.format(day=day)
    tone = {"lapsed": "pill-lapsed", "left": "pill-soon", "last day": "pill-soon"}
    expected_class = next((css for word, css in tone.items() if word in shown), None)
    assert (expected_class in cell) if expected_class else ("pill" not in cell)


@pytest.mark.parametrize(
    ("choice", "expected"),
    [("lapsed", {"Lapsed"}), ("week", {"Soon"}), ("month", {"Soon", "Month"}), ("none", {"Never"})],
)
def test_the_paid_until_filter_finds_who_to_call(staff, choice, expected):
    for name, expires_in in [("Lapsed", -1), ("Soon", 5), ("Month", 20), ("Later", 60), ("Never", None)]:
        ClientFactory(first_name=name, expiration_date=days(expires_in) if expires_in is not None else None)

    response = staff.get(reverse("admin:club_client_changelist"), {"paid_until": choice})

    assert {client.first_name for client in response.context["cl"].result_list} == expected


def test_the_client_form_explains_the_fields_staff_hesitate_over(staff, member):
    body = text(page(staff, "admin:club_client_change", member.pk))

    assert "Paid until:" in body
    assert "Changes only with a sale, a provider payment, a hold, a refund or a correction" in body
    assert "On hold: paused; the nightly check leaves it alone." in body
    assert "Weight (kg):" in body


def test_the_clients_payments_show_on_its_page_with_a_link_to_each(staff):
    payment = PaymentFactory(status=PaymentStatus.PENDING)

    html = page(staff, "admin:club_client_change", payment.client_id)

    assert reverse("admin:club_payment_change", args=[payment.pk]) in html
    assert 'class="pill pill-soon">Pending<' in html


# ---- Other lists ---------------------------------------------------------------------------------------


def test_the_membership_list_names_each_membership_and_counts_its_clients(staff):
    vip = MembershipFactory(access_level=AccessLevel.VIP, price=Decimal("99.00"), description="Everything")
    ClientFactory.create_batch(2, membership=vip)

    body = text(page(staff, "admin:club_membership_changelist"))

    assert "VIP · 99.00/month Everything 2 clients" in body
    assert "Standard · free default" in body


def test_the_payment_list_shows_client_membership_amount_and_status(staff):
    member = ClientFactory(first_name="Anna", last_name="Berg")
    PaymentFactory(client=member, status=PaymentStatus.FAILED)

    html = page(staff, "admin:club_payment_changelist")

    assert "Anna Berg" in html
    assert re.search(r'field-membership_level">Premium<', html)
    assert 'class="pill pill-lapsed">Failed<' in html


def test_staff_cannot_mark_a_payment_paid_in_the_form_only_the_provider_or_the_desk_action_can(staff):
    payment = PaymentFactory(status=PaymentStatus.PENDING)
    url = reverse("admin:club_payment_change", args=[payment.pk])

    staff.post(
        url, {"client": payment.client_id, "membership": payment.membership_id, "amount": "1.00", "status": "PAID"}
    )

    html = page(staff, "admin:club_payment_change", payment.pk)
    assert 'name="status"' not in html
    assert "Money taken at the desk is a sale" in text(html)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


def test_the_user_list_names_members_and_says_who_never_signed_in(staff, client_user):
    body = text(page(staff, "admin:accounts_user_changelist"))

    assert f"{client_user.username} {client_user.client.full_name} {client_user.email} Client — never" in body


def test_a_members_user_page_links_to_its_client_profile(staff, client_user):
    html = page(staff, "admin:accounts_user_change", client_user.pk)

    assert reverse("admin:club_client_change", args=[client_user.client.pk]) in html


def test_the_training_list_shows_client_type_duration_and_date(staff):
    member = ClientFactory(first_name="Anna", last_name="Berg")
    TrainingFactory(client=member, title="Leg day", duration_min=50, date=None)

    body = text(page(staff, "admin:training_training_changelist"))

    assert "Leg day Anna Berg Strength — 50 min not scheduled 0" in body


def test_the_plan_list_and_form_name_the_member_not_just_the_username(staff, client_user):
    plan = TrainingPlanFactory(user=client_user, title="Spring block")
    name = client_user.client.full_name

    listing = text(page(staff, "admin:training_trainingplan_changelist"))
    form = text(page(staff, "admin:training_trainingplan_change", plan.pk))

    assert f"Spring block {name} Active" in listing
    assert f"{name} · @{client_user.username}" in form


def test_the_user_picker_answers_with_members_names(staff, client_user):
    response = staff.get(
        reverse("admin:autocomplete"),
        {"app_label": "training", "model_name": "trainingplan", "field_name": "user", "term": client_user.username},
    )

    assert response.status_code == 200
    assert response.json()["results"] == [
        {"id": str(client_user.pk), "text": f"{client_user.client.full_name} · @{client_user.username}"}
    ]


def test_the_report_list_shows_period_status_and_a_download_named_by_format(staff, make_report):
    done = make_report()
    make_report(ReportStatus.STARTED, progress=40)

    html = page(staff, "admin:reports_report_changelist")
    body = text(html)

    assert f"Club activity #{done.pk} 1–31 Mar 2026 Success" in body
    assert "Started · 40%" in body
    assert f'href="{reverse("reports:report-download", args=[done.pk])}"' in html
    assert 'title="Download the CSV">CSV<' in html


def test_requesting_a_report_again_links_to_the_new_one(staff, make_report, django_capture_on_commit_callbacks):
    report = make_report()

    with django_capture_on_commit_callbacks():
        response = staff.post(
            reverse("admin:reports_report_changelist"),
            {"action": "request_again", "_selected_action": [report.pk]},
            follow=True,
        )

    again = report.__class__.objects.exclude(pk=report.pk).get()
    body = response.content.decode()
    assert f"Report #{report.pk} requested again as #{again.pk}" in body
    assert reverse("reports:report-detail", args=[again.pk]) in body


def test_requesting_reports_again_beyond_the_staff_quota_says_so_once(
    staff, make_report, settings, django_capture_on_commit_callbacks
):
    settings.REPORT_MAX_ACTIVE_PER_STAFF = 1
    reports = [make_report(), make_report(), make_report()]

    with django_capture_on_commit_callbacks():
        response = staff.post(
            reverse("admin:reports_report_changelist"),
            {"action": "request_again", "_selected_action": [report.pk for report in reports]},
            follow=True,
        )

    body = response.content.decode()
    assert Report.objects.count() == 4  # one requested again, then the quota
    assert body.count("and the rest not requested: Too many reports at a time: you may have 1 being") == 1


# ---- Empty lists --------------------------------------------------------------------------------------


def test_a_search_that_finds_nothing_says_so_and_offers_the_whole_list(staff):
    ClientFactory.create_batch(2)

    body = text(page(staff, "admin:club_client_changelist", q="nobody-matches"))

    assert "No clients match “nobody-matches”." in body
    assert "Show all 2 clients" in body


def test_an_empty_list_says_where_its_rows_come_from(staff):
    body = text(page(staff, "admin:club_payment_changelist"))

    assert "No payments yet." in body
    assert "Payments appear when a member pays for a membership in the club app" in body


# ---- The site as a whole ------------------------------------------------------------------------------


def test_the_index_lists_the_clubs_own_apps_first(staff):
    app_labels = [app["app_label"] for app in staff.get(reverse("admin:index")).context["app_list"]]

    assert app_labels[:5] == ["club", "training", "workouts", "reports", "accounts"]


def test_every_admin_page_loads_the_clubs_stylesheet_and_no_inline_script(staff, member):
    for html in (
        page(staff, "admin:index"),
        page(staff, "admin:club_client_changelist"),
        page(staff, "admin:club_client_change", member.pk),
    ):
        assert "/static/css/admin.css" in html
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)


CHANGELISTS = [
    "admin:club_client_changelist",
    "admin:club_membership_changelist",
    "admin:club_payment_changelist",
    "admin:accounts_user_changelist",
    "admin:training_exercise_changelist",
    "admin:training_training_changelist",
    "admin:training_trainingplan_changelist",
    "admin:reports_report_changelist",
]


@pytest.mark.parametrize("name", CHANGELISTS)
def test_a_changelist_runs_as_many_queries_for_six_rows_as_for_one(staff, make_club, make_report, name):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert staff.get(reverse(name)).status_code == 200
        return len(captured)

    make_club(1)
    make_report(client=ClientFactory(), kind=ReportKind.CLIENT_PROGRESS)
    PaymentFactory()
    one = queries()
    make_club(5)
    for _ in range(5):
        make_report(client=ClientFactory(), kind=ReportKind.CLIENT_PROGRESS)
        PaymentFactory()

    assert queries() == one


def test_the_workout_session_list_names_the_member_and_links_their_client_page(staff, client_user):
    from workouts.tests.factories import WorkoutSessionFactory

    WorkoutSessionFactory(user=client_user, exercise_type="squat", total_reps=14)

    html = page(staff, "admin:workouts_workoutsession_changelist")

    assert f"{client_user.client.full_name} squat 14" in text(html)
    assert reverse("admin:club_client_change", args=[client_user.client.pk]) in html
