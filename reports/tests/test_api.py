import datetime
import os
import socket

import pytest
from django.conf import settings
from django.utils import timezone

from config.celery import app as celery_app
from reports.models import Report, ReportStatus
from reports.tasks import purge_old_report_files
from reports.tests.conftest import MARCH

pytestmark = pytest.mark.postgres


def post(api, **body):
    return api.post("/api/reports/", {**MARCH, **body}, format="json")


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"kind": "gossip", "format": "csv"}, "kind", 'Unknown kind "gossip"'),
        ({"kind": "new_users", "format": "docx"}, "format", 'Unknown format "docx"'),
        (
            {"kind": "new_users", "format": "csv", "date_from": "2026-03-31", "date_to": "2026-03-01"},
            "date_to",
            "date_to must be on or after date_from.",
        ),
        (
            {"kind": "new_users", "format": "csv", "date_from": "1900-01-01", "date_to": "2026-03-01"},
            "date_to",
            "A report covers at most 1098 days; shorten the period.",
        ),
        (
            {"kind": "new_users", "format": "csv", "date_from": "2999-01-01", "date_to": "2999-01-02"},
            "date_from",
            "date_from is in the future: there is nothing to report yet.",
        ),
        ({"kind": "new_users", "format": "csv", "date_from": "yesterday"}, "date_from", "Date has wrong format"),
        ({"kind": "client_progress", "format": "csv"}, "client_id", "A client_progress report needs client_id."),
        ({"kind": "client_progress", "format": "csv", "client_id": 987654}, "client_id", "Invalid pk"),
    ],
)
def test_bad_report_requests_get_a_clear_400(body, field, message, trainer, api_client_for):
    response = post(api_client_for(trainer), **body)

    assert response.status_code == 400
    assert message in str(response.data[field][0])
    assert not Report.objects.exists()


def test_client_id_is_refused_for_kinds_about_the_whole_club(trainer, client_user, api_client_for):
    response = post(api_client_for(trainer), kind="club_activity", format="csv", client_id=client_user.client.pk)

    assert response.status_code == 400
    assert response.data == {"client_id": ["client_id applies to client_progress reports only."]}


