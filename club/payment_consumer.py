"""The `payment_queue` consumer: applies the payment provider's events (see club/payment_events.py).

Guarantees:
- a message is acknowledged only after its transaction committed; a crash in between redelivers it,
  and `payment_apply_event` is idempotent, so it is applied once;
- a message it cannot read or apply (undecodable AMQP properties, an empty, compressed, oversized or
  non-UTF-8 body, a content type other than JSON, a malformed event, an unknown payment) is published
  to `<queue>.dlq` with the reason in its `x-dead-letter-reason` header, then acknowledged: never
  silently dropped, never retried forever, and the consumer goes on with the next one;
- the dead-letter publish itself cannot fail on what the message holds: the body goes out as the raw
  bytes received, the headers as received when they can be encoded again, else as their repr;
- while the database is unreachable a message is requeued, not lost;
- `stop()` (SIGTERM) lets the message in hand finish, then the loop ends within a second.
"""

import logging
import time

import amqp.method_framing
from amqp.basic_message import Message as AmqpMessage
from amqp.serialization import dumps as amqp_dumps
from django.conf import settings
from django.db import DatabaseError, close_old_connections
from kombu import Connection, Queue
from kombu.message import Message
from kombu.mixins import ConsumerMixin

from club.payment_events import MalformedPaymentEvent, parse_payment_event
from club.services import payment_apply_event
from core.observability import PAYMENT_EVENTS

logger = logging.getLogger(__name__)

DATABASE_RETRY_DELAY = 2.0
REASON_HEADER = "x-dead-letter-reason"
# Set by the property guard below on a message whose AMQP properties could not be decoded.
UNREADABLE_PROPERTIES_HEADER = "x-unreadable-properties"
ACCEPTED_CONTENT_TYPES = {"", "application/json"}
# kombu labels raw bytes "binary"; the body must be UTF-8 JSON whatever the label.
ACCEPTED_CONTENT_ENCODINGS = {"", "utf-8", "utf8", "binary"}
# Headers of a dead letter above this size (encoded) are replaced by their truncated repr.
MAX_DEAD_LETTER_HEADERS_BYTES = 16384


class _PropertyTolerantMessage(AmqpMessage):
    """py-amqp's message, but properties it cannot decode do not kill the connection.

    py-amqp decodes a delivery's properties inside the connection's frame reader: a content type that
    is not UTF-8, a header timestamp past year 9999 or an unknown field type raises there, out of the
    consumer's reach, the delivery stays unacknowledged and comes back to crash every restart. Here
    such a message arrives with only a marker header (the reason) and its raw property bytes instead.
    Messages py-amqp can decode are untouched.
    """

    __slots__ = ()

    def _load_properties(self, class_id, buf, offset):
        try:
            return super()._load_properties(class_id, buf, offset)
        except Exception as error:  # whatever the decoder raises, the message is unreadable
            self.properties = {
                "application_headers": {
                    UNREADABLE_PROPERTIES_HEADER: f"{type(error).__name__}: {error}"[:300],
                    "x-original-properties": bytes(buf[offset : offset + 4096]),
                }
            }
            return offset


def install_property_guard() -> None:
    """Use _PropertyTolerantMessage for every delivery py-amqp reads in this process (idempotent)."""
    amqp.method_framing.Message = _PropertyTolerantMessage


def _safe_text(text: str, limit: int = 500) -> str:
    """`text` as valid UTF-8 (lone surrogates escaped), at most `limit` characters."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")[:limit]


def _dead_letter_headers(headers: object, reason: str) -> dict:
    """The message's headers plus the reason, in a form py-amqp is sure to encode (checked, not guessed)."""
    reason_header = {REASON_HEADER: _safe_text(reason)}
    if isinstance(headers, dict) and headers:
        candidate = {**headers, **reason_header}
        try:
            if len(amqp_dumps("F", [candidate])) <= MAX_DEAD_LETTER_HEADERS_BYTES:
                return candidate
        except Exception as error:  # anything the encoder refuses falls back to the repr below
            logger.warning("dead letter: headers not publishable as received (%r); sent as their repr", error)
        return {"x-original-headers": _safe_text(repr(headers), 4000), **reason_header}
    return reason_header


def _short_str(value: object, limit: int = 200) -> str:
    """A property (content type, encoding) as a publishable short string."""
    return _safe_text(str(value), limit) if value else ""


