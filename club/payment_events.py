"""Events the payment provider publishes on `payment_queue`, and their strict parsing.

Body (UTF-8 JSON): `{"payment_id": int, "client_id": int, "status": "PAID|FAILED|EXPIRED|CANCELLED|PENDING",
"timestamp": ISO 8601 with a UTC offset}`, these four fields and no other. The timestamp must lie within
`PAYMENT_EVENT_MAX_AGE` before and `PAYMENT_EVENT_MAX_AHEAD` after now (settings, docs/operations.md).
Anything else is malformed and gets dead-lettered.
"""

import datetime
import json
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from club.models import PaymentStatus

# REFUNDED is the desk's (club.services.payment_refund), never the provider's.
PROVIDER_STATUSES = [status for status in PaymentStatus.values if status != PaymentStatus.REFUNDED]


class MalformedPaymentEvent(ValueError):
    """The message can never be applied as it is (retrying would not help)."""


@dataclass(frozen=True)
class PaymentEvent:
    payment_id: int
    client_id: int
    status: PaymentStatus
    timestamp: datetime.datetime


EVENT_FIELDS = ("payment_id", "client_id", "status", "timestamp")


def _positive_int(body: dict, key: str) -> int:
    value = body.get(key)
    # bool is an int in Python; `true` is no payment id.
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 2**31:
        raise MalformedPaymentEvent(f"{key} must be a positive integer, got {value!r:.100}.")
    return value


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    body = dict(pairs)
    if len(body) != len(pairs):
        raise MalformedPaymentEvent("a JSON object repeats a key.")
    return body


def _no_constant(name: str) -> None:
    raise MalformedPaymentEvent(f"{name} is not JSON.")


def _load_object(raw: bytes | str) -> dict:
    try:
        # Strict UTF-8: json.loads(bytes) would also guess UTF-16/32, which the provider never sends.
        text = raw.decode("utf-8") if isinstance(raw, bytes | bytearray) else raw
        body = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except UnicodeDecodeError as error:
        raise MalformedPaymentEvent(f"the body is not UTF-8: {error}") from error
    except RecursionError as error:
        raise MalformedPaymentEvent("not JSON: nested too deep.") from error
    except MalformedPaymentEvent:
        raise
    except ValueError as error:
        raise MalformedPaymentEvent(f"not JSON: {error}") from error
    if not isinstance(body, dict):
        raise MalformedPaymentEvent("the body must be a JSON object.")
    return body


def _timestamp(value: object, *, now: datetime.datetime) -> datetime.datetime:
    if not isinstance(value, str):
        raise MalformedPaymentEvent("timestamp must be an ISO 8601 date-time.")
    try:
        timestamp = datetime.datetime.fromisoformat(value)
    except ValueError as error:
        raise MalformedPaymentEvent("timestamp must be an ISO 8601 date-time.") from error
    if timestamp.tzinfo is None:
        raise MalformedPaymentEvent("timestamp must carry a UTC offset.")
    try:
        # "0001-01-01T00:00:00+14:00" is a year-0 instant in UTC: Python cannot even represent it.
        timestamp = timestamp.astimezone(datetime.UTC)
    except (OverflowError, ValueError) as error:
        raise MalformedPaymentEvent(f"timestamp {value!r:.60} is out of range.") from error
    earliest, latest = now - settings.PAYMENT_EVENT_MAX_AGE, now + settings.PAYMENT_EVENT_MAX_AHEAD
    if not earliest <= timestamp <= latest:
        raise MalformedPaymentEvent(
            f"timestamp {value!r:.60} is outside {earliest.isoformat(timespec='seconds')}"
            f" .. {latest.isoformat(timespec='seconds')}."
        )
    return timestamp


def parse_payment_event(raw: bytes | str, *, now: datetime.datetime | None = None) -> PaymentEvent:
    """The event in `raw`; MalformedPaymentEvent (never anything else) when it is not a valid one."""
    body = _load_object(raw)
    unknown = sorted(key for key in body if key not in EVENT_FIELDS)
    if unknown:
        raise MalformedPaymentEvent(f"unknown field(s): {', '.join(repr(key) for key in unknown):.200}.")
    missing = [key for key in EVENT_FIELDS if key not in body]
    if missing:
        raise MalformedPaymentEvent(f"missing field(s): {', '.join(missing)}.")
    if body["status"] not in PROVIDER_STATUSES:
        raise MalformedPaymentEvent(f"status must be one of {', '.join(PROVIDER_STATUSES)}.")
    return PaymentEvent(
        payment_id=_positive_int(body, "payment_id"),
        client_id=_positive_int(body, "client_id"),
        status=PaymentStatus(body["status"]),
        timestamp=_timestamp(body["timestamp"], now=now or timezone.now()),
    )
