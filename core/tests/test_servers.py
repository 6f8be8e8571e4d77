import asyncio
import socket

import uvicorn
from websockets.asyncio.client import connect as ws_connect

from core.servers import GoingAwayWebSocketProtocol


async def test_uvicorn_closes_an_open_websocket_as_going_away_when_it_stops():
    heard = []

    async def consumer(scope, receive, send):
        assert (await receive())["type"] == "websocket.connect"
        await send({"type": "websocket.accept"})
        heard.append(await receive())

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    # The import string, as the Procfile passes it to `--ws`.
    config = uvicorn.Config(consumer, ws="core.servers:GoingAwayWebSocketProtocol", lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        while not server.started:
            await asyncio.sleep(0.01)
        assert config.ws_protocol_class is GoingAwayWebSocketProtocol
        async with ws_connect(f"ws://127.0.0.1:{port}/ws/workout") as device:
            server.should_exit = True  # what uvicorn's SIGTERM handler does
            await asyncio.wait_for(device.wait_closed(), 5)
        await asyncio.wait_for(serving, 5)
    finally:
        server.should_exit = True
        await serving
        listener.close()
    assert device.close_code == 1001
    assert heard == [{"type": "websocket.disconnect", "code": 1001}]
