import datetime
import io
import re

import psycopg
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from accounts.tests.factories import UserFactory
from club.models import PaymentStatus
from club.tests.factories import PaymentFactory
from reports.models import Report, ReportStatus
from reports.selectors import report_data
from reports.services import report_generate
from reports.tasks import fail_stale_reports, generate_report
from reports.tests.conftest import MARCH, at
from reports.tests.files import assert_file_matches_summary, csv_sections, pdf_text, xlsx_sheets
from reports.tests.worker import database_url
from training.tests.factories import ExerciseFactory, TrainingExerciseFactory, TrainingFactory
from workouts.tests.factories import WorkoutSessionFactory

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("eager_tasks")]

KINDS = ["club_activity", "client_progress", "membership_revenue", "new_users"]
FORMATS = ["csv", "xlsx", "pdf"]
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def request_report(api, django_capture_on_commit_callbacks, **body):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/reports/", {**MARCH, **body}, format="json")
    return response


@pytest.mark.parametrize("report_format", FORMATS)
@pytest.mark.parametrize("kind", KINDS)
def test_each_report_summary_and_file_hold_the_hand_computed_totals(
    kind, report_format, march_data, admin_user, api_client_for, django_capture_on_commit_callbacks
):
    api = api_client_for(admin_user)
    extra = {"client_id": march_data["anna"].pk} if kind == "client_progress" else {}

    response = request_report(api, django_capture_on_commit_callbacks, kind=kind, format=report_format, **extra)

    assert response.status_code == 202, response.data
    report_id = response.data["id"]
    detail = api.get(f"/api/reports/{report_id}/").data
    assert (detail["status"], detail["progress"], detail["error"]) == ("SUCCESS", 100, "")
    assert detail["summary"] == march_data["expected"][kind]
    assert detail["download_url"] == f"http://testserver/api/reports/{report_id}/download/"
    download = api.get(f"/api/reports/{report_id}/download/")
    assert download.status_code == 200
    assert download["Content-Type"] == CONTENT_TYPES[report_format]
    assert download["Content-Disposition"] == f'attachment; filename="{kind}_2026-03-01_2026-03-31.{report_format}"'
    assert_file_matches_summary(report_format, b"".join(download.streaming_content), detail["summary"])


def test_club_activity_csv_lists_groups_top_exercises_and_reps(march_data, admin_user):
    report = Report.objects.create(kind="club_activity", format="csv", parameters=MARCH, requested_by=admin_user)

    report = report_generate(report_id=report.pk)

    sections = csv_sections(report.file.read())
    assert sections["Trainings by type and intensity"] == [
        ["Type", "Intensity", "Trainings", "Minutes"],
        ["Cardio", "Low", "1", "30"],
        ["Strength", "High", "1", "60"],
        ["Yoga", "Medium", "1", "45"],
    ]
    assert sections["Top 10 exercises"][1:] == [
        ["Squat", "Legs", "2", "8", "55"],
        ["Bench press", "Chest", "1", "4", "32"],
        ["Plank", "Core", "1", "2", "2"],
    ]
    assert sections["Workout reps by exercise type"][1:] == [["squat", "2", "50"], ["push_up", "1", "15"]]


