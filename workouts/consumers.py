import asyncio
import logging
import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.db import DatabaseError

from core.observability import WS_REPS
from workouts import protocol
from workouts.connections import get_connection_slots, remember_refusal, too_many_connections_event
from workouts.counter import CounterUnavailable, get_rep_counter
from workouts.live import publish_rep
from workouts.permissions import can_watch_live
from workouts.selectors import live_count_list, live_member

logger = logging.getLogger(__name__)

# `club_workout_reps_total` by outcome, resolved once: every reply of the device consumer moves one.
REPS_COUNTED = WS_REPS.labels("counted")
REPS_IGNORED = WS_REPS.labels("ignored")
REPS_ERROR = WS_REPS.labels("error")


class TokenLifetimeMixin:
    """Closes the socket (4401) when the access token it was opened with expires.

    Authentication happens once, at the handshake; without this, a socket would outlive its token
    (15 minutes) and the account: a user deleted or deactivated since would stream on for hours.
    Devices and the live page reconnect with a fresh token.
    """

    expiry: asyncio.TimerHandle | None = None
    expiring: asyncio.Task | None = None

    def close_when_the_token_expires(self) -> None:
        expires_at = self.scope.get("auth_expires_at")
        if expires_at is not None:
            loop = asyncio.get_running_loop()
            self.expiry = loop.call_later(max(0.0, expires_at - time.time()), self._start_expiring)

    def _start_expiring(self) -> None:
        self.expiring = asyncio.get_running_loop().create_task(self.token_expired())

    async def token_expired(self) -> None:
        await self.close(code=protocol.CLOSE_UNAUTHENTICATED)

    def stop_watching_the_token(self) -> None:
        if self.expiry is not None:
            self.expiry.cancel()


class WorkoutConsumer(TokenLifetimeMixin, AsyncJsonWebsocketConsumer):
    """`/ws/workout`: a device streams `rep_detected` events and gets one reply for each (workouts/protocol.py)."""

    # A device receives nothing through the channel layer. Without this, every connection would
    # block in the layer's receive, and the first Redis hiccup would crash it (close 1011) instead
    # of answering reps with the error event. (An unknown alias makes `get_channel_layer` return None.)
    channel_layer_alias = None
    # False once the server decided to close: frames still in flight are not answered.
    serving = False
    # This socket's place among the user's WORKOUT_WS_MAX_CONNECTIONS_PER_USER (workouts/connections.py).
    slot_id: str | None = None
    flooded = False

    async def dispatch(self, message: dict) -> None:
        # Channels runs `close_old_connections` in the sync thread before every handler: one thread
        # hop per rep, serialized through that single thread. A rep touches no database (the user
        # was loaded at connect, with its own connection cleanup), so frames skip it.
        if message["type"] == "websocket.receive":
            await self.websocket_receive(message)
        else:
            await super().dispatch(message)

    async def connect(self) -> None:
        await self.accept()
        self.user = self.scope["user"]
        if not self.user.is_authenticated:
            # Accepted first so the device sees the 4401 close code, not just a failed handshake.
            await self.close(code=protocol.CLOSE_UNAUTHENTICATED)
            return
        self.slot_id = await get_connection_slots().acquire(user_id=self.user.pk)
        if self.slot_id is None:
            remember_refusal(self.user.pk)
            await self.send_json(too_many_connections_event())
            await self.close(code=protocol.CLOSE_TOO_MANY_CONNECTIONS)
            return
        try:
            # The live page's name and link for this user, looked up once: reps carry it, never query it.
            self.member = await database_sync_to_async(live_member)(self.user)
        except DatabaseError:
            logger.warning("live name of user %s unavailable: reps show the username", self.user.pk)
            self.member = protocol.LiveMember(
                user_id=self.user.pk, username=self.user.username, name=self.user.username, client_url=None
            )
        self.serving = True
        self.bucket = protocol.TokenBucket(rate=settings.WORKOUT_WS_FLOOD_RATE, burst=settings.WORKOUT_WS_FLOOD_BURST)
        self.close_when_the_token_expires()

    async def token_expired(self) -> None:
        self.serving = False
        await self.send_error("Access token expired: reconnect with a fresh one.")
        await super().token_expired()

    async def send_error(self, message: str) -> None:
        REPS_ERROR.inc()
        await self.send_json(protocol.error_event(message))

    async def disconnect(self, code: int) -> None:
        self.stop_watching_the_token()
        if self.slot_id is not None:
            penalty = settings.WORKOUT_WS_FLOOD_PENALTY_SECONDS if self.flooded else 0.0
            await get_connection_slots().release(user_id=self.user.pk, slot_id=self.slot_id, hold_for=penalty)

    # `receive`, not `receive_json`: size, framing and JSON errors are answered, not raised.
    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not self.serving:
            return
        if not self.bucket.take():
            self.serving = False
            self.flooded = True
            await self.send_error("Too many messages: closing the connection.")
            await self.close(code=protocol.CLOSE_FLOODING)
            return
        try:
            rep = protocol.parse_message(text_data, bytes_data, max_bytes=settings.WORKOUT_WS_MAX_FRAME_BYTES)
        except protocol.ProtocolError as error:
            await self.send_error(str(error))
            return
        try:
            outcome = await get_rep_counter().count_rep(user_id=self.user.pk, exercise_type=rep.exercise_type)
        except CounterUnavailable:
            logger.warning("rep of user %s not counted: counter unavailable", self.user.pk)
            await self.send_error("Rep not counted: the counter is unavailable, send it again.")
            return
        (REPS_COUNTED if outcome.counted else REPS_IGNORED).inc()
        await self.send_json(
            protocol.rep_reply(counted=outcome.counted, exercise_type=rep.exercise_type, total_reps=outcome.total_reps)
        )
        if outcome.counted:
            publish_rep(
                protocol.live_rep(
                    member=self.member,
                    exercise_type=rep.exercise_type,
                    total_reps=outcome.total_reps,
                )
            )


