import datetime
import json
import os
import signal
import subprocess
import sys
import threading
import zlib
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from club.models import Client, Payment
from club.payment_consumer import PaymentEventConsumer
from club.tests.factories import ClientFactory, MembershipFactory, PaymentFactory
from club.tests.payment_queue import (
    PAID_AT,
    body_bytes,
    drain,
    event,
    handled_events,
    publish,
    publish_raw,
    queue_depth,
)
from tests.timing import wait_until as wait_for

pytestmark = [pytest.mark.rabbitmq, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_paid_event_applied_twice_extends_the_membership_once(broker, queue_name, running_consumer):
    vip = MembershipFactory(access_level="VIP")
    paid_until = timezone.localdate() + datetime.timedelta(days=5)
    client = ClientFactory(status="INACTIVE", expiration_date=paid_until)
    payment = PaymentFactory(client=client, membership=vip)

    handled_before = handled_events()
    publish(broker, queue_name, event(payment))
    publish(broker, queue_name, event(payment))
    publish(broker, queue_name, event(payment, "FAILED"))  # late: a paid payment stays paid
    wait_for(lambda: handled_events() - handled_before == 3, message="the three events handled")

    payment.refresh_from_db()
    client.refresh_from_db()
    assert (payment.status, payment.paid_at) == ("PAID", datetime.datetime.fromisoformat(PAID_AT))
    assert client.status == "ACTIVE"
    assert client.membership_id == vip.pk
    assert client.expiration_date == paid_until + datetime.timedelta(days=30)
    assert drain(broker, f"{queue_name}.dlq") == []


def test_an_expired_membership_is_extended_from_today(broker, queue_name, running_consumer):
    payment = PaymentFactory(client=ClientFactory(expiration_date=datetime.date(2020, 1, 1)))

    before = timezone.localdate()
    publish(broker, queue_name, event(payment))
    wait_for(lambda: Client.objects.get(pk=payment.client_id).expiration_date != datetime.date(2020, 1, 1))
    after = timezone.localdate()  # the consumer's "today" lies between, midnight or not

    extended = Client.objects.get(pk=payment.client_id).expiration_date
    assert extended in {before + datetime.timedelta(days=30), after + datetime.timedelta(days=30)}


def test_malformed_events_are_dead_lettered_and_the_consumer_carries_on(broker, queue_name, running_consumer):
    payment = PaymentFactory()
    stranger = ClientFactory()
    bad = [
        b"{not json",
        {"payment_id": "7", "client_id": payment.client_id, "status": "PAID", "timestamp": PAID_AT},
        {**event(payment), "status": "REFUNDED"},
        {**event(payment), "timestamp": "yesterday"},
        {**event(payment), "client_id": stranger.pk},
        {**event(payment), "payment_id": payment.pk + 1000},
    ]
    for body in bad:
        publish(broker, queue_name, body)
    publish(broker, queue_name, event(payment, "FAILED"))

    wait_for(lambda: Payment.objects.get(pk=payment.pk).status == "FAILED")
    dead = drain(broker, f"{queue_name}.dlq")
    reasons = {body_bytes(message): message.headers["x-dead-letter-reason"] for message in dead}
    assert sorted(reasons) == sorted(body if isinstance(body, bytes) else json.dumps(body).encode() for body in bad)
    assert reasons[b"{not json"].startswith("not JSON")
    assert reasons[json.dumps(bad[1]).encode()] == "payment_id must be a positive integer, got '7'."
    assert reasons[json.dumps(bad[4]).encode()] == f"no payment {payment.pk} of client {stranger.pk}."
    assert queue_depth(broker, queue_name) == 0
    assert Client.objects.get(pk=stranger.pk).expiration_date is None


def test_messages_the_consumer_cannot_read_are_dead_lettered_with_the_reason_and_it_carries_on(
    broker, queue_name, running_consumer
):
    payment = PaymentFactory()
    good = json.dumps(event(payment, "FAILED")).encode()
    json_type = {"content_type": "application/json"}
    odd_headers = {"none": None, "price": Decimal("1.50"), "nested": {"list": [1, b"\xff\x00", "\ud800"]}, b"\xff": "k"}
    cases = [
        # (body, AMQP properties, the reason the dead letter must carry)
        (b"", {**json_type, "content_encoding": "binary"}, "empty body."),
        (b"", {}, "empty body."),
        (b"\xff\xfe\xfa{", json_type, "the body is not UTF-8"),
        (good.decode().encode("utf-16"), json_type, "the body is not UTF-8"),
        (good.decode().encode("utf-16"), {**json_type, "content_encoding": "utf-16"}, "content_encoding must be utf-8"),
        (good, {**json_type, "content_encoding": "gzip"}, "content_encoding must be utf-8"),
        (good, {"content_type": "text/plain"}, "content_type must be application/json"),
        (zlib.compress(good), {**json_type, "application_headers": {"compression": "zlib"}}, "compressed bodies"),
        (b"junk", {**json_type, "application_headers": {"compression": "nope"}}, "compressed bodies"),
        (good + b" " * settings.PAYMENT_EVENT_MAX_BYTES, json_type, "body too large"),
        (good, {"content_type": b"\xff\xfeapplication/json"}, "unreadable AMQP properties: UnicodeDecodeError"),
        (good, {**json_type, "content_encoding": b"\xc3("}, "unreadable AMQP properties: UnicodeDecodeError"),
        (b"[" * 5000 + b"]" * 5000, json_type, "the body must be a JSON object."),
        (b'{"payment_id": NaN}', json_type, "NaN is not JSON."),
        (b"{not json", {**json_type, "application_headers": odd_headers}, "not JSON"),
        (b"{not json", {**json_type, "application_headers": {"big": "x" * 20000}}, "not JSON"),
    ]
    for body, properties, _ in cases:
        publish_raw(broker, queue_name, body, **properties)
    publish(broker, queue_name, event(payment, "FAILED"))

    # The valid event behind them all is applied: the consumer went on.
    wait_for(lambda: Payment.objects.get(pk=payment.pk).status == "FAILED")
    assert running_consumer.thread.is_alive()
    assert queue_depth(broker, queue_name) == 0
    dead = drain(broker, f"{queue_name}.dlq")
    assert [body_bytes(message) for message in dead] == [body for body, _, _ in cases]
    reasons = [message.headers["x-dead-letter-reason"] for message in dead]
    assert [reason[: len(expected)] for reason, (_, _, expected) in zip(reasons, cases, strict=True)] == [
        expected for _, _, expected in cases
    ]
    # Headers travel with the dead letter; those too big to publish again as their repr.
    assert dead[-2].headers["nested"] == {"list": [1, b"\xff\x00", "\ud800"]}
    assert dead[-2].headers["price"] == Decimal("1.50")
    assert dead[-1].headers["x-original-headers"].startswith("{'big': 'xxx")
    assert dead[7].headers["compression"] == "zlib"
    assert dead[10].headers["x-original-properties"]  # the raw property bytes, for the post-mortem


def test_events_with_an_impossible_timestamp_or_an_unknown_field_are_dead_lettered(
    broker, queue_name, running_consumer
):
    payment = PaymentFactory()
    now = timezone.now()
    bad = [
        event(payment, timestamp="0001-01-01T00:00:00+14:00"),
        event(payment, timestamp="9999-12-31T23:59:59-14:00"),
        event(payment, timestamp=(now - settings.PAYMENT_EVENT_MAX_AGE - datetime.timedelta(minutes=1)).isoformat()),
        event(payment, timestamp=(now + settings.PAYMENT_EVENT_MAX_AHEAD + datetime.timedelta(minutes=1)).isoformat()),
        {**event(payment), "amount": "0.01"},
        {**event(payment), "timestamp": 1767225600},
    ]
    for body in bad:
        publish(broker, queue_name, body)
    publish(broker, queue_name, event(payment, "PAID"))

    wait_for(lambda: Payment.objects.get(pk=payment.pk).status == "PAID")
    reasons = [message.headers["x-dead-letter-reason"] for message in drain(broker, f"{queue_name}.dlq")]
    assert reasons[0] == "timestamp '0001-01-01T00:00:00+14:00' is out of range."
    assert reasons[1] == "timestamp '9999-12-31T23:59:59-14:00' is out of range."
    assert reasons[2].startswith(f"timestamp {bad[2]['timestamp']!r} is outside ")
    assert reasons[3].startswith(f"timestamp {bad[3]['timestamp']!r} is outside ")
    assert reasons[4:] == ["unknown field(s): 'amount'.", "timestamp must be an ISO 8601 date-time."]
    assert Payment.objects.get(pk=payment.pk).paid_at == datetime.datetime.fromisoformat(PAID_AT)


def start_consume_payments(queue_name: str) -> subprocess.Popen:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
    }
    process = subprocess.Popen(
        [sys.executable, "manage.py", "consume_payments", "--queue", queue_name],
        cwd=Path(settings.BASE_DIR),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout.readline().startswith(f"Consuming {queue_name}")
    return process


@pytest.mark.slow
def test_consume_payments_command_applies_events_and_stops_cleanly_on_sigterm(broker, queue_name):
    payment = PaymentFactory()
    process = start_consume_payments(queue_name)
    try:
        publish(broker, queue_name, event(payment))
        wait_for(lambda: Payment.objects.get(pk=payment.pk).status == "PAID")

        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=10)
    finally:
        process.kill() if process.poll() is None else None

    assert process.returncode == 0, stderr
    assert stdout.strip() == "Stopped."
    assert queue_depth(broker, queue_name) == 0