def test_client_progress_xlsx_has_typed_cells_a_bold_header_and_sized_columns(march_data, admin_user):
    report = Report.objects.create(
        kind="client_progress", format="xlsx", parameters=MARCH, requested_by=admin_user, client=march_data["anna"]
    )

    report = report_generate(report_id=report.pk)

    workbook = load_workbook(report.file.open("rb"))
    volume = workbook["Volume by muscle group"]
    assert [cell.value for cell in volume[1]] == ["Muscle group", "Sets", "Reps (sets × reps)", "Volume, kg"]
    assert all(cell.font.bold for cell in volume[1])
    assert [cell.value for cell in volume[2]] == ["Chest", 4, 32, 1280]
    assert (volume["B2"].data_type, volume["D2"].number_format) == ("n", "#,##0.00")
    assert volume.column_dimensions["C"].width == len("Reps (sets × reps)") + 2
    assert volume.freeze_panes == "A2"
    reps = workbook["Workout reps by day"]
    assert list(reps.iter_rows(min_row=2, values_only=True)) == [
        (reps["A2"].value, 1, 20),
        (reps["A3"].value, 1, 15),
    ]
    assert reps["A2"].value.date().isoformat() == "2026-03-05"
    assert reps["A2"].number_format == "d mmm yyyy"  # a real date, shown as the pages write it
    about = dict(xlsx_sheets(report.file.open("rb").read())["About"])
    assert (about["Report"], about["From"].date(), about["To"].date()) == (
        f"Progress of {march_data['anna'].full_name}",
        datetime.date(2026, 3, 1),
        datetime.date(2026, 3, 31),
    )
    # The summary's money is a number too, not the API's "1280.00" text.
    summary = {row[0].value: row[1] for row in workbook["Summary"].iter_rows(min_row=2)}
    assert (summary["Volume, kg — Chest"].value, summary["Volume, kg — Chest"].data_type) == (
        1280,
        "n",
    )


def test_pdf_has_the_title_the_period_the_tables_and_chart_images(march_data, admin_user):
    report = Report.objects.create(kind="club_activity", format="pdf", parameters=MARCH, requested_by=admin_user)

    report = report_generate(report_id=report.pk)

    content = report.file.read()
    text = pdf_text(content)
    assert "Club activity" in text
    assert "Period: 1–31 Mar 2026" in text
    assert "Top 10 exercises" in text
    assert "Bench press" in text
    images = [image for page in PdfReader(io.BytesIO(content)).pages for image in page.images]
    assert len(images) == 2  # trainings by type, workout reps by type


def test_a_pdf_of_a_period_without_data_says_so_instead_of_drawing_empty_charts(client_user, admin_user):
    report = Report.objects.create(
        kind="client_progress", format="pdf", parameters=MARCH, requested_by=admin_user, client=client_user.client
    )

    report = report_generate(report_id=report.pk)

    assert report.status == ReportStatus.SUCCESS
    text = pdf_text(report.file.read())
    assert "Trainings 0" in " ".join(text.split())
    assert "No rows in the period." in text


def test_a_pdf_prints_cyrillic_names_as_text(march_data, admin_user):
    training = TrainingFactory(client=march_data["anna"], date="2026-03-20", duration_min=10)
    TrainingExerciseFactory(training=training, exercise=ExerciseFactory(title="Приседания со штангой"))
    report = Report.objects.create(kind="club_activity", format="pdf", parameters=MARCH, requested_by=admin_user)

    content = report_generate(report_id=report.pk).file.read()

    assert "Приседания со штангой" in pdf_text(content)  # Helvetica would give boxes, not the letters


def test_text_cells_that_look_like_formulas_are_neutralised(march_data, admin_user):
    training = TrainingFactory(client=march_data["anna"], date="2026-03-20", duration_min=10)
    TrainingExerciseFactory(training=training, exercise=ExerciseFactory(title='=HYPERLINK("http://x","a")'))
    TrainingExerciseFactory(training=training, exercise=ExerciseFactory(title="@SUM(A1)"))

    csv_report = Report.objects.create(kind="club_activity", format="csv", parameters=MARCH, requested_by=admin_user)
    xlsx_report = Report.objects.create(kind="club_activity", format="xlsx", parameters=MARCH, requested_by=admin_user)
    csv_content = report_generate(report_id=csv_report.pk).file.read()
    xlsx_content = report_generate(report_id=xlsx_report.pk).file.read()

    exercises = [row[0] for row in csv_sections(csv_content)["Top 10 exercises"][1:]]
    assert '\'=HYPERLINK("http://x","a")' in exercises
    assert "'@SUM(A1)" in exercises
    sheet_values = [row[0] for row in xlsx_sheets(xlsx_content)["Top 10 exercises"][1:]]
    assert '\'=HYPERLINK("http://x","a")' in sheet_values
    assert "'@SUM(A1)" in sheet_values
    cells = load_workbook(io.BytesIO(xlsx_content))["Top 10 exercises"]["A"]
    assert {cell.data_type for cell in cells} == {"s"}  # stored as text: no cell is a formula


