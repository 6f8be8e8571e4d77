"""Which JWT opens what: the API's access tokens, and the live page's token that opens only `WS /ws/live`.

| token (`token_type`) | API | `WS /ws/workout` | `WS /ws/live` |
|---|---|---|---|
| access (`access`, 15 min)        | yes | yes | yes (staff) |
| live feed (`live_feed`, 2 min)   | 401 | 4401 | yes (staff) |
| refresh (`refresh`)              | 401 | 4401 | 4401 |

The live-feed token is what the dashboard hands a browser: a copy taken out of the page can watch
the feed for two minutes and do nothing else. It is a JWT of its own type, so every check written
for access tokens (simplejwt's `AccessToken`, `BearerAuthentication`) refuses it without knowing it
exists. Like any token it names its user, who is loaded on use: a soft-deleted user (inactive) or
one who is no longer staff cannot open the feed with it.
"""

import datetime
from dataclasses import dataclass

import jwt
from django.contrib.auth.models import AnonymousUser
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken, Token

from accounts.models import User


class LiveFeedToken(AccessToken):
    """Opens `WS /ws/live` and nothing else; fetched by the live page before each (re)connect."""

    token_type = "live_feed"  # noqa: S105 (a claim value, not a secret)
    # The socket checks its token when it connects and closes when it expires; the page fetches a
    # new one for every (re)connect, so a short life costs nothing and limits what a copy is worth.
    lifetime = datetime.timedelta(minutes=2)


def claimed_token_type(raw_token: str | bytes) -> str | None:
    """The `token_type` a token claims, read without checking its signature: only to pick a class or a message."""
    try:
        claimed = jwt.decode(raw_token, options={"verify_signature": False}).get(api_settings.TOKEN_TYPE_CLAIM)
    except jwt.InvalidTokenError:
        return None
    return claimed if isinstance(claimed, str) else None


def claimed_user_id(raw_token: str | bytes) -> object:
    """The user id a token claims, read without checking its signature: never to let anyone in."""
    try:
        return jwt.decode(raw_token, options={"verify_signature": False}).get(api_settings.USER_ID_CLAIM)
    except jwt.InvalidTokenError:
        return None


@dataclass(frozen=True)
class SocketAuthentication:
    """What a WebSocket handshake's token allows.

    `user` is set for a full access token only, so a consumer that reads `scope["user"]` refuses any
    narrower token by default; `live_feed_user` is set for an access token or a live-feed token.
    """

    user: User | AnonymousUser
    live_feed_user: User | AnonymousUser
    expires_at: float | None


ANONYMOUS_SOCKET = SocketAuthentication(user=AnonymousUser(), live_feed_user=AnonymousUser(), expires_at=None)
_SOCKET_TOKEN_CLASSES: dict[str, type[Token]] = {
    AccessToken.token_type: AccessToken,
    LiveFeedToken.token_type: LiveFeedToken,
}


def socket_authenticate(raw_token: str) -> SocketAuthentication:
    """Check a WebSocket token (signature, expiry, type, a live user) and say what it opens.

    Runs database queries (the user); a database error is raised as is.
    """
    token_class = _SOCKET_TOKEN_CLASSES.get(claimed_token_type(raw_token) or "")
    if token_class is None:
        return ANONYMOUS_SOCKET
    authentication = JWTAuthentication()
    try:
        token = token_class(raw_token.encode())  # type: ignore[arg-type]  # simplejwt annotates "Token | None" but reads the encoded token
        user = authentication.get_user(token)
    except (TokenError, InvalidToken, AuthenticationFailed):
        # simplejwt's get_user refuses a user that does not exist or is inactive (soft-deleted).
        return ANONYMOUS_SOCKET
    full_access = token_class is AccessToken
    return SocketAuthentication(
        user=user if full_access else AnonymousUser(), live_feed_user=user, expires_at=float(token["exp"])
    )
