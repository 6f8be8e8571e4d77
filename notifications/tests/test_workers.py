"""End to end on real `celery worker` processes consuming the `notifications` queue from RabbitMQ.

Two workers serve the module, with the fake Bot API as their Telegram and a global limit of 2
messages a second, so the limits are visible in a few seconds. Every test commits its rows
(transactional tests) so the workers' own connections see them.
"""

import datetime
import itertools
import os
import signal
import uuid

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_celery_results.models import TaskResult

from accounts.tests.signing import BOT_TOKEN
from config.celery import app as celery_app
from notifications.models import Notification, NotificationKind, NotificationStatus
from notifications.services import STALE_CLAIM_ERROR, notification_fail_stale_claims
from notifications.tasks import send_notification
from notifications.tests.conftest import queue
from reports.tests.worker import CeleryWorker, wait_until
from tests.fake_bot_api import FakeBotApi

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.rabbitmq,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

RATE = 2


@pytest.fixture(scope="module")
def fake_telegram():
    api = FakeBotApi().start()
    yield api
    api.stop()


@pytest.fixture(scope="module")
def workers(django_db_setup, fake_telegram, tmp_path_factory):
    directory = tmp_path_factory.mktemp("notification-workers")
    env = {
        "TELEGRAM_API_BASE": fake_telegram.url,
        "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
        "TELEGRAM_MAX_PER_SECOND": str(RATE),
        "TELEGRAM_LIMIT_KEY_PREFIX": f"test-telegram-{uuid.uuid4().hex[:10]}",
        "TELEGRAM_SEND_TIMEOUT_SECONDS": "60",
    }

    def start(name: str, *, purge: bool = True) -> CeleryWorker:
        worker = CeleryWorker(
            media_root=directory / "media",
            log_path=directory / f"{name}.log",
            queues=settings.NOTIFICATION_QUEUE,
            name=name,
            env=env,
            purge=purge,
        )
        worker.start()
        return worker

    started = [start("notifications-1"), start("notifications-2")]
    yield started, start
    for worker in started:
        worker.stop()


@pytest.fixture(autouse=True)
def fresh_fake(fake_telegram):
    fake_telegram.reset()
    return fake_telegram


def logs(workers) -> str:
    return "\n".join(worker.log()[-2500:] for worker in workers[0])


def final(notification: Notification, workers, timeout: float = 60) -> Notification:
    def done():
        row = Notification.objects.get(pk=notification.pk)
        return row if row.status != NotificationStatus.QUEUED else None

    return wait_until(done, timeout=timeout, message=f"notification {notification.pk} to end\n{logs(workers)}")


def task_finished(task_id: str, workers) -> TaskResult:
    return wait_until(
        lambda: TaskResult.objects.filter(task_id=task_id, status="SUCCESS").first(),
        timeout=60,
        message=f"task {task_id}\n{logs(workers)}",
    )


def test_two_workers_keep_the_per_chat_and_global_limits(workers, fresh_fake, member):
    chats = [member(), member(), member()]
    with transaction.atomic():  # queued at once: 24 tasks published on commit
        queued = [queue(chats[n // 8]) for n in range(24)]

    for notification in queued:
        assert final(notification, workers).status == NotificationStatus.SENT

    delivered = fresh_fake.delivered()
    assert sorted(len(fresh_fake.messages_to(user.telegram_id)) for user in chats) == [8, 8, 8]
    assert len(delivered) == 24
    assert fresh_fake.chat_violations() == []
    gaps = [round(b.at - a.at, 3) for a, b in itertools.pairwise(delivered)]
    assert fresh_fake.peak_per_second() <= RATE, (gaps, [(a.chat_id, round(a.at, 3)) for a in delivered])
    assert len({row.telegram_message_id for row in Notification.objects.filter(pk__in=[n.pk for n in queued])}) == 24


def test_a_429_is_retried_by_the_worker_after_retry_after(workers, fresh_fake, member):
    anna = member()
    fresh_fake.fail_next(429, retry_after=2, chat_id=anna.telegram_id)

    notification = final(queue(anna), workers)

    refused, sent = fresh_fake.arrivals
    assert (refused.status, sent.status, notification.status, notification.attempts) == (429, 200, "SENT", 2)
    assert sent.at - refused.at >= 2 - 0.1


def test_a_403_fails_on_the_worker_without_a_retry(workers, fresh_fake, member):
    anna = member()
    fresh_fake.fail_next(403, chat_id=anna.telegram_id)
    notification = Notification.objects.create(
        user=anna, kind=NotificationKind.RECEIPT, dedupe_key=f"TEST:{uuid.uuid4().hex}"
    )
    task_id = str(uuid.uuid4())

    send_notification.apply_async((notification.pk,), task_id=task_id)

    task_finished(task_id, workers)  # SUCCESS, not RETRY: the task is over
    notification.refresh_from_db()
    anna.refresh_from_db()
    assert (notification.status, notification.error) == ("FAILED", "Telegram: Forbidden: bot was blocked by the user")
    assert anna.telegram_unreachable_at is not None
    assert len(fresh_fake.arrivals) == 1


def test_a_worker_killed_mid_send_never_sends_twice(workers, fresh_fake, member):
    started, start = workers
    anna = member()
    fresh_fake.hang_next(seconds=120, chat_id=anna.telegram_id)  # Telegram is slow to answer, the worker dies
    notification = Notification.objects.create(
        user=anna, kind=NotificationKind.RECEIPT, dedupe_key=f"TEST:{uuid.uuid4().hex}"
    )
    task_id = str(uuid.uuid4())
    send_notification.apply_async((notification.pk,), task_id=task_id)
    wait_until(lambda: fresh_fake.hung() == 1, timeout=60, message=f"the Bot API call\n{logs(workers)}")
    [busy] = [
        worker
        for worker in started
        if any(task["id"] == task_id for task in celery_app.control.inspect([worker.name]).active()[worker.name])
    ]

    os.killpg(busy.process.pid, signal.SIGKILL)  # the worker and its pool process, no cleanup at all
    busy.process.wait(timeout=10)
    started[started.index(busy)] = start("notifications-replacement", purge=False)

    # acks_late: RabbitMQ hands the task to a live worker, which finds the claim and sends nothing.
    task_finished(task_id, workers)
    fresh_fake.release()
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("QUEUED", 1)
    assert notification.claimed_at is not None
    assert [arrival.status for arrival in fresh_fake.arrivals] == [0]  # one call, never answered, never repeated

    # The sweeper ends the row once the claim is older than a live send can be.
    later = timezone.now() + datetime.timedelta(seconds=settings.NOTIFICATION_CLAIM_STALE_SECONDS + 1)
    assert notification_fail_stale_claims(now=later) == 1
    notification.refresh_from_db()
    assert (notification.status, notification.error) == ("FAILED", STALE_CLAIM_ERROR)
    assert fresh_fake.delivered() == []