def test_new_users_report_never_contains_a_password_hash(march_data, admin_user):
    report = Report.objects.create(kind="new_users", format="csv", parameters=MARCH, requested_by=admin_user)

    content = report_generate(report_id=report.pk).file.read().decode("utf-8-sig")

    sections = csv_sections(content.encode())
    assert sections["New members"][0] == ["Id", "Username", "Email", "Created", "Deleted"]
    assert len(sections["New members"]) == 2  # the member created on 3 March
    assert sections["New staff accounts"][0] == ["Id", "Username", "Email", "Role", "Created", "Deleted"]
    assert [row[3] for row in sections["New staff accounts"][1:]] == ["Trainer"]
    assert "md5$" not in content
    assert "pbkdf2" not in content


def test_generation_reports_its_progress_as_it_advances(march_data, admin_user):
    report = Report.objects.create(kind="club_activity", format="pdf", parameters=MARCH, requested_by=admin_user)

    with CaptureQueriesContext(connection) as queries:
        report_generate(report_id=report.pk)

    written = [
        int(match.group(1))
        for query in queries.captured_queries
        if query["sql"].startswith('UPDATE "reports"')
        for match in [re.search(r'"progress" = (\d+)', query["sql"])]
        if match
    ]
    assert written == [5, 40, 90, 100]


def test_a_report_whose_client_was_deleted_fails_with_the_reason(march_data, admin_user):
    anna = march_data["anna"]
    report = Report.objects.create(
        kind="client_progress", format="csv", parameters=MARCH, requested_by=admin_user, client=anna
    )
    Report.objects.filter(pk=report.pk).update(client=None)  # what the database's SET NULL leaves behind

    report = report_generate(report_id=report.pk)

    assert (report.status, report.error, report.file.name) == (
        ReportStatus.FAILURE,
        "The client of this report has been deleted.",
        "",
    )


def test_a_task_that_crashes_records_the_failure_on_its_report(admin_user):
    report = Report.objects.create(
        kind="new_users", format="csv", parameters={"date_from": "not a date"}, requested_by=admin_user
    )

    result = generate_report.apply(args=(report.pk,))

    assert result.failed()

    report.refresh_from_db()
    assert report.status == ReportStatus.FAILURE
    assert report.error.startswith("The report could not be generated (ValueError: Invalid isoformat string")
    assert report.finished_at is not None


def test_a_finished_report_is_not_generated_again(march_data, admin_user):
    report = Report.objects.create(kind="new_users", format="csv", parameters=MARCH, requested_by=admin_user)
    first = report_generate(report_id=report.pk)

    again = report_generate(report_id=report.pk)

    assert (again.status, again.file.name) == (ReportStatus.SUCCESS, first.file.name)


def test_a_report_that_keeps_killing_its_worker_is_failed_instead_of_started_again(admin_user, settings):
    # What RabbitMQ's redeliveries leave behind when every start takes the worker down with it.
    report = Report.objects.create(
        kind="new_users", format="csv", parameters=MARCH, requested_by=admin_user, status=ReportStatus.STARTED
    )
    Report.objects.filter(pk=report.pk).update(attempts=settings.REPORT_MAX_ATTEMPTS)

    report = report_generate(report_id=report.pk)

    assert (report.status, report.file.name) == (ReportStatus.FAILURE, "")
    assert report.error == "The report stopped its worker 5 times without finishing; try a shorter period."