def test_a_client_may_request_its_own_progress(client_user, api_client_for, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = post(
            api_client_for(client_user), kind="client_progress", format="pdf", client_id=client_user.client.pk
        )

    assert response.status_code == 202
    assert (response.data["status"], response.data["progress"], response.data["download_url"]) == ("PENDING", 0, None)
    report = Report.objects.get()
    assert (report.requested_by, report.client, report.parameters) == (client_user, client_user.client, MARCH)
    assert len(callbacks) == 1  # the task is queued only once the row is committed


def test_a_client_cannot_request_another_clients_progress(client_user, other_client_user, api_client_for):
    response = post(
        api_client_for(client_user), kind="client_progress", format="csv", client_id=other_client_user.client.pk
    )

    assert response.status_code == 400
    assert "Invalid pk" in str(response.data["client_id"][0])


@pytest.mark.parametrize("kind", ["club_activity", "membership_revenue", "new_users"])
def test_a_client_cannot_request_club_wide_reports(kind, client_user, api_client_for):
    response = post(api_client_for(client_user), kind=kind, format="csv")

    assert response.status_code == 403
    assert not Report.objects.exists()


def test_anonymous_callers_get_401(api_client_for):
    assert post(api_client_for(None), kind="new_users", format="csv").status_code == 401
    assert api_client_for(None).get("/api/reports/").status_code == 401


def test_a_client_sees_only_its_own_reports(client_user, other_client_user, trainer, api_client_for):
    mine = Report.objects.create(kind="client_progress", format="csv", requested_by=client_user, parameters=MARCH)
    theirs = Report.objects.create(kind="client_progress", format="csv", requested_by=other_client_user)
    staff = Report.objects.create(kind="new_users", format="csv", requested_by=trainer)
    api = api_client_for(client_user)

    listed = api.get("/api/reports/")

    assert [row["id"] for row in listed.data["results"]] == [mine.pk]
    assert api.get(f"/api/reports/{theirs.pk}/").status_code == 404
    assert api.get(f"/api/reports/{staff.pk}/download/").status_code == 404
    assert api.get(f"/api/reports/{mine.pk}/").data["date_from"] == "2026-03-01"


def test_staff_list_every_report_with_one_query_for_the_rows(
    trainer, admin_user, client_user, api_client_for, django_assert_num_queries
):
    for user in (trainer, admin_user, client_user, None):
        Report.objects.create(kind="new_users", format="csv", requested_by=user)
    api = api_client_for(trainer)
    api.get("/api/reports/")  # authentication's own queries are not what this test counts

    with django_assert_num_queries(3):  # the user, the count, the page
        listed = api.get("/api/reports/?status=PENDING")

    assert listed.data["count"] == 4


def test_staff_filter_reports_by_file_format_and_the_download_link_stays_clean(trainer, api_client_for):
    pdf = Report.objects.create(
        kind="new_users", format="pdf", requested_by=trainer, status=ReportStatus.SUCCESS, file="reports/a.pdf"
    )
    Report.objects.create(kind="new_users", format="csv", requested_by=trainer)

    listed = api_client_for(trainer).get("/api/reports/", {"format": "pdf"})

    assert listed.status_code == 200
    assert [(row["id"], row["download_url"]) for row in listed.data["results"]] == [
        (pdf.pk, f"http://testserver/api/reports/{pdf.pk}/download/")
    ]


def test_downloading_an_unfinished_report_is_a_409(trainer, api_client_for):
    report = Report.objects.create(kind="new_users", format="csv", requested_by=trainer, status=ReportStatus.STARTED)

    response = api_client_for(trainer).get(f"/api/reports/{report.pk}/download/")

    assert response.status_code == 409
    assert response.data["detail"] == "The report is STARTED; download it once it is SUCCESS."


@pytest.fixture(params=["refusing", "silent"])
def broker_down(request):
    """A broker address that refuses connections, or (the worst kind of down) accepts TCP and never speaks AMQP."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    if request.param == "silent":
        listener.listen(16)
    else:
        listener.close()  # nobody listens on the port any more: connection refused
    saved = celery_app.conf.broker_write_url
    celery_app.conf.broker_write_url = f"amqp://guest:guest@127.0.0.1:{port}//"
    celery_app._after_fork()  # forget pooled connections to the real broker (what Celery does in a forked child)
    yield listener if request.param == "silent" else None
    celery_app.conf.broker_write_url = saved
    celery_app._after_fork()
    listener.close()


# Committed for real: the task is published right after the request's transaction, inside the request.
@pytest.mark.django_db(transaction=True)
def test_a_report_requested_while_the_broker_is_down_fails_fast_with_503(trainer, api_client_for, broker_down):
    response = post(api_client_for(trainer), kind="new_users", format="csv")

    assert response.status_code == 503
    assert response.data["status"] == "FAILURE"
    assert response.data["error"].startswith("The report could not be queued: the task broker is unavailable")
    report = Report.objects.get()
    assert (report.status, report.finished_at is not None) == (ReportStatus.FAILURE, True)
    if broker_down is not None:
        # Fast, counted in attempts rather than seconds: each one waits for the AMQP greeting at most
        # CELERY_BROKER_CONNECTION_TIMEOUT, and the publish gives up after the retry policy's one retry.
        assert 1 <= connection_attempts(broker_down) <= 1 + settings.CELERY_TASK_PUBLISH_RETRY_POLICY["max_retries"]


def connection_attempts(listener: socket.socket) -> int:
    """The connections that reached the silent broker (they wait in its backlog: it never accepts)."""
    listener.setblocking(False)
    attempts = 0
    while True:
        try:
            accepted, _ = listener.accept()
        except BlockingIOError:
            return attempts
        accepted.close()
        attempts += 1


def test_a_purged_file_answers_410_and_keeps_the_summary(
    trainer, api_client_for, eager_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        report_id = post(api_client_for(trainer), kind="new_users", format="csv").data["id"]
    Report.objects.filter(pk=report_id).update(finished_at=timezone.now() - datetime.timedelta(days=31))
    path = Report.objects.get(pk=report_id).file.path

    assert purge_old_report_files.apply().get() == 1

    assert not os.path.exists(path)
    api = api_client_for(trainer)
    assert api.get(f"/api/reports/{report_id}/download/").status_code == 410
    assert api.get(f"/api/reports/{report_id}/").data["summary"]["new_users_total"] == 0
