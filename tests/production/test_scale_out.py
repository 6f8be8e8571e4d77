"""The Procfile's topology on loopback — two web processes, two workers, the staff worker, beat, two payment consumers —
under the production settings, against the suite's PostgreSQL, Redis and RabbitMQ: what scaling out must
not break. Started once for the module (about ten seconds).
"""

import asyncio
import datetime
import json
import re
import threading

import httpx
import psycopg
import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_celery_results.models import TaskResult
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed

from accounts.tests.factories import TrainerFactory, UserFactory
from club.models import Client, Payment, PaymentStatus
from club.tests.factories import ClientFactory, PaymentFactory
from reports.models import Report
from tests.production.conftest import cleanup, make_topology, publish_payment_event, require_services
from tests.production.topology import metric_value, wait_until
from tests.timing import eventually

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.rabbitmq,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

TAP = {"event": "rep_detected", "type": "tap"}


@pytest.fixture(scope="module")
def topology(django_db_setup, django_db_blocker, tmp_path_factory):
    require_services()
    topology = make_topology(tmp_path_factory.mktemp("topology"))
    try:
        topology.start()
        yield topology
    finally:
        topology.stop()
        cleanup(topology, redis_url=settings.REDIS_URL, broker_url=settings.CELERY_BROKER_URL)


async def send(websocket, message: dict) -> dict:
    await websocket.send(json.dumps(message))
    return json.loads(await websocket.recv())


async def test_a_devices_reps_are_debounced_once_across_both_web_processes(topology, tokens):
    web_1, web_2 = topology.webs
    user = await database_sync_to_async(UserFactory)()
    token = tokens(user)
    async with (
        ws_connect(f"{web_1.ws_url}/ws/workout?token={token}") as on_1,
        ws_connect(f"{web_2.ws_url}/ws/workout?token={token}") as on_2,
    ):
        counted = await send(on_1, {"event": "rep_detected", "type": "squat"})
        ignored = await send(on_2, {"event": "rep_detected", "type": "squat"})
    assert (counted["event"], counted["total_reps"]) == ("rep_update", 1)
    assert (ignored["event"], ignored["reason"], ignored["total_reps"]) == ("rep_ignored", "debounced", 1)


async def test_staff_watching_one_web_process_see_reps_and_finishes_from_the_other(topology, tokens):
    web_1, web_2 = topology.webs
    device_user = await database_sync_to_async(UserFactory)()
    trainer = await database_sync_to_async(TrainerFactory)()
    async with (
        ws_connect(f"{web_1.ws_url}/ws/live?token={tokens(trainer)}") as live,
        ws_connect(f"{web_2.ws_url}/ws/workout?token={tokens(device_user)}") as device,
    ):
        assert json.loads(await asyncio.wait_for(live.recv(), 5))["event"] == "live_snapshot"
        await send(device, TAP)
        await send(device, TAP)
        seen = [json.loads(await asyncio.wait_for(live.recv(), 5)) for _ in range(2)]
        async with httpx.AsyncClient(base_url=web_2.url, timeout=10) as client:
            finished = await client.post(
                "/workout/finish", json={"type": "tap"}, headers={"Authorization": f"Bearer {tokens(device_user)}"}
            )
        event = json.loads(await asyncio.wait_for(live.recv(), 5))
    assert [(rep["user_id"], rep["total_reps"]) for rep in seen] == [(device_user.pk, 1), (device_user.pk, 2)]
    assert finished.status_code == 201
    assert (event["event"], event["workout_id"], event["total_reps"]) == (
        "workout_finished",
        finished.json()["workout_id"],
        2,
    )


def test_reports_requested_on_either_web_process_are_built_by_either_worker(topology, tokens):
    trainer = TrainerFactory()
    headers = {"Authorization": f"Bearer {tokens(trainer)}"}
    today = timezone.localdate().isoformat()
    body = {"kind": "new_users", "format": "csv", "date_from": today, "date_to": today}
    ids = []
    for n in range(8):
        response = httpx.post(f"{topology.webs[n % 2].url}/api/reports/", json=body, headers=headers, timeout=10)
        assert response.status_code == 202, response.text
        ids.append(response.json()["id"])

    def all_done() -> bool:
        return set(Report.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"SUCCESS"}

    wait_until(all_done, timeout=30, message="eight reports built")
    task_ids = list(Report.objects.filter(pk__in=ids).values_list("task_id", flat=True))
    # A worker stores its task's result just after the task marked the report SUCCESS.
    wait_until(
        lambda: TaskResult.objects.filter(task_id__in=task_ids).count() == len(task_ids),
        timeout=10,
        message="eight task results stored",
    )
    workers = {
        worker.split("@")[0]
        for worker in TaskResult.objects.filter(task_id__in=task_ids).values_list("worker", flat=True)
    }
    # Staff's reports: on the staff queue, which both workers and the staff worker consume.
    assert len(workers) >= 2
    assert workers <= {"worker-1", "worker-2", "staff-worker-1"}
    for web in topology.webs:
        download = httpx.get(f"{web.url}/api/reports/{ids[0]}/download/", headers=headers, timeout=10)
        assert (download.status_code, download.headers["Content-Type"].split(";")[0]) == (200, "text/csv")


