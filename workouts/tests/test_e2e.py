"""Two real daphne processes on loopback, driven over the network, sharing Redis and PostgreSQL.

The Redis is a private redis-server without persistence, so the last tests can stop and restart it;
server B reaches PostgreSQL through a TCP relay the tests can cut, to stage a database outage.
"""

import asyncio
import json
import socket

import httpx
import pytest
from channels.db import database_sync_to_async
from django.conf import settings
from django.db import connection
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed

from accounts.tests.factories import TrainerFactory, UserFactory
from tests.timing import eventually
from workouts.models import WorkoutSession
from workouts.tests.helpers import DaphneServer, TcpProxy, redis_server, token_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

TAP = {"event": "rep_detected", "type": "tap"}  # not debounced on these servers


def database_url(port: int | None = None) -> str:
    database = connection.settings_dict
    user, host = database["USER"] or "postgres", database["HOST"] or "127.0.0.1"
    if port is not None:
        host = "127.0.0.1"
    return f"postgres://{user}@{host}:{port or database['PORT'] or 5432}/{database['NAME']}"


@pytest.fixture(scope="module")
def servers(django_db_setup, django_db_blocker, tmp_path_factory):
    if not (settings.REDIS_URL and connection.vendor == "postgresql"):
        pytest.skip("needs PostgreSQL and Redis")
    keys = tmp_path_factory.mktemp("jwt")
    (keys / "private.pem").write_text(settings.SIMPLE_JWT["SIGNING_KEY"])
    (keys / "public.pem").write_text(settings.SIMPLE_JWT["VERIFYING_KEY"])
    database = connection.settings_dict
    proxy = TcpProxy(upstream_port=int(database["PORT"] or 5432), upstream_host=database["HOST"] or "127.0.0.1")
    proxy.start()
    # Redis as production runs it: with its append-only file (appendfsync everysec).
    with redis_server(aof_dir=tmp_path_factory.mktemp("redis")) as own_redis:
        common = {
            "REDIS_URL": own_redis.url,
            "JWT_PRIVATE_KEY_PATH": str(keys / "private.pem"),
            "JWT_PUBLIC_KEY_PATH": str(keys / "public.pem"),
            "REP_MIN_INTERVAL_MS_BY_TYPE": "tap=0",
            "DATABASE_POOL_TIMEOUT": "1",
            # The tests stream reps in a closed loop; flooding is the consumer tests' subject.
            "WORKOUT_WS_FLOOD_BURST": "10000",
        }
        pair = (
            DaphneServer({**common, "DATABASE_URL": database_url()}),
            DaphneServer({**common, "DATABASE_URL": database_url(proxy.port)}),
        )
        try:
            for server in pair:
                server.wait_ready()
            yield (*pair, proxy, own_redis)
        finally:
            for server in pair:
                server.stop()
            proxy.stop()


@pytest.fixture
async def device_user():
    return await database_sync_to_async(UserFactory)()


def device(server: DaphneServer, user, path: str = "/ws/workout"):
    return ws_connect(f"{server.ws_url}{path}?token={token_for(user)}")


async def send(websocket, message: dict) -> dict:
    await websocket.send(json.dumps(message))
    return json.loads(await websocket.recv())


async def finish(server: DaphneServer, user, body: dict | None = None, **headers) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=15) as client:
        return await client.post(
            "/workout/finish",
            json=body or {"type": "tap"},
            headers={"Authorization": f"Bearer {token_for(user)}", **headers},
        )


async def saved(user) -> list[tuple[str, int]]:
    rows = WorkoutSession.objects.filter(user=user).order_by("id").values_list("exercise_type", "total_reps")
    return await database_sync_to_async(list)(rows)


async def test_same_user_on_two_servers_is_debounced_once(servers, device_user):
    a, b, *_ = servers
    async with device(a, device_user) as on_a, device(b, device_user) as on_b:
        assert await send(on_a, {"event": "rep_detected"}) == {
            "event": "rep_update",
            "status": "success",
            "type": "squat",
            "total_reps": 1,
        }
        assert await send(on_b, {"event": "rep_detected"}) == {
            "event": "rep_ignored",
            "status": "ignored",
            "reason": "debounced",
            "type": "squat",
            "total_reps": 1,
        }