class LiveConsumer(TokenLifetimeMixin, AsyncJsonWebsocketConsumer):
    """`/ws/live`: staff get the workouts in progress (`live_snapshot`), then every counted rep and
    every finished workout, from every server process.

    If the channel layer loses Redis, the socket is closed (1011) and the dashboard reconnects by itself.
    """

    groups_joined = False
    rejoining: asyncio.Task | None = None

    async def connect(self) -> None:
        # An access token or the live page's live-feed token (accounts/tokens.py).
        user = self.scope["live_feed_user"]
        if can_watch_live(user):
            # Joined before the handshake completes, so nothing counted after it is missed.
            await self.channel_layer.group_add(protocol.LIVE_GROUP, self.channel_name)
            self.groups_joined = True
            await self.accept()
            self.rejoining = asyncio.get_running_loop().create_task(self._stay_in_group())
            self.close_when_the_token_expires()
            await self.send_snapshot(user)
            return
        await self.accept()
        close_code = protocol.CLOSE_FORBIDDEN if user.is_authenticated else protocol.CLOSE_UNAUTHENTICATED
        await self.close(code=close_code)

    async def send_snapshot(self, user) -> None:
        # Read after joining the group: a rep counted meanwhile is in the snapshot or arrives as an
        # event (or both: the page ignores an event not above the snapshot's total). Channels handles
        # a consumer's messages one at a time, so group events queued meanwhile follow the snapshot.
        try:
            counts = await live_count_list(user=user)
        except (CounterUnavailable, DatabaseError):
            logger.warning("live feed: workouts in progress unavailable, closing", exc_info=True)
            await self.close(code=protocol.CLOSE_UNAVAILABLE)
            return
        await self.send_json(protocol.live_snapshot(counts))

    async def _stay_in_group(self) -> None:
        # A membership does not last: channels-redis expires it after `group_expiry` (a day) and a
        # Redis restart forgets it, while the socket stays open. Joining again (idempotent) keeps a
        # dashboard left open for days fed.
        while True:
            await asyncio.sleep(settings.WORKOUT_LIVE_REJOIN_SECONDS)
            try:
                await self.channel_layer.group_add(protocol.LIVE_GROUP, self.channel_name)
            except Exception:
                logger.warning("live feed: could not renew the group membership", exc_info=True)

    async def disconnect(self, code: int) -> None:
        self.stop_watching_the_token()
        if self.rejoining is not None:
            self.rejoining.cancel()
        if self.groups_joined:
            try:
                await self.channel_layer.group_discard(protocol.LIVE_GROUP, self.channel_name)
            except Exception:
                # Unreachable Redis: the membership expires by itself.
                logger.warning("live feed: could not leave the group", exc_info=True)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """The feed is one-way; whatever staff clients send is ignored."""

    async def live_event(self, event: dict) -> None:
        await self.send_json(event["payload"])

    async def live_batch(self, event: dict) -> None:
        for payload in event["events"]:
            await self.send_json(payload)
