"""The WebSocket endpoints under hostile input: tokens with bad claims, JSON the server will not parse."""

import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from accounts.tests.factories import TrainerFactory, UserFactory
from accounts.tests.test_jwt import BAD_CLAIMS, claims_for, signed
from config.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 5
REP = {"event": "rep_detected", "type": "squat"}


async def closed_with(path: str) -> dict:
    communicator = WebsocketCommunicator(application, path)
    connected, _ = await communicator.connect()
    assert connected
    return await communicator.receive_output(timeout=TIMEOUT)


@pytest.mark.parametrize("overrides", [*BAD_CLAIMS, {"user_id": 1.5}], ids=repr)
async def test_a_token_with_malformed_claims_closes_both_sockets_4401(overrides):
    user = await database_sync_to_async(TrainerFactory)()
    token = signed(claims_for(user, **overrides))

    for path in ("/ws/workout", "/ws/live"):
        assert await closed_with(f"{path}?token={token}") == {"type": "websocket.close", "code": 4401}


async def test_a_fractional_user_id_opens_no_socket_as_the_user_it_rounds_to():
    user = await database_sync_to_async(UserFactory)()
    token = signed(claims_for(user, user_id=user.pk + 0.5))

    assert await closed_with(f"/ws/workout?token={token}") == {"type": "websocket.close", "code": 4401}


@pytest.mark.parametrize(
    "frame",
    [
        "[" * 8000 + "]" * 8000,  # 16 KB, the frame limit
        '{"event": "rep_detected", "type": "squat", "x": ' + "[" * 40 + "]" * 40 + "}",
        '{"event": "rep_detected", "type": "\\ud800"}',
        '{"event": "rep_detected", "\\udfff": 1}',
    ],
    ids=["nested-8000", "nested-40", "surrogate-value", "surrogate-key"],
)
async def test_unsafe_json_frames_get_an_error_event_and_the_socket_stays_usable(frame):
    user = await database_sync_to_async(UserFactory)()
    communicator = WebsocketCommunicator(application, f"/ws/workout?token={signed(claims_for(user))}")
    assert (await communicator.connect())[0]

    await communicator.send_to(text_data=frame)
    reply = await communicator.receive_json_from(timeout=TIMEOUT)
    await communicator.send_to(text_data=json.dumps(REP))
    after = await communicator.receive_json_from(timeout=TIMEOUT)

    assert reply == {"event": "error", "status": "error", "message": "Malformed JSON."}
    assert after["event"] == "rep_update"
    await communicator.disconnect()
