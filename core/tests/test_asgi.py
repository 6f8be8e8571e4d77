import asyncio

import pytest

from core.asgi import GracefulShutdownMiddleware
from core.observability import WS_CONNECTIONS, WS_CONNECTIONS_TOTAL, WS_REPS


async def test_a_request_in_flight_when_the_server_stops_still_gets_its_response():
    sent = []

    async def slow_view(scope, receive, send):
        await asyncio.sleep(0.2)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"done"})

    async def send(message):
        sent.append(message)

    app = GracefulShutdownMiddleware(slow_view)
    served = asyncio.create_task(app({"type": "http", "method": "GET", "path": "/"}, None, send))
    await asyncio.sleep(0.05)
    served.cancel()  # what daphne does to every application on SIGTERM
    await served
    assert [message["type"] for message in sent] == ["http.response.start", "http.response.body"]


async def test_an_open_websocket_is_closed_as_going_away_when_the_server_stops():
    sent = []

    async def consumer(scope, receive, send):
        await send({"type": "websocket.accept"})
        await asyncio.sleep(10)

    async def send(message):
        sent.append(message)

    app = GracefulShutdownMiddleware(consumer)
    served = asyncio.create_task(app({"type": "websocket", "path": "/ws/workout"}, None, send))
    await asyncio.sleep(0.05)
    served.cancel()
    await served
    assert sent == [{"type": "websocket.accept"}, {"type": "websocket.close", "code": 1001}]


async def test_the_websocket_metrics_middleware_counts_sockets_without_reading_frames():
    from core.observability import WebSocketMetricsMiddleware

    async def consumer(scope, receive, send):
        await send({"type": "websocket.accept"})
        assert WS_CONNECTIONS.labels("/ws/workout")._value.get() == open_before + 1
        # A frame that looks like a rep reply: counting outcomes is the consumer's job, not this middleware's.
        await send({"type": "websocket.send", "text": '{"event": "rep_update", "total_reps": 1}'})

    async def send(message):
        pass

    open_before = WS_CONNECTIONS.labels("/ws/workout")._value.get()
    accepted_before = WS_CONNECTIONS_TOTAL.labels("/ws/workout")._value.get()
    counted_before = WS_REPS.labels("counted")._value.get()
    await WebSocketMetricsMiddleware(consumer)({"type": "websocket", "path": "/ws/workout"}, None, send)
    assert WS_REPS.labels("counted")._value.get() == counted_before
    assert WS_CONNECTIONS_TOTAL.labels("/ws/workout")._value.get() == accepted_before + 1
    # The consumer returned without a close frame (the client went away): the socket is not counted as open.
    assert WS_CONNECTIONS.labels("/ws/workout")._value.get() == open_before


REP = '{"event": "rep_detected", "type": "squat"}'


@pytest.mark.django_db(transaction=True)
async def test_real_reps_move_the_rep_outcome_counters_and_the_connection_gauge(device_sends):
    before = {outcome: WS_REPS.labels(outcome)._value.get() for outcome in ("counted", "ignored", "error")}
    open_before = WS_CONNECTIONS.labels("/ws/workout")._value.get()
    accepted_before = WS_CONNECTIONS_TOTAL.labels("/ws/workout")._value.get()

    # The second rep comes inside the debounce window.
    assert await device_sends(REP, REP, "not json") == ["rep_update", "rep_ignored", "error"]

    assert {outcome: WS_REPS.labels(outcome)._value.get() - before[outcome] for outcome in before} == {
        "counted": 1,
        "ignored": 1,
        "error": 1,
    }
    assert WS_CONNECTIONS_TOTAL.labels("/ws/workout")._value.get() == accepted_before + 1
    assert WS_CONNECTIONS.labels("/ws/workout")._value.get() == open_before


def _serving_threads(receiver_delay: float = 0.0) -> tuple[list, object]:
    """Records the thread each request's synchronous code runs on (the objects: idents are reused)."""
    import threading
    import time

    from django.core.signals import request_started

    threads: list[threading.Thread] = []

    def record(**kwargs) -> None:
        threads.append(threading.current_thread())
        time.sleep(receiver_delay)

    request_started.connect(record, weak=False)
    return threads, lambda: request_started.disconnect(record)


async def _get(application, path: str) -> dict:
    from channels.testing import HttpCommunicator

    communicator = HttpCommunicator(application, "GET", path, headers=[(b"host", b"localhost")])
    response = await communicator.get_response(timeout=5)
    await communicator.wait()  # the application's own end of the request (closing the response)
    return response


async def test_requests_in_turn_are_served_on_one_reused_thread():
    from core.asgi import SyncRequestASGIHandler

    application = SyncRequestASGIHandler()
    threads, stop_recording = _serving_threads()
    try:
        responses = [await _get(application, "/.well-known/jwks.json") for _ in range(20)]
    finally:
        stop_recording()
    assert [response["status"] for response in responses] == [200] * 20
    assert all(b'"keys"' in response["body"] for response in responses)
    # Django's own handler starts a new thread (and a second one to join it) for every request.
    assert len(threads) == 20
    assert len(set(threads)) == 1


async def test_concurrent_requests_each_get_a_thread_of_their_own():
    import time

    from core.asgi import SyncRequestASGIHandler

    application = SyncRequestASGIHandler()
    threads, stop_recording = _serving_threads(receiver_delay=0.2)
    started = time.monotonic()
    try:
        responses = await asyncio.gather(*(_get(application, "/.well-known/jwks.json") for _ in range(5)))
    finally:
        stop_recording()
    assert [response["status"] for response in responses] == [200] * 5
    assert len(set(threads)) == 5
    assert time.monotonic() - started < 0.9  # side by side, not one after another (5 × 0.2 s)


class _TimedHandler:
    """A SyncRequestASGIHandler whose Django part takes `seconds` (sleeping: computing or waiting on I/O)."""

    @staticmethod
    def build(seconds_for_path: dict[str, float]):
        import threading
        import time

        from core.asgi import SyncRequestASGIHandler

        class TimedHandler(SyncRequestASGIHandler):
            running = 0
            most_at_once = 0
            lock = threading.Lock()

            def get_response(self, request):
                with self.lock:
                    TimedHandler.running += 1
                    TimedHandler.most_at_once = max(TimedHandler.most_at_once, TimedHandler.running)
                time.sleep(seconds_for_path.get(request.path, 0.0))
                try:
                    return super().get_response(request)
                finally:
                    with self.lock:
                        TimedHandler.running -= 1

        return TimedHandler


async def test_requests_run_their_django_code_one_at_a_time_by_default():
    handler_class = _TimedHandler.build({"/.well-known/jwks.json": 0.03})
    application = handler_class()

    responses = await asyncio.gather(*(_get(application, "/.well-known/jwks.json") for _ in range(6)))

    assert [response["status"] for response in responses] == [200] * 6
    assert handler_class.most_at_once == 1


async def test_a_request_waiting_on_io_does_not_hold_up_the_others():
    import time

    handler_class = _TimedHandler.build({"/healthz/slow-provider": 1.5})
    application = handler_class()
    slow = asyncio.create_task(_get(application, "/healthz/slow-provider"))
    await asyncio.sleep(0.05)  # the slow one has its turn

    started = time.monotonic()
    quick = await _get(application, "/.well-known/jwks.json")

    assert quick["status"] == 200
    assert time.monotonic() - started < 1.0  # let in after ASGI_ACTIVE_REQUEST_MS (100 ms), not after 1.5 s
    assert not slow.done()
    await slow
