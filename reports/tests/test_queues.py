"""Staff's reports never wait behind clients' (issue 11, finding 5), on real workers started as the Procfile starts
them: `worker` (every queue) and `staff-worker` (the staff queue only), one pool process each, on RabbitMQ.

The clients' reports are held mid-task by a lock on the table they read (real PostgreSQL blocking), so the
`worker` is busy and more of them wait in their queue: a trainer's report is still built, by the staff worker.
"""

import shlex

import pytest
from django_celery_results.models import TaskResult

from reports.models import Report, ReportStatus
from reports.tests.conftest import MARCH
from reports.tests.worker import CeleryWorker, finished, table_locked, wait_until
from tests.production.topology import procfile_commands

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.rabbitmq,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]


def procfile_queues(name: str) -> str:
    argv = shlex.split(procfile_commands()[name])
    return argv[argv.index("-Q") + 1]


@pytest.fixture(scope="module")
def workers(django_db_setup, tmp_path_factory):
    directory = tmp_path_factory.mktemp("celery-queues")
    started = {}
    try:
        for name in ("worker", "staff-worker"):
            worker = CeleryWorker(
                media_root=directory / "media",
                log_path=directory / f"{name}.log",
                queues=procfile_queues(name),
                name=name,
            )
            worker.start()
            started[name] = worker
        yield started
    finally:
        for worker in started.values():
            worker.stop()


@pytest.fixture(autouse=True)
def media_root(settings, workers):
    settings.MEDIA_ROOT = workers["worker"].media_root
    return settings.MEDIA_ROOT


def built_by(report: Report) -> str:
    # The worker stores the task's result just after the task has committed the report.
    result = wait_until(
        lambda: TaskResult.objects.filter(task_id=report.task_id).first(), message=f"the result of {report.pk}"
    )
    return result.worker


def test_a_trainers_report_is_built_while_clients_reports_fill_the_workers_queue(
    workers, client_user, other_client_user, trainer, api_client_for
):
    member_reports = []
    with table_locked("trainings"):
        # Both clients use their whole quota (2 at a time each): one report runs, held; three wait.
        for user in (client_user, other_client_user):
            api = api_client_for(user)
            for _ in range(2):
                body = {**MARCH, "kind": "client_progress", "format": "pdf", "client_id": user.client.pk}
                response = api.post("/api/reports/", body, format="json")
                assert response.status_code == 202, response.data
                member_reports.append(response.data["id"])
        wait_until(
            lambda: Report.objects.filter(pk__in=member_reports, status=ReportStatus.STARTED).exists(),
            message=f"a client's report to start\n{workers['worker'].log()}",
        )

        staff_report = api_client_for(trainer).post("/api/reports/", {**MARCH, "kind": "new_users", "format": "csv"})

        staff_report = finished(staff_report.data["id"], workers["staff-worker"])
        statuses = sorted(Report.objects.filter(pk__in=member_reports).values_list("status", flat=True))
        assert staff_report.status == ReportStatus.SUCCESS
        assert statuses == ["PENDING", "PENDING", "PENDING", "STARTED"]  # still held and queued
        assert built_by(staff_report) == workers["staff-worker"].name

    for report_id in member_reports:
        report = finished(report_id, workers["worker"])
        assert report.status == ReportStatus.SUCCESS
        assert built_by(report) == workers["worker"].name  # the staff worker never takes a client's report
