"""The `/ws/workout` and `/ws/live` wire protocol: what a device may send and every payload the server sends.

Device → server: `{"event": "rep_detected", "type": "squat"}` (`type` optional, default `squat`).
Server → device, one reply per message (the seed service's shapes):
    `{"event": "rep_update", "status": "success", "type": T, "total_reps": N}`   counted
    `{"event": "rep_ignored", "status": "ignored", "reason": "debounced", "type": T, "total_reps": N}`
    `{"event": "error", "status": "error", "message": "..."}`                      not counted
Server → staff on `/ws/live`: `live_snapshot` first, then `live_rep` and `live_finish` below; each
names its member (`LiveMember`: username, display name, client page).
"""

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core import json_input
from workouts.models import WorkoutSession

if TYPE_CHECKING:
    from workouts.selectors import LiveCount

DEFAULT_EXERCISE_TYPE = "squat"
EXERCISE_TYPE_RE = re.compile(r"^[a-z][a-z0-9_-]{0,49}$")
LIVE_GROUP = "workouts.live"
# Close codes mirror HTTP statuses: 4401 = not authenticated or the token expired, 4403 = forbidden,
# 4429 = flooding, or one socket more than WORKOUT_WS_MAX_CONNECTIONS_PER_USER (the error event sent
# before the close says which), 4503 = the database was down at the handshake (reconnect soon). Not 1013 "Try
# Again Later": autobahn (daphne) lets a server send only 1000 and 3000-4999.
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_FLOODING = 4429
CLOSE_TOO_MANY_CONNECTIONS = 4429
CLOSE_UNAVAILABLE = 4503


class ProtocolError(Exception):
    """A message the server cannot act on; the connection stays open."""


@dataclass(frozen=True)
class RepDetected:
    exercise_type: str


def exercise_type_error(value: Any) -> str | None:
    if isinstance(value, str) and EXERCISE_TYPE_RE.match(value):
        return None
    return "type must be a lowercase slug such as 'squat' (letters, digits, '_' or '-', at most 50)."


def parse_message(text_data: str | None, bytes_data: bytes | None, *, max_bytes: int) -> RepDetected:
    if text_data is None:
        raise ProtocolError("Send JSON in text frames.")
    if len(text_data) > max_bytes or len(text_data.encode()) > max_bytes:
        raise ProtocolError(f"Message too large: the limit is {max_bytes} bytes.")
    try:
        message = json_input.loads(text_data)
    except ValueError:
        raise ProtocolError("Malformed JSON.") from None
    if not isinstance(message, dict):
        raise ProtocolError('A message is a JSON object such as {"event": "rep_detected", "type": "squat"}.')
    if message.get("event") != "rep_detected":
        raise ProtocolError("Unknown event: the only event is 'rep_detected'.")
    exercise_type = message.get("type", DEFAULT_EXERCISE_TYPE)
    if error := exercise_type_error(exercise_type):
        raise ProtocolError(error)
    return RepDetected(exercise_type=exercise_type)


def rep_reply(*, counted: bool, exercise_type: str, total_reps: int) -> dict[str, Any]:
    if counted:
        return {"event": "rep_update", "status": "success", "type": exercise_type, "total_reps": total_reps}
    return {
        "event": "rep_ignored",
        "status": "ignored",
        "reason": "debounced",
        "type": exercise_type,
        "total_reps": total_reps,
    }


def error_event(message: str) -> dict[str, str]:
    return {"event": "error", "status": "error", "message": message}


@dataclass(frozen=True)
class LiveMember:
    """Who a live event is about, as the page shows them: resolved once per socket, never per rep."""

    user_id: int
    username: str
    name: str  # the client's full name, or the username of an account without a client profile
    client_url: str | None  # the client's dashboard page, None without a client profile

    def fields(self) -> dict[str, Any]:
        return {"user_id": self.user_id, "username": self.username, "name": self.name, "client_url": self.client_url}


def live_rep(*, member: LiveMember, exercise_type: str, total_reps: int) -> dict[str, Any]:
    """A counted rep, as staff watching `/ws/live` see it."""
    return {"event": "rep_update", **member.fields(), "type": exercise_type, "total_reps": total_reps}


def live_snapshot(counts: Iterable["LiveCount"]) -> dict[str, Any]:
    """Every workout in progress, sent once to a staff socket as it opens, before any other event.

    The rows have the fields of `live_rep`, plus when the last rep was counted. Reps already in the
    snapshot can still arrive afterwards as `rep_update` events with a total not above the row's.
    """
    return {
        "event": "live_snapshot",
        "counts": [
            {
                **count.member.fields(),
                "type": count.exercise_type,
                "total_reps": count.total_reps,
                "last_rep_at": count.last_rep_at.isoformat(),
            }
            for count in counts
        ],
    }


def live_finish(session: WorkoutSession, member: LiveMember) -> dict[str, Any]:
    """A saved workout, as staff watching `/ws/live` see it (`ended_by`: the staff member's username
    when staff ended it from the live page, else None)."""
    return {
        "event": "workout_finished",
        "workout_id": session.pk,
        **member.fields(),
        "type": session.exercise_type,
        "total_reps": session.total_reps,
        "created_at": session.created_at.isoformat(),
        "ended_by": session.ended_by.username if session.ended_by is not None else None,
    }


def live_message(payload: dict[str, Any]) -> dict[str, Any]:
    """The channel-layer envelope that `LiveConsumer.live_event` relays."""
    return {"type": "live.event", "payload": payload}


class TokenBucket:
    """Flood guard of one connection: `rate` messages a second on average, bursts up to `burst`."""

    def __init__(self, *, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = float(burst)
        self.updated = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True