def test_a_payment_event_delivered_to_both_consumers_is_applied_once(topology):
    expires = timezone.localdate() + datetime.timedelta(days=10)
    client = ClientFactory(expiration_date=expires)
    payment = PaymentFactory(client=client, status=PaymentStatus.PENDING)
    # The provider redelivers: the same event twice, one to each consumer (RabbitMQ round-robins).
    publish_payment_event(settings.CELERY_BROKER_URL, topology.payment_queue, payment)
    publish_payment_event(settings.CELERY_BROKER_URL, topology.payment_queue, payment)

    def both_handled() -> bool:
        return all(f"payment {payment.pk} PAID" in topology[name].log() for name in ("consumer-1", "consumer-2"))

    wait_until(both_handled, timeout=15, message="both consumers handled the event")
    payment.refresh_from_db()
    client.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    assert client.expiration_date == expires + datetime.timedelta(days=30)
    outcomes = sorted(
        re.search(rf"payment {payment.pk} PAID: ([a-z ]+)", topology[name].log()).group(1)
        for name in ("consumer-1", "consumer-2")
    )
    assert outcomes == ["applied", "no change"]
    assert Client.objects.filter(pk=client.pk, status="ACTIVE").exists()
    assert Payment.objects.filter(pk=payment.pk).count() == 1


async def test_any_web_process_serves_the_metrics_of_every_process(topology, tokens):
    web_1, web_2 = topology.webs
    before = topology.metrics(web_2)
    users = [await database_sync_to_async(UserFactory)() for _ in range(2)]
    async with (
        ws_connect(f"{web_1.ws_url}/ws/workout?token={tokens(users[0])}") as on_1,
        ws_connect(f"{web_2.ws_url}/ws/workout?token={tokens(users[1])}") as on_2,
    ):
        for websocket in (on_1, on_2):
            await send(websocket, {"event": "rep_detected"})
            await send(websocket, {"event": "rep_detected"})  # debounced
            await send(websocket, {"event": "jump"})  # an error reply
        during = await asyncio.to_thread(topology.metrics, web_2)
    after = await asyncio.to_thread(topology.metrics, web_1)

    def delta(text: str, name: str, **labels) -> float:
        return metric_value(text, name, **labels) - metric_value(before, name, **labels)

    assert delta(after, "club_workout_reps_total", outcome="counted") == 2
    assert delta(after, "club_workout_reps_total", outcome="ignored") == 2
    assert delta(after, "club_workout_reps_total", outcome="error") == 2
    assert delta(during, "club_websocket_connections_open", path="/ws/workout") == 2
    assert delta(after, "club_websocket_connections_open", path="/ws/workout") == 0
    # Workers and consumers write to the same directory: their figures are here too.
    assert metric_value(after, "club_celery_tasks_total", task="reports.tasks.generate_report", state="SUCCESS") >= 8
    assert metric_value(after, "club_payment_events_total", outcome="applied") >= 1
    assert metric_value(after, "club_http_requests_total", method="POST", route="api/reports/$", status="202") >= 8


def test_the_metrics_are_refused_without_the_token(topology):
    response = httpx.get(f"{topology.webs[0].url}/metrics", headers={"Authorization": "Bearer guess"}, timeout=5)
    assert response.status_code == 403


