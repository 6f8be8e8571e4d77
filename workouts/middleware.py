"""ASGI middleware of the WebSocket endpoints: JWT authentication and the browser-origin rule."""

import asyncio
import json
import logging
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from channels.security.websocket import OriginValidator
from django.conf import settings
from django.db import DatabaseError

from accounts.tokens import ANONYMOUS_SOCKET, claimed_user_id, socket_authenticate
from workouts import protocol
from workouts.connections import recently_refused, too_many_connections_event

logger = logging.getLogger(__name__)

WORKOUT_PATH = "/ws/workout"


def _raw_token(scope: dict) -> str | None:
    """`?token=` (browsers cannot set headers on a WebSocket) or `Authorization: Bearer`."""
    tokens = parse_qs(scope.get("query_string", b"").decode("latin1")).get("token")
    if tokens:
        return tokens[0]
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, token = value.decode("latin1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
    return None


class JWTAuthMiddleware(BaseMiddleware):
    """Puts what the handshake's token allows in the scope; consumers refuse anonymous users.

    `scope["user"]`: the user of a full access token, else `AnonymousUser` (so `/ws/workout` refuses
    the live page's narrower token). `scope["live_feed_user"]`: the user of an access or a live-feed
    token, read by `/ws/live` only (accounts/tokens.py has the rules). `scope["auth_expires_at"]`
    carries the token's expiry: consumers close the socket then, so a token that stopped being valid
    (or an account deleted since) does not stream on for hours.
    """

    async def __call__(self, scope, receive, send):
        raw_token = _raw_token(scope)
        authenticated = ANONYMOUS_SOCKET
        if raw_token and scope.get("path") == WORKOUT_PATH and recently_refused(claimed_user_id(raw_token)):
            # Refused for the cap a moment ago in this process: no signature check, query or Redis
            # round trip for a client reconnecting in a loop (workouts/connections.py), and the
            # answer waits as long as the memo lasts, so such a loop reconnects about once a second.
            await asyncio.sleep(settings.WORKOUT_WS_REFUSAL_MEMO_SECONDS)
            refusal = too_many_connections_event()
            return await _accept_and_close(receive, send, protocol.CLOSE_TOO_MANY_CONNECTIONS, refusal)
        if raw_token:
            try:
                authenticated = await database_sync_to_async(socket_authenticate)(raw_token)
            except DatabaseError:
                # Not the device's fault: tell it to come back, rather than that its token is bad.
                logger.warning("WebSocket refused: the database is unavailable to check the token")
                return await _accept_and_close(receive, send, protocol.CLOSE_UNAVAILABLE)
        scope = {
            **scope,
            "user": authenticated.user,
            "live_feed_user": authenticated.live_feed_user,
            "auth_expires_at": authenticated.expires_at,
        }
        return await super().__call__(scope, receive, send)


async def _accept_and_close(receive, send, code: int, event: dict | None = None) -> None:
    if (await receive())["type"] == "websocket.connect":
        await send({"type": "websocket.accept"})
        if event is not None:
            await send({"type": "websocket.send", "text": json.dumps(event)})
        await send({"type": "websocket.close", "code": code})


class DeviceOriginValidator(OriginValidator):
    """Browsers must come from an allowed host; devices, which send no `Origin` at all, are let through.

    Channels' `AllowedHostsOriginValidator` refuses a missing Origin, which would lock out every
    workout device; an Origin outside `ALLOWED_HOSTS` (cross-site WebSocket hijacking) is still refused.
    """

    def valid_origin(self, parsed_origin) -> bool:
        return parsed_origin is None or self.validate_origin(parsed_origin)


def websocket_stack(application):
    allowed_hosts = settings.ALLOWED_HOSTS or (["localhost", "127.0.0.1", "[::1]"] if settings.DEBUG else [])
    return DeviceOriginValidator(JWTAuthMiddleware(application), allowed_hosts)
