"""The topology survives its backing services' hiccups and its own processes' deaths.

A private redis-server and a private RabbitMQ node (own ports and data) are started for the module,
so they can be restarted without touching the shared ones; PostgreSQL is the suite's test database.
A request or task is held "in flight" by a row lock this test takes, then released.
"""

import asyncio
import json
import shutil
import signal
from contextlib import contextmanager

import httpx
import psycopg
import pytest
from channels.db import database_sync_to_async
from django.db import connection
from django.utils import timezone
from django_celery_results.models import TaskResult
from kombu import Connection, Queue
from websockets.asyncio.client import connect as ws_connect

from accounts.tests.factories import TrainerFactory, UserFactory
from club.models import Payment, PaymentStatus
from club.tests.factories import ClientFactory, PaymentFactory
from reports.models import Report
from tests.production.conftest import cleanup, make_topology, publish_payment_event, require_services
from tests.production.services import PrivateRabbitMQ, PrivateRedis
from tests.production.topology import APPLICATION_PREFIX, wait_until
from tests.timing import eventually
from workouts.models import WorkoutSession

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.rabbitmq,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

TAP = {"event": "rep_detected", "type": "tap"}


@pytest.fixture(scope="module")
def backing(django_db_setup):
    require_services()
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed: a private Redis with its append-only file cannot be started")
    redis_server, rabbitmq = PrivateRedis(), PrivateRabbitMQ()
    try:
        redis_server.start()
        rabbitmq.start()
        yield redis_server, rabbitmq
    finally:
        redis_server.remove()
        rabbitmq.remove()


@pytest.fixture(scope="module")
def topology(backing, django_db_blocker, tmp_path_factory):
    redis_server, rabbitmq = backing
    topology = make_topology(
        tmp_path_factory.mktemp("faults"),
        redis_url=redis_server.url,
        broker_url=rabbitmq.url,
        consumers=1,
        extra_env={"WEB_SHUTDOWN_GRACE_SECONDS": "10"},
    )
    try:
        topology.start()
        yield topology
    finally:
        topology.stop()
        cleanup(topology, redis_url=redis_server.url, broker_url=rabbitmq.url)


@contextmanager
def row_locked(table: str, pk: int):
    """Hold `SELECT ... FOR UPDATE` on one row: whoever writes it waits until the block ends."""
    with psycopg.connect(
        host="127.0.0.1", user="postgres", dbname=connection.settings_dict["NAME"], autocommit=False
    ) as locker:
        locker.execute(f"SELECT 1 FROM {table} WHERE id = %s FOR UPDATE", [pk])
        yield locker.info.backend_pid
        locker.commit()


def process_waiting_on(locker_pid: int, timeout: float = 15) -> str:
    """The name of the topology process whose connection waits for the lock held by `locker_pid`."""

    def waiting() -> str | None:
        with psycopg.connect(host="127.0.0.1", user="postgres", dbname="postgres", autocommit=True) as admin:
            row = admin.execute(
                "SELECT application_name FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))",
                [locker_pid],
            ).fetchone()
        return row[0].removeprefix(APPLICATION_PREFIX) if row else None

    return wait_until(waiting, timeout=timeout, message="a process waiting on the row lock")


def request_report(topology, trainer, web: int = 0) -> int:
    today = timezone.localdate().isoformat()
    response = httpx.post(
        f"{topology.webs[web].url}/api/reports/",
        json={"kind": "new_users", "format": "csv", "date_from": today, "date_to": today},
        headers={"Authorization": f"Bearer {topology_token(trainer)}"},
        timeout=10,
    )
    assert response.status_code == 202, response.text
    return response.json()["id"]


def topology_token(user) -> str:
    from rest_framework_simplejwt.tokens import AccessToken

    return str(AccessToken.for_user(user))


def report_status(pk: int) -> str:
    return Report.objects.get(pk=pk).status


def payment_status(pk: int) -> str:
    return Payment.objects.get(pk=pk).status


def new_report(requested_by) -> Report:
    # A row without a task yet: the test queues the task itself, on the broker it chooses.
    today = timezone.localdate().isoformat()
    return Report.objects.create(
        requested_by=requested_by,
        kind="new_users",
        format="csv",
        parameters={"date_from": today, "date_to": today},
    )


