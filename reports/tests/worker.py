"""A real `celery worker` process for the end-to-end report tests, on the suite's broker and test database."""

import os
import signal
import subprocess
import sys
import uuid
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import psycopg
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app
from reports.models import Report, ReportStatus
from tests import timing

BASE_DIR = Path(settings.BASE_DIR)


# A worker process starts and finishes reports: a longer deadline than the suite's default.
wait_until = partial(timing.wait_until, timeout=20.0)


def database_url() -> str:
    # The test database (test_<name>), where the transactional tests commit what the worker must read.
    db = connection.settings_dict
    return f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def finished(report_id: int, worker: "CeleryWorker", timeout: float = 30) -> Report:
    def done():
        report = Report.objects.get(pk=report_id)
        return report if report.status in (ReportStatus.SUCCESS, ReportStatus.FAILURE) else None

    return wait_until(done, timeout=timeout, message=f"report {report_id} to finish\n{worker.log()}")


@contextmanager
def table_locked(table: str):
    """Hold an exclusive lock on `table` from a connection of its own: a report reading it waits."""
    with psycopg.connect(database_url()) as locker:
        locker.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
        yield
        locker.rollback()


class CeleryWorker:
    """`celery -A config worker` with one prefork child, so "the process running the task" is unambiguous."""

    def __init__(
        self,
        *,
        media_root: Path,
        log_path: Path,
        queues: str | None = None,
        name: str = "reports-test",
        env: dict[str, str] | None = None,
        purge: bool = True,
    ) -> None:
        self.name = f"{name}-{uuid.uuid4().hex[:8]}@localhost"
        self.media_root = media_root
        self.log_path = log_path
        # Every queue a task of the suite may go to, unless a test asks for the Procfile's split.
        self.queues = queues or f"celery,{settings.REPORT_STAFF_QUEUE},{settings.REPORT_QUEUE}"
        self.env = env or {}  # settings of this worker's own (the notification tests' fake Telegram, limits)
        # A worker started to take over a killed one's tasks must not purge them.
        self.purge = purge
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "MEDIA_ROOT": str(self.media_root),
            **self.env,
        }
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--hostname", self.name, "-Q", self.queues]
        # --purge: messages an earlier, interrupted run left in this namespace's queue are not ours.
        command += [
            "--pool",
            "prefork",
            "--concurrency",
            "1",
            "--loglevel",
            "INFO",
            *(["--purge"] if self.purge else []),
        ]
        command += ["--without-gossip", "--without-mingle"]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        wait_until(self._answers_ping, timeout=60, interval=0.2, message=f"worker {self.name}\n{self.log()}")

    def _answers_ping(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"the worker exited with {self.process.returncode}:\n{self.log()}")
        return bool(celery_app.control.ping(destination=[self.name], timeout=0.5))

    def child_pids(self) -> list[int]:
        """The prefork pool's processes: the children of the worker's main process."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
        return [int(pid) for pid in children.split()]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:]

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)  # warm shutdown
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)  # the group of this worker only (its own session)
            self.process.wait(timeout=5)
