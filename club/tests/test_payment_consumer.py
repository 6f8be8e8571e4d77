import datetime
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from kombu import Connection, Queue

from club.models import Client, Payment
from club.payment_consumer import PaymentEventConsumer
from club.tests.factories import ClientFactory, MembershipFactory, PaymentFactory

pytestmark = [pytest.mark.rabbitmq, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PAID_AT = "2026-03-01T10:00:00+00:00"


@pytest.fixture
def broker():
    with Connection(settings.CELERY_BROKER_URL, transport_options={"confirm_publish": True}) as conn:
        yield conn


@pytest.fixture
def queue_name(broker):
    name = f"payment_queue_test_{uuid.uuid4().hex[:8]}"
    yield name
    channel = broker.channel()
    for queue in (name, f"{name}.dlq"):
        Queue(queue, channel=channel).delete()
    channel.close()


def publish(broker, queue_name: str, body) -> None:
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    with broker.Producer() as producer:
        producer.publish(
            payload,
            routing_key=queue_name,
            exchange="",
            declare=[Queue(queue_name, durable=True)],
            content_type="application/json",
            content_encoding="utf-8",
            delivery_mode=2,
        )


def event(payment: Payment, status: str = "PAID") -> dict:
    return {"payment_id": payment.pk, "client_id": payment.client_id, "status": status, "timestamp": PAID_AT}


def drain(broker, name: str) -> list:
    channel = broker.channel()
    queue = Queue(name, durable=True, channel=channel)
    messages = []
    while (message := queue.get(no_ack=True)) is not None:
        messages.append(message)
    channel.close()
    return messages


def wait_for(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


@pytest.fixture
def running_consumer(broker, queue_name):
    consumer = PaymentEventConsumer(broker, queue_name)
    thread = threading.Thread(target=consumer.run, daemon=True)
    thread.start()
    # No need to wait for it: publish() declares the durable queue, so messages wait for the consumer.
    yield consumer
    consumer.stop()
    thread.join(timeout=10)
    assert not thread.is_alive()


def queue_depth(broker, name: str) -> int:
    channel = broker.channel()
    try:
        return Queue(name, durable=True, channel=channel).queue_declare(passive=True).message_count
    finally:
        channel.close()


def test_a_paid_event_applied_twice_extends_the_membership_once(broker, queue_name, running_consumer):
    vip = MembershipFactory(access_level="VIP")
    client = ClientFactory(status="INACTIVE", expiration_date=timezone.localdate() + datetime.timedelta(days=5))
    payment = PaymentFactory(client=client, membership=vip)

    publish(broker, queue_name, event(payment))
    publish(broker, queue_name, event(payment))
    publish(broker, queue_name, event(payment, "FAILED"))  # late: a paid payment stays paid
    wait_for(lambda: queue_depth(broker, queue_name) == 0 and Payment.objects.get(pk=payment.pk).status == "PAID")
    time.sleep(0.3)  # let the duplicates be handled too

    payment.refresh_from_db()
    client.refresh_from_db()
    assert (payment.status, payment.paid_at) == ("PAID", datetime.datetime.fromisoformat(PAID_AT))
    assert client.status == "ACTIVE"
    assert client.membership_id == vip.pk
    assert client.expiration_date == timezone.localdate() + datetime.timedelta(days=35)
    assert drain(broker, f"{queue_name}.dlq") == []


def test_an_expired_membership_is_extended_from_today(broker, queue_name, running_consumer):
    payment = PaymentFactory(client=ClientFactory(expiration_date=datetime.date(2020, 1, 1)))

    publish(broker, queue_name, event(payment))
    wait_for(lambda: Client.objects.get(pk=payment.client_id).expiration_date != datetime.date(2020, 1, 1))

    assert Client.objects.get(pk=payment.client_id).expiration_date == timezone.localdate() + datetime.timedelta(
        days=30
    )


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
    reasons = {
        message.body.encode() if isinstance(message.body, str) else message.body: message.headers[
            "x-dead-letter-reason"
        ]
        for message in dead
    }
    assert sorted(reasons) == sorted(body if isinstance(body, bytes) else json.dumps(body).encode() for body in bad)
    assert reasons[b"{not json"].startswith("not JSON")
    assert reasons[json.dumps(bad[1]).encode()] == "payment_id must be a positive integer, got '7'."
    assert reasons[json.dumps(bad[4]).encode()] == f"no payment {payment.pk} of client {stranger.pk}."
    assert queue_depth(broker, queue_name) == 0
    assert Client.objects.get(pk=stranger.pk).expiration_date is None


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