async def test_a_redis_restart_mid_workout_loses_no_acknowledged_rep(topology, backing):
    redis_server, _ = backing
    web_1, web_2 = topology.webs
    user = await database_sync_to_async(UserFactory)()
    token = topology_token(user)
    acknowledged = 0
    errors = 0

    async def stream(websocket, count: int) -> None:
        nonlocal acknowledged, errors
        for _ in range(count):
            await websocket.send(json.dumps(TAP))
            reply = json.loads(await asyncio.wait_for(websocket.recv(), 10))
            if reply["event"] == "rep_update":
                acknowledged += 1
            else:
                errors += 1

    async with (
        ws_connect(f"{web_1.ws_url}/ws/workout?token={token}") as on_1,
        ws_connect(f"{web_2.ws_url}/ws/workout?token={token}") as on_2,
    ):
        await asyncio.gather(stream(on_1, 20), stream(on_2, 20))
        # Killed, not shut down: only what its append-only file holds comes back (production's
        # `appendfsync everysec` bounds the loss to the last second if the machine itself dies;
        # a killed process loses nothing Redis acknowledged, which is what this asserts).
        await asyncio.to_thread(redis_server.crash_and_restart)
        # Reps right after the restart may be refused ("send it again"), never silently lost.
        await asyncio.gather(stream(on_1, 20), stream(on_2, 20))

        async def one_more_acknowledged() -> bool:
            before = acknowledged
            await stream(on_1, 1)
            return acknowledged > before

        await eventually(one_more_acknowledged, interval=0, message="a rep acknowledged after the restart")
    async with httpx.AsyncClient(base_url=web_2.url, timeout=10) as client:
        finished = await client.post(
            "/workout/finish", json={"type": "tap"}, headers={"Authorization": f"Bearer {token}"}
        )
    assert finished.status_code == 201, finished.text
    saved = await database_sync_to_async(
        lambda: list(WorkoutSession.objects.filter(user=user).values_list("total_reps", flat=True))
    )()
    assert acknowledged >= 41
    assert saved == [acknowledged]


def test_a_rabbitmq_restart_is_survived_and_queued_reports_still_complete(topology, backing):
    _, rabbitmq = backing
    trainer = TrainerFactory()
    before = request_report(topology, trainer)
    wait_until(lambda: report_status(before) == "SUCCESS", timeout=20, message="report before the restart")
    # A report queued with a delay is held by a worker, unacknowledged, when the broker goes away.
    from reports.tasks import generate_report

    queued = new_report(trainer)
    with Connection(rabbitmq.url) as broker:
        task_id = generate_report.apply_async(args=[queued.pk], countdown=3, connection=broker).id
    wait_until(lambda: received_by_a_worker(topology, task_id), message="the delayed task in a worker's hands")
    rabbitmq.restart()
    client = ClientFactory()
    payment = PaymentFactory(client=client, status=PaymentStatus.PENDING)
    publish_payment_event(rabbitmq.url, topology.payment_queue, payment)
    after = request_report(topology, trainer, web=1)

    wait_until(lambda: report_status(queued.pk) == "SUCCESS", timeout=60, message="the queued report")
    wait_until(lambda: report_status(after) == "SUCCESS", timeout=30, message="a report after the restart")
    wait_until(lambda: payment_status(payment.pk) == PaymentStatus.PAID, timeout=30, message="payment applied")
    assert all(process.alive for process in topology.processes.values())


def received_by_a_worker(topology, task_id: str) -> bool:
    """A worker logged the task received (`Task <name>[<id>] received`): it holds it, unacknowledged."""
    return any(f"[{task_id}] received" in topology[name].log() for name in topology.processes if "worker" in name)