class PaymentEventConsumer(ConsumerMixin):
    def __init__(self, connection: Connection, queue_name: str, *, prefetch_count: int = 10) -> None:
        install_property_guard()
        self.connection = connection
        self.queue = Queue(queue_name, durable=True)
        self.dead_letter_queue = Queue(f"{queue_name}.dlq", durable=True)
        self.prefetch_count = prefetch_count
        # Dead letters go out on a connection of their own: waiting for the broker's publish confirm
        # on the consuming connection would dispatch the next delivery inside this handler (re-entrant
        # handling, and a confirm swallowed by the nested wait hangs the outer one).
        self.dead_letter_connection = connection.clone()

    def get_consumers(self, Consumer, channel):
        # Declared here, so the dead-letter queue exists even before the first bad message.
        self.dead_letter_queue.bind(channel).declare()
        # The body as the bytes received: py-amqp would otherwise decode it with the message's own
        # content_encoding (utf-16, latin-1, ...) before anyone looked at it.
        channel.auto_decode = False
        channel.message_to_python = self._without_decompression(channel.message_to_python)
        # on_message gets the raw message: a body that is not even JSON must reach the dead-letter
        # queue, not kombu's decoder; on_decode_error gets whatever kombu itself could not take in.
        return [
            Consumer(
                queues=[self.queue],
                on_message=self.handle,
                on_decode_error=self.handle_undecodable,
                prefetch_count=self.prefetch_count,
            )
        ]

    @staticmethod
    def _without_decompression(message_to_python):
        """kombu inflates a body whose `compression` header names a codec: a zip bomb. Keep it raw."""

        def to_python(raw):
            headers = raw.properties.get("application_headers")
            if not isinstance(headers, dict) or "compression" not in headers:
                return message_to_python(raw)
            raw.properties["application_headers"] = {k: v for k, v in headers.items() if k != "compression"}
            message = message_to_python(raw)
            message.headers = raw.properties["application_headers"] = headers
            return message

        return to_python

    def run(self, *args, **kwargs) -> None:
        try:
            super().run(*args, **kwargs)
        finally:
            self.dead_letter_connection.release()

    def stop(self) -> None:
        self.should_stop = True

    def handle(self, message: Message) -> None:
        close_old_connections()
        try:
            unreadable = self.unreadable_reason(message)
            if unreadable:
                raise MalformedPaymentEvent(unreadable)
            event = parse_payment_event(message.body)
            applied = payment_apply_event(event=event)
        except MalformedPaymentEvent as error:
            self.dead_letter(message, reason=str(error))
        except DatabaseError:
            logger.exception("database unavailable; payment event requeued")
            message.requeue()
            PAYMENT_EVENTS.labels("requeued").inc()
            time.sleep(DATABASE_RETRY_DELAY)
        except Exception as error:
            # A bug must not stall the queue behind one message: park it with the reason, keep going.
            logger.exception("payment event failed")
            self.dead_letter(message, reason=f"unexpected error: {error!r}")
        else:
            message.ack()
            PAYMENT_EVENTS.labels("applied" if applied else "unchanged").inc()
            logger.info("payment %s %s: %s", event.payment_id, event.status, "applied" if applied else "no change")
        finally:
            close_old_connections()

    def handle_undecodable(self, message: Message, error: Exception) -> None:
        self.dead_letter(message, reason=f"undecodable message: {type(error).__name__}: {error}")

    @staticmethod
    def unreadable_reason(message: Message) -> str | None:
        """Why the message cannot be read as an event at all, before its body is parsed; None if it can."""
        headers = message.headers if isinstance(message.headers, dict) else {}
        if UNREADABLE_PROPERTIES_HEADER in headers:
            return f"unreadable AMQP properties: {headers[UNREADABLE_PROPERTIES_HEADER]}"
        if "compression" in headers:
            return f"compressed bodies are not accepted (compression {headers['compression']!r:.60})."
        size = len(message.body or b"")
        if not size:
            return "empty body."
        if size > settings.PAYMENT_EVENT_MAX_BYTES:
            return f"body too large: {size} bytes (limit {settings.PAYMENT_EVENT_MAX_BYTES})."
        content_type = str(message.content_type or "").split(";")[0].strip().lower()
        if content_type not in ACCEPTED_CONTENT_TYPES:
            return f"content_type must be application/json, got {message.content_type!r:.100}."
        if str(message.content_encoding or "").strip().lower() not in ACCEPTED_CONTENT_ENCODINGS:
            return f"content_encoding must be utf-8, got {message.content_encoding!r:.100}."
        return None

    def dead_letter(self, message: Message | AmqpMessage, *, reason: str) -> None:
        """Park `message` (kombu's, or py-amqp's if kombu could not even wrap it) with `reason`, then ack it."""
        logger.warning("payment event dead-lettered: %s", _safe_text(reason))
        # py-amqp's message raises AttributeError for a property it was not sent.
        properties = getattr(message, "properties", None) or {}
        body = message.body
        if not isinstance(body, bytes):
            # py-amqp hands an empty body over as "" (and kombu would encode a str with the
            # message's own content_encoding, "binary" included): always publish bytes.
            body = str(body or "").encode("utf-8", "surrogatepass")
        # Published with confirms (the connection's confirm_publish), then acknowledged: never lost.
        self.dead_letter_connection.Producer().publish(
            body,
            routing_key=self.dead_letter_queue.name,
            exchange="",
            declare=[self.dead_letter_queue],
            headers=_dead_letter_headers(properties.get("application_headers"), reason),
            content_type=_short_str(properties.get("content_type")) or "application/octet-stream",
            content_encoding=_short_str(properties.get("content_encoding")) or "binary",
            delivery_mode=2,
            retry=True,
        )
        if isinstance(message, Message):
            message.ack()
        else:
            message.channel.basic_ack(message.delivery_tag)
        PAYMENT_EVENTS.labels("dead_lettered").inc()
