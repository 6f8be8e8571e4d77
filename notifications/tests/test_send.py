"""The sender in-process against the fake Bot API and the suite's Redis: outcomes, rows, retries, exactly-once."""

import datetime
import threading
import time

import pytest
from django.db import connection
from django.utils import timezone, translation

from notifications import sending
from notifications.messages import render
from notifications.models import Notification, NotificationKind, NotificationStatus
from notifications.sending import Answer
from notifications.services import STALE_CLAIM_ERROR, notification_fail_stale_claims, notification_send
from notifications.tests.conftest import queue
from reports.tests.worker import wait_until

pytestmark = [pytest.mark.redis, pytest.mark.django_db]


@pytest.fixture
def no_chat_limit(settings):
    """Retries of one message follow each other at once here; the per-chat second is tested with the limiter."""
    settings.TELEGRAM_CHAT_INTERVAL_MS = 0
    settings.TELEGRAM_MAX_PER_SECOND = 1_000_000


def test_a_queued_notification_is_sent_with_its_telegram_message_id(telegram_bot, member):
    anna = member()
    notification = queue(anna)

    outcome = notification_send(notification_id=notification.pk)

    notification.refresh_from_db()
    [(message_id, body)] = telegram_bot.sent()
    assert (outcome.status, outcome.retry_in) == ("SENT", None)
    assert (notification.status, notification.attempts, notification.error) == ("SENT", 1, "")
    assert notification.telegram_message_id == message_id
    assert notification.sent_at is not None
    assert notification.claimed_at is not None
    assert body == {"chat_id": anna.telegram_id, "text": render(notification)}


def test_the_message_is_rendered_in_the_members_language(telegram_bot, member, monkeypatch):
    seen = []
    monkeypatch.setattr("notifications.services.render", lambda n: seen.append(translation.get_language()) or "Hi")
    ru, default = member(language="ru"), member()

    notification_send(notification_id=queue(ru).pk)
    notification_send(notification_id=queue(default).pk)

    assert seen == ["ru", "en-us"]


def test_the_same_task_delivered_twice_sends_once(telegram_bot, member):
    anna = member()
    notification = queue(anna)

    first = notification_send(notification_id=notification.pk)
    second = notification_send(notification_id=notification.pk)

    assert (first.status, second.status, second.note) == ("SENT", "SENT", "already handled")
    assert len(telegram_bot.messages_to(anna.telegram_id)) == 1
    assert Notification.objects.get(pk=notification.pk).attempts == 1


def test_429_releases_the_row_and_holds_the_chat_back_for_retry_after(telegram_bot, member):
    anna = member()
    notification = queue(anna)
    telegram_bot.fail_next(429, retry_after=7)

    outcome = notification_send(notification_id=notification.pk)

    notification.refresh_from_db()
    assert (outcome.status, outcome.retry_in) == ("QUEUED", 7.0)
    assert (notification.status, notification.attempts, notification.claimed_at) == ("QUEUED", 1, None)
    assert notification.error == "Telegram: Too Many Requests: retry after 7"
    # Any worker asking for this chat now is told to wait out Telegram's retry_after, without calling it.
    again = notification_send(notification_id=notification.pk)
    assert again.note == "rate limit"
    assert 6 < again.retry_in <= 7
    assert len(telegram_bot.arrivals) == 1
    notification.refresh_from_db()
    assert (notification.attempts, notification.claimed_at) == (1, None)  # the wait gave its claim back


def test_403_marks_the_member_unreachable_and_fails_without_retry(telegram_bot, member):
    anna = member()
    notification = queue(anna)
    telegram_bot.fail_next(403)

    outcome = notification_send(notification_id=notification.pk)

    notification.refresh_from_db()
    anna.refresh_from_db()
    assert (outcome.status, outcome.retry_in) == ("FAILED", None)
    assert (notification.status, notification.error) == ("FAILED", "Telegram: Forbidden: bot was blocked by the user")
    assert anna.telegram_unreachable_at is not None
    later = queue(anna, kind=NotificationKind.RECEIPT)
    assert (later.status, later.error) == ("SKIPPED", "The member blocked the bot.")
    assert notification_send(notification_id=notification.pk).note == "already handled"
    assert len(telegram_bot.arrivals) == 1


def test_a_bad_request_fails_at_once(telegram_bot, member):
    notification = queue(member())
    telegram_bot.fail_next(400, description="Bad Request: chat not found")

    outcome = notification_send(notification_id=notification.pk)

    assert (outcome.status, outcome.retry_in) == ("FAILED", None)
    assert Notification.objects.get(pk=notification.pk).error == "Telegram: Bad Request: chat not found"


def test_server_errors_retry_with_exponential_backoff_then_fail_with_the_reason(
    telegram_bot, member, settings, no_chat_limit
):
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    settings.NOTIFICATION_RETRY_BACKOFF_SECONDS = 10
    anna = member()
    notification = queue(anna)
    for _ in range(3):
        telegram_bot.fail_next(502, description="Bad Gateway")

    outcomes = [notification_send(notification_id=notification.pk) for _ in range(3)]

    notification.refresh_from_db()
    assert [(o.status, o.retry_in) for o in outcomes] == [("QUEUED", 10), ("QUEUED", 20), ("FAILED", None)]
    assert (notification.status, notification.attempts) == ("FAILED", 3)
    assert notification.error == "Gave up after 3 attempts. Telegram answered HTTP 502: Bad Gateway"
    assert telegram_bot.messages_to(anna.telegram_id) == []