def test_a_worker_killed_mid_task_hands_the_task_to_the_other_worker(topology):
    trainer = TrainerFactory()
    report = new_report(trainer)
    from reports.tasks import generate_report

    with row_locked("reports", report.pk) as locker:
        with Connection(topology.env["CELERY_BROKER_URL"]) as broker:
            result = generate_report.apply_async(args=[report.pk], connection=broker)
        victim = process_waiting_on(locker)
        assert victim in ("worker-1", "worker-2")
        topology[victim].kill()
    try:
        wait_until(lambda: report_status(report.pk) == "SUCCESS", timeout=30, message="the retried report")
        survivor = {"worker-1": "worker-2", "worker-2": "worker-1"}[victim]
        # The worker stores the task's result just after the task marked the report SUCCESS.
        wait_until(lambda: TaskResult.objects.filter(task_id=result.id).exists(), timeout=10, message="task result")
        assert TaskResult.objects.get(task_id=result.id).worker.startswith(f"{survivor}@")
    finally:
        topology[victim].start()
        topology.wait_ready(topology[victim])


async def test_sigterm_lets_a_web_node_finish_its_request_and_close_sockets_for_a_reconnect(topology):
    web = topology.webs[1]
    trainer, user = await database_sync_to_async(TrainerFactory)(), await database_sync_to_async(UserFactory)()
    client = await database_sync_to_async(ClientFactory)()
    async with (
        httpx.AsyncClient(base_url=web.url, timeout=30) as http,
        ws_connect(f"{web.ws_url}/ws/workout?token={topology_token(user)}") as device,
    ):
        with row_locked("clients", client.pk) as locker:
            in_flight = asyncio.create_task(
                http.patch(
                    f"/api/clients/{client.pk}/",
                    json={"first_name": "Renamed"},
                    headers={"Authorization": f"Bearer {topology_token(trainer)}"},
                )
            )
            await asyncio.to_thread(process_waiting_on, locker)
            web.signal(signal.SIGTERM)
            await asyncio.wait_for(device.wait_closed(), 10)
            # The request waits for this test's row lock, released only now: it is still in flight
            # (had SIGTERM cut it, it would fail below instead of answering 200).
            assert not in_flight.done()
        response = await in_flight
    # uvicorn's "service restart"; devices reconnect on 1012 as on 1001 (docs/realtime.md).
    assert device.close_code == 1012
    # gunicorn's graceful timeout let the in-flight request finish.
    assert (response.status_code, response.json()["first_name"]) == (200, "Renamed")
    # gunicorn exits 0; uvicorn re-raises the SIGTERM it handled once it has shut down cleanly.
    http_code, ws_code = await asyncio.to_thread(web.wait, 20)
    assert (http_code, ws_code in (0, -signal.SIGTERM)) == (0, True)
    await asyncio.to_thread(web.start)
    await asyncio.to_thread(topology.wait_ready, web)


def test_sigterm_lets_a_worker_finish_its_task(topology):
    trainer = TrainerFactory()
    report = new_report(trainer)
    from reports.tasks import generate_report

    with row_locked("reports", report.pk) as locker:
        with Connection(topology.env["CELERY_BROKER_URL"]) as broker:
            generate_report.apply_async(args=[report.pk], connection=broker)
        worker = topology[process_waiting_on(locker)]
        worker.signal(signal.SIGTERM)
    # A worker that SIGTERM cut short would die by the signal (not 0) with the report unfinished.
    assert worker.popen.wait(timeout=30) == 0
    assert report_status(report.pk) == "SUCCESS"
    worker.start()
    topology.wait_ready(worker)


def test_sigterm_lets_the_consumer_commit_and_ack_the_message_in_hand_then_exit(topology, backing):
    _, rabbitmq = backing
    consumer = topology["consumer-1"]
    payment = PaymentFactory(client=ClientFactory(), status=PaymentStatus.PENDING)
    with row_locked("payments", payment.pk) as locker:
        publish_payment_event(rabbitmq.url, topology.payment_queue, payment)
        assert process_waiting_on(locker) == "consumer-1"
        consumer.signal(signal.SIGTERM)
    # A consumer that SIGTERM cut short would die by the signal (not 0), the payment still PENDING.
    assert consumer.popen.wait(timeout=30) == 0
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    with Connection(rabbitmq.url) as broker:
        _, waiting, _ = Queue(topology.payment_queue, durable=True, channel=broker.channel()).queue_declare(
            passive=True
        )
    assert waiting == 0  # acknowledged: nothing is redelivered to the next consumer
    assert "Stopped." in consumer.log()


def test_sigterm_stops_beat_at_once(topology):
    beat = topology["beat"]
    beat.signal(signal.SIGTERM)
    assert beat.popen.wait(timeout=10) == 0
