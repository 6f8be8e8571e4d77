import asyncio
import base64
import json
from datetime import datetime, timedelta

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts.tests.factories import TrainerFactory, UserFactory
from club.tests.factories import ClientFactory
from config.asgi import application
from tests.timing import eventually
from workouts import protocol
from workouts.connections import RedisConnectionSlots
from workouts.counter import get_rep_counter
from workouts.services import workout_finish
from workouts.tests.helpers import free_port, token_for

pytestmark = pytest.mark.django_db(transaction=True)

REP = {"event": "rep_detected", "type": "squat"}
TIMEOUT = 5  # seconds; generous for a loaded CI machine, only failures wait this long


@pytest.fixture
async def device_user():
    return await database_sync_to_async(UserFactory)()


async def connect(path: str, *, headers: list | None = None) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, path, headers=headers or [])
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def device(user, **kwargs) -> WebsocketCommunicator:
    return await connect(f"/ws/workout?token={token_for(user)}", **kwargs)


async def send(communicator: WebsocketCommunicator, message) -> dict:
    if isinstance(message, dict):
        await communicator.send_json_to(message)
    else:
        await communicator.send_to(text_data=message)
    return await communicator.receive_json_from(timeout=TIMEOUT)


async def assert_closed_with(communicator: WebsocketCommunicator, code: int) -> None:
    assert await communicator.receive_output(timeout=TIMEOUT) == {"type": "websocket.close", "code": code}


async def test_counted_rep_gets_the_seed_reply_shape(device_user):
    communicator = await device(device_user)
    assert await send(communicator, REP) == {
        "event": "rep_update",
        "status": "success",
        "type": "squat",
        "total_reps": 1,
    }
    await communicator.disconnect()


async def test_type_defaults_to_squat(device_user):
    communicator = await device(device_user)
    assert (await send(communicator, {"event": "rep_detected"}))["type"] == "squat"
    await communicator.disconnect()


async def test_second_rep_inside_window_is_ignored(device_user):
    communicator = await device(device_user)
    await send(communicator, REP)
    assert await send(communicator, REP) == {
        "event": "rep_ignored",
        "status": "ignored",
        "reason": "debounced",
        "type": "squat",
        "total_reps": 1,
    }
    await communicator.disconnect()


async def test_same_user_on_two_connections_is_debounced_once(device_user):
    first, second = await device(device_user), await device(device_user)
    assert (await send(first, REP))["event"] == "rep_update"
    assert (await send(second, REP))["event"] == "rep_ignored"
    await first.disconnect()
    await second.disconnect()


async def test_types_are_counted_independently(device_user):
    communicator = await device(device_user)
    await send(communicator, REP)
    reply = await send(communicator, {"event": "rep_detected", "type": "push_up"})
    assert (reply["event"], reply["type"], reply["total_reps"]) == ("rep_update", "push_up", 1)
    await communicator.disconnect()


async def test_authorization_header_authenticates(device_user):
    communicator = await connect(
        "/ws/workout", headers=[(b"authorization", f"Bearer {token_for(device_user)}".encode())]
    )
    assert (await send(communicator, REP))["event"] == "rep_update"
    await communicator.disconnect()


@pytest.mark.parametrize("path", ["/ws/workout", "/ws/workout?token=not-a-jwt", "/ws/workout?token="])
async def test_connection_without_a_valid_token_is_closed_4401(path):
    communicator = await connect(path)
    await assert_closed_with(communicator, 4401)


async def test_refresh_token_is_not_an_access_token(device_user):
    refresh = await database_sync_to_async(RefreshToken.for_user)(device_user)
    communicator = await connect(f"/ws/workout?token={refresh}")
    await assert_closed_with(communicator, 4401)


async def test_connection_is_told_and_closed_when_its_access_token_expires(device_user):
    token = AccessToken.for_user(device_user)
    token.set_exp(lifetime=timedelta(seconds=2))
    communicator = await connect(f"/ws/workout?token={token}")
    assert (await send(communicator, REP))["event"] == "rep_update"
    assert await communicator.receive_json_from(timeout=TIMEOUT) == {
        "event": "error",
        "status": "error",
        "message": "Access token expired: reconnect with a fresh one.",
    }
    await assert_closed_with(communicator, 4401)


async def test_soft_deleted_user_is_refused_and_nothing_is_counted(device_user):
    token = token_for(device_user)
    device_user.deleted_at = timezone.now()
    await database_sync_to_async(device_user.save)()
    communicator = await connect(f"/ws/workout?token={token}")
    await assert_closed_with(communicator, 4401)
    assert await database_sync_to_async(get_rep_counter().total)(user_id=device_user.pk, exercise_type="squat") == 0


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [(None, True), (b"http://localhost:8000", True), (b"https://evil.example", False), (b"null", False)],
)
async def test_browser_origins_must_be_allowed_hosts_and_devices_send_none(device_user, origin, allowed):
    headers = [(b"origin", origin)] if origin else []
    communicator = WebsocketCommunicator(application, f"/ws/workout?token={token_for(device_user)}", headers=headers)
    connected, _ = await communicator.connect()
    assert connected is allowed
    await communicator.disconnect()


