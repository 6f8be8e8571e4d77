"""A flooding `/ws/workout` socket against the Procfile's web-ws command (stock uvicorn).

The client here never answers the server's close frame, as a flooder does not. The application
closes it with 4429 and handles none of its frames after that; stock uvicorn still reads and
discards them until its close timeout (10 s, not configurable) and then drops the connection
(docs/realtime.md: what that costs, measured with `benchmarks/ws_reps.py --mode flood`).
"""

import json
import socket
import threading

import pytest
from channels.db import database_sync_to_async
from rest_framework_simplejwt.tokens import AccessToken
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.protocol import State
from websockets.uri import parse_uri

from accounts.tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

REP = json.dumps({"event": "rep_detected", "type": "tap"})
# Above uvicorn's close timeout (10 s): a connection still open this long after the close was not dropped.
DROP_TIMEOUT = 20


def open_raw_socket(web, token: str) -> tuple[socket.socket, ClientProtocol]:
    """A WebSocket whose frames this test writes and reads itself: nothing answers a close for it."""
    protocol = ClientProtocol(parse_uri(f"{web.ws_url}/ws/workout?token={token}"))
    protocol.send_request(protocol.connect())
    sock = socket.create_connection(("127.0.0.1", web.ws_port), timeout=DROP_TIMEOUT)
    sock.sendall(b"".join(protocol.data_to_send()))
    while protocol.state is State.CONNECTING:
        protocol.receive_data(sock.recv(65536))
    assert protocol.state is State.OPEN, protocol.handshake_exc
    return sock, protocol


def flood(sock: socket.socket, protocol: ClientProtocol, stop: threading.Event) -> None:
    protocol.send_text(REP.encode())
    frame = b"".join(protocol.data_to_send())  # masked with one key: fine for a flood
    burst = frame * 100
    try:
        while not stop.is_set():
            sock.sendall(burst)
    except OSError:
        pass  # the server dropped the connection


async def test_a_flooding_socket_is_closed_4429_and_dropped_within_the_close_timeout(start_web):
    web = start_web(WORKOUT_WS_FLOOD_BURST="5", WORKOUT_WS_FLOOD_RATE="1")
    user = await database_sync_to_async(UserFactory)()
    sock, protocol = open_raw_socket(web, str(AccessToken.for_user(user)))
    stop = threading.Event()
    flooder = threading.Thread(target=flood, args=(sock, protocol, stop))
    flooder.start()
    received = b""
    try:
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break  # dropped with data of ours still unread: what a flooder gets
            except TimeoutError:
                pytest.fail(f"the flooding socket was still open {DROP_TIMEOUT} s after the server closed it")
            if not chunk:
                break  # dropped
            received += chunk
    finally:
        stop.set()
        flooder.join()
        sock.close()
    # What did arrive reads as replies, the flood error and (unless the drop overtook it) a 4429 close.
    protocol.receive_data(received)
    frames = [event for event in protocol.events_received() if isinstance(event, Frame)]  # not the handshake
    texts = [json.loads(frame.data) for frame in frames if frame.opcode is Opcode.TEXT]
    assert {"event": "error", "status": "error", "message": "Too many messages: closing the connection."} in texts
    if any(frame.opcode is Opcode.CLOSE for frame in frames):
        assert protocol.close_rcvd.code == 4429
