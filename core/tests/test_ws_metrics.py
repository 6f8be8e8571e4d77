"""The WebSocket metrics middleware around config/asgi.py's application."""

import pytest

from core.observability import WS_CONNECTIONS, WS_CONNECTIONS_TOTAL, WS_REPS


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