def test_postgres_connections_killed_under_load_give_503s_at_most_and_the_pool_recovers(topology, tokens):
    user = UserFactory()
    headers = {"Authorization": f"Bearer {tokens(user)}"}
    statuses: list[int] = []
    stop = threading.Event()

    def load(url: str) -> None:
        with httpx.Client(base_url=url, headers=headers, timeout=10) as client:
            while not stop.is_set():
                statuses.append(client.get("/api/me/").status_code)

    threads = [threading.Thread(target=load, args=(web.url,)) for web in topology.webs for _ in range(3)]
    for thread in threads:
        thread.start()
    killed = 0
    with psycopg.connect(host="127.0.0.1", user="postgres", dbname="postgres", autocommit=True) as admin:
        for _ in range(4):
            # Each kill comes once the webs have served more requests (and so hold connections again).
            served = len(statuses)
            wait_until(lambda served=served: len(statuses) >= served + 20, message="more requests served")
            # Only the topology's connections to this test database.
            killed += admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                f" WHERE datname = %s AND {topology.database_connections()}",
                [connection.settings_dict["NAME"]],
            ).fetchone()[0]
    # Enough requests after the kills, however loaded the machine is, to see every pool at work again.
    served_before = len(statuses)
    wait_until(lambda: len(statuses) > max(50, served_before + 20), timeout=30, message="requests after the kills")
    stop.set()
    for thread in threads:
        thread.join()

    assert killed > 0
    assert set(statuses) <= {200, 503}, sorted(set(statuses))

    def recovered() -> bool:
        # Every pool has replaced its connections: gunicorn's (HTTP) and uvicorn's (/ws/; it answers
        # HTTP too, from the same ASGI application, so a request reaches its pool).
        urls = [url for web in topology.webs for url in (web.url, web.ws.url)]
        return [httpx.get(f"{url}/api/me/", headers=headers, timeout=5).status_code for url in urls * 5] == [200] * 20

    wait_until(recovered, timeout=15, interval=0.5, message="every web process answering 200 again")


def test_logs_are_json_lines_without_tokens_or_secrets(topology, tokens):
    # Runs last in this module: every token the module minted has travelled through the processes.
    user = UserFactory()
    token = tokens(user)
    httpx.get(f"{topology.webs[0].url}/no-such-page?token={token}", timeout=5)
    httpx.get(f"{topology.webs[0].url}/api/me/", headers={"Authorization": f"Bearer {token}x"}, timeout=5)
    logs = topology.logs()
    assert "Not Found: /no-such-page" in logs
    secrets = [*tokens.minted, topology.metrics_token, topology.secret_key]
    assert [secret[:12] for secret in secrets if secret in logs] == []
    web_lines = [line for line in topology.webs[0].log().splitlines() if line.startswith("{")]
    assert web_lines
    entry = json.loads(web_lines[-1])
    assert {"time", "level", "logger", "request_id", "message"} <= set(entry)


def test_production_answers_carry_the_security_headers_and_secure_cookies(topology):
    web = topology.webs[0]
    # Behind the TLS proxy: it says the original request was HTTPS.
    health = httpx.get(f"{web.url}/health", headers={"X-Forwarded-Proto": "https"}, timeout=5)
    assert health.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert "script-src 'self'" in health.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in health.headers["Content-Security-Policy"]
    assert health.headers["X-Frame-Options"] == "DENY"
    assert health.headers["Referrer-Policy"] == "same-origin"
    assert health.headers["X-Content-Type-Options"] == "nosniff"
    login = httpx.get(f"{web.url}/login/", headers={"X-Forwarded-Proto": "https"}, timeout=5)
    assert login.status_code == 200
    assert "Secure" in login.headers["Set-Cookie"]


def test_an_oversized_request_body_is_refused_with_a_json_413(topology):
    body = b'{"username": "' + b"x" * (3 * 1024 * 1024) + b'"}'
    response = httpx.post(
        f"{topology.webs[0].url}/api/auth/token/",
        content=body,
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 413
    assert response.json()["detail"].startswith("The request body is too large: the limit is")


async def test_one_user_holds_at_most_five_workout_sockets_across_both_web_processes(topology, tokens):
    web_1, web_2 = topology.webs
    user = await database_sync_to_async(UserFactory)()
    token = tokens(user)
    held = [await ws_connect(f"{web.ws_url}/ws/workout?token={token}") for web in (web_1, web_1, web_1, web_2, web_2)]
    try:
        for websocket in held:
            assert (await send(websocket, TAP))["event"] in {"rep_update", "rep_ignored"}
        async with ws_connect(f"{web_2.ws_url}/ws/workout?token={token}") as sixth:
            assert json.loads(await asyncio.wait_for(sixth.recv(), 5)) == {
                "event": "error",
                "status": "error",
                "message": "Too many connections: at most 5 per user.",
            }
            await asyncio.wait_for(sixth.wait_closed(), 5)
        assert sixth.close_code == 4429
        # A socket closed on one process frees a place on the other (once web-2's one-second memo of
        # its refusal lapses: a device reconnects with back-off).
        await held.pop(0).close()

        async def let_in() -> bool:
            async with ws_connect(f"{web_2.ws_url}/ws/workout?token={token}") as replacement:
                try:
                    return (await send(replacement, TAP))["event"] in {"rep_update", "rep_ignored"}
                except ConnectionClosed:
                    return False  # still refused (4429)

        await eventually(let_in, timeout=30, interval=0.2, message="the place freed on web-1 usable on web-2")
    finally:
        for websocket in held:
            await websocket.close()
