"""Look at, replay or purge the payment consumer's dead letters (`<queue>.dlq`); docs/operations.md."""

import amqp
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from kombu import Connection

from club.payment_consumer import REASON_HEADER, UNREADABLE_PROPERTIES_HEADER
from club.payment_events import MalformedPaymentEvent, parse_payment_event

# Headers the consumer adds to a dead letter; a replayed message goes back without them.
DEAD_LETTER_HEADERS = {REASON_HEADER, UNREADABLE_PROPERTIES_HEADER, "x-original-properties", "x-original-headers"}


def _printable(value: object, limit: int) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "backslashreplace")
    return str(value).encode("utf-8", "backslashreplace").decode("utf-8")[:limit]


class Command(BaseCommand):
    help = (
        "The payment consumer's dead letters: `list` them with their reasons, `replay` them onto the "
        "queue (oldest first; --body replaces the oldest one's body by a corrected event), `purge` them."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["list", "replay", "purge"])
        parser.add_argument("--queue", default=settings.PAYMENT_QUEUE, help="the consumer's queue: %(default)s")
        parser.add_argument("--count", type=int, help="replay/purge: this many, oldest first (replay default: all)")
        parser.add_argument("--all", dest="purge_all", action="store_true", help="purge: every dead letter")
        parser.add_argument("--limit", type=int, default=20, help="list: at most this many (default: %(default)s)")
        parser.add_argument("--body", help="replay: the corrected event (JSON) that replaces the oldest dead letter")

    def handle(self, *args, action: str, queue: str, count, purge_all: bool, limit: int, body, **options):
        if not settings.CELERY_BROKER_URL.startswith("amqp"):
            raise CommandError("CELERY_BROKER_URL must name the RabbitMQ broker (amqp://...).")
        if count is not None and count < 1:
            raise CommandError("--count must be at least 1.")
        with Connection(settings.CELERY_BROKER_URL, transport_options={"confirm_publish": True}) as connection:
            channel = connection.channel()
            channel.auto_decode = False  # the bodies as stored, bytes
            dead_letters = f"{queue}.dlq"
            waiting = channel.queue_declare(dead_letters, durable=True, auto_delete=False).message_count
            if action == "list":
                self.list(channel, dead_letters, waiting, limit)
            elif action == "replay":
                self.replay(channel, queue, dead_letters, 1 if body is not None else count or waiting, body)
            else:
                if not purge_all and count is None:
                    raise CommandError("purge needs --count N (oldest first) or --all.")
                self.purge(channel, dead_letters, waiting if purge_all else count)
            channel.close()

    def list(self, channel, dead_letters: str, waiting: int, limit: int) -> None:
        self.stdout.write(f"{waiting} dead letter(s) in {dead_letters}.")
        for number in range(1, min(waiting, limit) + 1):
            message = channel.basic_get(dead_letters, no_ack=False)
            if message is None:
                break
            headers = message.headers or {}
            body = message.body or b""
            self.stdout.write(
                f"{number}. {_printable(headers.get(REASON_HEADER, '(no reason)'), 500)}\n"
                f"   {len(body)} bytes, content_type {_printable(message.properties.get('content_type'), 60)}: "
                f"{_printable(body, 200)}"
            )
        # Nothing acknowledged: closing the channel puts them all back, in their order.

    def replay(self, channel, queue: str, dead_letters: str, count: int, body: str | None) -> None:
        if body is not None:
            try:
                parse_payment_event(body.encode())
            except MalformedPaymentEvent as error:
                raise CommandError(f"--body is not a valid event: {error}") from error
        channel.queue_declare(queue, durable=True, auto_delete=False)
        replayed = 0
        while replayed < count and (message := channel.basic_get(dead_letters, no_ack=False)) is not None:
            headers = {k: v for k, v in (message.headers or {}).items() if k not in DEAD_LETTER_HEADERS}
            payload = body.encode() if body is not None else message.body or b""
            # The consumer takes UTF-8 JSON only; whatever else a replayed body is, it comes back here.
            replay = amqp.Message(
                payload,
                content_type="application/json",
                content_encoding="utf-8",
                delivery_mode=2,
                application_headers=headers,
            )
            channel.basic_publish(replay, exchange="", routing_key=queue)  # confirmed by the broker
            channel.basic_ack(message.delivery_tag)
            replayed += 1
        self.stdout.write(f"Replayed {replayed} dead letter(s) onto {queue}.")

    def purge(self, channel, dead_letters: str, count: int) -> None:
        purged = 0
        while purged < count and channel.basic_get(dead_letters, no_ack=True) is not None:
            purged += 1
        self.stdout.write(f"Purged {purged} dead letter(s) from {dead_letters}.")
