from club.tests.payment_queue import broker, queue_name, running_consumer  # noqa: F401 - fixtures
