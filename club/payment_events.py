"""Events the payment provider publishes on `payment_queue`, and their strict parsing.

Body (JSON): `{"payment_id": int, "client_id": int, "status": "PAID|FAILED|EXPIRED|CANCELLED|PENDING",
"timestamp": ISO 8601 with a UTC offset}`. Anything else is malformed and gets dead-lettered.
"""

import datetime
import json
from dataclasses import dataclass

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


def _positive_int(body: dict, key: str) -> int:
    value = body.get(key)
    # bool is an int in Python; `true` is no payment id.
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 2**31:
        raise MalformedPaymentEvent(f"{key} must be a positive integer, got {value!r}.")
    return value


def parse_payment_event(raw: bytes | str) -> PaymentEvent:
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise MalformedPaymentEvent(f"not JSON: {error}") from error
    if not isinstance(body, dict):
        raise MalformedPaymentEvent("the body must be a JSON object.")
    if body.get("status") not in PROVIDER_STATUSES:
        raise MalformedPaymentEvent(f"status must be one of {', '.join(PROVIDER_STATUSES)}.")
    try:
        timestamp = datetime.datetime.fromisoformat(str(body.get("timestamp")))
    except ValueError as error:
        raise MalformedPaymentEvent("timestamp must be an ISO 8601 date-time.") from error
    if timestamp.tzinfo is None:
        raise MalformedPaymentEvent("timestamp must carry a UTC offset.")
    return PaymentEvent(
        payment_id=_positive_int(body, "payment_id"),
        client_id=_positive_int(body, "client_id"),
        status=PaymentStatus(body["status"]),
        timestamp=timestamp,
    )
