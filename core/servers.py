"""ASGI server glue for uvicorn, the production web server (daphne's lives in core/asgi.py).

Started as `uvicorn --ws core.servers:GoingAwayWebSocketProtocol ...` (Procfile, Dockerfile,
docker-compose.yml). This module is imported by uvicorn before the application is loaded, so it
must not touch Django.
"""

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

CLOSE_GOING_AWAY = 1001


class GoingAwayWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's WebSocket protocol, closing open sockets with 1001 ("going away") on shutdown.

    uvicorn closes them with 1012 ("service restart"); the contract (issue 8) says 1001, as daphne
    does under `make run`. The base is the implementation `--ws auto` picks in uvicorn 0.54 (the
    sans-I/O one; `--ws websockets`, the legacy one, is deprecated), so only the close code changes.
    """

    def shutdown(self) -> None:
        if not self.handshake_complete or self.close_sent:
            # Nothing to close yet (uvicorn answers 500) or a close already under way.
            super().shutdown()
            return
        self.stop_keepalive()
        # The application hears the same code the device does.
        self.queue.put_nowait({"type": "websocket.disconnect", "code": CLOSE_GOING_AWAY})
        self.conn.send_close(CLOSE_GOING_AWAY)
        self.transport.write(b"".join(self.conn.data_to_send()))
        self.transport.close()