BAD_TYPE = "type must be a lowercase slug such as 'squat' (letters, digits, '_' or '-', at most 50)."
BAD_FRAMES = [
    ("{not json", "Malformed JSON."),
    ("[1, 2]", 'A message is a JSON object such as {"event": "rep_detected", "type": "squat"}.'),
    ({"event": "rep_finished"}, "Unknown event: the only event is 'rep_detected'."),
    ({"type": "squat"}, "Unknown event: the only event is 'rep_detected'."),
    ({"event": "rep_detected", "type": "Squat"}, BAD_TYPE),
    ({"event": "rep_detected", "type": 5}, BAD_TYPE),
    ({"event": "rep_detected", "type": None}, BAD_TYPE),
    ({"event": "rep_detected", "type": "x" * 51}, BAD_TYPE),
    (json.dumps({"event": "rep_detected", "pad": "x" * 16 * 1024}), "Message too large: the limit is 16384 bytes."),
]


async def test_bad_messages_get_an_error_event_and_the_connection_stays_usable(device_user):
    communicator = await device(device_user)
    for frame, message in BAD_FRAMES:
        assert await send(communicator, frame) == {"event": "error", "status": "error", "message": message}
    assert (await send(communicator, REP))["total_reps"] == 1
    await communicator.disconnect()


async def test_binary_frame_gets_an_error_event(device_user):
    communicator = await device(device_user)
    await communicator.send_to(bytes_data=b"\x00\x01")
    assert (await communicator.receive_json_from(timeout=TIMEOUT))["message"] == "Send JSON in text frames."
    await communicator.disconnect()


async def test_flooding_client_is_told_and_closed_without_hurting_others(device_user, settings):
    settings.WORKOUT_WS_FLOOD_BURST = 5
    settings.WORKOUT_WS_FLOOD_RATE = 0.001  # no refill during the test, however slow the machine
    flooder, neighbour = await device(device_user), await device(device_user)
    for _ in range(5):
        await send(flooder, {"event": "rep_detected", "type": "plank"})
    assert await send(flooder, REP) == {
        "event": "error",
        "status": "error",
        "message": "Too many messages: closing the connection.",
    }
    await assert_closed_with(flooder, 4429)
    assert (await send(neighbour, REP))["event"] == "rep_update"
    await neighbour.disconnect()


TOO_MANY_CONNECTIONS = {"event": "error", "status": "error", "message": "Too many connections: at most 5 per user."}


async def first_answer(communicator: WebsocketCommunicator) -> dict:
    """What a socket says to its first rep: a counted or debounced rep if it was let in."""
    return await send(communicator, {"event": "rep_detected", "type": "tap"})


