"""Helpers for tests against a real RabbitMQ payment queue (fixtures in club/tests/conftest.py)."""

import datetime
import json
import threading
import uuid

import amqp
import pytest
from django.conf import settings
from django.utils import timezone
from kombu import Connection, Queue
from prometheus_client import REGISTRY

from club.models import Payment
from club.payment_consumer import PaymentEventConsumer

# Within the accepted window (settings.PAYMENT_EVENT_MAX_AGE) whenever the suite runs.
PAID_AT = (timezone.now() - datetime.timedelta(hours=1)).replace(microsecond=0).isoformat()


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


@pytest.fixture
def running_consumer(broker, queue_name):
    consumer = PaymentEventConsumer(broker, queue_name)
    thread = threading.Thread(target=consumer.run, daemon=True)
    thread.start()
    consumer.thread = thread
    # No need to wait for it: publish() declares the durable queue, so messages wait for the consumer.
    yield consumer
    consumer.stop()
    thread.join(timeout=10)
    assert not thread.is_alive()


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


def publish_raw(broker, queue_name: str, body: bytes, **properties) -> None:
    """Publish exactly these bytes and AMQP properties (py-amqp, below kombu's encoding)."""
    publish_raw_many(broker, queue_name, [(body, properties)])


def publish_raw_many(broker, queue_name: str, messages) -> None:
    """publish_raw() for each (body, properties), on one channel, each confirmed by the broker."""
    channel = broker.channel()
    try:
        Queue(queue_name, durable=True, channel=channel).declare()
        for body, properties in messages:
            channel.basic_publish(amqp.Message(body, **properties), exchange="", routing_key=queue_name)
    finally:
        channel.close()


def event(payment: Payment, status: str = "PAID", timestamp: str | None = None) -> dict:
    return {
        "payment_id": payment.pk,
        "client_id": payment.client_id,
        "status": status,
        "timestamp": timestamp or PAID_AT,
    }


def drain(broker, name: str) -> list[amqp.Message]:
    """Take every message off the queue, as py-amqp received it (kombu would try to decompress some)."""
    channel = broker.channel()
    channel.auto_decode = False
    Queue(name, durable=True, channel=channel).declare()
    messages = []
    while (message := channel.basic_get(queue=name, no_ack=True)) is not None:
        messages.append(message)
    channel.close()
    return messages


def body_bytes(message) -> bytes:
    return message.body or b""  # py-amqp gives a bodyless message the body ""


def handled_events() -> int:
    """Messages the consumers of this process have finished with (applied, unchanged or dead-lettered)."""
    return sum(
        int(REGISTRY.get_sample_value("club_payment_events_total", {"outcome": outcome}) or 0)
        for outcome in ("applied", "unchanged", "dead_lettered")
    )


def queue_depth(broker, name: str) -> int:
    channel = broker.channel()
    try:
        return Queue(name, durable=True, channel=channel).queue_declare(passive=True).message_count
    finally:
        channel.close()