def test_reports_no_task_will_finish_are_failed_by_the_periodic_sweep(admin_user, settings):
    now = timezone.now()
    hard_limit = datetime.timedelta(seconds=settings.REPORT_TASK_SOFT_TIME_LIMIT + 30)

    def report(status, **times):
        return Report.objects.create(
            kind="new_users", format="csv", parameters=MARCH, requested_by=admin_user, status=status, **times
        )

    timed_out = report(ReportStatus.STARTED, started_at=now - hard_limit - datetime.timedelta(minutes=6))
    running = report(ReportStatus.STARTED, started_at=now - hard_limit)
    lost = report(ReportStatus.PENDING, created_at=now - datetime.timedelta(hours=25))
    queued = report(ReportStatus.PENDING, created_at=now - datetime.timedelta(hours=23))

    assert fail_stale_reports.apply().get() == 2

    statuses = dict(Report.objects.values_list("pk", "status"))
    assert [statuses[r.pk] for r in (timed_out, running, lost, queued)] == ["FAILURE", "STARTED", "FAILURE", "PENDING"]
    assert Report.objects.get(pk=timed_out.pk).error.startswith("The report's task stopped without finishing")


@pytest.mark.parametrize("kind", KINDS)
def test_a_report_costs_the_same_queries_however_many_rows_it_covers(kind, march_data, admin_user):
    # Aggregates are computed by PostgreSQL: more rows in the period must not mean more queries.
    anna = march_data["anna"]

    def queries() -> int:
        client = anna if kind == "client_progress" else None
        with CaptureQueriesContext(connection) as captured:
            data = report_data(report=Report(kind=kind, parameters=MARCH, client=client))
            for table in data.tables:
                list(table.rows)
        return len(captured)

    before = queries()
    for day in range(1, 21):
        training = TrainingFactory(client=anna, date=f"2026-03-{day:02}", duration_min=30)
        TrainingExerciseFactory(training=training, exercise=ExerciseFactory())
        WorkoutSessionFactory(user=anna.user, total_reps=day, created_at=at(f"2026-03-{day:02}T10:00:00"))
        PaymentFactory(client=anna, status=PaymentStatus.PAID, paid_at=at(f"2026-03-{day:02}T11:00:00"))
        UserFactory(created_at=at(f"2026-03-{day:02}T12:00:00"))

    assert queries() == before


def test_the_task_of_a_report_deleted_while_queued_does_nothing(db):
    result = generate_report.apply(args=(987654,))

    assert (result.successful(), result.get()) == (True, "DELETED")


def test_a_report_the_database_keeps_refusing_is_retried_then_failed_with_the_reason(admin_user):
    report = Report.objects.create(kind="club_activity", format="csv", parameters=MARCH, requested_by=admin_user)
    # A real transient error: the trainings table is locked elsewhere and our lock wait times out.
    with psycopg.connect(database_url()) as locker, connection.cursor() as cursor:
        locker.execute("LOCK TABLE trainings IN ACCESS EXCLUSIVE MODE")
        cursor.execute("SET lock_timeout = '100ms'")
        try:
            generate_report.apply(args=(report.pk,))
        finally:
            cursor.execute("RESET lock_timeout")

    report.refresh_from_db()
    assert (report.status, report.attempts) == (ReportStatus.FAILURE, 4)  # the first try and 3 retries
    assert report.error == "The database was unavailable; the report was retried and gave up."


def test_revenue_files_name_levels_and_the_clubs_currency_as_the_pages_do(march_data, admin_user, settings):
    settings.CLUB_CURRENCY = "EUR"
    report = Report.objects.create(kind="membership_revenue", format="csv", parameters=MARCH, requested_by=admin_user)

    sections = csv_sections(report_generate(report_id=report.pk).file.read())

    assert ["Premium — Revenue, EUR", "99.80"] in sections["Summary"]
    assert ["Revenue total, EUR", "199.80"] in sections["Summary"]
    table = sections["Clients and revenue by access level"]
    assert table[0] == ["Access level", "Active clients", "Paid payments", "Revenue, EUR"]
    assert [row[0] for row in table[1:]] == ["Standard", "Premium", "VIP", "Total"]
    assert not any("by_access_level" in cell for row in sections["Summary"] for cell in row)
