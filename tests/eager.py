"""Celery tasks run in-process, as a worker would run them: for tests that need no worker.

Tests use the `eager_tasks` fixture (conftest.py); this context manager is for a fixture of a wider
scope. Either restores what was set before, never flips `task_always_eager` for the next test.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from config.celery import app as celery_app


@contextmanager
def celery_tasks_eager() -> Iterator[None]:
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = eager