def sessions_waiting_for_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return cursor.fetchone()[0]


@pytest.mark.slow
def test_a_consumer_killed_before_its_commit_leaves_the_event_on_the_queue(broker, queue_name):
    payment = PaymentFactory()
    db = connection.settings_dict
    # Another transaction holds the payment row: the consumer's transaction stops right before its write.
    with psycopg.connect(host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=db["NAME"]) as blocker:
        blocker.execute("SELECT 1 FROM payments WHERE id = %s FOR UPDATE", [payment.pk])
        process = start_consume_payments(queue_name)
        try:
            publish(broker, queue_name, event(payment))
            wait_for(lambda: sessions_waiting_for_a_lock() == 1)
            # The event is in the consumer's hands, its transaction open: now the process dies.
            process.kill()
            process.wait(timeout=10)
        finally:
            process.kill() if process.poll() is None else None
        blocker.rollback()

    # Not acknowledged before a commit that never came: RabbitMQ hands the event back, nothing was applied.
    wait_for(lambda: queue_depth(broker, queue_name) == 1)
    assert Payment.objects.get(pk=payment.pk).status == "PENDING"

    consumer = PaymentEventConsumer(broker, queue_name)
    thread = threading.Thread(target=consumer.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: Payment.objects.get(pk=payment.pk).status == "PAID")
        wait_for(lambda: queue_depth(broker, queue_name) == 0)
    finally:
        consumer.stop()
        thread.join(timeout=10)
    assert Client.objects.get(pk=payment.client_id).expiration_date == timezone.localdate() + datetime.timedelta(
        days=30
    )
