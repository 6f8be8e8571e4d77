"""Per-user report quotas (issue 11, finding 5): a few reports at a time and a cap per hour, higher for staff;
429 with `Retry-After` beyond, exactly the quota under concurrent requests on PostgreSQL."""

import contextlib
import datetime
import threading

import pytest
from django.conf import settings
from django.db import connections
from django.utils import timezone
from kombu import Connection
from kombu.exceptions import ChannelError

from reports.models import Report, ReportStatus
from reports.services import daily_new_users_report_request, report_queue
from reports.tests.conftest import MARCH

pytestmark = pytest.mark.postgres


def post(api, **body):
    return api.post("/api/reports/", {**MARCH, **body}, format="json")


def progress_body(user) -> dict:
    return {"kind": "client_progress", "format": "pdf", "client_id": user.client.pk}


@pytest.fixture
def quotas(settings):
    settings.REPORT_MAX_ACTIVE_PER_USER = 2
    settings.REPORT_MAX_PER_HOUR_PER_USER = 3
    settings.REPORT_MAX_ACTIVE_PER_STAFF = 4
    settings.REPORT_MAX_PER_HOUR_PER_STAFF = 6
    return settings


def test_a_client_beyond_its_reports_at_a_time_gets_429_naming_the_limit(quotas, client_user, api_client_for):
    api = api_client_for(client_user)
    accepted = [post(api, **progress_body(client_user)) for _ in range(2)]

    refused = post(api, **progress_body(client_user))

    assert [response.status_code for response in accepted] == [202, 202]
    assert refused.status_code == 429
    assert refused.json() == {
        "detail": "Too many reports at a time: you may have 2 being generated at once; wait for one to finish.",
        "extra": {"limit": "active", "max": 2},
    }
    assert refused["Retry-After"] == "5"
    assert Report.objects.filter(requested_by=client_user).count() == 2


def test_a_finished_report_frees_its_slot(quotas, client_user, api_client_for):
    api = api_client_for(client_user)
    first, _ = post(api, **progress_body(client_user)), post(api, **progress_body(client_user))
    Report.objects.filter(pk=first.data["id"]).update(status=ReportStatus.SUCCESS)

    assert post(api, **progress_body(client_user)).status_code == 202


def test_a_client_beyond_its_reports_per_hour_is_told_when_a_slot_frees(quotas, client_user, api_client_for):
    now = timezone.now()
    ages = [61, 50, 30, 10]  # minutes ago; the first is outside the hour
    for minutes in ages:
        report = Report.objects.create(
            requested_by=client_user,
            kind="client_progress",
            format="csv",
            client=client_user.client,
            parameters=MARCH,
            status=ReportStatus.SUCCESS,
        )
        Report.objects.filter(pk=report.pk).update(created_at=now - datetime.timedelta(minutes=minutes))

    refused = post(api_client_for(client_user), **progress_body(client_user))

    assert refused.status_code == 429
    assert refused.json() == {
        "detail": "Too many reports this hour: you may request 3 an hour; try again in 10 min.",
        "extra": {"limit": "per_hour", "max": 3},
    }
    # The request of 50 minutes ago leaves the hour in 10 minutes (less the time this test took).
    assert 590 <= int(refused["Retry-After"]) <= 600


def test_staff_have_higher_limits_than_clients(quotas, trainer, client_user, api_client_for):
    api = api_client_for(trainer)
    statuses = [post(api, kind="new_users", format="csv").status_code for _ in range(5)]

    assert statuses == [202, 202, 202, 202, 429]
    # A trainer's reports do not use up a client's quota.
    assert post(api_client_for(client_user), **progress_body(client_user)).status_code == 202


def test_one_clients_reports_do_not_count_against_another(quotas, client_user, other_client_user, api_client_for):
    for _ in range(2):
        post(api_client_for(client_user), **progress_body(client_user))

    assert post(api_client_for(other_client_user), **progress_body(other_client_user)).status_code == 202


def test_beats_daily_report_has_no_quota(db, settings):
    settings.REPORT_MAX_ACTIVE_PER_STAFF = settings.REPORT_MAX_PER_HOUR_PER_STAFF = 0

    report = daily_new_users_report_request(today=timezone.localdate())

    assert report.status == ReportStatus.PENDING


def test_staff_and_beat_reports_go_to_the_staff_queue_and_clients_to_their_own(trainer, admin_user, client_user):
    assert [report_queue(user) for user in (trainer, admin_user, None, client_user)] == [
        "reports_staff",
        "reports_staff",
        "reports_staff",
        "reports",
    ]


@pytest.fixture
def purge_report_queues():
    """The transactional test's commits publish tasks no worker of this module consumes: drop them."""
    yield
    with Connection(settings.CELERY_BROKER_URL, connect_timeout=3) as broker:
        for name in (settings.REPORT_QUEUE, settings.REPORT_STAFF_QUEUE):
            with contextlib.suppress(ChannelError):  # a queue nobody declared yet
                broker.channel().queue_purge(name)


@pytest.mark.rabbitmq
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_requests_of_one_client_accept_exactly_its_quota(
    quotas, client_user, api_client_for, purge_report_queues
):
    apis = [api_client_for(client_user) for _ in range(20)]
    body = progress_body(client_user)
    start = threading.Barrier(len(apis))
    statuses: list[int] = []

    def request(api) -> None:
        try:
            start.wait()
            statuses.append(post(api, **body).status_code)
        finally:
            connections.close_all()  # this thread's own database connection

    threads = [threading.Thread(target=request, args=(api,)) for api in apis]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [202] * 2 + [429] * 18
    assert Report.objects.filter(requested_by=client_user).count() == 2
