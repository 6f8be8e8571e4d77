import datetime
import json

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.utils import timezone
from kombu import Connection, Queue
from rest_framework_simplejwt.tokens import AccessToken

from tests.production.topology import Topology

# Within the consumer's accepted window (settings.PAYMENT_EVENT_MAX_AGE) whenever the suite runs.
PAID_AT = (timezone.now() - datetime.timedelta(hours=1)).replace(microsecond=0).isoformat()


def topology_database_url() -> str:
    # The test database (test_<name>), where transactional tests commit what the processes must read.
    db = connection.settings_dict
    return f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def require_services() -> None:
    if not (connection.vendor == "postgresql" and settings.REDIS_URL and settings.CELERY_BROKER_URL.startswith("amqp")):
        pytest.skip("the production topology needs PostgreSQL, Redis and RabbitMQ")


def make_topology(workdir, *, redis_url: str | None = None, broker_url: str | None = None, **options) -> Topology:
    extra_env = {
        # `tap` reps are never debounced, so tests can stream them; squats keep the 500 ms window.
        "REP_MIN_INTERVAL_MS_BY_TYPE": "tap=0",
        # The tests stream reps in a closed loop; flooding is the consumer tests' subject.
        "WORKOUT_WS_FLOOD_BURST": "100000",
        "WORKOUT_WS_FLOOD_RATE": "100000",
        **options.pop("extra_env", {}),
    }
    return Topology(
        workdir=workdir,
        database_url=topology_database_url(),
        redis_url=redis_url or settings.REDIS_URL,
        broker_url=broker_url or settings.CELERY_BROKER_URL,
        jwt_private_key=settings.SIMPLE_JWT["SIGNING_KEY"],
        jwt_public_key=settings.SIMPLE_JWT["VERIFYING_KEY"],
        extra_env=extra_env,
        **options,
    )


def cleanup(topology: Topology, *, redis_url: str, broker_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    try:
        if stale := list(client.scan_iter(f"{topology.counter_prefix}:*")):
            client.delete(*stale)
    except redis.RedisError:
        pass
    finally:
        client.close()
    try:
        with Connection(broker_url, connect_timeout=3) as broker:
            channel = broker.channel()
            for name in (topology.payment_queue, f"{topology.payment_queue}.dlq"):
                Queue(name, channel=channel).delete()
            channel.close()
    except Exception:  # noqa: S110 - a broker the test stopped has nothing left to clean
        pass


@pytest.fixture
def start_web(django_db_blocker, tmp_path):
    """Starts one web node (the Procfile's web-http and web-ws), no worker, beat or consumer, with `extra_env`."""
    require_services()
    started: list[Topology] = []

    def start(**extra_env: str):
        topology = make_topology(
            tmp_path / f"web-{len(started)}", webs=1, workers=0, beat=False, consumers=0, extra_env=extra_env
        )
        started.append(topology)
        topology.start()
        return topology.webs[0]

    yield start
    for topology in started:
        topology.stop()
        cleanup(topology, redis_url=settings.REDIS_URL, broker_url=settings.CELERY_BROKER_URL)


@pytest.fixture(scope="module")
def tokens():
    """Access tokens minted by a test; the log test checks none of them ever reached a log."""
    minted: list[str] = []

    def mint(user) -> str:
        token = str(AccessToken.for_user(user))
        minted.append(token)
        return token

    mint.minted = minted
    return mint


def publish_payment_event(broker_url: str, queue: str, payment, status: str = "PAID") -> None:
    body = {"payment_id": payment.pk, "client_id": payment.client_id, "status": status, "timestamp": PAID_AT}
    with (
        Connection(broker_url, transport_options={"confirm_publish": True}) as broker,
        broker.Producer() as producer,
    ):
        producer.publish(
            json.dumps(body).encode(),
            routing_key=queue,
            exchange="",
            declare=[Queue(queue, durable=True)],
            content_type="application/json",
            content_encoding="utf-8",
            delivery_mode=2,
        )