async def test_server_refuses_a_foreign_browser_origin_and_a_missing_token(servers, device_user):
    a, *_ = servers
    with pytest.raises(Exception, match="403"):
        async with ws_connect(f"{a.ws_url}/ws/workout?token={token_for(device_user)}", origin="https://evil.example"):
            pass
    async with ws_connect(f"{a.ws_url}/ws/workout") as anonymous:
        await anonymous.wait_closed()
        assert anonymous.close_code == 4401


async def test_staff_on_one_server_see_workouts_in_progress_reps_and_finishes_from_the_other(servers, device_user):
    a, b, *_ = servers
    trainer = await database_sync_to_async(TrainerFactory)()
    async with device(b, device_user) as on_b:
        await send(on_b, TAP)  # before anyone watches
        async with device(a, trainer, "/ws/live") as live:
            snapshot = json.loads(await asyncio.wait_for(live.recv(), 5))
            assert snapshot["event"] == "live_snapshot"
            assert [(row["user_id"], row["type"], row["total_reps"]) for row in snapshot["counts"]] == [
                (device_user.pk, "tap", 1)
            ]
            await send(on_b, TAP)
            # The first rep's own event may still be on its way (server B sends once per tick): the
            # page ignores an event not above the snapshot's total, and so does this test.
            rep = json.loads(await asyncio.wait_for(live.recv(), 5))
            if rep["event"] == "rep_update" and rep["total_reps"] <= 1:
                rep = json.loads(await asyncio.wait_for(live.recv(), 5))
            assert rep == {
                "event": "rep_update",
                "user_id": device_user.pk,
                "username": device_user.username,
                "name": device_user.username,
                "client_url": None,
                "type": "tap",
                "total_reps": 2,
            }
            workout_id = (await finish(b, device_user)).json()["workout_id"]
            finished = json.loads(await asyncio.wait_for(live.recv(), 5))
            assert (finished["event"], finished["workout_id"], finished["total_reps"]) == (
                "workout_finished",
                workout_id,
                2,
            )


async def test_reps_in_flight_during_finishes_are_neither_lost_nor_saved_twice(servers, device_user):
    a, b, *_ = servers
    acknowledged = 0

    async def stream_reps():
        nonlocal acknowledged
        async with device(a, device_user) as on_a:
            for _ in range(200):
                acknowledged += (await send(on_a, TAP))["event"] == "rep_update"

    async def keep_finishing(streaming: asyncio.Task):
        statuses = []
        while not streaming.done():
            statuses.append((await finish(b, device_user)).status_code)
        return statuses

    streaming = asyncio.create_task(stream_reps())
    statuses = await keep_finishing(streaming)
    await streaming
    final = await finish(b, device_user)
    assert final.status_code in (201, 409)
    assert statuses  # at least one finish ran while reps were streaming
    assert set(statuses) <= {201, 409}
    assert acknowledged == 200
    assert sum(reps for _, reps in await saved(device_user)) == 200


async def test_concurrent_finishes_on_two_servers_save_the_workout_once(servers, device_user):
    a, b, *_ = servers
    async with device(a, device_user) as on_a:
        for _ in range(5):
            await send(on_a, TAP)
    responses = await asyncio.gather(finish(a, device_user), finish(b, device_user))
    assert sorted(response.status_code for response in responses) == [201, 409]
    assert await saved(device_user) == [("tap", 5)]


async def test_retry_on_the_other_server_with_the_same_idempotency_key_returns_the_same_workout(servers, device_user):
    a, b, *_ = servers
    async with device(a, device_user) as on_a:
        await send(on_a, TAP)
        await send(on_a, TAP)
        first = await finish(a, device_user, **{"Idempotency-Key": "device-42"})
        await send(on_a, TAP)
    retry = await finish(b, device_user, **{"Idempotency-Key": "device-42"})
    assert (first.status_code, retry.status_code, retry.json()) == (201, 200, first.json())
    assert await saved(device_user) == [("tap", 2)]


