"""The report pages: request a report, follow its progress, download it, see past ones."""

import pytest
from django.urls import reverse

from reports.models import Report, ReportKind, ReportStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, trainer):
    client.force_login(trainer)
    return client


def request_body(**overrides) -> dict:
    return {"kind": "club_activity", "format": "csv", "date_from": "2026-03-01", "date_to": "2026-03-31", **overrides}


def test_a_requested_report_is_generated_and_downloaded(
    staff_client, trainer, eager_tasks, member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as queued:
        response = staff_client.post(reverse("reports:report-list"), request_body())

    assert len(queued) == 1  # the task is queued once the report row is committed
    report = Report.objects.get()
    assert (report.kind, report.format, report.requested_by, report.status) == (
        ReportKind.CLUB_ACTIVITY,
        "csv",
        trainer,
        ReportStatus.SUCCESS,
    )
    assert response.url == reverse("reports:report-detail", args=[report.pk])
    body = staff_client.get(response.url).content.decode()
    assert "Club activity requested" in body
    assert "Ready to download." in body
    download = staff_client.get(reverse("reports:report-download", args=[report.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment; filename=")
    assert download["Content-Type"].startswith("text/csv")
    assert b"".join(download.streaming_content)


def test_a_progress_report_is_about_the_chosen_client(
    staff_client, eager_tasks, member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            reverse("reports:report-list"), request_body(kind="client_progress", client=member.pk, format="xlsx")
        )

    report = Report.objects.get()
    assert (report.kind, report.client, report.status) == (ReportKind.CLIENT_PROGRESS, member, ReportStatus.SUCCESS)


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (request_body(date_to="2026-02-01"), "date_to", "date_to must be on or after date_from."),
        (request_body(kind="client_progress"), "client", "Choose the client this progress report is about."),
        (request_body(date_from="2999-01-01", date_to="2999-01-02"), "date_from", "date_from is in the future"),
        (request_body(kind="everything"), "kind", "Select a valid choice."),
    ],
)
def test_bad_input_is_shown_next_to_its_field_and_nothing_is_requested(staff_client, body, field, message):
    response = staff_client.post(reverse("reports:report-list"), body)

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert f'id="id_{field}_error"' in response.content.decode()
    assert not Report.objects.exists()


def test_a_report_beyond_the_staff_quota_is_refused_with_the_limit_above_the_form(staff_client, trainer, settings):
    settings.REPORT_MAX_ACTIVE_PER_STAFF = 1
    assert staff_client.post(reverse("reports:report-list"), request_body()).status_code == 302

    response = staff_client.post(reverse("reports:report-list"), request_body(format="pdf"))

    assert (response.status_code, response["Retry-After"]) == (429, "5")
    message = "Too many reports at a time: you may have 1 being generated at once; wait for one to finish."
    assert response.context["form"].non_field_errors() == [message]
    assert message in response.content.decode()
    assert response.context["form"]["format"].value() == "pdf"  # what was typed is kept
    assert Report.objects.filter(requested_by=trainer).count() == 1


def test_a_running_report_keeps_polling_and_a_finished_one_stops(staff_client, make_report):
    running = make_report(ReportStatus.STARTED, progress=40)
    finished = make_report(ReportStatus.SUCCESS, summary={"trainings": 3, "minutes": 135})

    detail = staff_client.get(reverse("reports:report-detail", args=[running.pk])).content.decode()
    polled = staff_client.get(reverse("reports:report-progress", args=[running.pk]), headers={"HX-Request": "true"})
    done = staff_client.get(reverse("reports:report-progress", args=[finished.pk]), headers={"HX-Request": "true"})

    assert 'hx-trigger="every 1s"' in detail
    assert (polled.status_code, "Generating… 40%" in polled.content.decode()) == (200, True)
    # 286 is htmx's "stop polling"; the finished block still replaces the progress bar.
    assert done.status_code == 286
    body = done.content.decode()
    assert reverse("reports:report-download", args=[finished.pk]) in body
    assert "<dt>Trainings</dt><dd>3</dd>" in body
    assert (
        'hx-trigger="every 1s"'
        not in staff_client.get(reverse("reports:report-detail", args=[finished.pk])).content.decode()
    )


def test_a_failed_report_says_why(staff_client, make_report):
    failed = make_report(ReportStatus.FAILURE, error="The client of this report has been deleted.")

    body = staff_client.get(reverse("reports:report-detail", args=[failed.pk])).content.decode()

    assert "The client of this report has been deleted." in body
    assert reverse("reports:report-download", args=[failed.pk]) not in body


def test_only_the_rows_of_running_reports_poll_and_a_finished_row_stops(staff_client, make_report):
    done = make_report(ReportStatus.SUCCESS)
    running = make_report(ReportStatus.PENDING)
    row_url = reverse("reports:report-row", args=[running.pk])

    page = staff_client.get(reverse("reports:report-list")).content.decode()
    assert f'hx-get="{row_url}" hx-trigger="every 1s"' in page
    assert reverse("reports:report-row", args=[done.pk]) not in page

    Report.objects.filter(pk=running.pk).update(status=ReportStatus.STARTED, progress=40)
    polled = staff_client.get(row_url, headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 1s"' in polled
    assert 'value="40"' in polled

    # The finished row comes without a trigger: htmx swaps it in and polls no more.
    Report.objects.filter(pk=running.pk).update(status=ReportStatus.SUCCESS, progress=100, file="reports/x.csv")
    finished = staff_client.get(row_url, headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in finished
    assert reverse("reports:report-download", args=[running.pk]) in finished


def test_past_reports_list_newest_first_with_a_download_link_for_finished_ones(staff_client, make_report):
    older = make_report(ReportStatus.SUCCESS)
    newer = make_report(ReportStatus.PENDING)

    response = staff_client.get(reverse("reports:report-list"))

    assert list(response.context["page"].object_list) == [newer, older]
    body = response.content.decode()
    assert reverse("reports:report-download", args=[older.pk]) in body
    assert reverse("reports:report-download", args=[newer.pk]) not in body


def test_no_reports_yet_is_an_empty_state(staff_client):
    assert "No reports yet." in staff_client.get(reverse("reports:report-list")).content.decode()


def test_an_unfinished_report_has_nothing_to_download(staff_client, make_report):
    report = make_report(ReportStatus.STARTED, progress=5)

    response = staff_client.get(reverse("reports:report-download", args=[report.pk]), follow=True)

    assert response.redirect_chain == [(reverse("reports:report-detail", args=[report.pk]), 302)]
    assert "The report is started: there is no file to download." in response.content.decode()


def test_a_purged_file_says_to_request_the_report_again(staff_client, make_report):
    report = make_report(ReportStatus.SUCCESS)
    report.file.delete(save=False)

    response = staff_client.get(reverse("reports:report-download", args=[report.pk]), follow=True)

    assert "deleted after its retention period; request it again" in response.content.decode()


def test_a_club_client_cannot_download_a_report(client, client_user, make_report):
    report = make_report(ReportStatus.SUCCESS, requested_by=client_user)
    client.force_login(client_user)

    assert client.get(reverse("reports:report-download", args=[report.pk])).status_code == 403


def test_report_pages_write_the_period_as_people_do(staff_client, make_report):
    report = make_report()

    detail = staff_client.get(reverse("reports:report-detail", args=[report.pk])).content.decode()
    listing = staff_client.get(reverse("reports:report-list")).content.decode()

    assert "1–31 Mar 2026" in detail
    assert "1–31 Mar 2026" in listing
