"""The limiter's one script on both of its stores: the suite's Redis and the embedded fakeredis."""

import threading
import uuid

import pytest

from notifications.ratelimit import TelegramRateLimiter


@pytest.fixture(params=["redis", "embedded"])
def limiter(request, settings):
    if request.param == "redis":
        if not settings.REDIS_URL:
            pytest.skip("needs redis: set REDIS_URL")
        return TelegramRateLimiter(settings.REDIS_URL, prefix=f"test-{uuid.uuid4().hex[:10]}")
    return TelegramRateLimiter(None, prefix=f"test-{uuid.uuid4().hex[:10]}")


def test_a_chat_gets_one_message_a_second(limiter, settings):
    settings.TELEGRAM_MAX_PER_SECOND = 1_000_000  # only the chat's limit in play

    first, second, other_chat = limiter.acquire(1), limiter.acquire(1), limiter.acquire(2)

    assert (first.allowed, second.allowed, other_chat.allowed) == (True, False, True)
    assert 0.9 < second.wait_seconds <= 1.0


def test_every_chat_shares_the_global_limit(limiter, settings):
    settings.TELEGRAM_MAX_PER_SECOND = 1

    first, second = limiter.acquire(1), limiter.acquire(2)

    assert (first.allowed, second.allowed) == (True, False)
    assert 0.9 < second.wait_seconds <= 1.0


def test_a_refused_message_takes_no_slot(limiter, settings):
    settings.TELEGRAM_MAX_PER_SECOND = 1_000_000
    limiter.acquire(1)
    settings.TELEGRAM_MAX_PER_SECOND = 1

    refused = limiter.acquire(1)  # the chat's second is not over: the global slot stays free

    assert not refused.allowed
    assert limiter.acquire(2).allowed


def test_a_deferred_chat_waits_out_telegrams_retry_after(limiter, settings):
    settings.TELEGRAM_MAX_PER_SECOND = 1_000_000

    limiter.defer(5, seconds=30)

    permit = limiter.acquire(5)
    assert not permit.allowed
    assert 29 < permit.wait_seconds <= 30
    assert limiter.acquire(6).allowed


def test_concurrent_workers_never_share_the_last_slot(limiter, settings):
    settings.TELEGRAM_MAX_PER_SECOND = 1
    start = threading.Barrier(8)
    allowed = []

    def ask(chat_id):
        start.wait(timeout=10)
        allowed.append(limiter.acquire(chat_id).allowed)

    threads = [threading.Thread(target=ask, args=(chat_id,)) for chat_id in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert sorted(allowed) == [False] * 7 + [True]
