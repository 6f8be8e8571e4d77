"""The `payment_queue` consumer: applies the payment provider's events (see club/payment_events.py).

Guarantees:
- a message is acknowledged only after its transaction committed; a crash in between redelivers it,
  and `payment_apply_event` is idempotent, so it is applied once;
- a malformed message (or one naming an unknown payment) is published to `<queue>.dlq` with the reason
  in its headers, then acknowledged: never silently dropped, never retried forever;
- while the database is unreachable a message is requeued, not lost;
- `stop()` (SIGTERM) lets the message in hand finish, then the loop ends within a second.
"""

import logging
import time

from django.db import DatabaseError, close_old_connections
from kombu import Connection, Queue
from kombu.message import Message
from kombu.mixins import ConsumerMixin

from club.payment_events import MalformedPaymentEvent, parse_payment_event
from club.services import payment_apply_event
from core.observability import PAYMENT_EVENTS

logger = logging.getLogger(__name__)

DATABASE_RETRY_DELAY = 2.0


class PaymentEventConsumer(ConsumerMixin):
    def __init__(self, connection: Connection, queue_name: str, *, prefetch_count: int = 10) -> None:
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
        # on_message gets the raw message: a body that is not even JSON must reach the dead-letter
        # queue, not kombu's decoder.
        return [Consumer(queues=[self.queue], on_message=self.handle, prefetch_count=self.prefetch_count)]

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

    def dead_letter(self, message: Message, *, reason: str) -> None:
        logger.warning("payment event dead-lettered: %s", reason)
        # Published with confirms (the connection's confirm_publish), then acknowledged: never lost.
        self.dead_letter_connection.Producer().publish(
            message.body,
            routing_key=self.dead_letter_queue.name,
            exchange="",
            declare=[self.dead_letter_queue],
            headers={**(message.headers or {}), "x-dead-letter-reason": reason[:500]},
            content_type=message.content_type or "application/octet-stream",
            content_encoding=message.content_encoding or "binary",
            delivery_mode=2,
            retry=True,
        )
        message.ack()
        PAYMENT_EVENTS.labels("dead_lettered").inc()
