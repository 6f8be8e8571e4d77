"""ASGI server glue for uvicorn, the production web server (daphne's lives in core/asgi.py).

Started as `uvicorn --ws core.servers:GoingAwayWebSocketProtocol ...` (Procfile, Dockerfile,
docker-compose.yml). This module is imported by uvicorn before the application is loaded, so it
must not touch Django.
"""

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

CLOSE_GOING_AWAY = 1001
# Close codes after which the peer is not read any more (workouts/protocol.py: 4429, a flooding socket
# or one socket too many): uvicorn would go on reading and parsing its frames until it answers the
# close, for up to 10 s, and a flooder never does.
STOP_READING_CLOSE_CODES = frozenset({4429})


class GoingAwayWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's WebSocket protocol, closing open sockets with 1001 ("going away") on shutdown, and
    reading nothing more from a socket the application closed for flooding.

    uvicorn closes them with 1012 ("service restart"); the contract (issue 8) says 1001, as daphne
    does under `make run`. The base is the implementation `--ws auto` picks in uvicorn 0.54 (the
    sans-I/O one; `--ws websockets`, the legacy one, is deprecated), so only the shutdown close code
    and the end of a flooding socket change.
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

    async def send(self, message) -> None:
        await super().send(message)
        if (
            message["type"] == "websocket.close"
            and message.get("code") in STOP_READING_CLOSE_CODES
            and self.handshake_complete
            and self.close_sent
        ):
            # The close frame is already in the transport's buffer: `close()` stops reading now,
            # flushes it and then drops the connection, without waiting for the peer's reply.
            self.transport.close()
            # Frames read before, still queued for the application, are dropped too; what else is
            # queued (the disconnect) stays, in order.
            kept = [event for event in self._drain_queue() if event["type"] != "websocket.receive"]
            for event in kept:
                self.queue.put_nowait(event)

    def _drain_queue(self) -> list[dict]:
        events = []
        while not self.queue.empty():
            events.append(self.queue.get_nowait())
        return events
