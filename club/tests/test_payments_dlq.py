import io
import json

import pytest
from django.core.management import CommandError, call_command

from club.models import Payment
from club.tests.factories import PaymentFactory
from club.tests.payment_queue import body_bytes, drain, event, publish, publish_raw, queue_depth
from tests.timing import wait_until as wait_for

pytestmark = [pytest.mark.rabbitmq, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def dlq(*args: str) -> str:
    out = io.StringIO()
    call_command("payments_dlq", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def dead_letters(broker, queue_name, running_consumer):
    """Three dead letters: an empty body, an event with an unknown field, an event about no payment."""
    payment = PaymentFactory()
    publish_raw(broker, queue_name, b"", content_encoding="binary")
    publish(broker, queue_name, {**event(payment), "amount": "0.01"})
    publish(broker, queue_name, {**event(payment), "payment_id": payment.pk + 1000})
    wait_for(lambda: queue_depth(broker, f"{queue_name}.dlq") == 3)
    running_consumer.payment = payment
    return running_consumer


def test_list_shows_each_dead_letter_with_its_reason_and_leaves_them_queued(broker, queue_name, dead_letters):
    out = dlq("list", "--queue", queue_name)

    assert out.splitlines()[0] == f"3 dead letter(s) in {queue_name}.dlq."
    assert "1. empty body.\n   0 bytes, content_type application/octet-stream: \n" in out
    assert "2. unknown field(s): 'amount'.\n" in out
    assert f"3. no payment {dead_letters.payment.pk + 1000} of client {dead_letters.payment.client_id}.\n" in out
    assert queue_depth(broker, f"{queue_name}.dlq") == 3
    assert dlq("list", "--queue", queue_name, "--limit", "1").count("bytes, content_type") == 1


def test_replay_with_a_corrected_body_applies_the_event_and_drops_that_dead_letter(broker, queue_name, dead_letters):
    payment = dead_letters.payment
    dlq("purge", "--queue", queue_name, "--count", "1")  # the empty one

    out = dlq("replay", "--queue", queue_name, "--body", json.dumps(event(payment)))

    assert out == f"Replayed 1 dead letter(s) onto {queue_name}.\n"
    wait_for(lambda: Payment.objects.get(pk=payment.pk).status == "PAID")
    assert [message.headers["x-dead-letter-reason"][:10] for message in drain(broker, f"{queue_name}.dlq")] == [
        "no payment"
    ]


def test_replay_moves_dead_letters_back_without_the_dead_letter_headers(broker, queue_name, dead_letters):
    dead_letters.stop()  # nobody consumes: the replayed messages stay on the queue to be looked at
    dead_letters.thread.join(timeout=10)

    out = dlq("replay", "--queue", queue_name, "--count", "2")

    assert out == f"Replayed 2 dead letter(s) onto {queue_name}.\n"
    replayed = drain(broker, queue_name)
    assert [body_bytes(message) for message in replayed][1] == json.dumps(
        {**event(dead_letters.payment), "amount": "0.01"}
    ).encode()
    assert all("x-dead-letter-reason" not in (message.headers or {}) for message in replayed)
    assert queue_depth(broker, f"{queue_name}.dlq") == 1


def test_replay_refuses_a_corrected_body_that_is_no_valid_event(broker, queue_name, dead_letters):
    with pytest.raises(CommandError, match=r"--body is not a valid event: unknown field\(s\): 'amount'"):
        dlq("replay", "--queue", queue_name, "--body", json.dumps({**event(dead_letters.payment), "amount": 1}))
    assert queue_depth(broker, f"{queue_name}.dlq") == 3


def test_purge_removes_the_oldest_or_all_and_refuses_without_a_count(broker, queue_name, dead_letters):
    with pytest.raises(CommandError, match="purge needs --count N"):
        dlq("purge", "--queue", queue_name)

    assert dlq("purge", "--queue", queue_name, "--count", "1") == f"Purged 1 dead letter(s) from {queue_name}.dlq.\n"
    assert drain(broker, f"{queue_name}.dlq")[0].headers["x-dead-letter-reason"].startswith("unknown field")
    publish_raw(broker, f"{queue_name}.dlq", b"x")
    assert dlq("purge", "--queue", queue_name, "--all") == f"Purged 1 dead letter(s) from {queue_name}.dlq.\n"
    assert queue_depth(broker, f"{queue_name}.dlq") == 0