async def test_database_outage_answers_503_keeps_counting_and_the_retry_saves_everything(servers, device_user):
    _, b, proxy, _ = servers
    async with device(b, device_user) as on_b:
        for _ in range(3):
            await send(on_b, TAP)
        proxy.stop()
        try:
            outage = await finish(b, device_user)
            # Counting needs no database: a rep during the outage is counted.
            assert (await send(on_b, TAP))["total_reps"] == 4
            # A new device cannot have its token checked: told to come back (4503), not that it is refused.
            async with device(b, device_user) as newcomer:
                await newcomer.wait_closed()
                assert newcomer.close_code == 4503
        finally:
            proxy.start()
    assert (outage.status_code, outage.json()) == (
        503,
        {"detail": "The database is unavailable; your reps are kept, retry the finish."},
    )
    for _ in range(3):
        # The pool may hand out a connection broken by the outage once more before it notices.
        retry = await finish(b, device_user)
        if retry.status_code != 503:
            break
    assert retry.status_code == 201
    assert await saved(device_user) == [("tap", 4)]


async def test_server_closes_a_message_over_its_size_limit_and_other_devices_carry_on(servers, device_user):
    a, *_ = servers
    async with device(a, device_user) as neighbour, device(a, device_user) as sender:
        # daphne >= 4.2.2 passes its 1 MiB limit to autobahn (CVE-2026-44545); before, any size was buffered.
        await sender.send(json.dumps({"event": "rep_detected", "pad": "x" * 2 * 1024 * 1024}))
        # Dropped at the protocol level (autobahn fails the connection): no reply, the consumer never sees it.
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(sender.recv(), 10)
        assert (await send(neighbour, TAP))["event"] == "rep_update"


def test_server_refuses_a_handshake_with_a_smuggled_header(servers, device_user):
    a, *_ = servers
    # autobahn splits header values on \x0b where Twisted does not: daphne >= 4.2.2 answers 400
    # instead of letting a second Authorization header into the scope (CVE-2026-44546).
    request = (
        "GET /ws/workout HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{a.port}\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        f"X-Note: hello\x0bAuthorization: Bearer {token_for(device_user)}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", a.port), timeout=10) as raw:
        raw.sendall(request.encode("latin-1"))
        status_line = raw.recv(1024).split(b"\r\n", 1)[0]
    assert status_line.split()[1] == b"400"


# ---------------------------------------------------------------------------
# Redis outages and restarts: these stop the servers' redis-server, so they come last
# ---------------------------------------------------------------------------
async def send_until_counted(websocket) -> dict:
    """What a device does after an error event: send the rep again until it is counted."""
    replies: list[dict] = []

    async def counted() -> bool:
        replies.append(await send(websocket, TAP))
        assert replies[-1]["event"] in {"rep_update", "error"}
        return replies[-1]["event"] == "rep_update"

    await eventually(counted, timeout=20, interval=0.1, message="the rep counted")
    return replies[-1]


async def finish_until_saved(server: DaphneServer, user) -> httpx.Response:
    responses: list[httpx.Response] = []

    async def saved() -> bool:
        responses.append(await finish(server, user))
        return responses[-1].status_code != 503

    await eventually(saved, timeout=20, interval=0.2, message="the finish through")
    return responses[-1]


async def test_rep_while_redis_is_down_gets_an_error_and_counting_resumes_on_the_same_connection(servers, device_user):
    a, _, _, own_redis = servers
    async with device(a, device_user) as on_a:
        assert (await send(on_a, TAP))["total_reps"] == 1
        own_redis.stop()
        try:
            assert await send(on_a, TAP) == {
                "event": "error",
                "status": "error",
                "message": "Rep not counted: the counter is unavailable, send it again.",
            }
            assert (await send(on_a, TAP))["event"] == "error"  # the socket is still open and answering
        finally:
            own_redis.start()
        assert (await send_until_counted(on_a))["total_reps"] == 2


async def test_acknowledged_reps_survive_a_redis_crash_and_the_finish_saves_them_all(servers, device_user):
    a, b, _, own_redis = servers
    acknowledged = 0
    async with device(a, device_user) as on_a, device(b, device_user) as on_b:
        for websocket in (on_a, on_b, on_a):
            for _ in range(3):
                # A link to Redis left over from the test before (it restarted Redis) may fail once.
                await send_until_counted(websocket)
                acknowledged += 1
        own_redis.crash()  # SIGKILL: it comes back from its append-only file
        own_redis.start()
        for websocket in (on_b, on_a):
            await send_until_counted(websocket)
            acknowledged += 1
    response = await finish_until_saved(b, device_user)
    assert response.status_code == 201
    assert acknowledged == 11
    assert await saved(device_user) == [("tap", 11)]