@pytest.mark.parametrize("backend", ["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def test_a_users_sixth_workout_socket_is_refused_with_4429_until_one_closes(device_user, settings, backend):
    if backend == "memory":
        settings.REDIS_URL = None  # make run: counted in the process
    other_user = await database_sync_to_async(UserFactory)()
    sockets = [await device(device_user) for _ in range(5)]
    for communicator in sockets:
        assert (await first_answer(communicator))["event"] in {"rep_update", "rep_ignored"}

    sixth = await device(device_user)
    assert await first_answer(sixth) == TOO_MANY_CONNECTIONS
    await assert_closed_with(sixth, 4429)
    # Other users are not affected.
    neighbour = await device(other_user)
    assert (await first_answer(neighbour))["event"] == "rep_update"

    # A socket that closes gives its place back.
    await sockets.pop().disconnect()
    replacement = await device(device_user)
    assert (await first_answer(replacement))["event"] in {"rep_update", "rep_ignored"}
    for communicator in [*sockets, replacement, neighbour]:
        await communicator.disconnect()


async def connect_until_let_in(user) -> None:
    """Opens sockets of the user until one is let in (what a device reconnecting with back-off does)."""
    deadline = asyncio.get_running_loop().time() + 10 * TIMEOUT
    while True:
        communicator = await device(user)
        answer = await first_answer(communicator)
        await communicator.disconnect()
        if answer != TOO_MANY_CONNECTIONS:
            return
        assert asyncio.get_running_loop().time() < deadline, "no place was freed"


@pytest.mark.redis
async def test_a_socket_closed_for_flooding_keeps_its_place_for_the_penalty(device_user, settings):
    settings.WORKOUT_WS_FLOOD_BURST = 5
    settings.WORKOUT_WS_FLOOD_RATE = 0.001
    settings.WORKOUT_WS_FLOOD_PENALTY_SECONDS = 1.0
    settings.WORKOUT_WS_REFUSAL_MEMO_SECONDS = 0.1
    sockets = [await device(device_user) for _ in range(5)]
    flooder = sockets.pop()
    for _ in range(6):
        await flooder.send_json_to(REP)
    while (await flooder.receive_json_from(timeout=TIMEOUT))["event"] != "error":
        pass
    await assert_closed_with(flooder, 4429)
    # The server tells the application the socket is gone once it sent the close (uvicorn and daphne alike).
    await flooder.disconnect()

    # Reconnecting at once gets no fresh burst: the flooder's place is still taken ...
    again = await device(device_user)
    assert await first_answer(again) == TOO_MANY_CONNECTIONS
    await assert_closed_with(again, 4429)
    # ... until the penalty is over.
    await connect_until_let_in(device_user)
    for communicator in sockets:
        await communicator.disconnect()


async def test_a_user_just_refused_is_refused_again_before_any_token_check(device_user, settings):
    """A reconnect loop costs no signature check, query or Redis round trip while the refusal is remembered."""
    settings.WORKOUT_WS_REFUSAL_MEMO_SECONDS = 2.0
    sockets = [await device(device_user) for _ in range(5)]
    refused = await device(device_user)
    assert await first_answer(refused) == TOO_MANY_CONNECTIONS
    # The same user id in a token nobody signed: refused for the cap, not for the token (nor let in).
    header, _, signature = token_for(device_user).split(".")
    forged_claims = base64.urlsafe_b64encode(
        json.dumps({"token_type": "access", "user_id": str(device_user.pk)}).encode()
    )
    forged = WebsocketCommunicator(
        application, f"/ws/workout?token={header}.{forged_claims.decode().rstrip('=')}.{signature}"
    )
    assert (await forged.connect(timeout=3 * TIMEOUT))[0]
    assert await forged.receive_json_from(timeout=TIMEOUT) == TOO_MANY_CONNECTIONS
    await assert_closed_with(forged, 4429)
    for communicator in sockets:
        await communicator.disconnect()


def hold_slots_in_a_process_that_then_dies(user_id: int, count: int) -> None:
    """Sockets of another web process that crashed: slots taken in Redis, never given back or renewed."""

    async def hold() -> None:
        slots = RedisConnectionSlots(django_settings.REDIS_URL)
        for _ in range(count):
            assert await slots.acquire(user_id=user_id)

    asyncio.run(hold())  # the loop ends with the slots held: its renewer dies with it


@pytest.mark.redis
async def test_the_slots_of_a_crashed_process_count_until_their_ttl_then_lapse(device_user, settings):
    settings.WORKOUT_WS_SLOT_TTL_SECONDS = 1.0
    settings.WORKOUT_WS_REFUSAL_MEMO_SECONDS = 0.1
    await asyncio.to_thread(hold_slots_in_a_process_that_then_dies, device_user.pk, 5)
    refused = await device(device_user)
    assert await first_answer(refused) == TOO_MANY_CONNECTIONS
    await assert_closed_with(refused, 4429)

    await connect_until_let_in(device_user)


async def test_rep_while_the_counter_is_unreachable_gets_an_error_and_the_connection_stays_open(device_user, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    communicator = await device(device_user)
    assert await send(communicator, REP) == {
        "event": "error",
        "status": "error",
        "message": "Rep not counted: the counter is unavailable, send it again.",
    }
    assert (await send(communicator, REP))["event"] == "error"  # still open, still answering
    await communicator.disconnect()


# ---------------------------------------------------------------------------
# /ws/live
# ---------------------------------------------------------------------------
async def watch_live(user) -> tuple[WebsocketCommunicator, dict]:
    """A staff socket on `/ws/live` and the snapshot it gets first."""
    live = await connect(f"/ws/live?token={token_for(user)}")
    return live, await live.receive_json_from(timeout=TIMEOUT)


async def test_a_new_staff_socket_first_gets_every_workout_in_progress(device_user, settings):
    settings.REP_MIN_INTERVAL_MS = 0
    other_client = await database_sync_to_async(ClientFactory)(first_name="Olga", last_name="Ivanova")
    other = other_client.user
    finished = await database_sync_to_async(UserFactory)()
    trainer = await database_sync_to_async(TrainerFactory)()
    started = timezone.now()
    for user, exercise, reps in [(device_user, "squat", 3), (other, "push_up", 1), (finished, "lunge", 2)]:
        communicator = await device(user)
        for _ in range(reps):
            await send(communicator, {"event": "rep_detected", "type": exercise})
        await communicator.disconnect()
    await database_sync_to_async(workout_finish)(user=finished, exercise_type="lunge")

    live, snapshot = await watch_live(trainer)

    assert snapshot["event"] == "live_snapshot"
    rows = [{key: value for key, value in row.items() if key != "last_rep_at"} for row in snapshot["counts"]]
    assert rows == [  # the most recent rep first; the saved workout is not in progress any more
        {
            "user_id": other.pk,
            "username": other.username,
            "name": "Olga Ivanova",
            "client_url": f"/dashboard/clients/{other_client.pk}/",
            "type": "push_up",
            "total_reps": 1,
        },
        {
            "user_id": device_user.pk,
            "username": device_user.username,
            "name": device_user.username,  # no client profile: the username, and no link
            "client_url": None,
            "type": "squat",
            "total_reps": 3,
        },
    ]
    for row in snapshot["counts"]:
        assert started - timedelta(seconds=1) <= datetime.fromisoformat(row["last_rep_at"]) <= timezone.now()
    # Live events follow as before (a late tick may still carry the earlier workouts' events first).
    communicator = await device(device_user)
    await send(communicator, REP)
    event = await live.receive_json_from(timeout=TIMEOUT)
    while event.get("user_id") != device_user.pk or event.get("total_reps") != 4:
        event = await live.receive_json_from(timeout=TIMEOUT)
    await communicator.disconnect()
    await live.disconnect()


async def test_a_staff_socket_with_nothing_in_progress_gets_an_empty_snapshot():
    trainer = await database_sync_to_async(TrainerFactory)()
    live, snapshot = await watch_live(trainer)
    assert snapshot == {"event": "live_snapshot", "counts": []}
    await live.disconnect()


async def test_a_staff_socket_is_told_to_come_back_when_the_workouts_in_progress_cannot_be_read(settings):
    trainer = await database_sync_to_async(TrainerFactory)()
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"  # the counters' Redis, not the channel layer's
    live = await connect(f"/ws/live?token={token_for(trainer)}")
    await assert_closed_with(live, 4503)


async def test_staff_see_every_counted_rep_live_with_the_members_name_and_page_from_the_first():
    trainer = await database_sync_to_async(TrainerFactory)()
    member = await database_sync_to_async(ClientFactory)(first_name="Maria", last_name="Kuznetsova")
    live, _ = await watch_live(trainer)
    communicator = await device(member.user)
    await send(communicator, REP)
    await send(communicator, REP)  # debounced: not a live event
    await send(communicator, {"event": "rep_detected", "type": "lunge"})
    assert await live.receive_json_from(timeout=TIMEOUT) == {
        "event": "rep_update",
        "user_id": member.user.pk,
        "username": member.user.username,
        "name": "Maria Kuznetsova",
        "client_url": f"/dashboard/clients/{member.pk}/",
        "type": "squat",
        "total_reps": 1,
    }
    # Events go out in the order their reps were counted: a live event of the debounced rep would
    # come before the lunge's.
    assert (await live.receive_json_from(timeout=TIMEOUT))["type"] == "lunge"
    await communicator.disconnect()
    await live.disconnect()


async def test_staff_socket_rejoins_the_live_group_after_losing_its_membership(settings):
    # What a Redis restart or channels-redis' group expiry does to a dashboard left open.
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.WORKOUT_LIVE_REJOIN_SECONDS = 0.05
    trainer = await database_sync_to_async(TrainerFactory)()
    live, _ = await watch_live(trainer)
    layer = get_channel_layer()
    layer.groups.pop(protocol.LIVE_GROUP)
    await eventually(lambda: protocol.LIVE_GROUP in layer.groups, message="the socket back in the live group")
    await layer.group_send(protocol.LIVE_GROUP, protocol.live_message({"event": "rep_update"}))
    assert await live.receive_json_from(timeout=TIMEOUT) == {"event": "rep_update"}
    await live.disconnect()


async def test_a_club_client_may_not_watch_live(device_user):
    live = await connect(f"/ws/live?token={token_for(device_user)}")
    await assert_closed_with(live, 4403)


async def test_anonymous_may_not_watch_live():
    live = await connect("/ws/live")
    await assert_closed_with(live, 4401)


async def test_live_feed_ignores_what_staff_send():
    trainer = await database_sync_to_async(TrainerFactory)()
    live, _ = await watch_live(trainer)
    await live.send_to(text_data="{not json")
    assert await live.receive_nothing(timeout=0.1)
    await live.disconnect()
    await asyncio.sleep(0)


@pytest.mark.redis
async def test_channel_layer_socket_timeout_outlasts_its_blocking_pop():
    from channels_redis.utils import create_pool

    layer = get_channel_layer()
    pool = create_pool(layer.hosts[0])
    # redis-py 8 would otherwise time the read out after 5 s while channels-redis blocks for 5 s.
    assert pool.connection_kwargs["socket_timeout"] > layer.brpop_timeout
    await pool.disconnect()
