"""End to end on a real `celery worker` consuming from RabbitMQ and writing to the test database.

One worker serves the whole module; every test commits its rows (transactional tests) so the
worker's own connections see them. A report is held mid-task by locking a table it reads from
another connection: real PostgreSQL blocking, no patched code.
"""

import os
import signal

import psycopg
import pytest

from reports.models import Report, ReportStatus
from reports.tasks import daily_new_users_report, generate_report
from reports.tests.conftest import MARCH
from reports.tests.files import assert_file_matches_summary, csv_sections, pdf_text, xlsx_sheets
from reports.tests.worker import CeleryWorker, database_url, finished, table_locked, wait_until
from training.tests.factories import ExerciseFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.rabbitmq,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

KINDS = ["club_activity", "client_progress", "membership_revenue", "new_users"]
FORMATS = ["csv", "xlsx", "pdf"]


@pytest.fixture(scope="module")
def worker(django_db_setup, tmp_path_factory):
    directory = tmp_path_factory.mktemp("celery-worker")
    worker = CeleryWorker(media_root=directory / "media", log_path=directory / "worker.log")
    worker.start()
    yield worker
    worker.stop()


@pytest.fixture(autouse=True)
def media_root(settings, worker):
    # Overrides the suite's per-test media directory: the downloads read what the worker wrote.
    settings.MEDIA_ROOT = worker.media_root
    return settings.MEDIA_ROOT


def test_every_kind_and_format_is_built_by_the_worker_with_the_hand_computed_totals(
    worker, march_data, admin_user, api_client_for
):
    api = api_client_for(admin_user)
    requested = {}
    for kind in KINDS:
        extra = {"client_id": march_data["anna"].pk} if kind == "client_progress" else {}
        for report_format in FORMATS:
            response = api.post("/api/reports/", {**MARCH, "kind": kind, "format": report_format, **extra})
            assert (response.status_code, response.data["status"]) == (202, "PENDING"), response.data
            requested[kind, report_format] = response.data["id"]

    for (kind, report_format), report_id in requested.items():
        finished(report_id, worker)
        detail = api.get(f"/api/reports/{report_id}/").data
        assert (detail["status"], detail["progress"], detail["error"]) == ("SUCCESS", 100, ""), (kind, report_format)
        assert detail["summary"] == march_data["expected"][kind], (kind, report_format)
        download = api.get(detail["download_url"])
        content = b"".join(download.streaming_content)
        assert download.status_code == 200
        assert download["Content-Disposition"].endswith(f'{kind}_2026-03-01_2026-03-31.{report_format}"')
        assert_file_matches_summary(report_format, content, detail["summary"])

    # A few detail rows beyond the summary, read back with each format's own reader.
    club_csv = Report.objects.get(pk=requested["club_activity", "csv"]).file.read()
    assert csv_sections(club_csv)["Top 10 exercises"][1] == ["Squat", "Legs", "2", "8", "55"]
    progress_xlsx = Report.objects.get(pk=requested["client_progress", "xlsx"]).file.read()
    assert xlsx_sheets(progress_xlsx)["Volume by muscle group"][1] == ("Chest", 4, 32, 1280)
    revenue_pdf = pdf_text(Report.objects.get(pk=requested["membership_revenue", "pdf"]).file.read())
    assert "Membership revenue" in revenue_pdf
    assert "Period: 1–31 Mar 2026" in revenue_pdf


def test_progress_is_visible_while_the_worker_runs_the_report(worker, march_data, trainer, api_client_for):
    api = api_client_for(trainer)
    with table_locked("trainings"):
        report_id = api.post("/api/reports/", {**MARCH, "kind": "club_activity", "format": "pdf"}).data["id"]
        running = wait_until(
            lambda: (data := api.get(f"/api/reports/{report_id}/").data)["status"] == "STARTED" and data,
            message="the report to start",
        )
        assert (running["progress"], running["download_url"]) == (5, None)

    assert finished(report_id, worker).status == ReportStatus.SUCCESS
    assert api.get(f"/api/reports/{report_id}/").data["progress"] == 100


