import signal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from kombu import Connection

from club.payment_consumer import PaymentEventConsumer


class Command(BaseCommand):
    help = "Apply payment events from the payment provider's RabbitMQ queue (runs until SIGTERM)."

    def add_arguments(self, parser):
        parser.add_argument("--queue", default=settings.PAYMENT_QUEUE, help="default: %(default)s")
        parser.add_argument("--prefetch", type=int, default=10, help="unacknowledged messages in flight")

    def handle(self, *args, queue: str, prefetch: int, **options):
        if not settings.CELERY_BROKER_URL.startswith("amqp"):
            raise CommandError("CELERY_BROKER_URL must name the RabbitMQ broker (amqp://...).")
        with Connection(settings.CELERY_BROKER_URL, transport_options={"confirm_publish": True}) as connection:
            consumer = PaymentEventConsumer(connection, queue, prefetch_count=prefetch)
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, lambda *_: consumer.stop())
            self.stdout.write(f"Consuming {queue} (dead letters: {consumer.dead_letter_queue.name}); SIGTERM stops.")
            self.stdout.flush()
            consumer.run()
        self.stdout.write("Stopped.")
