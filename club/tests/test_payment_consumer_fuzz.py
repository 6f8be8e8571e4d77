"""The payment consumer fed 1,000 random messages on a real RabbitMQ: none of them stops it."""

import datetime
import json
import random
import zlib
from decimal import Decimal

import pytest
from django.conf import settings

from club.models import Payment
from club.tests.factories import PaymentFactory
from club.tests.payment_queue import body_bytes, drain, event, publish, publish_raw_many, queue_depth
from tests.timing import wait_until as wait_for

pytestmark = [pytest.mark.rabbitmq, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

MESSAGES = 1000
SEED = 20261205
NO_SUCH_PAYMENT = 2**31 - 1


def _text(rng: random.Random, size: int) -> str:
    alphabet = ["a", "Z", "0", " ", '"', "\\", "{", "\x00", "\u00e9", "\u202e", "\ud800", "\U0001f4b3", "\ufeff"]
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, size)))


def _short(rng: random.Random) -> str | bytes:
    """A short-string property: mostly text, sometimes bytes that are not UTF-8."""
    if rng.random() < 0.03:
        return rng.randbytes(rng.randint(1, 40))
    return rng.choice([_text(rng, 40), "application/json", "x" * 255])


def _header_value(rng: random.Random, depth: int = 0):
    kinds = ["none", "bool", "int", "big", "float", "decimal", "text", "bytes", "datetime", "dict", "list"]
    kind = rng.choice(kinds if depth < 3 else kinds[:-2])
    match kind:
        case "none":
            return None
        case "bool":
            return rng.random() < 0.5
        case "int":
            return rng.randint(-(2**31), 2**31)
        case "big":
            return rng.randint(-(2**63) + 1, 2**63 - 1)
        case "float":
            # Not NaN nor infinities: RabbitMQ itself refuses them (it closes the publisher's connection).
            return rng.choice([rng.uniform(-1e300, 1e300), 5e-324, -0.0])
        case "decimal":
            return Decimal(rng.randint(-(2**31) + 1, 2**31 - 1)).scaleb(-rng.randint(0, 20))
        case "text":
            return _text(rng, 60)
        case "bytes":
            return rng.randbytes(rng.randint(0, 60))
        case "datetime":
            return datetime.datetime(1970, 1, 2) + datetime.timedelta(seconds=rng.randint(0, 253_000_000_000))
        case "dict":
            return _headers(rng, depth + 1)
        case _:
            return [_header_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]


def _headers(rng: random.Random, depth: int = 0) -> dict:
    headers = {}
    for _ in range(rng.randint(0, 5)):
        key = _text(rng, 20) if rng.random() < 0.8 else rng.randbytes(rng.randint(1, 20))
        headers[key] = _header_value(rng, depth)
    if depth == 0 and rng.random() < 0.05:
        headers["compression"] = rng.choice(["zlib", "bzip2", "nope", _text(rng, 10)])
    if depth == 0 and rng.random() < 0.02:
        headers["big"] = "x" * rng.randint(16_000, 40_000)
    return headers


def _body(rng: random.Random) -> bytes:
    shaped = {"payment_id": NO_SUCH_PAYMENT, "client_id": 1, "status": "PAID", "timestamp": "2026-12-05T00:00:00Z"}
    match rng.randrange(9):
        case 0:
            return b""
        case 1:
            return rng.randbytes(rng.randint(1, 300))
        case 2:
            return _text(rng, 200).encode("utf-8", "surrogatepass")
        case 3:  # an event-shaped object with one field replaced, or one too many
            field = rng.choice([*shaped, "amount"])
            return json.dumps({**shaped, field: rng.choice([None, -1, 1.5, "7", [], {}, _text(rng, 30)])}).encode()
        case 4:  # a well-formed event about a payment that does not exist
            return json.dumps(shaped).encode()
        case 5:
            return json.dumps(_header_value(rng), default=repr, skipkeys=True).encode()
        case 6:
            depth = rng.randint(100, 8000)
            return b"[" * depth + b"]" * depth
        case 7:
            return json.dumps(shaped).encode() + b" " * rng.randint(settings.PAYMENT_EVENT_MAX_BYTES, 60_000)
        case _:
            return rng.choice([zlib.compress(json.dumps(shaped).encode()), json.dumps(shaped).encode("utf-16")])


def _properties(rng: random.Random) -> dict:
    candidates = {
        "content_type": lambda: rng.choice([_short(rng), "application/json", "text/plain", ""]),
        "content_encoding": lambda: rng.choice([_short(rng), "utf-8", "binary", "gzip", "utf-16", "latin-1"]),
        "application_headers": lambda: _headers(rng),
        "delivery_mode": lambda: rng.choice([1, 2]),
        "priority": lambda: rng.randint(0, 255),
        "correlation_id": lambda: _short(rng),
        "reply_to": lambda: _short(rng),
        "message_id": lambda: _short(rng),
        "timestamp": lambda: rng.randint(0, 2**64 - 1),
        "type": lambda: _short(rng),
        "app_id": lambda: _short(rng),
    }
    # Not `expiration` (a per-message TTL: RabbitMQ would drop it) nor `user_id` (RabbitMQ checks it).
    return {name: make() for name, make in candidates.items() if rng.random() < 0.5}


def test_a_thousand_random_messages_all_reach_the_dead_letter_queue_and_the_consumer_carries_on(
    broker, queue_name, running_consumer
):
    rng = random.Random(SEED)
    messages = [(_body(rng), _properties(rng)) for _ in range(MESSAGES)]
    publish_raw_many(broker, queue_name, messages)

    wait_for(lambda: queue_depth(broker, f"{queue_name}.dlq") == MESSAGES, timeout=60)
    assert running_consumer.thread.is_alive()
    payment = PaymentFactory()
    publish(broker, queue_name, event(payment))
    wait_for(lambda: Payment.objects.get(pk=payment.pk).status == "PAID")

    dead = drain(broker, f"{queue_name}.dlq")
    assert sorted(body_bytes(message) for message in dead) == sorted(body for body, _ in messages)
    reasons = [message.headers.get("x-dead-letter-reason") for message in dead]
    assert all(isinstance(reason, str) and reason for reason in reasons)
    assert not [reason for reason in reasons if reason.startswith("unexpected error")]
    assert queue_depth(broker, queue_name) == 0