def test_a_backoff_never_exceeds_its_cap(telegram_bot, member, settings, no_chat_limit):
    settings.NOTIFICATION_RETRY_BACKOFF_SECONDS = 100
    settings.NOTIFICATION_RETRY_BACKOFF_MAX_SECONDS = 250
    notification = queue(member())
    for _ in range(3):
        telegram_bot.fail_next(500)

    retries = [notification_send(notification_id=notification.pk).retry_in for _ in range(3)]

    assert retries == [100, 200, 250]


def test_timeouts_retry_then_fail_with_the_reason_after_the_last_attempt(telegram_bot, member, settings, no_chat_limit):
    settings.NOTIFICATION_MAX_ATTEMPTS = 2
    settings.NOTIFICATION_RETRY_BACKOFF_SECONDS = 5
    settings.TELEGRAM_SEND_TIMEOUT_SECONDS = 0.3
    anna = member()
    notification = queue(anna)
    telegram_bot.hang_next(seconds=30)
    telegram_bot.hang_next(seconds=30)

    first = notification_send(notification_id=notification.pk)
    second = notification_send(notification_id=notification.pk)

    notification.refresh_from_db()
    assert (first.status, first.retry_in, second.status) == ("QUEUED", 5, "FAILED")
    assert (notification.status, notification.attempts) == ("FAILED", 2)
    assert notification.error == "Gave up after 2 attempts. Telegram did not answer within 0.3 s (ReadTimeout)."
    assert [arrival.status for arrival in telegram_bot.arrivals] == [0, 0]  # both hung, none delivered


def test_the_bot_token_is_never_in_the_stored_error(telegram_bot, member, settings):
    settings.TELEGRAM_API_BASE = "http://127.0.0.1:9"  # nothing listens: a connection error quoting the URL
    notification = queue(member())

    notification_send(notification_id=notification.pk)

    error = Notification.objects.get(pk=notification.pk).error
    assert error == "Telegram could not be reached (ConnectError)."
    assert settings.TELEGRAM_BOT_TOKEN not in error


def test_a_member_who_unlinked_after_queueing_is_skipped_at_send_time(telegram_bot, member):
    anna = member()
    notification = queue(anna)
    anna.telegram_id = None
    anna.save(update_fields=["telegram_id"])

    outcome = notification_send(notification_id=notification.pk)

    assert (outcome.status, Notification.objects.get(pk=notification.pk).error) == (
        "SKIPPED",
        "No Telegram account linked.",
    )
    assert telegram_bot.arrivals == []


def test_a_notification_claimed_by_another_delivery_is_left_to_it(telegram_bot, member):
    notification = queue(member())
    Notification.objects.filter(pk=notification.pk).update(claimed_at=timezone.now(), attempts=1)

    outcome = notification_send(notification_id=notification.pk)

    assert (outcome.status, outcome.retry_in, outcome.note) == ("QUEUED", None, "claimed by another delivery")
    assert telegram_bot.arrivals == []


def test_the_sweeper_fails_only_claims_older_than_the_stale_limit(member, settings):
    settings.NOTIFICATION_CLAIM_STALE_SECONDS = 300
    now = timezone.now()
    dead, busy, done = queue(member()), queue(member()), queue(member())
    Notification.objects.filter(pk=dead.pk).update(claimed_at=now - datetime.timedelta(seconds=301), attempts=1)
    Notification.objects.filter(pk=busy.pk).update(claimed_at=now - datetime.timedelta(seconds=20), attempts=1)
    Notification.objects.filter(pk=done.pk).update(
        claimed_at=now - datetime.timedelta(hours=2), status=NotificationStatus.SENT
    )

    assert notification_fail_stale_claims(now=now) == 1

    rows = {row.pk: (row.status, row.error) for row in Notification.objects.all()}
    assert rows[dead.pk] == ("FAILED", STALE_CLAIM_ERROR)
    assert rows[busy.pk] == ("QUEUED", "")
    assert rows[done.pk] == ("SENT", "")


def in_thread(target, *args):
    result = {}

    def run():
        try:
            result["value"] = target(*args)
        finally:
            connection.close()  # the thread's own database connection

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_second_delivery_while_the_first_is_inside_its_bot_api_call_sends_nothing(telegram_bot, member):
    anna = member()
    notification = queue(anna)
    telegram_bot.hang_next(seconds=30, then_answer=True)
    first, result = in_thread(lambda: notification_send(notification_id=notification.pk))
    wait_until(lambda: telegram_bot.hung() == 1, message="the first delivery inside its Bot API call")

    second = notification_send(notification_id=notification.pk)
    telegram_bot.release()
    first.join(timeout=30)

    assert (second.status, second.note) == ("QUEUED", "claimed by another delivery")
    assert result["value"].status == "SENT"
    assert len(telegram_bot.messages_to(anna.telegram_id)) == 1
    assert Notification.objects.get(pk=notification.pk).attempts == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_of_one_notification_send_it_once(telegram_bot, member):
    anna = member()
    notification = queue(anna)
    start = threading.Barrier(4)

    def deliver():
        start.wait(timeout=10)
        return notification_send(notification_id=notification.pk).status

    threads = [in_thread(deliver) for _ in range(4)]
    for thread, _ in threads:
        thread.join(timeout=30)

    assert sorted(result["value"] for _, result in threads).count("SENT") >= 1
    assert len(telegram_bot.messages_to(anna.telegram_id)) == 1
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("SENT", 1)


def test_a_slot_not_used_in_time_sends_nothing(telegram_bot, member):
    delivery = sending.send_message(chat_id=member().telegram_id, text="Hi", not_after=time.monotonic() - 0.001)

    assert delivery.answer is Answer.LATE
    assert telegram_bot.arrivals == []
