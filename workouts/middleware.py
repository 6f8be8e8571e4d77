"""ASGI middleware of the WebSocket endpoints: JWT authentication and the browser-origin rule."""

import logging
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from channels.security.websocket import OriginValidator
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import DatabaseError
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from workouts import protocol

logger = logging.getLogger(__name__)


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


@database_sync_to_async
def _authenticate(raw_token: str) -> tuple[object, float | None]:
    """The token's user and its expiry (epoch seconds), or `AnonymousUser` and None.

    simplejwt's own checks: signature, expiry, token type, and a user that exists and is active
    (a soft-deleted user is inactive). A database error is raised as is.
    """
    authentication = JWTAuthentication()
    try:
        token = authentication.get_validated_token(raw_token.encode())
        return authentication.get_user(token), float(token["exp"])
    except (InvalidToken, TokenError, AuthenticationFailed):
        return AnonymousUser(), None


class JWTAuthMiddleware(BaseMiddleware):
    """Puts the token's user (or `AnonymousUser`) in `scope["user"]`; consumers refuse anonymous ones.

    `scope["auth_expires_at"]` carries the token's expiry: consumers close the socket then, so a
    token that stopped being valid (or an account deleted since) does not stream on for hours.
    """

    async def __call__(self, scope, receive, send):
        raw_token = _raw_token(scope)
        user, expires_at = AnonymousUser(), None
        if raw_token:
            try:
                user, expires_at = await _authenticate(raw_token)
            except DatabaseError:
                # Not the device's fault: tell it to come back, rather than that its token is bad.
                logger.warning("WebSocket refused: the database is unavailable to check the token")
                return await _accept_and_close(receive, send, protocol.CLOSE_UNAVAILABLE)
        return await super().__call__({**scope, "user": user, "auth_expires_at": expires_at}, receive, send)


async def _accept_and_close(receive, send, code: int) -> None:
    if (await receive())["type"] == "websocket.connect":
        await send({"type": "websocket.accept"})
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