def test_a_report_reads_one_snapshot_even_when_trainings_are_saved_while_it_runs(
    worker, march_data, trainer, api_client_for
):
    api = api_client_for(trainer)
    burpee = ExerciseFactory(title="Burpee")
    anna = march_data["anna"]
    with psycopg.connect(database_url()) as writer:
        # The report reads trainings first, then waits here for the exercise rows...
        writer.execute("LOCK TABLE trainings_exercises IN ACCESS EXCLUSIVE MODE")
        report_id = api.post("/api/reports/", {**MARCH, "kind": "club_activity", "format": "csv"}).data["id"]
        wait_until(lambda: Report.objects.get(pk=report_id).status == ReportStatus.STARTED, message="start")
        # ... while a new training with a Burpee row is saved; both become visible with the commit.
        [(training_id,)] = writer.execute(
            "INSERT INTO trainings (title, duration_min, date, created_at, client_id, training_type)"
            " VALUES ('Late', 20, '2026-03-15', now(), %s, 'HIIT') RETURNING id",
            [anna.pk],
        ).fetchall()
        writer.execute(
            "INSERT INTO trainings_exercises (order_in_training, sets, reps, rest_time_sec, exercise_id, training_id)"
            " VALUES (1, 3, 10, 60, %s, %s)",
            [burpee.pk, training_id],
        )

    report = finished(report_id, worker)
    assert report.summary == march_data["expected"]["club_activity"]  # 3 trainings, no HIIT
    top_exercises = [row[0] for row in csv_sections(report.file.read())["Top 10 exercises"][1:]]
    assert top_exercises == ["Squat", "Bench press", "Plank"]  # not the Burpee of the training it did not count


def test_a_worker_killed_mid_report_hands_it_back_and_the_retry_completes_it(
    worker, march_data, trainer, api_client_for
):
    api = api_client_for(trainer)
    with table_locked("trainings"):
        report_id = api.post("/api/reports/", {**MARCH, "kind": "club_activity", "format": "csv"}).data["id"]
        wait_until(lambda: Report.objects.get(pk=report_id).status == ReportStatus.STARTED, message="start")
        [busy] = worker.child_pids()

        os.kill(busy, signal.SIGKILL)  # what the OOM killer or a lost node does: no cleanup at all

        # acks_late + reject_on_worker_lost: the message goes back to RabbitMQ and a new child takes it.
        wait_until(lambda: worker.child_pids() not in ([], [busy]), message=f"a new pool process\n{worker.log()}")
        assert Report.objects.get(pk=report_id).status == ReportStatus.STARTED

    report = finished(report_id, worker)
    assert (report.status, report.progress, report.error, report.attempts) == (ReportStatus.SUCCESS, 100, "", 2)
    assert report.summary == march_data["expected"]["club_activity"]
    assert "WorkerLostError" in worker.log()


def test_a_report_that_crashes_on_the_worker_ends_failure_with_a_readable_error(worker, admin_user):
    report = Report.objects.create(kind="new_users", format="csv", requested_by=admin_user, parameters={"x": 1})

    generate_report.delay(report.pk)

    report = finished(report.pk, worker)
    assert report.status == ReportStatus.FAILURE
    assert report.error == "The report could not be generated (ValueError: Invalid isoformat string: '')."
    assert (report.file.name, report.finished_at is not None) == ("", True)


def test_a_report_over_its_time_limit_is_stopped_with_a_readable_error(worker, admin_user):
    report = Report.objects.create(kind="club_activity", format="csv", requested_by=admin_user, parameters=MARCH)

    with table_locked("trainings"):
        generate_report.apply_async((report.pk,), soft_time_limit=1, time_limit=20)
        report = finished(report.pk, worker)

    assert report.status == ReportStatus.FAILURE
    assert report.error == "The report took too long and was stopped; try a shorter period."


def test_the_beat_job_run_by_the_worker_produces_yesterdays_new_users_report(worker):
    report_id = daily_new_users_report.delay().get(timeout=30)

    report = finished(report_id, worker)
    assert (report.kind, report.format, report.requested_by_id, report.status) == (
        "new_users",
        "xlsx",
        None,
        ReportStatus.SUCCESS,
    )
    assert report.parameters["date_from"] == report.parameters["date_to"]
    assert xlsx_sheets(report.file.read())["Summary"][1] == ("New members", 0)
