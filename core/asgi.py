"""ASGI middleware around the whole application: graceful shutdown and WebSocket metrics.

daphne stops on SIGTERM by cancelling every running application instance, which would cut
in-flight requests short and drop sockets without a close frame (a device sees 1006 and cannot
tell a deploy from a crash). Here a cancelled HTTP request is given `WEB_SHUTDOWN_GRACE_SECONDS`
to finish, and an open WebSocket is closed with 1001 ("going away"), so devices reconnect to
another process at once.
"""

import asyncio
import contextlib
import functools
import logging
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler

from core.observability import WebSocketMetricsMiddleware

logger = logging.getLogger(__name__)

CLOSE_GOING_AWAY = 1001


class GracefulShutdownMiddleware:
    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            return await self._http(scope, receive, send)
        if scope["type"] == "websocket":
            return await self._websocket(scope, receive, send)
        return await self.app(scope, receive, send)

    async def _http(self, scope, receive, send):
        request = asyncio.ensure_future(self.app(scope, receive, send))
        try:
            return await asyncio.shield(request)
        except asyncio.CancelledError:
            # daphne waits for all its cancelled applications with one asyncio.gather(), which
            # completes at the first CancelledError: re-raising here would let the server exit while
            # other requests are still running. So the cancellation ends here, with the request.
            if not request.done():
                logger.info("shutting down: letting %s %s finish", scope.get("method"), scope.get("path"))
                with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                    await asyncio.wait_for(asyncio.shield(request), settings.WEB_SHUTDOWN_GRACE_SECONDS)
                if not request.done():
                    request.cancel()

    async def _websocket(self, scope, receive, send):
        state = {"open": False}

        async def tracking_send(message: dict) -> None:
            if message["type"] == "websocket.accept":
                state["open"] = True
            elif message["type"] == "websocket.close":
                state["open"] = False
            await send(message)

        try:
            return await self.app(scope, receive, tracking_send)
        except asyncio.CancelledError:
            # Not re-raised, for the same reason as above.
            if state["open"]:
                logger.info("shutting down: closing %s with %s", scope.get("path"), CLOSE_GOING_AWAY)
                try:
                    await _close_going_away(send)
                except Exception:
                    logger.warning("could not close %s", scope.get("path"), exc_info=True)


async def _close_going_away(send) -> None:
    # The ASGI spec lets an application close with any code, but daphne's WebSocket library
    # (autobahn) refuses 1001 from `sendClose` ("must be 1000 or 3000-4999"). daphne's `send` is
    # `partial(server.handle_reply, protocol)`: write the going-away frame on that protocol directly.
    protocol = send.args[0] if isinstance(send, functools.partial) and send.args else None
    if hasattr(protocol, "sendCloseFrame"):
        protocol.sendCloseFrame(code=CLOSE_GOING_AWAY, isReply=False)
    else:
        await send({"type": "websocket.close", "code": CLOSE_GOING_AWAY})


def _fix_daphne_shutdown() -> None:
    """Make daphne's SIGTERM handler skip connections whose application already finished.

    daphne 4.2.3's `Server.kill_all_applications` reads `details["application_instance"]` for every
    connection, but a keep-alive HTTP connection between two requests (a proxy's, a health probe's)
    has none: the KeyError aborts the handler, the server exits at once and every in-flight request
    and socket is cut (1006). Same code, minus that crash.
    """
    try:
        from daphne.server import Server
        from daphne.server import logger as daphne_logger
        from twisted.internet import defer
    except ImportError:  # another ASGI server
        return
    if getattr(Server.kill_all_applications, "club_fixed", False):
        return

    def kill_all_applications(self):
        wait_for = []
        for details in self.connections.values():
            application_instance = details.get("application_instance")
            if application_instance is not None and not application_instance.done():
                application_instance.cancel()
                wait_for.append(application_instance)
        daphne_logger.info("Killed %i pending application instances", len(wait_for))
        wait_deferred = defer.Deferred.fromFuture(asyncio.gather(*wait_for))
        wait_deferred.addErrback(lambda _: None)
        return wait_deferred

    kill_all_applications.club_fixed = True
    Server.kill_all_applications = kill_all_applications


_fix_daphne_shutdown()


class SyncRequestASGIHandler(ASGIHandler):
    """Django's ASGI handler for an application whose views are all synchronous (ours are).

    Django's own runs the middleware in async mode under ASGI, so every `process_request`,
    `process_view` and `process_response`, and the view, is a separate hop from the event loop to a
    thread and back (WhiteNoise, which is sync-only, adds a hop back to the loop in the middle); and
    it gives each request a new thread, which asgiref starts, then joins with a second new thread.
    Measured with `benchmarks/api_list.py` (docs/performance.md), that was a sixth of a list
    request's CPU time (9.3 → 7.8 ms a clients page). Here the middleware stack is loaded as under
    WSGI and the whole request runs in one hop, on a single-thread executor that goes back to an
    idle list for the next request: still one request's synchronous code on one thread, alone, as
    Django requires. At most `ASGI_IDLE_REQUEST_THREADS` idle executors are kept; the rest stop.

    Requests also take turns: only `ASGI_ACTIVE_REQUESTS` run their Django code at once, the others
    wait on the event loop. Ten request threads of one process contending for the GIL cost a
    fifth more CPU per request than the same requests one after another (same benchmark). A
    request still running after `ASGI_ACTIVE_REQUEST_MS` is waiting on something (a provider's
    API, a slow query), not computing: it stops counting, so it never holds up the rest.
    """

    def __init__(self) -> None:
        super().__init__()
        self.load_middleware(is_async=False)  # replaces the async-mode stack the parent loaded
        self._idle_executors: list[ThreadPoolExecutor] = []
        self._turns = asyncio.Semaphore(settings.ASGI_ACTIVE_REQUESTS)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await super().__call__(scope, receive, send)
        executor = (
            self._idle_executors.pop()
            if self._idle_executors
            else ThreadPoolExecutor(max_workers=1, thread_name_prefix="django-request")
        )
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send)
        finally:
            if len(self._idle_executors) < settings.ASGI_IDLE_REQUEST_THREADS:
                self._idle_executors.append(executor)
            else:
                executor.shutdown(wait=False)

    async def get_response_async(self, request):
        async with self._turn():
            return await sync_to_async(self.get_response, thread_sensitive=True)(request)

    @contextlib.asynccontextmanager
    async def _turn(self):
        await self._turns.acquire()
        given_back = False

        def give_back() -> None:
            nonlocal given_back
            if not given_back:
                given_back = True
                self._turns.release()

        overdue = asyncio.get_running_loop().call_later(settings.ASGI_ACTIVE_REQUEST_MS / 1000, give_back)
        try:
            yield
        finally:
            overdue.cancel()
            give_back()


def server_stack(app):
    """What every server process runs: `app` inside the shutdown and metrics middleware."""
    return GracefulShutdownMiddleware(WebSocketMetricsMiddleware(app))
